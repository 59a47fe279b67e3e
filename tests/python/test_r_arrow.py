"""Parquet and Feather reads for R, sent from Arrow without pandas' conversion (s3tools.r_arrow).

R must get from the Arrow path exactly what pandas' conversion of the same table
gave it (kind, values, NA apart from NaN, levels, time zone), for every type;
text a file holds dictionary-encoded crosses as the file's dictionary and codes.
"""

from __future__ import annotations

import datetime
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_r_types import _raw, r_gets

from s3tools import format_io, r_codec, r_options, r_types

INT_MIN = -2147483648


def through_pandas(table: pa.Table) -> list[dict]:
    """What R got before: pandas' conversion, finished for R, then the codec."""
    with r_types.for_r():
        frame = r_types._finished(table, table.to_pandas())
        return [described(r_codec.column_to_r(name, column))
                for name, column in r_codec.frame_columns(frame)]


def through_arrow(table: pa.Table, text: list[str] | None = None) -> list[dict]:
    with r_types.for_r():
        frame = r_types.table_to_frame(table, text or ())
        return [described(r_codec.column_to_r(name, column))
                for name, column in r_codec.frame_columns(frame)]


def described(record: dict) -> dict:
    """A record as R reads it: its attributes and values (bits of doubles: NA is not NaN)."""
    kind = record["kind"]
    if kind in ("character", "integer", "logical", "integer64"):
        values = r_gets(record)[1]
    elif kind == "factor":
        values = np.frombuffer(_raw(record), dtype="<i4").tolist()
    else:
        values = np.frombuffer(_raw(record), dtype="<u8").tolist()
    return {**{key: record.get(key) for key in ("name", "kind", "levels", "tz", "ordered",
                                                 "lossy", "units")}, "values": values}


def every_type() -> pa.Table:
    utc = datetime.timezone.utc
    return pa.table({
        "int8": pa.array([1, None, -3], pa.int8()),
        "int64": pa.array([1, 2, 3], pa.int64()),
        "wide": pa.array([1, None, 2 ** 40], pa.int64()),
        "int64_bits": pa.array([1, None, 2 ** 60], pa.int64()),
        "uint64_beyond": pa.array([1, None, 2 ** 64 - 1], pa.uint64()),
        "int_min": pa.array([INT_MIN, 0, 1], pa.int64()),
        "all_null_int": pa.array([None, None, None], pa.int64()),
        "nan_only": pa.array([1.5, float("nan"), 3.0]),
        "null_only": pa.array([1.5, None, 3.0]),
        "nan_and_null": pa.array([float("nan"), None, 3.0]),
        "float32": pa.array([float("nan"), None, 0.25], pa.float32()),
        "float16": pa.array([np.float16(1), None, np.float16(2)], pa.float16()),
        "flags": pa.array([True, None, False]),
        "text": pa.array(["a", None, "é\0z"]),
        "large_text": pa.array(["x" * 100_000, None, ""], pa.large_string()),
        "stamp": pa.array([0, None, 1_700_000_000_123_456], pa.timestamp("us")),
        "stamp_zone": pa.array([0, None, 10 ** 18], pa.timestamp("ns", tz="Europe/London")),
        "stamp_offset": pa.array([0, None, 10], pa.timestamp("s", tz="+01:00")),
        "stamp_utc": pa.array([datetime.datetime(2024, 1, 1, tzinfo=utc), None, None],
                              pa.timestamp("ms", tz="UTC")),
        "day": pa.array([0, None, 19_000], pa.date32()),
        "day64": pa.array([0, None, 86_400_000], pa.date64()),
        "factor": pa.array(["x", None, "y"]).dictionary_encode(),
        "number_dictionary": pa.array([1, None, 1]).dictionary_encode(),
        "decimal": pa.array([1, None, 3], pa.decimal128(5, 2)),
        "nothing": pa.nulls(3),
        "span": pa.array([1, None, 3], pa.duration("ms")),
        "nested": pa.array([[1], None, [2, 3]]),
        "record": pa.array([{"a": 1}, None, {"a": 2}]),
    })


def test_every_type_reaches_r_as_through_pandas():
    expected = through_pandas(every_type())
    assert through_arrow(every_type()) == expected
    kinds = {column["name"]: column["kind"] for column in expected}
    assert kinds["uint64_beyond"] == "double" and kinds["int64_bits"] == "integer64"
    assert kinds["factor"] == "factor" and kinds["nested"] == "character"


def test_chunks_a_pandas_index_and_an_ordered_factor_reach_r_as_through_pandas():
    frame = pd.DataFrame({"n": [1, None, 3], "s": ["a", "b", None],
                          "f": pd.Categorical(["lo", "hi", "lo"], ["lo", "hi"], ordered=True)},
                         index=pd.Index([5, 6, 7], name="key"))
    table = pa.Table.from_pandas(frame)
    chunked = pa.concat_tables([table.slice(0, 1), table.slice(1)])
    assert chunked.column("n").num_chunks == 2
    assert through_arrow(chunked) == through_pandas(chunked)
    assert [column["name"] for column in through_arrow(chunked)] == ["key", "n", "s", "f"]


