"""s3_path_to_preview_df: the first n rows, fetching only what they need."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import BUCKET, assert_same_frame, put

import s3tools

CSV_PREVIEW_LIMIT = 256 * 1024


def random_lines(size: int, seed: int) -> bytes:
    """About ``size`` bytes of ``<hex>,<hex>`` lines that do not compress well."""
    rows = size // 64
    text = np.frombuffer(np.random.default_rng(seed).bytes(rows * 32).hex().encode(), "S1")
    table = text.reshape(rows, 64).copy()
    table[:, 31] = b","
    table[:, 63] = b"\n"
    return table.tobytes()


def big_csv(size: int, seed: int) -> bytes:
    head = "id,name,amount,note\n" + "".join(
        f'{i},"name {i}",{i * 1.25},"quoted, with comma"\n' if i % 7 else f"{i},,{i * 1.25},\n"
        for i in range(1, 2001))
    # The bulk: lines of another shape, as in a file whose later rows differ.
    return head.encode() + random_lines(size, seed)


@pytest.fixture(scope="module")
def big_csv_bytes() -> bytes:
    return big_csv(4 * 1024 * 1024, seed=1)


def test_preview_of_a_big_csv_fetches_only_its_start(seed, forwarder, big_csv_bytes):
    put(seed, "big/data.csv", big_csv_bytes)
    forwarder.reset()
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/big/data.csv", n=10)
    fetched = forwarder.received
    assert_same_frame(got, pd.read_csv(io.BytesIO(big_csv_bytes), nrows=10))
    assert got["name"].isna().tolist() == [False] * 6 + [True] + [False] * 3
    assert fetched < CSV_PREVIEW_LIMIT, fetched
    forwarder.reset()
    more = s3tools.s3_path_to_preview_df(f"{BUCKET}/big/data.csv", n=1500)
    assert_same_frame(more, pd.read_csv(io.BytesIO(big_csv_bytes), nrows=1500))
    assert forwarder.received < 2 * 1024 * 1024, forwarder.received


def test_preview_of_a_big_gzipped_csv_fetches_only_its_start(seed, forwarder):
    plain = big_csv(8 * 1024 * 1024, seed=2)
    packed = gzip.compress(plain, compresslevel=1)
    assert len(packed) > 16 * CSV_PREVIEW_LIMIT
    put(seed, "big/data.csv.gz", packed)
    forwarder.reset()
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/big/data.csv.gz", n=5)
    assert_same_frame(got, pd.read_csv(io.BytesIO(plain), nrows=5))
    assert forwarder.received < CSV_PREVIEW_LIMIT, forwarder.received


def test_preview_of_a_big_parquet_reads_the_footer_and_first_row_group_only(seed, forwarder,
                                                                            tmp_path):
    rows = 400_000
    generator = np.random.default_rng(3)
    table = pa.table({
        "id": np.arange(rows, dtype="int64"),
        "x": generator.random(rows),
        "code": pa.array(generator.integers(0, 2**62, rows).astype(str)),
    })
    local = tmp_path / "big.parquet"
    pq.write_table(table, local, row_group_size=40_000)
    metadata = pq.ParquetFile(local).metadata
    assert metadata.num_row_groups == 10
    first_group = metadata.row_group(0).total_byte_size
    size = local.stat().st_size
    put(seed, "big/data.parquet", local.read_bytes())
    forwarder.reset()
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/big/data.parquet", n=7)
    expected = pq.ParquetFile(local).read_row_group(0).slice(0, 7).to_pandas()
    pd.testing.assert_frame_equal(got, expected)
    assert forwarder.received < min(first_group + 512 * 1024, size // 4), (
        forwarder.received, first_group, size)


# --- small files: every format and edge ---

def sample() -> pd.DataFrame:
    return pd.DataFrame({"id": range(1, 21), "name": [f"n{i}" if i % 3 else None
                                                      for i in range(1, 21)],
                         "x": [i / 4 for i in range(20)]})


def csv_bytes(frame: pd.DataFrame, sep: str = ",") -> bytes:
    return frame.to_csv(index=False, sep=sep).encode()


# What pandas gives for the first n rows: text formats read with nrows (their
# types come from those rows alone), the others read whole and cut.
@pytest.mark.parametrize(("key", "make", "read"), [
    ("s.csv", csv_bytes, lambda b, n: pd.read_csv(io.BytesIO(b), nrows=n)),
    ("s.TSV", lambda f: csv_bytes(f, "\t"),
     lambda b, n: pd.read_csv(io.BytesIO(b), sep="\t", nrows=n)),
    ("s.tab", lambda f: csv_bytes(f, "\t"),
     lambda b, n: pd.read_csv(io.BytesIO(b), sep="\t", nrows=n)),
    ("s.jsonl", lambda f: f.to_json(orient="records", lines=True).encode(),
     lambda b, n: pd.read_json(io.BytesIO(b), lines=True, nrows=n)),
    ("s.ndjson", lambda f: f.to_json(orient="records", lines=True).encode(),
     lambda b, n: pd.read_json(io.BytesIO(b), lines=True, nrows=n)),
    ("s.json", lambda f: f.to_json(orient="records").encode(),
     lambda b, n: pd.read_json(io.BytesIO(b)).head(n)),
    ("s.parquet", lambda f: f.to_parquet(index=False),
     lambda b, n: pd.read_parquet(io.BytesIO(b)).head(n)),
    ("s.feather", lambda f: _feather(f), lambda b, n: pd.read_feather(io.BytesIO(b)).head(n)),
    # A sheet's column types come from the rows read, as with nrows= (one row at least).
    ("s.xlsx", lambda f: _excel(f),
     lambda b, n: pd.read_excel(io.BytesIO(b), nrows=max(n, 1)).head(n)),
])
@pytest.mark.parametrize("n", [0, 1, 5, 20, 100])
def test_preview_gives_the_first_n_rows_of_each_format(seed, key, make, read, n):
    data = make(sample())
    put(seed, key, data)
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/{key}", n=n)
    assert_same_frame(got, read(data, n))


def test_preview_types_come_from_the_rows_shown_not_from_how_much_was_fetched(seed):
    # The first fetch holds many more lines than asked for; later lines are text.
    data = ("id,v\n" + "".join(f"{i},{i}\n" for i in range(5)) +
            "".join(f"x{i},y\n" for i in range(20000))).encode()
    put(seed, "shifting.csv", data)
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/shifting.csv", n=5)
    assert got["id"].dtype == "int64"
    assert_same_frame(got, pd.read_csv(io.BytesIO(data), nrows=5))


def test_a_parquet_preview_types_columns_as_the_whole_file_does(seed):
    # Missing values only in the second row group: the full read makes "count" float and
    # "flag" object; the first rows alone would be int64 and bool. "id" has none anywhere.
    table = pa.table({"id": pa.array(range(8), pa.int64()),
                      "count": pa.array([1, 2, 3, 4, 5, None, 7, 8], pa.int64()),
                      "flag": pa.array([True, False, True, False, None, True, True, True])})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=4)
    put(seed, "later-missing.parquet", buffer.getvalue())
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/later-missing.parquet", n=3)
    whole = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    assert dict(got.dtypes) == dict(whole.dtypes)
    assert got["id"].dtype == "int64"
    assert_same_frame(got, whole.head(3))


def _feather(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_feather(buffer)
    return buffer.getvalue()


def _excel(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.csv", data)
    return buffer.getvalue()


@pytest.mark.parametrize(("suffix", "pack"), [
    ("gz", gzip.compress), ("bz2", bz2.compress), ("xz", lzma.compress),
    ("zst", lambda d: zstandard.ZstdCompressor().compress(d)), ("zip", _zip),
])
def test_preview_of_compressed_csv(seed, suffix, pack):
    data = csv_bytes(sample())
    put(seed, f"s.csv.{suffix}", pack(data))
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/s.csv.{suffix}", n=4)
    assert_same_frame(got, pd.read_csv(io.BytesIO(data)).head(4))


def test_a_quoted_field_across_the_first_fetch(seed):
    # A quoted value with newlines that straddles the first 64 KiB.
    filler = "".join(f"{i},short\n" for i in range(6000))
    long_value = '"' + "line\n" * 20000 + 'end"'
    data = ("id,text\n" + filler + f"6000,{long_value}\n6001,after\n").encode()
    put(seed, "quoted.csv", data)
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/quoted.csv", n=6002)
    assert_same_frame(got, pd.read_csv(io.BytesIO(data)))


def test_preview_options_and_file_type(seed):
    data = csv_bytes(sample(), sep="|")
    put(seed, "piped.txt", data)
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/piped.txt", n=3, file_type="csv", sep="|",
                                        usecols=["id", "x"])
    assert_same_frame(got, pd.read_csv(io.BytesIO(data), sep="|", usecols=["id", "x"]).head(3))


def test_preview_of_an_empty_csv_with_a_header(seed):
    put(seed, "header-only.csv", "a,b\n")
    got = s3tools.s3_path_to_preview_df(f"{BUCKET}/header-only.csv")
    assert list(got.columns) == ["a", "b"]
    assert len(got) == 0


@pytest.mark.parametrize("n", [-1, 2.5, "5", None])
def test_n_must_be_a_whole_number(seed, n):
    put(seed, "s.csv", csv_bytes(sample()))
    with pytest.raises(ValueError, match="n must be"):
        s3tools.s3_path_to_preview_df(f"{BUCKET}/s.csv", n=n)


def test_preview_errors(seed):
    with pytest.raises(s3tools.NotFoundError, match=f"{BUCKET}/none.csv"):
        s3tools.s3_path_to_preview_df(f"{BUCKET}/none.csv")
    with pytest.raises(s3tools.PathError):
        s3tools.s3_path_to_preview_df(f"{BUCKET}/folder/")
    with pytest.raises(s3tools.FormatError, match="read_using"):
        s3tools.s3_path_to_preview_df(f"{BUCKET}/image.dcm")
    put(seed, "bad.parquet", os.urandom(1000))
    with pytest.raises(s3tools.FormatError, match=f"{BUCKET}/bad.parquet"):
        s3tools.s3_path_to_preview_df(f"{BUCKET}/bad.parquet")


# --- bounded previews of Excel, SPSS and Stata files ---

def _wide_frame(rows: int) -> pd.DataFrame:
    generator = np.random.default_rng(4)
    return pd.DataFrame({"id": np.arange(rows), "x": generator.random(rows),
                         "y": generator.integers(0, 1000, rows).astype(float),
                         "group": np.where(np.arange(rows) % 3, "a", "b")})


def _spss(frame: pd.DataFrame, path) -> None:
    import pyreadstat

    pyreadstat.write_sav(frame, str(path))


# pandas' reader of each file; the workbook's stops at the rows compared (openpyxl reads
# 40,000 rows slowly).
@pytest.mark.parametrize(("name", "write", "read", "rows"), [
    ("book.xlsx", lambda f, p: f.to_excel(p, index=False),
     lambda p: pd.read_excel(p, nrows=6), 40_000),
    ("survey.sav", _spss, pd.read_spss, 300_000),
    ("panel.dta", lambda f, p: f.to_stata(p, write_index=False), pd.read_stata, 300_000),
])
def test_a_preview_reads_the_start_of_a_big_file_only(seed, forwarder, tmp_path, name, write,
                                                      read, rows):
    local = tmp_path / name
    write(_wide_frame(rows), local)
    size = local.stat().st_size
    assert size > 1024 * 1024
    path = put(seed, f"big/{name}", local.read_bytes())
    forwarder.reset()
    got = s3tools.s3_path_to_preview_df(path, n=6)
    fetched = forwarder.received
    expected = read(local).head(6)
    pd.testing.assert_frame_equal(got, expected)
    assert fetched < size / 4, (fetched, size)


def test_a_sas_preview_is_the_first_rows_of_the_full_read(seed):
    data = (Path(__file__).resolve().parents[1] / "data" / "sample.sas7bdat").read_bytes()
    path = put(seed, "sas/sample.sas7bdat", data)
    full = s3tools.s3_path_to_df(path)
    pd.testing.assert_frame_equal(s3tools.s3_path_to_preview_df(path, 3), full.head(3))


def test_an_excel_preview_counts_rows_not_blank_lines(seed, tmp_path):
    local = tmp_path / "gaps.xlsx"
    frame = pd.DataFrame({"a": [1.0, None, None, None, 5.0, 6.0, 7.0],
                          "b": ["x", None, None, None, "y", "z", "w"]})
    frame.to_excel(local, index=False)
    path = put(seed, "gaps.xlsx", local.read_bytes())
    full = pd.read_excel(local)
    got = s3tools.s3_path_to_preview_df(path, 3)
    pd.testing.assert_frame_equal(got, full.head(3))


def _missing_later_stata(path) -> None:
    frame = pd.DataFrame({"id": np.arange(10, dtype="int32"),
                          "count": pd.array([3] * 7 + [None] + [4, 5], dtype="Int16")})
    frame.to_stata(path, write_index=False)


def _labelled_spss(path) -> None:
    import pyreadstat

    frame = pd.DataFrame({"id": np.arange(10.0), "colour": [1.0] * 6 + [3.0, 2.0, 1.0, 3.0]})
    pyreadstat.write_sav(frame, str(path), variable_value_labels={
        "colour": {1.0: "red", 2.0: "green", 3.0: "blue"}})


def _first_stata_rows(path, n: int) -> pd.DataFrame:
    with pd.read_stata(path, iterator=True) as reader:
        return reader.read(nrows=n)


@pytest.mark.parametrize(("name", "write", "read", "alone"), [
    ("missing_later.dta", _missing_later_stata, pd.read_stata, _first_stata_rows),
    ("labelled.sav", _labelled_spss, pd.read_spss, lambda p, n: pd.read_spss(p, row_limit=n)),
])
def test_a_stata_or_spss_preview_has_the_types_of_the_full_read(seed, tmp_path, name, write,
                                                                 read, alone):
    # The rows previewed have no missing value (Stata: whole numbers stay int16 alone) and
    # one colour (SPSS: the categories are the values present); the whole file has more.
    local = tmp_path / name
    write(local)
    path = put(seed, f"typed/{name}", local.read_bytes())
    full = read(local)
    assert not alone(local, 5).dtypes.equals(full.dtypes)
    got = s3tools.s3_path_to_preview_df(path, 5)
    pd.testing.assert_frame_equal(got, full.head(5))
    pd.testing.assert_frame_equal(got, s3tools.s3_path_to_df(path).head(5))
