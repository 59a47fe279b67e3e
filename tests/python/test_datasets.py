"""Parquet datasets: partitioned writes in every mode, reads with pushdown measured at the server."""

from __future__ import annotations

import datetime
import io
import json
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BUCKET, keys, put
from faults import PAUSE_LIMIT, FaultProxy, object_get

import s3tools
from s3tools import dataset_writes, datasets, transport

ROOT = f"{BUCKET}/sales/"


def frame(rows: int = 12, start: int = 0) -> pd.DataFrame:
    ids = np.arange(start, start + rows)
    return pd.DataFrame({
        "id": ids,
        "region": pd.array([["north", "south", "east"][i % 3] for i in ids], dtype="str"),
        "year": 2020 + ids % 4,
        "day": [datetime.date(2024, 1, 1) + datetime.timedelta(days=int(i % 2)) for i in ids],
        "amount": ids * 1.5,
        "note": pd.array([None if i % 5 == 0 else f"n{i}" for i in ids], dtype="str"),
        "flag": ids % 2 == 0,
        "at": pd.to_datetime(ids, unit="h").as_unit("us"),
    })


def sorted_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("id").reset_index(drop=True)


def object_gets(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "s3tools.requests" and record.getMessage().startswith("GET ")
            and "[bytes=" in record.getMessage()]


PARTITIONINGS = [["region"], ["year"], ["day"], ["year", "region"], []]


@pytest.mark.parametrize("columns", PARTITIONINGS, ids=lambda c: "+".join(c) or "none")
def test_round_trip_in_every_mode(seed, columns):
    first = frame(12)
    assert s3tools.write_df_to_table_in_s3(first, ROOT, partition_cols=columns) == ROOT
    got = s3tools.s3_path_to_df(ROOT)
    pd.testing.assert_frame_equal(sorted_frame(got), first)  # values, dtypes, column order
    if columns:
        assert all(f"/{columns[0]}=" in key for key in keys(seed) if key.endswith(".parquet")
                   and "_s3tools" not in key)

    before = keys(seed)
    with pytest.raises(s3tools.AlreadyExistsError, match='mode="append"'):
        s3tools.write_df_to_table_in_s3(first, ROOT, partition_cols=columns)
    assert keys(seed) == before  # a refused write changes nothing

    more = frame(6, start=100)
    s3tools.write_df_to_table_in_s3(more, ROOT, partition_cols=columns, mode="append")
    pd.testing.assert_frame_equal(sorted_frame(s3tools.s3_path_to_df(ROOT)),
                                  sorted_frame(pd.concat([first, more])))

    if columns:
        # Only the partitions of the new rows are replaced.
        replacement = frame(12, start=200)
        replacement = replacement[replacement[columns[0]] == first[columns[0]].iloc[0]]
        s3tools.write_df_to_table_in_s3(replacement, ROOT, partition_cols=columns,
                                        mode="overwrite_partitions")
        kept = pd.concat([first, more])
        kept = kept[~kept[columns[0]].isin(replacement[columns[0]])]
        pd.testing.assert_frame_equal(sorted_frame(s3tools.s3_path_to_df(ROOT)),
                                      sorted_frame(pd.concat([kept, replacement])))

    last = frame(5, start=300)
    s3tools.write_df_to_table_in_s3(last, ROOT, partition_cols=columns, mode="overwrite")
    pd.testing.assert_frame_equal(sorted_frame(s3tools.s3_path_to_df(ROOT)), last)
    names = [key for key in keys(seed) if key.startswith("sales/")]
    assert "sales/_SUCCESS" in names and not any("_s3tools_staging" in key for key in names)


