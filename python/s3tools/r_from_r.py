"""The column codec of the R boundary, from R: data frames R sends, as pandas frames.

R sends a frame as one record per column (``frame_to_python`` in the R
package): R's own bytes in ``raw`` vectors, which arrive as ``bytearray``.

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

from .r_records import _LOW_WORD, _R_NA_LOW_WORD, INT64_MIN, INT_MIN

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



__all__ = ["column_from_r", "frame_from_r", "strings_from_r"]
