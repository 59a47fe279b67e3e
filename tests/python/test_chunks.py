"""s3_path_to_chunks: files and datasets in chunks of rows, with bounded memory (measured)."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bombs import MiB, one_character, write_compressed
from conftest import BUCKET, put
from test_bombs import measure

import s3tools
from s3tools import r_bridge

HERE = Path(__file__).resolve().parent


def sample(rows: int) -> pd.DataFrame:
    ids = np.arange(rows)
    return pd.DataFrame({"id": ids, "name": [f"n{i % 7}" for i in ids], "amount": ids * 0.5,
                         "year": 2020 + ids % 3})


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def test_csv_chunks_are_pandas_chunks(seed):
    df = sample(2500)
    df.loc[1200, "amount"] = np.nan
    data = csv_bytes(df)
    put(seed, "a.csv", data)
    put(seed, "a.csv.gz", gzip.compress(data))
    expected = list(pd.read_csv(io.BytesIO(data), chunksize=1000))
    for key in ("a.csv", "a.csv.gz"):
        got = list(s3tools.s3_path_to_chunks(f"{BUCKET}/{key}", chunk_size=1000))
        assert [len(chunk) for chunk in got] == [1000, 1000, 500]
        for mine, theirs in zip(got, expected):
            pd.testing.assert_frame_equal(mine, theirs)
    # The same options as a full read (the CSV policy): here, R's names through the bridge.
    semicolons = df.to_csv(index=False, sep=";").encode()
    put(seed, "b.csv", semicolons)
    got = list(s3tools.s3_path_to_chunks(f"{BUCKET}/b.csv", 1000, sep=";", usecols=["id"]))
    assert list(got[0].columns) == ["id"] and sum(map(len, got)) == 2500


def test_a_callback_gets_each_chunk_and_false_stops(seed):
    put(seed, "a.csv", csv_bytes(sample(2500)))
    seen = []
    assert s3tools.s3_path_to_chunks(f"{BUCKET}/a.csv", 1000, lambda c: seen.append(len(c))) \
        is None
    assert seen == [1000, 1000, 500]
    seen.clear()
    s3tools.s3_path_to_chunks(f"{BUCKET}/a.csv", 1000, lambda c: seen.append(len(c)) or False)
    assert seen == [1000]


def test_json_lines_and_a_folder_of_csv_files(seed):
    df = sample(250)
    put(seed, "lines.jsonl", df.to_json(orient="records", lines=True).encode())
    got = pd.concat(s3tools.s3_path_to_chunks(f"{BUCKET}/lines.jsonl", 100), ignore_index=True)
    pd.testing.assert_frame_equal(got, pd.read_json(io.StringIO(
        df.to_json(orient="records", lines=True)), lines=True))
    put(seed, "folder/1.csv", csv_bytes(df.iloc[:150]))
    put(seed, "folder/2.csv", csv_bytes(df.iloc[150:]))
    put(seed, "folder/_SUCCESS", b"")
    sizes = [len(c) for c in s3tools.s3_path_to_chunks(f"{BUCKET}/folder/", 100)]
    assert sizes == [100, 50, 100]  # a chunk never spans two files


def test_parquet_files_and_datasets_in_exact_chunks(seed):
    df = sample(10_000)
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buffer, row_group_size=3000)
    put(seed, "p.parquet", buffer.getvalue())
    got = list(s3tools.s3_path_to_chunks(f"{BUCKET}/p.parquet", 4000))
    assert [len(chunk) for chunk in got] == [4000, 4000, 2000]
    pd.testing.assert_frame_equal(pd.concat(got, ignore_index=True), df)
    s3tools.write_df_to_table_in_s3(df, f"{BUCKET}/ds/", partition_cols=["year"])
    chunks = list(s3tools.s3_path_to_chunks(f"{BUCKET}/ds/", 1500, columns=["id", "year"],
                                            filters=[("year", ">=", 2021)]))
    whole = s3tools.s3_path_to_df(f"{BUCKET}/ds/", columns=["id", "year"],
                                  filters=[("year", ">=", 2021)])
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    assert all(len(chunk) == 1500 for chunk in chunks[:-1])
    assert chunks[0].dtypes.to_dict() == whole.dtypes.to_dict()


def test_formats_that_cannot_be_chunked_say_what_to_do(seed):
    put(seed, "doc.json", b'[{"a": 1}]')
    with pytest.raises(s3tools.FormatError, match='file_type="jsonl"'):
        s3tools.s3_path_to_chunks(f"{BUCKET}/doc.json")
    with pytest.raises(s3tools.FormatError, match="s3_path_to_df"):
        s3tools.s3_path_to_chunks(f"{BUCKET}/book.xlsx")
    with pytest.raises(ValueError, match="chunk_size"):
        s3tools.s3_path_to_chunks(f"{BUCKET}/a.csv", 0)
    with pytest.raises(s3tools.NotFoundError):
        next(s3tools.s3_path_to_chunks(f"{BUCKET}/missing.csv"))
    with pytest.raises(s3tools.NotFoundError):
        s3tools.s3_path_to_chunks(f"{BUCKET}/nothing/")
    put(seed, "latin1.csv", "name\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(s3tools.FormatError, match="encoding"):
        list(s3tools.s3_path_to_chunks(f"{BUCKET}/latin1.csv"))


def test_r_reads_chunks_through_a_handle(seed):
    put(seed, "a.csv", csv_bytes(sample(250)))
    opened = r_bridge.call("chunks_open", {"s3_path": f"{BUCKET}/a.csv", "chunk_size": 100},
                           {"col_select": ["id"]}, None)
    assert opened["ok"], opened
    handle = opened["value"]["value"]
    sizes = []
    while True:
        answer = r_bridge.call("chunks_next", {"handle": handle}, {}, None)
        assert answer["ok"], answer
        if answer["value"]["type"] != "frame":
            break
        assert [column["name"] for column in answer["value"]["columns"]] == ["id"]
        sizes.append(answer["value"]["nrow"])
    assert sizes == [100, 100, 50]
    assert r_bridge.call("chunks_close", {"handle": handle}, {}, None)["ok"]
    missing = r_bridge.call("chunks_open", {"s3_path": f"{BUCKET}/a.json"}, {}, None)
    assert missing["r_class"] == "s3tools_format"


def large_csv(size: int) -> bytes:
    """About ``size`` bytes of CSV: an id and two hex columns (fast to make, hard to compress)."""
    rows = size // 48
    hexes = np.frombuffer(np.random.default_rng(5).bytes(rows * 16).hex().encode(), "S1")
    lines = np.full((rows, 48), b",", dtype="S1")
    lines[:, :12] = np.frombuffer(np.char.zfill(np.arange(rows).astype("S12"), 12).tobytes(),
                                  "S1").reshape(rows, 12)
    lines[:, 13:29] = hexes.reshape(rows, 32)[:, :16]
    lines[:, 30:46] = hexes.reshape(rows, 32)[:, 16:]
    lines[:, 47] = b"\n"
    lines[:, 46] = b"0"
    return b"id,a,b,c\n" + lines.tobytes()


# The memory a chunked read may add to the process, and the file: four times as large.
MEMORY_ALLOWED = 40 * 1024 * 1024


def test_a_file_four_times_the_memory_allowed_is_read_in_bounded_memory(seed):
    data = large_csv(4 * MEMORY_ALLOWED)
    rows = data.count(b"\n") - 1
    put(seed, "big.csv", data)
    del data
    result = subprocess.run([sys.executable, str(HERE / "chunk_memory.py"), f"{BUCKET}/big.csv",
                             "50000"], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["rows"] == rows
    assert measured["added"] < MEMORY_ALLOWED, measured
    print(f"\nchunked read of a {4 * MEMORY_ALLOWED:,}-byte CSV ({rows:,} rows): the read added "
          f"{measured['added']:,} bytes at its peak (allowed {MEMORY_ALLOWED:,})")


@pytest.mark.parametrize("name", ["line.csv.gz", "line.jsonl.zst", "line.csv.bz2"])
def test_a_row_without_end_stops_a_chunked_read_with_too_large_in_bounded_memory(
        seed, tmp_path, name):
    # 128 MiB of one character and no newline, a few hundred KB compressed: one row.
    compression = name.rsplit(".", 1)[1]
    local = write_compressed(tmp_path / name, compression, one_character(128 * MiB, b"a\n"))
    path = put(seed, name, local.read_bytes())
    answer = measure(seed, "chunks", path, 1000, S3TOOLS_MEMORY_LIMIT="100MB")
    assert answer.get("error") == "TooLargeError", answer
    for text in (path, "chunk_size", "S3TOOLS_MEMORY_LIMIT", "S3TOOLS_MEMORY_CHECK=false"):
        assert text in answer["message"], answer["message"]
    assert answer["added"] < 100 * MiB, answer


def test_compressed_text_named_by_the_compression_option_is_decompressed_in_bounded_steps(
        seed, monkeypatch):
    data = csv_bytes(sample(2500))
    put(seed, "gzipped", gzip.compress(data))
    expected = pd.read_csv(io.BytesIO(data))
    for compression in ("gzip", "infer"):
        got = s3tools.s3_path_to_chunks(f"{BUCKET}/gzipped", 1000, file_type="csv.gz",
                                        compression=compression)
        pd.testing.assert_frame_equal(pd.concat(got, ignore_index=True), expected)
    # 3 MB of rows of 100 bytes: the text of a chunk may take a third of what is left.
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "3MB")
    wide = b"a\n" + b"".join(b"%099d\n" % row for row in range(30_000))
    put(seed, "wide.csv.gz", gzip.compress(wide))
    assert [len(c) for c in s3tools.s3_path_to_chunks(f"{BUCKET}/wide.csv.gz", 5000)] == \
        [5000] * 6
    with pytest.raises(s3tools.TooLargeError, match="chunk_size"):
        list(s3tools.s3_path_to_chunks(f"{BUCKET}/wide.csv.gz", 20_000))
