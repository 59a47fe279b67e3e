"""The R boundary's column codec (s3tools.r_codec), tested from Python."""

from __future__ import annotations

import ctypes
import datetime

import numpy as np
import pandas as pd
import pytest

from test_r_types import _raw, _texts

from s3tools import r_codec

INT_MIN = -2147483648


def raw(handle: dict | None) -> bytes | None:
    """What R's C code copies from a buffer handed over by address (r_codec.hand)."""
    if handle is None:
        return None
    if isinstance(handle["address"], list):  # several buffers, copied one after the other
        return b"".join(ctypes.string_at(int(address, 16), size)
                        for address, size in zip(handle["address"], handle["size"]))
    return ctypes.string_at(int(handle["address"], 16), handle["size"]) if handle["size"] else b""


def as_from_r(records: list[dict]) -> list[dict]:
    """Records for R as they come back from R: every handed buffer as a bytearray (text
    handed as Arrow chunks in the one buffer R joins them into)."""
    joined = [{**record, **r_codec.text_to_r(_texts(record)), "text_chunks": None}
              if record.get("text_chunks") is not None else record for record in records]
    return [{key: bytearray(raw(value)) if isinstance(value, dict) and "address" in value
             else value for key, value in record.items()} for record in joined]


def ints(record: dict) -> list[int]:
    return np.frombuffer(_raw(record), dtype="<i4").tolist()


def doubles(record: dict) -> np.ndarray:
    return np.frombuffer(_raw(record), dtype="<f8")


def r_na_at(record: dict) -> list[bool]:
    bits = doubles(record).view(np.uint64)
    return ((bits & np.uint64(0xFFFFFFFF)) == np.uint64(1954)).tolist()


def int64s(record: dict) -> list[int]:
    return np.frombuffer(_raw(record), dtype="<i8").tolist()


def test_whole_numbers_are_integer_then_double_then_integer64():
    small = r_codec.column_to_r("x", pd.Series([1, 2, 3], dtype="int64"))
    assert (small["kind"], ints(small)) == ("integer", [1, 2, 3])
    edge = r_codec.column_to_r("x", pd.Series([INT_MIN, 0], dtype="int64"))
    assert edge["kind"] == "double"
    exact = r_codec.column_to_r("x", pd.Series([2**53, -(2**53), 3_000_000_000], dtype="int64"))
    assert exact["kind"] == "double" and "lossy" not in exact
    assert doubles(exact).tolist() == [2.0**53, -(2.0**53), 3e9]
    nullable = r_codec.column_to_r("x", pd.array([5, None], dtype="Int64"))
    assert ints(nullable) == [5, INT_MIN]


def test_whole_numbers_beyond_2_53_cross_exactly_as_integer64():
    big = r_codec.column_to_r("x", pd.Series([2**53 + 1, 1], dtype="uint64"))
    assert big["kind"] == "integer64" and int64s(big) == [2**53 + 1, 1]
    missing = r_codec.column_to_r("x", pd.array([-(2**62) - 1, None], dtype="Int64"))
    assert int64s(missing) == [-(2**62) - 1, r_codec.INT64_MIN]
    back = r_codec.column_from_r({"kind": "integer64", "data": bytearray(raw(missing["data"]))})
    assert back.dtype == "Int64" and back.tolist() == [-(2**62) - 1, pd.NA]


def test_whole_numbers_beyond_64_bits_are_doubles_marked_lossy():
    unsigned = r_codec.column_to_r("x", pd.Series([2**63, 1], dtype="uint64"))
    assert unsigned["kind"] == "double" and unsigned["lossy"] is True
    huge = r_codec.column_to_r("x", pd.Series([10**23, None, 2], dtype=object))
    assert huge["kind"] == "double" and huge["lossy"] is True
    assert doubles(huge)[0] == 1e23 and r_na_at(huge) == [False, True, False]


def test_doubles_carry_r_na_and_keep_nan_where_pandas_distinguishes():
    plain = r_codec.column_to_r("x", pd.Series([1.0, np.nan]))
    assert r_na_at(plain) == [False, True]
    masked = pd.Series(pd.arrays.FloatingArray(np.array([np.nan, 0.0]), np.array([False, True])))
    record = r_codec.column_to_r("x", masked)
    assert r_na_at(record) == [False, True]
    assert np.isnan(doubles(record)[0])


def test_arrow_floats_keep_nan_apart_from_missing():
    import pyarrow as pa

    column = pd.Series(pd.arrays.ArrowExtensionArray(pa.array([1.5, None, float("nan")])))
    record = r_codec.column_to_r("x", column)
    assert record["kind"] == "double" and r_na_at(record) == [False, True, False]
    assert np.isnan(doubles(record)[2])
    whole = pd.Series(pd.arrays.ArrowExtensionArray(pa.array([float("nan"), 2.0])))
    assert r_na_at(r_codec.column_to_r("x", whole)) == [False, False]
    empty = pd.Series(pd.arrays.ArrowExtensionArray(pa.nulls(2)))
    assert ints(r_codec.column_to_r("e", empty)) == [INT_MIN, INT_MIN]


def r_doubles(*values: float | None) -> bytearray:
    """Doubles as R writes them: None is NA_real_ (a NaN whose low word is 1954)."""
    numbers = np.array([0.0 if value is None else value for value in values])
    numbers.view(np.uint64)[[value is None for value in values]] = r_codec.R_NA_BITS
    return bytearray(numbers.tobytes())