def test_numbers_cross_as_the_chunks_own_buffers():
    table = pa.table({"x": pa.chunked_array([[1.5, 2.5], [3.5]]),
                      "n": pa.chunked_array([[0, 1, None, 7], [3]]).slice(2)})
    with r_types.for_r():
        frame = r_types.table_to_frame(table)
        records = [r_codec.column_to_r(name, frame[name]) for name in ("x", "n")]
    for record in records:
        chunks = table.column(record["name"]).chunks
        assert record["data"] is None
        assert record["arrow"]["values"] == [format(chunk.buffers()[1].address, "x")
                                             for chunk in chunks]
        assert record["arrow"]["offsets"] == [chunk.offset for chunk in chunks]
    assert records[1]["arrow"]["from"] == "int64" and records[1]["kind"] == "integer"
    assert records[1]["arrow"]["valid"][1] == ""  # a chunk without nulls: no bitmap
    assert np.frombuffer(_raw(records[0]), "<f8").tolist() == [1.5, 2.5, 3.5]
    assert np.frombuffer(_raw(records[1]), "<i4").tolist() == [INT_MIN, 7, 3]
    r_codec.release()


def parquet_bytes(table: pa.Table, rows_per_group: int) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=rows_per_group)
    return sink.getvalue()


def repeated_text(rows: int) -> pa.Table:
    """Text with NA, and row groups of 10,000 rows whose dictionaries differ."""
    rng = np.random.default_rng(7)
    first = np.array(["North", "South", "Ēast", "", None], dtype=object)[rng.integers(0, 5, rows)]
    later = np.array(["x", "South", None], dtype=object)[rng.integers(0, 3, rows)]
    values = np.where(np.arange(rows) < 20_000, first, later)
    return pa.table({"region": pa.array(values, pa.large_string()),
                     "id": pa.array(np.arange(rows)),
                     "name": pa.array([f"P{index}" for index in range(rows)])})


def test_text_held_as_a_dictionary_crosses_as_the_files_dictionary_and_codes():
    table = repeated_text(30_000)
    data = parquet_bytes(table, 10_000)
    assert r_types.parquet_text_dictionaries(pa.BufferReader(data), None) == ["region"]
    with r_types.for_r():
        frame = format_io.read_parquet(data)
        assert pa.types.is_dictionary(frame["region"].dtype.pyarrow_dtype)
        record = r_codec.column_to_r("region", frame["region"])
    assert record["codes"] is not None
    levels = r_gets({**record, "codes": None})[1]
    assert sorted(levels, key=str) == ["", "North", "South", "x", "Ēast"]  # each once
    assert r_gets(record)[1] == table.column("region").to_pylist()
    # The same values as pandas' conversion of the file read as plain text.
    assert through_arrow(pq.read_table(pa.BufferReader(data), read_dictionary=["region"]),
                         ["region"]) == through_pandas(pq.read_table(pa.BufferReader(data)))
    r_codec.release()


def test_text_of_distinct_values_is_read_as_text():
    data = parquet_bytes(repeated_text(30_000), 10_000)
    # "name" fell back to plain pages in no row group, but its dictionary is most of it.
    assert "name" not in r_types.parquet_text_dictionaries(pa.BufferReader(data), None)
    assert r_types.parquet_text_dictionaries(pa.BufferReader(data), ["id", "name"]) == []


def test_a_file_that_is_not_parquet_reads_no_dictionary():
    assert r_types.parquet_text_dictionaries(pa.BufferReader(b"not parquet at all"), None) == []


def test_strings_as_factors_makes_factors_of_text_read_as_a_dictionary():
    data = parquet_bytes(repeated_text(30_000), 10_000)
    translated = r_options.translate({"stringsAsFactors": True}, path="bucket/file.parquet")
    with r_types.for_r():
        frame = translated.finish(format_io.read_parquet(data), "bucket/file.parquet")
        record = r_codec.column_to_r("region", frame["region"])
    assert record["kind"] == "factor"
    assert record["levels"] == ["", "North", "South", "x", "Ēast"]
    codes = np.frombuffer(_raw(record), "<i4")
    assert (codes == INT_MIN).sum() == repeated_text(30_000).column("region").null_count
    r_codec.release()


@pytest.mark.parametrize("columns", [None, ["region", "id"]])
def test_a_preview_and_a_column_choice_keep_the_values(columns):
    table = repeated_text(30_000)
    data = parquet_bytes(table, 10_000)
    with r_types.for_r():
        frame = format_io.read_parquet(data, **({} if columns is None else {"columns": columns}))
        head = frame.head(25_000)
        record = r_codec.column_to_r("region", head["region"])
    assert r_gets(record)[1] == table.column("region").to_pylist()[:25_000]
    r_codec.release()
