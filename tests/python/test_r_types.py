"""Reads made for R (s3tools.r_types): R's types where pandas' defaults drop them,
Python's reads unchanged. The shared cases (tests/cases) run the same through S3."""

from __future__ import annotations

import datetime
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import BUCKET, put

from s3tools import csvfiles, format_io, r_bridge, r_codec, r_types

CASE_DATA = Path(__file__).resolve().parents[1] / "cases" / "data"

INT_MIN = -2147483648
TEXT = ("i,f,e,s,flag,d,t\n"
        "1,1.5,,a,True,2024-01-31,2024-01-31 00:00:00\n"
        ",NaN,,NaN,,2024-02-29,2024-02-29 00:00:00\n"
        "3,,,,False,,\n"
        "4,nan,,b,True,1969-12-31,1969-12-31 00:00:00\n")


def for_r(data: bytes, **options) -> pd.DataFrame:
    with r_types.for_r():
        return csvfiles.read_csv(data, ",", **options)


def as_r_gets_it(column: pd.Series) -> tuple[str, list]:
    """What R receives for a column: its kind, and values with NA and NaN told apart."""
    return r_gets(r_codec.column_to_r("x", column))


def r_gets(record: dict) -> tuple[str, list]:
    """A column record's kind and values (NA as None or "NA", NaN as "NaN")."""
    kind = record["kind"]
    if kind in ("integer", "logical"):
        values = np.frombuffer(_raw(record), dtype="<i4")
        return kind, [None if value == INT_MIN else int(value) for value in values]
    if kind == "integer64":
        values = np.frombuffer(_raw(record), dtype="<i8")
        return kind, [None if value == r_codec.INT64_MIN else int(value) for value in values]
    if kind == "character":
        return kind, _texts(record)
    numbers = np.frombuffer(_raw(record), dtype="<f8")
    is_na = (numbers.view(np.uint64) & np.uint64(0xFFFFFFFF)) == np.uint64(1954)
    return kind, ["NA" if na else "NaN" if np.isnan(value) else float(value)
                  for value, na in zip(numbers, is_na & np.isnan(numbers))]


def _raw(record: dict, field: str = "data") -> bytes:
    """The bytes R's vector holds: a handed buffer, or Arrow chunks converted as
    ``src/arrow.c`` converts them."""
    import ctypes

    if field == "data" and record.get("arrow") is not None:
        return _converted(record)
    handle = record[field]
    if isinstance(handle["address"], list):  # several buffers, copied one after the other
        return b"".join(ctypes.string_at(int(address, 16), size)
                        for address, size in zip(handle["address"], handle["size"]))
    return ctypes.string_at(int(handle["address"], 16), handle["size"]) if handle["size"] else b""


_ARROW_VALUES = {"int8": "<i1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "uint8": "<u1",
                 "uint16": "<u2", "uint32": "<u4", "uint64": "<u8", "float": "<f4",
                 "double": "<f8"}


def _bits(address: str, size: float, offset: int, length: int) -> np.ndarray:
    import ctypes

    data = np.frombuffer(ctypes.string_at(int(address, 16), int(size)), np.uint8)
    return np.unpackbits(data, bitorder="little")[offset:offset + length].astype(bool)


def _chunk_texts(chunks: dict) -> list:
    """The values of text handed as Arrow chunks, as ``src/arrow.c`` joins them."""
    import ctypes

    width = "<i8" if chunks["from"] == "large_string" else "<i4"
    values = []
    for address, size, valid, valid_size, offset, length, data, data_size in zip(
            chunks["values"], chunks["value_sizes"], chunks["valid"], chunks["valid_sizes"],
            chunks["offsets"], chunks["lengths"], chunks["data"], chunks["data_sizes"]):
        offset, length = int(offset), int(length)
        at = np.frombuffer(ctypes.string_at(int(address, 16), int(size)),
                           width)[offset:offset + length + 1]
        text = ctypes.string_at(int(data, 16), int(data_size)) if data_size else b""
        present = _bits(valid, valid_size, offset, length) if valid else np.ones(length, bool)
        values += [text[start:end].decode() if here else None
                   for start, end, here in zip(at[:-1], at[1:], present)]
    return values


