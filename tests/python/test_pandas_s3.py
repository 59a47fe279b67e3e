"""After ``import s3tools``, pandas' own ``s3://`` paths reach the configured endpoint."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import s3fs
from conftest import BUCKET, assert_same_frame, get, put

import s3tools
import s3tools.transport

DEAD_PROXY = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def fresh_s3fs():
    """s3fs keeps filesystems (and their listings) between calls: start each test without."""
    s3fs.S3FileSystem.clear_instance_cache()
    yield
    s3fs.S3FileSystem.clear_instance_cache()


def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "name": ["a", None, "Zoë"], "x": [0.5, None, 2.0]})


def check_pandas_reaches_the_server(seed) -> None:
    data = frame()
    csv = data.to_csv(index=False).encode()
    put(seed, "pandas/in.csv", csv)
    put(seed, "pandas/in.parquet", data.to_parquet(index=False))
    assert_same_frame(pd.read_csv(f"s3://{BUCKET}/pandas/in.csv"),
                      pd.read_csv(io.BytesIO(csv)))
    pd.testing.assert_frame_equal(pd.read_parquet(f"s3://{BUCKET}/pandas/in.parquet"), data)
    data.to_csv(f"s3://{BUCKET}/pandas/out.csv", index=False)
    assert get(seed, "pandas/out.csv") == csv
    data.to_parquet(f"s3://{BUCKET}/pandas/out.parquet", index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(get(seed, "pandas/out.parquet"))),
                                  data)


def test_pandas_s3_paths_use_the_configured_endpoint(seed):
    s3tools.transport.settings()  # what `import s3tools` does
    check_pandas_reaches_the_server(seed)


def test_pandas_ignores_a_dead_environment_proxy_for_the_endpoint(seed, monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, DEAD_PROXY)
    s3tools.transport.settings()
    check_pandas_reaches_the_server(seed)


def test_an_endpoint_from_the_profile_reaches_pandas(seed, monkeypatch, tmp_path, endpoint):
    # pandas.read_parquet goes through pyarrow, which does not read ~/.aws/config.
    config = tmp_path / "aws-config"
    config.write_text(f"[profile haven]\nendpoint_url = {endpoint}\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "haven")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    s3tools.transport.settings()
    check_pandas_reaches_the_server(seed)


def test_configure_reaches_pandas(seed, monkeypatch, endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    s3tools.transport.settings()
    s3tools.configure(endpoint_url=endpoint)
    check_pandas_reaches_the_server(seed)
