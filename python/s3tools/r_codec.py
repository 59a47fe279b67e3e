"""The column codec of the R boundary: data frames to and from R, column by column.

Data frames cross as one record per column whose values are a buffer in R's
own layout: little-endian int32 or float64, with R's missing-value patterns
(``INT_MIN`` for integers and logicals, the ``NA_real_`` NaN payload for
doubles), so that neither side walks the values one by one. Text crosses as
Arrow's own buffers (:func:`text_to_r`), which the package's C code
(``src/codec.c``) turns into R strings, by default only when each is used.
reticulate's pandas conversion is not used: it loses missing values and breaks
on pandas 3 / numpy 2.

Towards R, a buffer is handed over by address (:func:`hand`): R and Python
share the process, and R's C code copies the bytes once, straight into the R
vector, after checking the size. The buffer is held here until R has it
(:func:`release`). From R, buffers arrive as ``bytearray`` (R's ``raw``).

Type mapping, Python to R:

- int8/16/32, uint8/16 (and their nullable forms) -> integer.
- int64, uint32, uint64 -> integer when every value fits in 32 bits (and is
  not ``INT_MIN``, R's NA), otherwise double when every value is within 2^53
  (a double holds them exactly: the choice ``read.csv`` makes), otherwise
  ``bit64::integer64`` (kind ``integer64``: R makes it a double with a warning
  naming the column when bit64 is not installed). Whole numbers beyond the
  range of int64 (uint64, Python ints) -> double, with that warning (``lossy``).
- float16/32/64 -> double; a float ``NaN`` is R's ``NA``; in the nullable
  ``Float64`` type and in Arrow's ``double[pyarrow]`` a missing value is ``NA``
  and ``NaN`` stays ``NaN``.
- bool, boolean -> logical; strings (object, ``str``, ``string``) -> character;
  an object column of missing values only -> logical.
- ``datetime.date`` values and Arrow ``date32``/``date64`` -> Date.
- naive datetime64 -> POSIXct with ``tzone = ""`` (the wall clock read as UTC);
  tz-aware -> POSIXct in that time zone; timedelta -> difftime in seconds.
- categorical -> factor (levels as text, ``ordered`` kept).
- anything else -> character (``str()`` of each value).

R to Python:

- integer -> int32 (``Int32`` when NA is present); logical -> bool
  (``boolean`` with NA); factor -> categorical; ``bit64::integer64`` -> int64
  (``Int64`` when NA is present).
- double -> float64 with ``NaN`` for NA; when a true ``NaN`` is present,
  ``Float64`` with ``pd.NA`` for NA and ``NaN`` for ``NaN`` (so a writer keeps
  them apart: Parquet and Feather store both, CSV writes ``nan`` and an empty
  field).
- character -> pandas' default string type (``str`` on pandas 3, object on
  pandas 2), ``NA`` -> missing.
- Date -> object column of ``datetime.date`` (what pandas gives for Parquet
  ``date32``; every writer accepts it).
- POSIXct -> datetime64[us] (naive when ``tzone`` is empty, tz-aware otherwise).
- difftime -> timedelta64[us].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

INT_MIN = -2147483648
INT_MAX = 2147483647
# bit64's NA_integer64_.
INT64_MIN = -9223372036854775808
# Beyond this magnitude a double does not hold every whole number.
_EXACT_IN_DOUBLE = 2 ** 53
# R's NA_real_: a NaN whose low word is 1954.
R_NA_BITS = np.uint64(0x7FF00000000007A2)
_LOW_WORD = np.uint64(0xFFFFFFFF)
_R_NA_LOW_WORD = np.uint64(1954)
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


# ------------------------------------------------------------ values to R

# Buffers handed to R, alive until R has copied them (R calls release() once its value
# is built; every bridge call starts by releasing what an earlier one left).
_HANDED: list[np.ndarray] = []


def hand(buffer: Any) -> dict[str, Any]:
    """A buffer for R's C code: its address and size, the buffer held until :func:`release`."""
    array = np.ascontiguousarray(buffer if isinstance(buffer, np.ndarray)
                                 else np.frombuffer(buffer, dtype=np.uint8)).reshape(-1)
    _HANDED.append(array)
    return {"address": format(array.ctypes.data, "x"), "size": int(array.nbytes)}