def _converted(record: dict) -> bytes:
    """An Arrow record's chunks in R's layout: int32 (integer, logical, factor), int64 bits
    (integer64) or doubles, a null as R's NA."""
    import ctypes

    arrow = record["arrow"]
    pieces = []
    for address, size, valid, valid_size, offset, length in zip(
            arrow["values"], arrow["value_sizes"], arrow["valid"], arrow["valid_sizes"],
            arrow["offsets"], arrow["lengths"]):
        offset, length = int(offset), int(length)
        if arrow["from"] == "bool":
            values = _bits(address, size, offset, length).astype(np.int64)
        else:
            values = np.frombuffer(ctypes.string_at(int(address, 16), int(size)),
                                   _ARROW_VALUES[arrow["from"]])[offset:offset + length]
        present = _bits(valid, valid_size, offset, length) if valid else np.ones(length, bool)
        if record["kind"] in ("integer", "logical", "factor"):
            piece = np.where(present, values.astype(np.int64), INT_MIN).astype("<i4")
        elif record["kind"] == "integer64":
            piece = np.where(present, values, r_codec.INT64_MIN).astype("<i8")
        else:
            piece = values.astype("<f8") / arrow["scale"] if arrow["scale"] != 1 \
                else values.astype("<f8")
            piece.view(np.uint64)[~present] = np.uint64(0x7FF00000000007A2)
        pieces.append(piece.tobytes())
    return b"".join(pieces)


def _texts(record: dict) -> list:
    """The values of a character record (Arrow's buffers; codes into them when repeated)."""
    if record.get("text_chunks") is not None:
        return _chunk_texts(record["text_chunks"])
    offsets = np.frombuffer(_raw(record, "offsets"), dtype="<i8")
    data = _raw(record)
    values = [data[start:end].decode() for start, end in zip(offsets[:-1], offsets[1:])]
    if record.get("na") is not None:
        values = [None if na else value for value, na in zip(values, _raw(record, "na"))]
    if record.get("codes") is not None:
        codes = np.frombuffer(_raw(record, "codes"), dtype="<i4")
        return [None if code == INT_MIN else values[code - 1] for code in codes]
    return values


def test_python_reads_are_pandas_reads():
    for options in ({}, {"parse_dates": ["d", "t"]}):
        pd.testing.assert_frame_equal(csvfiles.read_csv(TEXT.encode(), ",", **options),
                                      pd.read_csv(io.StringIO(TEXT), **options))


def test_csv_for_r_keeps_integers_nan_empty_columns_and_dates():
    frame = for_r(TEXT.encode(), parse_dates=["d", "t"])
    assert as_r_gets_it(frame["i"]) == ("integer", [1, None, 3, 4])
    assert as_r_gets_it(frame["f"]) == ("double", [1.5, "NaN", "NA", "NaN"])
    assert as_r_gets_it(frame["e"]) == ("logical", [None] * 4)
    assert as_r_gets_it(frame["s"]) == ("character", ["a", None, None, "b"])
    assert as_r_gets_it(frame["flag"]) == ("logical", [1, None, 0, 1])
    assert r_codec.column_to_r("d", frame["d"])["kind"] == "Date"
    assert frame["d"].tolist()[:2] == [datetime.date(2024, 1, 31), datetime.date(2024, 2, 29)]
    # Midnight everywhere, but the text had a time of day: date-times still.
    assert frame["t"].dtype.kind == "M"