def test_every_type_survives_and_missing_partition_values_come_back(seed):
    df = pd.DataFrame({
        "i": np.arange(4), "f": [1.5, np.nan, 3.0, 4.0], "b": [True, False, True, False],
        "s": pd.array(["a", None, "c", "d"], dtype="str"),
        "d": [datetime.date(2024, 1, 1), None, datetime.date(2024, 1, 3), None],
        "t": pd.to_datetime(["2024-01-01", None, "2024-01-02", "2024-01-03"]).as_unit("us"),
        "tz": pd.to_datetime(["2024-01-01", None, "2024-01-02", "2024-01-03"]).as_unit("us")
        .tz_localize("Europe/London"),
        "c": pd.Categorical(["x", "y", None, "x"]),
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
        "part": pd.array(["p/1", None, "p=2", "p/1"], dtype="str"),
    })
    s3tools.write_df_to_table_in_s3(df, ROOT, partition_cols=["part"])
    assert any("part=p%2F1/" in key for key in keys(seed))
    assert any("part=__HIVE_DEFAULT_PARTITION__/" in key for key in keys(seed))
    got = s3tools.s3_path_to_df(ROOT)
    pd.testing.assert_frame_equal(got.sort_values("i").reset_index(drop=True), df)


def upload_folder(seed, folder, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            put(seed, prefix + path.relative_to(folder).as_posix(), path.read_bytes())


def test_datasets_of_pandas_pyarrow_spark_and_athena_writers(seed, tmp_path):
    df = frame(20)
    # pandas / pyarrow: hive folders, <uuid>-0.parquet names.
    df.to_parquet(tmp_path / "pandas", partition_cols=["year", "region"], index=False)
    upload_folder(seed, tmp_path / "pandas", "pandas/")
    got = s3tools.s3_path_to_df(f"{BUCKET}/pandas/")
    expected = df[[c for c in df.columns if c not in ("year", "region")] + ["year", "region"]]
    pd.testing.assert_frame_equal(sorted_frame(got), sorted_frame(expected))
    assert got["year"].dtype == np.int64 and got["region"].dtype == "str"

    # Spark: part-00000-<uuid>.c000.snappy.parquet, _SUCCESS, _common_metadata, _temporary/,
    # EMR's $folder$ markers, folder markers, a null partition.
    put(seed, "spark/_SUCCESS", b"")
    put(seed, "spark/_temporary/0/junk", b"not parquet")
    put(seed, "spark/day=2024-01-01_$folder$", b"")
    put(seed, "spark/day=2024-01-01/", b"")
    buffer = io.BytesIO()
    pq.write_metadata(pa.Schema.from_pandas(df, preserve_index=False), buffer)
    put(seed, "spark/_common_metadata", buffer.getvalue())
    for number, (day, rows) in enumerate(df.groupby("day", dropna=False)):
        body = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(rows.drop(columns="day"), preserve_index=False),
                       body, compression="snappy")
        put(seed, f"spark/day={day}/part-{number:05d}-1f2e3d.c000.snappy.parquet",
            body.getvalue())
    body = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame(3, start=500).drop(columns="day"),
                                        preserve_index=False), body)
    put(seed, "spark/day=__HIVE_DEFAULT_PARTITION__/part-00009-1f2e3d.c000.snappy.parquet",
        body.getvalue())
    got = s3tools.s3_path_to_df(f"{BUCKET}/spark/", filters=[("day", "==", "2024-01-02")])
    assert got["day"].tolist() == [datetime.date(2024, 1, 2)] * 10
    assert sorted(got["id"]) == list(range(1, 20, 2))
    everything = s3tools.s3_path_to_df(f"{BUCKET}/spark/")
    assert len(everything) == 23 and everything["day"].isna().sum() == 3

    # Athena (CTAS): files without an extension, read with file_type="parquet".
    body = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), body)
    put(seed, "athena/20240101_000000_00001_abcde_4f1e", body.getvalue())
    got = s3tools.s3_path_to_df(f"{BUCKET}/athena/", file_type="parquet", columns=["id"])
    assert got["id"].tolist() == list(range(20))