def release() -> None:
    """Let go of every buffer handed to R."""
    _HANDED.clear()


class ForR(dict):
    """A value already in the form R reads (:func:`value_to_r` passes it on as it is)."""


def value_to_r(value: Any) -> Any:
    """A result as R should see it: frames, bytes, paths and mappings become records."""
    if isinstance(value, ForR):
        return dict(value)
    if isinstance(value, pd.DataFrame):
        return {"type": "frame", "nrow": len(value), "columns": frame_to_r(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"type": "raw", "data": hand(value)}
    if isinstance(value, Mapping):
        names = [str(key) for key in value]
        contents = list(value.values())
        if all(isinstance(item, (bytes, bytearray)) for item in contents):
            return {"type": "raw_list", "names": text_to_r(names),
                    "values": [hand(item) for item in contents]}
        return {"type": "list", "names": names, "values": [value_to_r(v) for v in contents]}
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return {"type": "character", **text_to_r(list(value))}
    return {"type": "value", "value": value}


def frame_to_r(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One record per column: ``{name, kind, data, na, levels, tz, ordered}``; text
    columns add ``offsets`` (and ``codes`` when their values repeat)."""
    return [column_to_r(name, column) for name, column in frame_columns(frame)]


def frame_columns(frame: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """The columns R gets, with the names R gets (a named index first, as columns)."""
    if not isinstance(frame.index, pd.RangeIndex) or any(frame.index.names):
        frame = frame.reset_index()
    return [(_column_name(name), frame.iloc[:, position])
            for position, name in enumerate(frame.columns)]


def _column_name(name: Any) -> str:
    if isinstance(name, tuple):
        return "_".join(str(part) for part in name if str(part))
    return str(name)


def _record(name: str, kind: str, data: np.ndarray | None, **extra: Any) -> dict[str, Any]:
    record = {"name": name, "kind": kind, "data": None if data is None else hand(data),
              "na": None, "levels": None, "tz": None, "ordered": False}
    record.update(extra)
    return record


def _mask(column: pd.Series) -> np.ndarray:
    return np.asarray(column.isna(), dtype=bool)


def _buffer_for_r(values: Any, dtype: str) -> np.ndarray:
    """``values`` as ``dtype`` in a new array (one copy), where missing values are written."""
    return np.asarray(values).reshape(-1).astype(dtype)


def _integers(name: str, values: np.ndarray, missing: np.ndarray | None) -> dict[str, Any]:
    """Whole numbers as R integer when they all fit, else as double when a double holds
    them exactly, else as integer64."""
    present = values if missing is None or not missing.any() else values[~missing]
    if present.size == 0 or (present.min() > INT_MIN and present.max() <= INT_MAX):
        return _whole_numbers(name, values, missing, "integer", "<i4", INT_MIN)
    if present.min() >= -_EXACT_IN_DOUBLE and present.max() <= _EXACT_IN_DOUBLE:
        return _doubles(name, values.astype(np.float64), missing)
    if present.min() > INT64_MIN and present.max() <= np.iinfo(np.int64).max:
        return _whole_numbers(name, values, missing, "integer64", "<i8", INT64_MIN)
    return _doubles(name, values.astype(np.float64), missing, lossy=True)


def column_in_kind(name: str, column: pd.Series, kind: str) -> dict[str, Any] | None:
    """The column as a record of R kind ``kind`` where that kind holds its values exactly,
    else None: numbers as double (whole ones within 2^53), whole numbers as integer or
    integer64 (within each one's range), a column with no value as any kind."""
    missing = _mask(column)
    if missing.all():
        return _no_values(name, len(column), kind)
    if column.dtype.kind not in "iuf" or kind not in _WHOLE_RANGES:
        return None
    present = column[~missing]
    if column.dtype.kind == "f":
        if kind == "double":
            return _doubles(name, column.to_numpy(dtype=np.float64, na_value=0.0), missing)
        if not np.isfinite(present).all() or (present != np.floor(present)).any():
            return None
    low, high = _WHOLE_RANGES[kind]
    if int(present.min()) < low or int(present.max()) > high:
        return None
    if kind == "double":
        return _doubles(name, column.to_numpy(dtype=np.float64, na_value=0.0), missing)
    whole = column.to_numpy(dtype=np.int64, na_value=0)
    if kind == "integer":
        return _whole_numbers(name, whole, missing, kind, "<i4", INT_MIN)
    return _whole_numbers(name, whole, missing, kind, "<i8", INT64_MIN)


# The whole numbers each numeric R kind holds exactly (its NA left out).
_WHOLE_RANGES = {"integer": (INT_MIN + 1, INT_MAX), "double": (-_EXACT_IN_DOUBLE, _EXACT_IN_DOUBLE),
                 "integer64": (INT64_MIN + 1, 2 ** 63 - 1)}


def _no_values(name: str, count: int, kind: str) -> dict[str, Any] | None:
    """A column of ``count`` NAs of R kind ``kind`` (None for a kind it has no NA record of)."""
    missing = np.ones(count, dtype=bool)
    if kind in ("integer", "logical", "factor"):
        return _record(name, kind, np.full(count, INT_MIN, dtype="<i4"),
                       **({"levels": []} if kind == "factor" else {}))
    if kind == "integer64":
        return _whole_numbers(name, np.zeros(count, np.int64), missing, kind, "<i8", INT64_MIN)
    if kind in ("double", "Date", "POSIXct", "difftime"):
        return _doubles(name, np.zeros(count), missing, kind=kind,
                        **({"units": "secs"} if kind == "difftime" else {}))
    if kind == "character":
        return {**_record(name, kind, None), **text_to_r([None] * count)}
    return None


def _whole_numbers(name: str, values: np.ndarray, missing: np.ndarray | None, kind: str,
                   layout: str, na: int) -> dict[str, Any]:
    result = _buffer_for_r(values, layout)
    if missing is not None and missing.any():
        result[missing] = na
    return _record(name, kind, result)


def _doubles(name: str, values: np.ndarray, missing: np.ndarray | None,
             kind: str = "double", **extra: Any) -> dict[str, Any]:
    """Doubles with R's NA written in: at ``missing``, or at every NaN when no mask is given."""
    values = np.asarray(values)
    if missing is None:
        missing = np.isnan(values)
    if not missing.any() and values.dtype == np.dtype("<f8"):
        return _record(name, kind, values, **extra)  # handed as they are: no copy
    result = _buffer_for_r(values, "<f8")
    result.view(np.uint64)[missing] = R_NA_BITS
    return _record(name, kind, result, **extra)


def _arrow_doubles(name: str, values: Any) -> dict[str, Any]:
    """An Arrow float array: nulls are NA, a NaN stays NaN."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    numbers = values.cast(pa.float64()).to_numpy(zero_copy_only=False)
    missing = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else \
        np.zeros(len(values), dtype=bool)
    return _doubles(name, numbers, missing)


def _logicals(name: str, values: np.ndarray, missing: np.ndarray | None) -> dict[str, Any]:
    result = _buffer_for_r(values, "<i4")
    if missing is not None and missing.any():
        result[missing] = INT_MIN
    return _record(name, "logical", result)


def _arrow_logicals(name: str, flags: Any) -> dict[str, Any]:
    """An Arrow boolean array as R logicals (nulls -> NA), without Python objects."""
    import pyarrow as pa

    values = flags.cast(pa.int32()).fill_null(INT_MIN).to_numpy(zero_copy_only=False)
    return _record(name, "logical", _buffer_for_r(values, "<i4"))


def _large_strings(values: Any) -> Any:
    """One contiguous Arrow ``large_string`` array of ``values``."""
    import pyarrow as pa

    array = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else \
        pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    return array


def text_to_r(values: Any, missing: np.ndarray | None = None) -> dict[str, Any]:
    """Text as R's C code reads it: Arrow's own buffers, without a Python string.

    ``data`` is the UTF-8 bytes of every value one after the other, ``offsets``
    the n + 1 little-endian int64 positions where each value starts (and the
    last ends), ``na`` one byte a value (1 for NA) or ``None`` when none is.
    ``values`` is anything pyarrow turns into strings (a list, an object array,
    a string Series or Arrow array); ``missing`` adds NAs to its nulls.
    """
    import pyarrow.compute as pc

    array = _large_strings(values)
    if array.null_count:
        nulls = array.is_null().to_numpy(zero_copy_only=False)
        missing = nulls if missing is None else missing | nulls
    buffers = array.buffers()
    if buffers[1] is None:
        offsets = np.zeros(1, dtype=np.int64)
    else:
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset:
                                                            array.offset + len(array) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0]:offsets[-1]] \
        if buffers[2] is not None else np.empty(0, dtype=np.uint8)
    if data.size and data.min() == 0:
        # R strings cannot hold NUL: drop it from the values that have one.
        return text_to_r(pc.replace_substring(array, "\0", ""), missing)
    na = hand(missing.astype(np.uint8)) if missing is not None and missing.any() else None
    return {"data": hand(data), "offsets": hand(offsets - offsets[0] if offsets[0] else offsets),
            "na": na}


# A string column with at most this share of distinct values crosses as codes
# into its distinct values: R then makes each string once (``levels[codes]``).
_REPEATED_SHARE = 0.5


def _characters(name: str, column: pd.Series, as_text: bool = False) -> dict[str, Any]:
    missing = _mask(column)
    if as_text or column.dtype == object:
        values = column.to_numpy(dtype=object, na_value="")
        if as_text:
            values = [value if isinstance(value, str) else
                      value.decode("utf-8", errors="replace") if isinstance(value, bytes)
                      else str(value) for value in values]
    else:
        values = column.array
    array = _large_strings(values)
    repeated = _repeated_strings(array, missing)
    if repeated is not None:
        codes, levels = repeated
        return {**_record(name, "character", None), **text_to_r(levels), "codes": hand(codes)}
    return {**_record(name, "character", None), **text_to_r(array, missing)}


def _repeated_strings(array: Any, missing: np.ndarray) -> tuple[np.ndarray, Any] | None:
    """1-based int32 codes (``INT_MIN`` for missing) and the distinct values, when few.

    ``None`` when most values are distinct: then the codes would only add work.
    """

    if len(array) < 2:
        return None
    # A sample first: encoding a column of mostly distinct values costs more than it saves.
    sample = array.slice(0, 20_000)
    if len(sample.unique()) > _REPEATED_SHARE * len(sample):
        return None
    encoded = array.dictionary_encode()
    levels = encoded.dictionary
    if len(levels) > _REPEATED_SHARE * len(array):
        return None
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("<i4") + 1
    absent = missing | (codes == 0)
    if absent.any():
        codes[absent] = INT_MIN
    return codes, levels


def _dates(name: str, column: pd.Series) -> dict[str, Any]:
    """Days since 1970 as doubles, from Arrow's date32 (no Python date objects made)."""
    import pyarrow as pa

    if isinstance(column.dtype, pd.ArrowDtype):
        days = pa.array(column.array)
    else:  # an object column of datetime.date: the objects are already there
        days = pa.array(column.to_numpy(dtype=object, na_value=None), type=pa.date32())
    if not pa.types.is_date32(days.type):
        days = days.cast(pa.date32())
    values = days.cast(pa.int32()).cast(pa.float64()).to_numpy(zero_copy_only=False)
    return _doubles(name, values, None, kind="Date")


def _datetimes(name: str, column: pd.Series) -> dict[str, Any]:
    tz = getattr(column.dtype, "tz", None)
    if tz is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    values = column.to_numpy()
    unit = np.datetime_data(values.dtype)[0]
    missing = np.isnat(values)
    seconds = values.view(np.int64) / _PER_SECOND[unit]
    return _doubles(name, seconds, missing, kind="POSIXct", tz=_timezone_name(tz))


def _timezone_name(tz: Any) -> str:
    if tz is None:
        return ""
    zone = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
    # A fixed offset has no name R knows; the instants are right in UTC.
    return "UTC" if zone.startswith(("UTC+", "UTC-", "+", "-")) else zone


def _timedeltas(name: str, column: pd.Series) -> dict[str, Any]:
    values = column.to_numpy()
    unit = np.datetime_data(values.dtype)[0]
    missing = np.isnat(values)
    seconds = values.view(np.int64) / _PER_SECOND[unit]
    return _doubles(name, seconds, missing, kind="difftime", units="secs")


def _factor(name: str, column: pd.Series) -> dict[str, Any]:
    codes = column.cat.codes.to_numpy().astype("<i4") + 1
    codes[codes == 0] = INT_MIN
    levels = [str(level) for level in column.cat.categories]
    return _record(name, "factor", codes, levels=levels, ordered=bool(column.cat.ordered))


def _numpy_values(column: pd.Series, dtype: Any, fill: Any) -> np.ndarray:
    if isinstance(column.dtype, np.dtype):
        return column.to_numpy()
    return column.to_numpy(dtype=dtype, na_value=fill)


def column_to_r(name: str, column: pd.Series) -> dict[str, Any]:
    """One column as a record for R (see the module docstring for the mapping)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _factor(name, column)
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return _datetimes(name, column)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return _timedeltas(name, column)
    if isinstance(dtype, pd.ArrowDtype):
        return _arrow_column(name, column)
    if pd.api.types.is_bool_dtype(dtype):
        missing = None if isinstance(dtype, np.dtype) else _mask(column)
        return _logicals(name, _numpy_values(column, bool, False), missing)
    if pd.api.types.is_integer_dtype(dtype):
        missing = None if isinstance(dtype, np.dtype) else _mask(column)
        return _integers(name, _numpy_values(column, dtype.numpy_dtype
                                             if not isinstance(dtype, np.dtype) else dtype, 0),
                         missing)
    if pd.api.types.is_float_dtype(dtype):
        if isinstance(dtype, np.dtype):
            return _doubles(name, column.to_numpy(), None)
        # Float64: pd.NA is NA; a NaN under no mask stays NaN.
        return _doubles(name, column.to_numpy(dtype=np.float64, na_value=0.0), _mask(column))
    if isinstance(dtype, pd.StringDtype):
        return _characters(name, column)
    if dtype == object:
        return _object_column(name, column)
    return _characters(name, column, as_text=True)


def _arrow_column(name: str, column: pd.Series) -> dict[str, Any]:
    import pyarrow as pa

    arrow_type = column.dtype.pyarrow_dtype
    if pa.types.is_date(arrow_type):
        return _dates(name, column)
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return _characters(name, column)
    if pa.types.is_boolean(arrow_type):
        return _arrow_logicals(name, pa.array(column.array))
    if pa.types.is_null(arrow_type):
        return _logicals(name, np.zeros(len(column), dtype=bool), np.ones(len(column), bool))
    if pa.types.is_floating(arrow_type):
        return _arrow_doubles(name, pa.array(column.array))
    if pa.types.is_integer(arrow_type):
        wide = pa.types.is_unsigned_integer(arrow_type) and arrow_type.bit_width == 64
        return column_to_r(name, column.astype("UInt64" if wide else "Int64"))
    if pa.types.is_timestamp(arrow_type):
        unit = arrow_type.unit
        tz = arrow_type.tz
        target = pd.DatetimeTZDtype(unit=unit, tz=tz) if tz else f"datetime64[{unit}]"
        return _datetimes(name, column.astype(target))
    if pa.types.is_duration(arrow_type):
        return _timedeltas(name, column.astype(f"timedelta64[{arrow_type.unit}]"))
    return _characters(name, column, as_text=True)


def _object_column(name: str, column: pd.Series) -> dict[str, Any]:
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    if inferred == "string":
        return _characters(name, column)
    if inferred == "empty":
        missing = np.ones(len(column), dtype=bool)
        return _logicals(name, np.zeros(len(column), dtype=bool), missing)
    if inferred == "boolean":
        import pyarrow as pa

        flags = pa.array(column.to_numpy(dtype=object), type=pa.bool_(), from_pandas=True)
        return _arrow_logicals(name, flags)
    if inferred == "integer":
        try:
            return column_to_r(name, column.astype("Int64"))
        except (OverflowError, TypeError, ValueError):
            pass
        try:
            return column_to_r(name, column.astype("UInt64"))
        except (OverflowError, TypeError, ValueError):  # beyond 64 bits: rounded
            values = column.to_numpy(dtype=object, na_value=np.nan).astype(np.float64)
            return _doubles(name, values, _mask(column), lossy=True)
    if inferred in ("floating", "mixed-integer-float", "decimal"):
        return column_to_r(name, column.astype("Float64"))
    if inferred == "date":
        return _dates(name, column)
    if inferred in ("datetime", "datetime64"):
        try:
            return _datetimes(name, pd.Series(pd.to_datetime(column)))
        except (TypeError, ValueError):
            return _datetimes(name, pd.Series(pd.to_datetime(column, utc=True)))
    if inferred in ("timedelta", "timedelta64"):
        return _timedeltas(name, pd.Series(pd.to_timedelta(column)))
    return _characters(name, column, as_text=True)


# ---------------------------------------------------------- values from R

def _buffer(data: Any) -> bytes | bytearray:
    if data is None:
        return b""
    if isinstance(data, (bytes, bytearray)):
        return data
    return bytes(data)


def _listed(value: Any) -> list:
    """R's length-one vectors arrive as scalars, empty ones as lists or None."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _r_missing(values: np.ndarray) -> np.ndarray:
    """Where a double holds R's NA (not a plain NaN): R's own test, on the bits."""
    return np.isnan(values) & ((values.view(np.uint64) & _LOW_WORD) == _R_NA_LOW_WORD)


def _strings_array(data: Any, na: Any = None, count: int | None = None,
                   offsets: Any = None) -> Any:
    """R's ``writeBin(enc2utf8(x), raw())`` output as a pyarrow string array (nulls for NA).

    The NUL terminators become Arrow offsets, so no Python string is made; with
    ``offsets``, ``data`` and ``offsets`` are already Arrow's (see :func:`text_to_r`).
    """
    import pyarrow as pa

    if offsets is not None:  # Arrow's own buffers (what text_to_r makes)
        starts = np.frombuffer(_buffer(offsets), dtype="<i8")
        array = pa.LargeStringArray.from_buffers(len(starts) - 1, pa.py_buffer(starts),
                                                 pa.py_buffer(_buffer(data)))
        return _masked(array, na)
    buffer = np.frombuffer(_buffer(data), dtype=np.uint8)
    ends = np.flatnonzero(buffer == 0)
    if count is not None and len(ends) != count:
        raise ValueError(f"Expected {count} strings from R, got {len(ends)}.")
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends - np.arange(len(ends))
    array = pa.LargeStringArray.from_buffers(
        len(ends), pa.py_buffer(offsets), pa.py_buffer(np.delete(buffer, ends)))
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:  # not UTF-8 (R strings marked as bytes): replace what is not
        texts = bytes(_buffer(data)).decode("utf-8", errors="replace").split("\0")[:-1]
        array = pa.array(texts, type=pa.large_string())
    return _masked(array, na)


def _masked(array: Any, na: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if na is not None and len(_buffer(na)):
        missing = np.frombuffer(_buffer(na), dtype=np.uint8).astype(bool)
        array = pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), array)
    return array


def strings_from_r(data: Any, na: Any = None, count: int | None = None) -> np.ndarray:
    """R's ``writeBin(enc2utf8(x), raw())`` output as an object array (None for NA)."""
    return _strings_array(data, na, count).to_numpy(zero_copy_only=False)


def _string_series(values: Any) -> pd.Series:
    # pyarrow hands pandas its default string type (str on pandas 3, object on
    # pandas 2), as for a column read from a file.
    return pd.Series(values.to_pandas())


def column_from_r(column: Mapping[str, Any], nrow: int | None = None) -> pd.Series:
    """One column record from R (see ``column_to_python`` in the R package) as a Series."""
    kind = column["kind"]
    data = _buffer(column.get("data"))
    if kind == "character":
        if column.get("codes") is not None:
            import pyarrow as pa

            levels = _strings_array(data, None, None, column.get("offsets"))
            codes = np.frombuffer(_buffer(column["codes"]), dtype="<i4")
            return _string_series(levels.take(pa.array(codes - 1, mask=codes == INT_MIN)))
        return _string_series(_strings_array(data, column.get("na"), nrow, column.get("offsets")))
    if kind == "integer64":
        values = np.frombuffer(data, dtype="<i8").astype(np.int64)
        missing = values == INT64_MIN
        if missing.any():
            values[missing] = 1
            return pd.Series(pd.arrays.IntegerArray(values, missing))
        return pd.Series(values)
    if kind in ("integer", "logical", "factor"):
        values = np.frombuffer(data, dtype="<i4").astype(np.int32)
        missing = values == INT_MIN
        if kind == "factor":
            levels = [str(level) for level in _listed(column.get("levels"))]
            codes = np.where(missing, -1, values - 1)
            return pd.Series(pd.Categorical.from_codes(
                codes, categories=pd.Index(levels),
                ordered=bool(column.get("ordered"))))
        if kind == "logical":
            if missing.any():
                return pd.Series(pd.arrays.BooleanArray(values == 1, missing))
            return pd.Series(values == 1)
        if missing.any():
            # Under the mask pandas itself keeps 1 (and NaN for floats): the same
            # bytes reach Parquet as for a frame built in Python.
            values[missing] = 1
            return pd.Series(pd.arrays.IntegerArray(values, missing))
        return pd.Series(values)
    values = np.frombuffer(data, dtype="<f8").astype(np.float64)
    missing = _r_missing(values)
    if kind == "double":
        not_a_number = np.isnan(values) & ~missing
        values[missing] = np.nan
        if not_a_number.any():  # a float64 NaN would be missing to pandas and its writers
            return pd.Series(pd.arrays.FloatingArray(values, missing))
        return pd.Series(values)
    if kind == "Date":
        return _dates_from_days(values, np.isnan(values))
    if kind == "POSIXct":
        return _datetimes_from_seconds(values, np.isnan(values), column.get("tz"))
    if kind == "difftime":
        micro = np.round(np.where(np.isnan(values), 0.0, values) * 1e6).astype(np.int64)
        result = micro.astype("timedelta64[us]")
        result[np.isnan(values)] = np.timedelta64("NaT")
        return pd.Series(result)
    raise ValueError(f"A column of kind {kind!r} cannot be passed to Python.")


def _dates_from_days(days: np.ndarray, missing: np.ndarray) -> pd.Series:
    import pyarrow as pa

    whole = np.floor(np.where(missing, 0, days)).astype(np.int32)
    array = pa.array(whole, type=pa.date32(), mask=missing)
    return pd.Series(array.to_pandas(date_as_object=True), dtype=object)


def _datetimes_from_seconds(seconds: np.ndarray, missing: np.ndarray, tz: Any) -> pd.Series:
    micro = np.round(np.where(missing, 0.0, seconds) * 1e6).astype(np.int64)
    values = micro.astype("datetime64[us]")
    values[missing] = np.datetime64("NaT")
    zone = _listed(tz)[0] if _listed(tz) else ""
    if not zone:
        return pd.Series(values)
    index = pd.DatetimeIndex(values).tz_localize("UTC")
    try:
        return pd.Series(index.tz_convert(zone))
    except Exception:  # noqa: BLE001 - a zone R knows and Python does not: keep the instants
        return pd.Series(index)


def frame_from_r(columns: list | Mapping[str, Any], nrow: int | None = None) -> pd.DataFrame:
    """Column records from R (``frame_to_python`` in the R package) as a DataFrame."""
    records = [columns] if isinstance(columns, Mapping) else list(columns or [])
    series = [column_from_r(record, nrow) for record in records]
    frame = pd.DataFrame(dict(enumerate(series)))
    if not series and nrow:
        frame = pd.DataFrame(index=pd.RangeIndex(int(nrow)))
    frame.columns = [str(record["name"]) for record in records]
    return frame


__all__ = ["INT64_MIN", "INT_MIN", "ForR", "column_from_r", "column_in_kind", "column_to_r",
           "frame_columns", "frame_from_r", "frame_to_r", "strings_from_r", "text_to_r",
           "value_to_r"]