def test_pyarrow_reading_of_a_large_file_gives_what_pandas_reading_gives():
    rows = "2,2.5,,c,False,2024-03-01,2024-03-01 10:00:00\n" * 20_000
    # The NaN texts come after the sample pandas types the columns from.
    late = TEXT.split("\n", 1)[0] + "\n" + rows + TEXT.split("\n", 1)[1]
    assert len(late) > 2 * csvfiles.SAMPLE_BYTES
    small, large = for_r(TEXT.encode()), for_r(late.encode()).tail(4)
    for name in ("i", "f", "e", "s", "flag"):
        assert as_r_gets_it(large[name]) == as_r_gets_it(small[name]), name
    early = TEXT + rows
    assert as_r_gets_it(for_r(early.encode())["f"].head(4)) == as_r_gets_it(small["f"])
    # A folder's files, read one way or the other, join into the same types.
    assert isinstance(large["f"].dtype, pd.ArrowDtype) and small["f"].dtype == "Float64"
    with r_types.for_r():
        joined = pd.concat(r_types.alike([small, large]), ignore_index=True)
    assert joined["f"].dtype == "Float64"
    assert as_r_gets_it(joined["i"]) == ("integer", [1, None, 3, 4] * 2)
    assert as_r_gets_it(joined["f"]) == ("double", [1.5, "NaN", "NA", "NaN"] * 2)


def test_nan_text_is_read_again_with_the_options_that_say_how_values_are_written():
    quoted = for_r(b's\n"a ""quoted"", text"\nNaN\n')
    assert quoted["s"].tolist()[0] == 'a "quoted", text' and quoted["s"].isna().tolist()[1]
    decimal = for_r(b"x;y\n1,5;1\nNaN;2\n", sep=";", decimal=",")
    assert as_r_gets_it(decimal["x"]) == ("double", [1.5, "NaN"])
    flags = for_r(b"b\nTrue\nnan\n")  # not numbers: NaN text is missing, as in pandas
    assert as_r_gets_it(flags["b"]) == ("logical", [1, None])
    only_nan = for_r(b"x,y\nNaN,1\n,2\n")
    assert as_r_gets_it(only_nan["x"]) == ("double", ["NaN", "NA"])


def test_options_that_change_the_meaning_leave_pandas_reading_alone():
    options = {"dtype_backend": "pyarrow"}
    with r_types.for_r():
        assert r_types.csv_options(options) == (options, None)
    assert r_types.csv_options({"sep": ";"}) == ({"sep": ";"}, None)  # not for R


def test_missing_texts_of_the_users_own_keep_nan_text_as_pandas_reads_it():
    data = b"i,f\n1,NaN\nNA,1.5\n"
    frame = for_r(data, keep_default_na=False, na_values=["NA"])
    python = csvfiles.read_csv(data, ",", keep_default_na=False, na_values=["NA"])
    assert as_r_gets_it(frame["i"]) == ("integer", [1, None])
    assert frame["f"].tolist() == python["f"].tolist() == ["NaN", "1.5"]  # text, as pandas'
    extra = for_r(b"i,f\n1,NaN\n-99,1.5\n", na_values=["-99"])
    assert as_r_gets_it(extra["i"]) == ("integer", [1, None])
    assert as_r_gets_it(extra["f"]) == ("double", ["NaN", 1.5])


def test_text_the_user_typed_keeps_nan_text_missing():
    frame = for_r(b"s\n1\nNaN\n", dtype={"s": "str"})
    assert frame["s"].tolist()[0] == "1" and frame["s"].isna().tolist() == [False, True]


def test_whole_numbers_beyond_64_bits_are_python_ints_as_pandas_reads_them():
    data = b"n\n99999999999999999999999\n1\n\n"
    python = csvfiles.read_csv(data, ",")
    frame = for_r(data)
    assert frame["n"].tolist()[:2] == python["n"].tolist()[:2] == [10**23 - 1, 1]
    assert r_codec.column_to_r("n", frame["n"])["lossy"] is True


def test_a_date_format_with_a_time_field_gives_date_times():
    frame = for_r(b"d\n31/01/2024 00:00\n", parse_dates=["d"], date_format="%d/%m/%Y %H:%M")
    assert frame["d"].dtype.kind == "M"
    days = for_r(b"d\n31/01/2024\n", parse_dates=["d"], date_format="%d/%m/%Y")
    assert days["d"].tolist() == [datetime.date(2024, 1, 31)]