def wide_parquet(columns: int = 40, rows: int = 20_000, row_groups: int = 10) -> bytes:
    generator = np.random.default_rng(7)
    table = pa.table({"x": np.arange(rows)} |
                     {f"c{k}": generator.random(rows) for k in range(columns)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=rows // row_groups, compression="none")
    return buffer.getvalue()


def test_one_column_of_a_wide_file_fetches_a_fraction_of_it(seed, forwarder):
    data = wide_parquet()
    put(seed, "wide.parquet", data)
    forwarder.reset()
    got = s3tools.s3_path_to_df(f"{BUCKET}/wide.parquet", columns=["c3"])
    one_column = forwarder.received
    forwarder.reset()
    whole = s3tools.s3_path_to_df(f"{BUCKET}/wide.parquet")
    everything = forwarder.received
    pd.testing.assert_frame_equal(got, whole[["c3"]])
    assert everything >= len(data)
    assert one_column < len(data) / 10, (one_column, len(data))
    # Row groups whose statistics cannot match are not fetched either.
    metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    footer, headers = 64 * 1024, 16 * 1024  # the first fetch (the tail), HTTP's own bytes

    def chunk(group: int, name: str) -> int:
        index = metadata.schema.to_arrow_schema().get_field_index(name)
        return metadata.row_group(group).column(index).total_compressed_size

    assert one_column < footer + headers + sum(chunk(g, "c3") for g in range(10))
    forwarder.reset()
    few = s3tools.s3_path_to_df(f"{BUCKET}/wide.parquet", columns=["c3"],
                                filters=[("x", "<", 2000)])
    assert len(few) == 2000
    assert forwarder.received < footer + headers + chunk(0, "c3") + chunk(0, "x"), \
        forwarder.received
    print(f"\nwide file {len(data):,} bytes: whole read fetched {everything:,}, one column "
          f"{one_column:,}, one column of one row group {forwarder.received:,}")


def test_a_file_fetched_in_pieces_is_fetched_once(seed, forwarder, monkeypatch, caplog):
    # Its column chunks are one contiguous range, fetched in parallel pieces; reads that
    # span two pieces are served from both, never fetched again.
    data = wide_parquet()
    put(seed, "wide.parquet", data)
    monkeypatch.setattr(datasets, "_PIECE", 1024 * 1024)
    forwarder.reset()
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        got = s3tools.s3_path_to_df(f"{BUCKET}/wide.parquet", filters=[("x", ">=", 0)])
    pd.testing.assert_frame_equal(got, pq.read_table(io.BytesIO(data)).to_pandas())
    assert forwarder.received < len(data) + 64 * 1024 + 32 * 1024, forwarder.received
    assert len(object_gets(caplog)) >= len(data) // (1024 * 1024)  # in pieces


def test_a_filter_on_one_partition_of_ten_fetches_only_its_files(seed, forwarder, caplog):
    df = pd.DataFrame({"year": np.repeat(np.arange(2015, 2025), 5000),
                       "value": np.random.default_rng(3).random(50_000)})
    s3tools.write_df_to_table_in_s3(df, ROOT, partition_cols=["year"])
    total = sum(seed.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
                for key in keys(seed) if key.endswith(".parquet") and "year=" in key)
    forwarder.reset()
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        got = s3tools.s3_path_to_df(ROOT, filters=[("year", "==", 2020)])
    fetched = forwarder.received
    assert got["year"].unique().tolist() == [2020] and len(got) == 5000
    gets = object_gets(caplog)
    data_gets = [line for line in gets if "year=" in line]
    assert data_gets and all("year=2020/" in line for line in data_gets), gets
    assert fetched < total / 5, (fetched, total)
    forwarder.reset()
    s3tools.s3_path_to_df(ROOT)
    print(f"\nten partitions, {total:,} bytes of files: one partition fetched {fetched:,} "
          f"bytes, all of them {forwarder.received:,}")


def test_filters_in_every_form(seed):
    df = frame(24)
    s3tools.write_df_to_table_in_s3(df, ROOT, partition_cols=["year", "day"])

    def read(filters):
        return sorted(s3tools.s3_path_to_df(ROOT, filters=filters)["id"])

    assert read([("year", "in", [2021, 2022]), ("amount", ">", 10)]) == \
        sorted(df.query("year in [2021, 2022] and amount > 10")["id"])
    assert read([("day", "=", "2024-01-02")]) == sorted(df[df["id"] % 2 == 1]["id"])
    assert read([[("year", "==", 2020)], [("region", "==", "east")]]) == \
        sorted(df.query("year == 2020 or region == 'east'")["id"])
    assert read([("year", "not in", [2020]), ("note", "!=", "n7")]) == \
        sorted(df.query("year != 2020 and note != 'n7' and note.notna()")["id"])
    assert read([["year", ">=", "2023"]]) == sorted(df[df["year"] >= 2023]["id"])
    assert read(["year", "==", "2021"]) == sorted(df[df["year"] == 2021]["id"])  # one, alone
    assert s3tools.s3_path_to_df(ROOT, filters=[("year", "==", 1999)]).empty
    with pytest.raises(ValueError, match="not in the data"):
        s3tools.s3_path_to_df(ROOT, filters=[("nope", "==", 1)])
    with pytest.raises(ValueError, match="Unknown operator"):
        s3tools.s3_path_to_df(ROOT, filters=[("year", "like", 1)])
    with pytest.raises(ValueError, match="no column 'nope'"):
        s3tools.s3_path_to_df(ROOT, columns=["id", "nope"])
    with pytest.raises(ValueError, match="not a value of that type"):
        s3tools.s3_path_to_df(ROOT, filters=[("day", "==", "soon")])


def test_dataset_arguments_are_checked_before_anything_is_written(seed):
    df = frame(4)
    with pytest.raises(ValueError, match="df does not have"):
        s3tools.write_df_to_table_in_s3(df, ROOT, partition_cols=["nope"])
    with pytest.raises(ValueError, match="mode must be one of"):
        s3tools.write_df_to_table_in_s3(df, ROOT, mode="replace")
    with pytest.raises(ValueError, match="end the path with '/'"):
        s3tools.write_df_to_table_in_s3(df, f"{BUCKET}/sales.parquet", partition_cols=["year"])
    with pytest.raises(ValueError, match="needs partition_cols"):
        s3tools.write_df_to_table_in_s3(df, ROOT, mode="overwrite_partitions")
    with pytest.raises(ValueError, match="disagree"):
        s3tools.write_df_to_table_in_s3(df, ROOT, overwrite=True, mode="append")
    assert keys(seed) == {}
    s3tools.write_df_to_table_in_s3(df, ROOT, partition_cols=["year"])
    with pytest.raises(ValueError, match=r"partitioned by \['year'\]"):
        s3tools.write_df_to_table_in_s3(df, ROOT, partition_cols=["region"], mode="append")
    # Numbers take the recorded types where no value changes (R's doubles for integers).
    doubles = frame(4, start=10).assign(year=lambda f: f["year"].astype(float))
    s3tools.write_df_to_table_in_s3(doubles, ROOT, partition_cols=["year"], mode="append")
    assert not any("year=20" in key and ".0/" in key for key in keys(seed))
    assert s3tools.s3_path_to_df(ROOT)["year"].dtype == np.int64
    clash = df.assign(amount=df["amount"].astype(str))
    with pytest.raises(s3tools.FormatError, match="amount"):
        s3tools.write_df_to_table_in_s3(clash, ROOT, partition_cols=["year"], mode="append")
    s3tools.write_df_to_table_in_s3(df, ROOT, overwrite=True)  # overwrite=True: mode overwrite
    assert len(s3tools.s3_path_to_df(ROOT)) == 4


def visible(seed) -> dict[str, bytes]:
    return {key: body for key, body in keys(seed).items() if "_s3tools_staging" not in key}


def test_a_failed_upload_leaves_the_dataset_as_it_was(seed, monkeypatch):
    s3tools.write_df_to_table_in_s3(frame(8), ROOT, partition_cols=["year"])
    before = keys(seed)
    calls = []
    real = dataset_writes.pq.write_table

    def failing(table, sink, **options):
        calls.append(1)
        if len(calls) == 3:
            raise ConnectionResetError("network down")
        return real(table, sink, **options)

    monkeypatch.setattr(dataset_writes.pq, "write_table", failing)
    with pytest.raises(ConnectionResetError):
        s3tools.write_df_to_table_in_s3(frame(8, start=50), ROOT, partition_cols=["year"],
                                        mode="overwrite")
    assert keys(seed) == before  # nothing visible changed, nothing staged is left
    assert len(s3tools.s3_path_to_df(ROOT)) == 8


def test_a_failed_copy_removes_the_copies_made(seed, monkeypatch):
    s3tools.write_df_to_table_in_s3(frame(8), ROOT, partition_cols=["year"])
    before = keys(seed)
    real = transport.copy
    calls = []

    def failing(source, target, overwrite, size):
        calls.append(1)
        if len(calls) == 2:
            raise s3tools.S3ConnectionError("the connection broke")
        return real(source, target, overwrite, size)

    monkeypatch.setattr(transport, "copy", failing)
    with pytest.raises(s3tools.S3ConnectionError):
        s3tools.write_df_to_table_in_s3(frame(8, start=50), ROOT, partition_cols=["year"],
                                        mode="append")
    after = keys(seed)
    assert {k: v for k, v in after.items() if k != "sales/_SUCCESS"} == \
        {k: v for k, v in before.items() if k != "sales/_SUCCESS"}
    assert sorted(s3tools.s3_path_to_df(ROOT)["id"]) == list(range(8))


def test_a_write_stopped_midway_is_refused_by_readers_until_rewritten(seed, monkeypatch):
    s3tools.write_df_to_table_in_s3(frame(8), ROOT, partition_cols=["year"])
    real = dataset_writes._delete

    def failing(keys_, root, quiet=False):
        if not quiet and any(key.endswith(".parquet") for key in keys_):
            raise s3tools.S3ConnectionError("the connection broke")
        return real(keys_, root, quiet)

    monkeypatch.setattr(dataset_writes, "_delete", failing)
    with pytest.raises(s3tools.S3ConnectionError):
        s3tools.write_df_to_table_in_s3(frame(8, start=50), ROOT, partition_cols=["year"],
                                        mode="overwrite")
    marker = [key for key in keys(seed) if key.endswith("/_COMMITTING")]
    assert len(marker) == 1 and "_SUCCESS" not in " ".join(keys(seed))
    assert json.loads(keys(seed)[marker[0]])["mode"] == "overwrite"
    with pytest.raises(s3tools.S3ToolsError, match="mix of two versions"):
        s3tools.s3_path_to_df(ROOT)
    monkeypatch.setattr(dataset_writes, "_delete", real)
    s3tools.write_df_to_table_in_s3(frame(8, start=50), ROOT, partition_cols=["year"],
                                    mode="overwrite")
    assert sorted(s3tools.s3_path_to_df(ROOT)["id"]) == list(range(50, 58))
    assert not any("_s3tools_staging" in key for key in keys(seed))


def test_a_dataset_too_large_for_memory_is_refused_after_its_footers(seed, monkeypatch, caplog):
    s3tools.write_df_to_table_in_s3(frame(200), ROOT, partition_cols=["year"])
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "1KB")
    with caplog.at_level("DEBUG", logger="s3tools.requests"), \
            pytest.raises(s3tools.TooLargeError, match="memory_check"):
        s3tools.s3_path_to_df(ROOT)
    # Footers only: each file's last bytes, nothing else.
    data_gets = [line for line in object_gets(caplog) if "year=" in line]
    assert len(data_gets) == 4 and all("[bytes=" in line for line in data_gets)
    assert len(s3tools.s3_path_to_df(ROOT, memory_check=False)) == 200


def random_partitions(years: list[int], rows: int) -> pd.DataFrame:
    generator = np.random.default_rng(11)
    return pd.DataFrame({"year": np.repeat(years, rows),
                         "value": generator.random(rows * len(years)),
                         "count": generator.integers(0, 1 << 40, rows * len(years))})


def test_a_whole_read_asks_for_the_data_while_the_footers_are_on_their_way(
        seed, endpoint, monkeypatch):
    # Every column, filtered by partition only: each byte of the files kept is read, so
    # their data is asked for with their footers. The proxy holds back the second half of
    # every answer for the kept files until the test lets go, which it does once the
    # data GETs have come in; asked for after the footers, they would not have.
    df = random_partitions([2020, 2021, 2022], 20_000)
    s3tools.write_df_to_table_in_s3(df, ROOT, partition_cols=["year"])
    sizes = {key: seed.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
             for key in keys(seed) if "year=2021/" in key}
    proxy = FaultProxy(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setattr(datasets, "_PIECE", 64 * 1024)
    held = proxy.add("pause", lambda method, target: object_get(method, target)
                     and "2021/part-" in target, times=None)  # "=" is %3D in the path
    got: dict[str, pd.DataFrame] = {}
    reader = threading.Thread(target=lambda: got.update(
        df=s3tools.s3_path_to_df(ROOT, filters=[("year", "==", 2021)])))
    try:
        reader.start()
        deadline = time.monotonic() + PAUSE_LIMIT / 3  # gives up on the old behaviour
        while held.hits < 2 and reader.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        asked_while_held = held.hits
    finally:
        held.release.set()
        reader.join()
        proxy.stop()
    assert asked_while_held >= 2, proxy.requests
    expected = df[df["year"] == 2021].reset_index(drop=True)
    pd.testing.assert_frame_equal(got["df"], expected, check_dtype=False)
    assert got["df"]["year"].dtype == df["year"].dtype
    # The footer came with the data, once: the tail, then the rest in pieces.
    (size,) = sizes.values()
    assert size > 3 * 64 * 1024
    assert held.hits == 1 + -(-(size - 64 * 1024) // (64 * 1024)), proxy.requests


def test_data_asked_for_early_stays_within_half_of_the_memory_left(seed, forwarder,
                                                                   monkeypatch):
    # A file that compresses well: its data, decoded, needs far more than its size. A
    # whole read asks for the data with the footer only when the file comes to at most
    # half of what is left; refused all the same, it has fetched no more than that.
    noise = np.random.default_rng(5).integers(0, 1 << 62, 40_000)
    text = [f"row {i:08d} {n:016x} " + "abcdefgh" * 12 for i, n in enumerate(noise)]
    table = pa.table({"text": text})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", use_dictionary=False)
    put(seed, "compressed/year=2024/part-0.parquet", buffer.getvalue())
    size = len(buffer.getvalue())
    assert size > 3 * 64 * 1024
    root = f"{BUCKET}/compressed/"
    for limit, most in ((3 * size, size), (int(1.5 * size), 64 * 1024)):
        monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", str(limit))
        forwarder.reset()
        with pytest.raises(s3tools.TooLargeError, match="memory_check"):
            s3tools.s3_path_to_df(root)
        fetched = forwarder.received
        assert fetched < most + 32 * 1024, (limit, fetched, size)  # with HTTP's own bytes
    assert fetched < size / 2  # footer only, when the file is more than half of what is left
    monkeypatch.delenv("S3TOOLS_MEMORY_LIMIT")
    assert s3tools.s3_path_to_df(root)["text"].tolist() == text


def test_an_empty_folder_and_a_missing_one(seed):
    with pytest.raises(s3tools.NotFoundError):
        s3tools.s3_path_to_df(f"{BUCKET}/nothing/")
    s3tools.write_df_to_table_in_s3(frame(0), ROOT)
    got = s3tools.s3_path_to_df(ROOT)
    assert got.empty and list(got.columns) == list(frame(0).columns)


def test_overwrite_deletes_files_whose_keys_hold_control_characters(seed):
    # Anyone who can write to the bucket can leave such files in a dataset's folder; a
    # DeleteObjects body (XML) cannot name them, so each goes in a request of its own.
    s3tools.write_df_to_table_in_s3(frame(6), ROOT, partition_cols=["year"])
    piece = io.BytesIO()
    frame(2).drop(columns="year").to_parquet(piece)
    planted = ["sales/year=2020/\x1b[2J.parquet", "sales/year=2021/cr\rtab\t.parquet",
               "sales/year=2022/del\x7f\x01.parquet"]
    for key in planted:
        put(seed, key, piece.getvalue())
    assert len(s3tools.s3_path_to_df(ROOT)) == 12
    s3tools.write_df_to_table_in_s3(frame(3), ROOT, partition_cols=["year"], mode="overwrite")
    assert not set(planted) & set(keys(seed))
    assert sorted_frame(s3tools.s3_path_to_df(ROOT))["id"].tolist() == [0, 1, 2]