def test_doubles_from_r_keep_nan_in_float64_whenever_one_is_there():
    only_nan = r_codec.column_from_r({"kind": "double", "data": r_doubles(1.5, float("nan"))})
    assert only_nan.dtype == "Float64" and not only_nan.isna().any()
    assert np.isnan(only_nan.to_numpy(dtype=float, na_value=0.0)[1])
    both = r_codec.column_from_r({"kind": "double", "data": r_doubles(1.5, None, float("nan"))})
    assert both.isna().tolist() == [False, True, False]
    only_na = r_codec.column_from_r({"kind": "double", "data": r_doubles(1.5, None)})
    assert only_na.dtype == np.float64 and only_na.isna().tolist() == [False, True]


def texts(record: dict) -> list[str | None]:
    """What R's C code makes of a text record's strings (not its codes): Arrow's data and
    offsets, and the mask."""
    if record.get("text_chunks") is not None:
        return _texts(record)
    offsets = np.frombuffer(raw(record["offsets"]), dtype="<i8")
    data = raw(record["data"])
    missing = raw(record["na"]) if record["na"] is not None else bytes(len(offsets) - 1)
    return [None if missing[i] else data[offsets[i]:offsets[i + 1]].decode()
            for i in range(len(offsets) - 1)]


def test_strings_cross_as_arrow_buffers_with_a_mask():
    record = r_codec.column_to_r("s", pd.Series(["a", None, "é"], dtype=object))
    assert raw(record["data"]) == "aé".encode()
    assert np.frombuffer(raw(record["offsets"]), dtype="<i8").tolist() == [0, 1, 1, 3]
    assert raw(record["na"]) == b"\x00\x01\x00"
    plain = r_codec.column_to_r("s", pd.Series(["x", "y"]))
    assert plain["na"] is None and texts(plain) == ["x", "y"]
    nul = r_codec.column_to_r("s", pd.Series(["a\0b"]))
    assert texts(nul) == ["ab"]
    sliced = r_codec.text_to_r(pd.Series(["skip", "b", None, "cd"]).array._pa_array
                               .combine_chunks().slice(1))
    assert texts(sliced) == ["b", None, "cd"]
    assert texts(r_codec.text_to_r([])) == []


@pytest.mark.parametrize("dtype", [object, "str"])
def test_repeated_strings_cross_as_codes_into_distinct_values(dtype):
    values = ["a", None, "é", "a", "b\0"] * 40
    record = r_codec.column_to_r("s", pd.Series(values, dtype=dtype))
    levels = texts(record)
    assert len(levels) <= 4
    codes = np.frombuffer(raw(record["codes"]), dtype="<i4")
    decoded = [None if code == r_codec.INT_MIN else levels[code - 1] for code in codes]
    assert decoded == [None if value is None else value.replace("\0", "") for value in values]
    distinct = r_codec.column_to_r("s", pd.Series([f"P{i}" for i in range(1000)], dtype=dtype))
    assert "codes" not in distinct


def test_dates_and_logicals_come_from_arrow():
    days = pd.Series([datetime.date(1969, 12, 31), None], dtype=object)
    assert doubles(r_codec.column_to_r("d", days))[0] == -1.0
    assert r_na_at(r_codec.column_to_r("d", days)) == [False, True]
    arrow_days = days.astype("date32[pyarrow]")
    assert r_na_at(r_codec.column_to_r("d", arrow_days)) == [False, True]
    flags = pd.Series([True, np.nan, np.False_], dtype=object)
    assert ints(r_codec.column_to_r("b", flags)) == [1, INT_MIN, 0]
    assert ints(r_codec.column_to_r("b", flags.astype("bool[pyarrow]"))) == [1, INT_MIN, 0]


def test_round_trip_through_r_records_keeps_types_and_missing_values():
    frame = pd.DataFrame({
        "i": pd.array([1, None], dtype="Int32"),
        "d": [0.5, np.nan],
        "b": pd.array([True, None], dtype="boolean"),
        "s": pd.Series(["x", None]),
        "day": pd.Series([datetime.date(2024, 2, 29), None], dtype=object),
        "t": pd.to_datetime(["2024-01-01 00:00:00.5", None]).astype("datetime64[us]"),
        "tz": pd.to_datetime(["2024-06-01 12:00", None]).tz_localize("Europe/London")
        .astype("datetime64[us, Europe/London]"),
        "c": pd.Categorical(["lo", None], categories=["lo", "hi"], ordered=True),
        "td": pd.to_timedelta([1.5, None], unit="s").astype("timedelta64[us]"),
    })
    back = r_codec.frame_from_r(as_from_r(r_codec.frame_to_r(frame)), len(frame))
    pd.testing.assert_frame_equal(back, frame)


def test_strings_from_r_apply_the_mask():
    values = r_codec.strings_from_r(bytearray("a\0NA\0é\0".encode()), bytearray(b"\0\1\0"), 3)
    assert values.tolist() == ["a", None, "é"]
    with pytest.raises(ValueError):
        r_codec.strings_from_r(bytearray(b"a\0"), None, 2)


def test_results_for_r():
    assert r_codec.value_to_r(["a", "b"])["type"] == "character"
    assert raw(r_codec.value_to_r([])["offsets"]) == bytes(8)
    listed = r_codec.value_to_r({"b/k": b"1"})
    assert listed["type"] == "raw_list" and [raw(v) for v in listed["values"]] == [b"1"]


def test_buffers_are_handed_without_a_copy_and_held_until_released():
    column = pd.Series(np.arange(5, dtype=np.float64))
    values = column.to_numpy()
    record = r_codec.column_to_r("x", column)
    assert int(record["data"]["address"], 16) == values.ctypes.data  # no NA: no copy
    assert record["data"]["size"] == values.nbytes
    r_codec.release()
    assert r_codec._HANDED == []
    assert r_codec.value_to_r(True) == {"type": "value", "value": True}