def nan_and_missing() -> pa.Table:
    nullable = pd.arrays.FloatingArray(np.array([1.5, 0.0, np.nan]), np.array([False, True, False]))
    table = pa.Table.from_pandas(pd.DataFrame({"nullable": nullable}), preserve_index=False)
    return table.add_column(0, "plain", pa.array([1.5, None, float("nan")]))


def test_tables_keep_nan_in_float64_and_pandas_types_elsewhere():
    frame = r_types.table_to_frame(nan_and_missing())
    assert frame["plain"].dtype == np.float64  # pandas' type: NaN is missing there
    assert frame["nullable"].dtype == "Float64"
    assert frame["nullable"].isna().tolist() == [False, True, False]
    with r_types.for_r():
        for_r_frame = r_types.table_to_frame(nan_and_missing())
    assert for_r_frame["plain"].isna().tolist() == [False, True, False]
    assert as_r_gets_it(for_r_frame["plain"]) == ("double", [1.5, "NA", "NaN"])


@pytest.mark.parametrize("values", [[1.5, 2.0], [1.5, None], [float("nan"), 1.0]])
def test_tables_without_both_are_converted_as_pandas_converts_them(values):
    table = pa.table({"x": pa.array(values, type=pa.float64())})
    pd.testing.assert_frame_equal(r_types.table_to_frame(table), table.to_pandas())
    with r_types.for_r():  # R gets what pandas' conversion gives: NaN alone is NA
        assert as_r_gets_it(r_types.table_to_frame(table)["x"]) == \
            as_r_gets_it(table.to_pandas()["x"])


def integers_with_missing() -> pa.Table:
    """As tests/cases/data/make_fixtures.py writes it (no pandas types recorded)."""
    return pa.table({
        "count": pa.array([1, None, 3], type=pa.int32()),
        "wide": pa.array([3_000_000_000, None, 5], type=pa.int64()),
        "big": pa.array([9007199254740993, None, -5], type=pa.int64()),
        "flag": pa.array([True, None, False]),
        "small": pa.array([1, None, 2], type=pa.uint8()),
        "full": pa.array([7, 8, 9], type=pa.int64()),
    })


def test_table_integers_and_booleans_with_nulls_are_r_integers_and_logicals():
    table = integers_with_missing()
    pd.testing.assert_frame_equal(r_types.table_to_frame(table), table.to_pandas())
    with r_types.for_r():
        frame = r_types.table_to_frame(table)
    assert as_r_gets_it(frame["count"]) == ("integer", [1, None, 3])
    assert as_r_gets_it(frame["wide"]) == ("double", [3e9, "NA", 5.0])  # exact in a double
    assert as_r_gets_it(frame["big"]) == ("integer64", [9007199254740993, None, -5])
    assert as_r_gets_it(frame["flag"]) == ("logical", [1, None, 0])
    assert as_r_gets_it(frame["small"]) == ("integer", [1, None, 2])
    assert as_r_gets_it(frame["full"]) == ("integer", [7, 8, 9])


def test_a_preview_types_integers_as_the_whole_file_does():
    column = pd.Series([1, 2], dtype=np.int32)
    assert r_types.holding_missing(column).dtype == np.float64
    assert r_types.holding_missing(pd.Series([True])).dtype == object
    with r_types.for_r():
        assert r_types.holding_missing(column).dtype == "Int32"
        assert r_types.holding_missing(pd.Series([1], dtype=np.uint64)).dtype == "UInt64"
        assert r_types.holding_missing(pd.Series([True])).dtype == "boolean"


JSON = ('[{"i": 1, "f": 1.0, "b": true, "n": null, "big": 9007199254740993, "s": "x"},'
        ' {"i": null, "f": null, "b": null, "n": null, "big": null},'
        ' {"i": 3, "f": 2.5, "b": false, "n": null, "big": -5, "s": "y"}]')


def json_lines(text: str) -> bytes:
    import json

    return "".join(json.dumps(record) + "\n" for record in json.loads(text)).encode()


