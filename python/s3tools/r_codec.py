"""The column codec of the R boundary: data frames to and from R, column by column.

Data frames cross as one record per column whose values are a buffer in R's
own layout: little-endian int32 or float64, with R's missing-value patterns
(``INT_MIN`` for integers and logicals, the ``NA_real_`` NaN payload for
doubles), so that neither side walks the values one by one. Text crosses as
Arrow's own buffers (:func:`text_to_r`), which the package's C code
(``src/codec.c``) turns into R strings, by default only when each is used.
reticulate's pandas conversion is not used: it loses missing values and breaks
on pandas 3 / numpy 2. Columns a Parquet or Feather read for R kept as Arrow are
sent from their Arrow chunks (:mod:`s3tools.r_arrow`); the buffers and records
are :mod:`s3tools.r_records`'.

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

R to Python: see :mod:`s3tools.r_from_r`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import r_arrow
from .r_from_r import column_from_r, frame_from_r, strings_from_r
from .r_records import (_EXACT_IN_DOUBLE, _PER_SECOND, INT64_MIN, INT_MAX, INT_MIN,
                        _arrow_doubles, _arrow_logicals, _doubles, _integers, _logicals,
                        _record, _timezone_name, _whole_numbers, hand, release, text_fields,
                        text_to_r)
from .r_records import _HANDED, R_NA_BITS  # noqa: F401 - where the codec's tests look

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


def _mask(column: pd.Series) -> np.ndarray:
    return np.asarray(column.isna(), dtype=bool)


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


def _characters(name: str, column: pd.Series, as_text: bool = False) -> dict[str, Any]:
    missing = _mask(column)
    if as_text or column.dtype == object:
        values = column.to_numpy(dtype=object, na_value="")
        if as_text:
            values = [value if isinstance(value, str) else
                      value.decode("utf-8", errors="replace") if isinstance(value, bytes)
                      else str(value) for value in values]
    elif hasattr(column.array, "__arrow_array__"):  # pandas' str: its NAs are Arrow's nulls
        values, missing = column.array.__arrow_array__(), None
    else:
        values = column.array
    return {**_record(name, "character", None), **text_fields(values, missing)}


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
    """A column kept as Arrow: sent from its chunks (:mod:`s3tools.r_arrow`) where that
    module sends its type."""
    import pyarrow as pa

    sent = r_arrow.column_to_r(name, r_arrow.arrow_of(column))
    if sent is not None:
        return sent
    arrow_type = column.dtype.pyarrow_dtype
    if pa.types.is_null(arrow_type):
        return _logicals(name, np.zeros(len(column), dtype=bool), np.ones(len(column), bool))
    if pa.types.is_floating(arrow_type):
        return _arrow_doubles(name, pa.array(column.array))
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


__all__ = ["INT64_MIN", "INT_MIN", "ForR", "column_from_r", "column_in_kind", "column_to_r",
           "frame_columns", "frame_from_r", "frame_to_r", "hand", "release", "strings_from_r",
           "text_to_r", "value_to_r"]
