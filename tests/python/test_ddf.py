"""Dask: s3_path_to_ddf on worker processes that have neither s3tools nor AWS variables."""

from __future__ import annotations

import os
import pickle
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import BUCKET, put

import s3tools
from s3tools import ddf

distributed = pytest.importorskip("distributed")

# Where a worker's own settings would send it: nowhere (a dead proxy).
DEAD_PROXY = "http://127.0.0.1:9"


def sales(rows: int = 3000) -> pd.DataFrame:
    ids = np.arange(rows)
    return pd.DataFrame({"id": ids, "shop": pd.array([f"s{i % 5}" for i in ids], dtype="str"),
                         "year": 2020 + ids % 4, "amount": ids * 0.25})


def test_storage_options_carry_the_settings_and_show_no_secret(seed, monkeypatch):
    options = s3tools.storage_options()
    assert options["endpoint_url"] == os.environ["AWS_ENDPOINT_URL"]
    assert options["key"] == os.environ["AWS_ACCESS_KEY_ID"]
    assert options["client_kwargs"] == {"region_name": "us-east-1"}
    assert options["config_kwargs"]["proxies"] == {}  # a custom endpoint: no proxy
    assert options["config_kwargs"]["s3"] == {"addressing_style": "path"}
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    assert options["secret"] == secret
    assert secret not in repr(options) and secret not in str(options)
    restored = pickle.loads(pickle.dumps(options))
    assert type(restored) is dict and restored == dict(options)
    # pandas with them reaches the endpoint although the environment's proxy is dead.
    put(seed, "a.csv", "a,b\n1,x\n")
    monkeypatch.setenv("http_proxy", DEAD_PROXY)
    monkeypatch.setenv("HTTP_PROXY", DEAD_PROXY)
    got = pd.read_csv(f"s3://{BUCKET}/a.csv", storage_options=dict(options))
    assert got["a"].tolist() == [1]


def test_a_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ImportError, match=r"pip install 's3tools\[dask\]'") as caught:
        s3tools.s3_path_to_ddf(f"{BUCKET}/ds/")
    assert isinstance(caught.value, s3tools.ConfigError)


@pytest.fixture
def cluster(monkeypatch):
    """Two worker processes started with no AWS variable and a dead proxy in their
    environment; the test process keeps its settings."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    for name in saved:
        monkeypatch.delenv(name)
    monkeypatch.setenv("http_proxy", DEAD_PROXY)
    monkeypatch.setenv("HTTP_PROXY", DEAD_PROXY)
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, host="127.0.0.1",
                                     worker_dashboard_address=None)
    client = distributed.Client(local)
    for name, value in saved.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("http_proxy")
    monkeypatch.delenv("HTTP_PROXY")
    try:
        yield client
    finally:
        client.close()
        local.close()


def on_workers(client, expression: str) -> list:
    # eval is pickled by reference: nothing of this module or of s3tools reaches the workers.
    return list(client.run(eval, expression).values())


def test_a_partitioned_dataset_computed_on_two_worker_processes(seed, cluster):
    df = sales()
    s3tools.write_df_to_table_in_s3(df, f"{BUCKET}/sales/", partition_cols=["year"])
    frame = s3tools.s3_path_to_ddf(f"{BUCKET}/sales/")
    assert frame.npartitions >= 2
    got = frame.compute().sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, s3tools.s3_path_to_df(f"{BUCKET}/sales/")
                                  .sort_values("id").reset_index(drop=True))
    pd.testing.assert_frame_equal(got, df)
    totals = s3tools.s3_path_to_ddf(f"{BUCKET}/sales/", columns=["shop", "amount"],
                                    filters=[("year", ">=", 2022)])
    expected = df[df["year"] >= 2022].groupby("shop")["amount"].sum()
    pd.testing.assert_series_equal(totals.groupby("shop")["amount"].sum().compute()
                                   .sort_index(), expected)
    assert on_workers(cluster, "[k for k in __import__('os').environ if k.startswith('AWS_')]") \
        == [[], []]
    assert on_workers(cluster, "__import__('os').environ.get('http_proxy')") == [DEAD_PROXY] * 2
    assert on_workers(cluster, "'s3tools' in __import__('sys').modules") == [False, False]
    processes = on_workers(cluster, "__import__('os').getpid()")
    assert len(set(processes)) == 2 and os.getpid() not in processes


def test_dask_fetches_only_the_columns_it_reads(seed, forwarder):
    rows = 300_000
    generator = np.random.default_rng(1)
    df = pd.DataFrame({"year": 2020 + np.arange(rows) % 3, "shop": generator.choice(
        list("abcdef"), rows)} | {f"x{i}": generator.random(rows) for i in range(8)})
    s3tools.write_df_to_table_in_s3(df, f"{BUCKET}/wide/", partition_cols=["year"])
    forwarder.reset()
    s3tools.s3_path_to_df(f"{BUCKET}/wide/")
    everything = forwarder.received
    forwarder.reset()
    totals = s3tools.s3_path_to_ddf(f"{BUCKET}/wide/", columns=["shop", "x0"]) \
        .groupby("shop")["x0"].sum().compute(scheduler="sync")
    assert forwarder.received < everything / 3, (forwarder.received, everything)
    pd.testing.assert_series_equal(totals.sort_index(), df.groupby("shop")["x0"].sum())


def test_csv_files_as_a_dask_frame(seed):
    df = sales(300)
    put(seed, "csv/1.csv", df.iloc[:100].to_csv(index=False))
    put(seed, "csv/2.csv", df.iloc[100:].to_csv(index=False))
    frame = s3tools.s3_path_to_ddf(f"{BUCKET}/csv/", columns=["id", "amount"])
    got = frame.compute(scheduler="sync").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, df[["id", "amount"]])
    with pytest.raises(ValueError, match="Parquet"):
        s3tools.s3_path_to_ddf(f"{BUCKET}/csv/", filters=[("id", "==", 1)])


def test_ddf_is_python_only():
    from s3tools import r_bridge

    assert not set(ddf.PYTHON_ONLY) & set(r_bridge.public_signatures())