def test_json_integers_and_logicals_with_gaps_follow_the_text_for_r():
    data = JSON.encode()
    python = format_io.read_json(data)
    pd.testing.assert_frame_equal(python, pd.read_json(io.BytesIO(data)))
    with r_types.for_r():
        frames = [format_io.read_json(data), format_io.read_jsonl(json_lines(JSON))]
    for frame in frames:
        assert as_r_gets_it(frame["i"]) == ("integer", [1, None, 3])
        assert as_r_gets_it(frame["f"]) == ("double", [1.0, "NA", 2.5])  # the text has decimals
        assert as_r_gets_it(frame["b"]) == ("logical", [1, None, 0])
        assert as_r_gets_it(frame["n"]) == ("logical", [None] * 3)
        # Exact, where pandas' float rounds it to 9007199254740992.
        assert as_r_gets_it(frame["big"]) == ("integer64", [9007199254740993, None, -5])
        assert as_r_gets_it(frame["s"]) == ("character", ["x", None, "y"])
    with r_types.for_r():
        first = format_io.read_jsonl(b'{"i": 1}\n{"i": null}\n{"i": 2.5}\n', nrows=2)
    assert as_r_gets_it(first["i"]) == ("integer", [1, None])


def test_json_in_other_layouts_or_typed_by_the_user_is_read_as_pandas_reads_it():
    columns = b'{"i": {"0": 1, "1": null}}'
    with r_types.for_r():
        assert format_io.read_json(columns)["i"].dtype == np.float64
        typed = format_io.read_json(JSON.encode(), dtype={"i": "float64"})
        assert typed["i"].dtype == np.float64 and typed["b"].dtype == "boolean"
        assert format_io.read_json(JSON.encode(), dtype=False)["i"].dtype == np.float64
        assert format_io.read_json(b'[{"i": 1}, {"i": null}, {"i": "x"}]')["i"].dtype == object


def test_excel_logical_columns_with_blank_cells_are_logical_and_numbers_double():
    data = (CASE_DATA / "integers_with_missing.xlsx").read_bytes()
    python = format_io.read_excel(data)
    assert python["flag"].dtype == np.float64  # pandas' own type, unchanged
    with r_types.for_r():
        frame = format_io.read_excel(data)
        sheets = format_io.read_excel(data, sheet_name=None)
    assert as_r_gets_it(frame["flag"]) == ("logical", [1, None, 0])
    assert as_r_gets_it(sheets["Sheet1"]["flag"]) == ("logical", [1, None, 0])
    # A cell holds a double: numbers with blank cells are double, as readxl reads them.
    assert as_r_gets_it(frame["count"]) == ("double", [1.0, "NA", 3.0])
    assert as_r_gets_it(frame["full"]) == as_r_gets_it(python["full"]) == ("integer", [7, 8, 9])


def test_a_column_is_given_another_r_kind_only_where_that_kind_holds_its_values():
    def kind(values, dtype, wanted):
        record = r_codec.column_in_kind("x", pd.Series(values, dtype=dtype), wanted)
        return None if record is None else r_gets(record)

    assert kind([1, None], "Int64", "double") == ("double", [1.0, "NA"])
    assert kind([2.0, np.nan], "float64", "integer") == ("integer", [2, None])
    assert kind([2.0, 3.0], "float64", "integer64") == ("integer64", [2, 3])
    assert kind([5, 6], "int64", "integer64") == ("integer64", [5, 6])
    assert kind([None, None], "object", "character") == ("character", [None, None])
    assert kind([np.nan], "float64", "Date")[0] == "Date"
    assert kind([1.5], "float64", "integer") is None
    assert kind([2**31], "int64", "integer") is None
    assert kind([2**53 + 1], "int64", "double") is None
    assert kind(["a"], "object", "integer") is None
    assert kind([1], "int64", "character") is None
    assert kind([True], "bool", "integer") is None


def r_chunks_of(path: str, size: int, **options) -> list[dict]:
    """The chunks R's s3_path_to_chunks gets (through the bridge), each {name: (kind, values)}."""
    opened = r_bridge.call("chunks_open", {"s3_path": path, "chunk_size": size}, options, None)
    assert opened["ok"], opened
    chunks = []
    while True:
        answer = r_bridge.call("chunks_next", {"handle": opened["value"]["value"]}, {}, None)
        if not answer["ok"]:
            raise AssertionError(answer["message"])
        if answer["value"]["type"] != "frame":
            return chunks
        chunks.append({column["name"]: r_gets(column) for column in answer["value"]["columns"]})


def test_r_chunks_are_typed_as_whole_reads_with_one_type_a_column(seed):
    put(seed, "t.csv", "i,x,e,s\n1,1,,a\n,2,,b\n2.0,3,,\n4,,7,c\n5,,,d\n")
    chunks = r_chunks_of(f"{BUCKET}/t.csv", 2)
    # Whole doubles are integer where the column is; a chunk without values, NAs of its type.
    assert [chunk["i"] for chunk in chunks] == [("integer", [1, None]), ("integer", [2, 4]),
                                                ("integer", [5])]
    assert [chunk["x"] for chunk in chunks] == [("integer", [1, 2]), ("integer", [3, None]),
                                                ("integer", [None])]
    # No value yet: logical NA, until a chunk with values sets the type.
    assert [chunk["e"][0] for chunk in chunks] == ["logical", "integer", "integer"]
    assert chunks[2]["s"] == ("character", ["d"])
    body = json_lines(JSON) + b'{"i": 4.0, "f": 3, "b": true}\n'
    put(seed, "t.jsonl", body)
    lines = r_chunks_of(f"{BUCKET}/t.jsonl", 2)
    assert [chunk["i"] for chunk in lines] == [("integer", [1, None]), ("integer", [3, 4])]
    assert [chunk["f"] for chunk in lines] == [("double", [1.0, "NA"]), ("double", [2.5, 3.0])]
    assert [chunk["b"][0] for chunk in lines] == ["logical", "logical"]
    for suffix, compress in (("gz", gzip.compress), ("zst", zstandard.compress)):
        put(seed, f"t.jsonl.{suffix}", compress(body))
        assert r_chunks_of(f"{BUCKET}/t.jsonl.{suffix}", 2) == lines, suffix


def test_r_parquet_chunks_keep_integers_with_nulls_integer(seed):
    table = pa.table({"n": pa.array([1, 2, 3, None, 5, 6], type=pa.int64()),
                      "flag": pa.array([True, False, True, None, True, True])})
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=3)
    put(seed, "t.parquet", sink.getvalue())
    chunks = r_chunks_of(f"{BUCKET}/t.parquet", 3)
    assert [chunk["n"] for chunk in chunks] == [("integer", [1, 2, 3]), ("integer", [None, 5, 6])]
    assert [chunk["flag"] for chunk in chunks] == [("logical", [1, 0, 1]),
                                                   ("logical", [None, 1, 1])]


def test_values_a_column_type_cannot_hold_in_a_later_r_chunk_are_an_error(seed):
    put(seed, "t.csv", "id,x\n1,1\n2,2\n3,1.5\n")
    opened = r_bridge.call("chunks_open", {"s3_path": f"{BUCKET}/t.csv", "chunk_size": 2}, {}, None)
    handle = opened["value"]["value"]
    assert r_bridge.call("chunks_next", {"handle": handle}, {}, None)["ok"]
    failed = r_bridge.call("chunks_next", {"handle": handle}, {}, None)
    assert failed["r_class"] == "s3tools_format"
    assert "Column 'x'" in failed["message"] and f"{BUCKET}/t.csv" in failed["message"]
    assert 'dtype = list(x = "float64")' in failed["message"]
    typed = r_chunks_of(f"{BUCKET}/t.csv", 2, dtype={"x": "float64"})
    assert [chunk["x"] for chunk in typed] == [("double", [1.0, 2.0]), ("double", [1.5])]
