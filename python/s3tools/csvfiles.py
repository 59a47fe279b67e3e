"""CSV and TSV: the values and dtypes of ``pandas.read_csv`` with its defaults, at pyarrow's speed.

The policy: whatever parser runs, a CSV read returns what ``pd.read_csv``
returns with the same options. Strings stay strings (ISO dates and times
included: pass ``parse_dates`` to have them parsed), integers beyond int64 stay
exact (uint64), and text that is not UTF-8 is an error naming ``encoding``.

How: pandas' own parser reads a sample from the start of the file and says
what each column is. A small file is read by it alone. A larger one goes to
pyarrow's multi-threaded parser, told to keep as text the columns pandas found
to be text (so it cannot turn them into dates), part by part while the rest
arrives (:mod:`s3tools.csvparts`; whole, through pandas' pyarrow engine, for
options the parts reader does not take or types that change between parts),
and its result is checked column by column for what pyarrow infers and pandas
never does. When the check finds such a column, pandas' parser reads the
whole file.

A read made for R (:mod:`s3tools.r_types`) is pandas' read with its nullable
types, finished by :func:`s3tools.r_types.csv_frame`; pyarrow's part of it keeps
Arrow's types, so that NaN stays apart from a missing value.
"""

from __future__ import annotations

import codecs
import datetime
import io
import logging
from typing import Any

import numpy as np
import pandas as pd

from . import csvparts, errors, r_types
from .allocator import system_allocator

logger = logging.getLogger(__name__)

# The start of the file that pandas' parser reads first; a file no longer than
# this is read by pandas alone.
SAMPLE_BYTES = 256 * 1024
# Options that mean the same to pyarrow's parser (as pandas passes them on);
# with any other option pandas' own parser reads the file.
_PYARROW_OPTIONS = {"sep", "delimiter", "header", "names", "usecols", "dtype", "na_values",
                    "keep_default_na", "encoding", "true_values", "false_values", "quotechar",
                    "dtype_backend"}
# Encodings in which a newline is the byte 0x0A, so a sample can end at a line.
_LINE_SAFE_ENCODINGS = {"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"}
# Past this a float64 cannot hold every integer: an integral column reaching it
# may be pyarrow's float for integers that pandas keeps exact.
_EXACT_FLOAT_LIMIT = 2.0 ** 53


class _NeedsPandas(Exception):
    """The pyarrow result differs from pandas' in a way only a pandas read can fix."""


def read_csv(data: Any, separator: str, **options: Any) -> pd.DataFrame:
    """``data``: bytes, or a transport stream (read once; reopened only in the rare fallback)."""
    options, plan = r_types.csv_options(options)
    return r_types.csv_frame(_read_csv(data, separator, plan is not None, options), plan)


def _read_csv(data: Any, separator: str, arrow_types: bool, options: dict) -> pd.DataFrame:
    """pandas' reading, or pyarrow's made equal to it; ``arrow_types``: pyarrow's part
    keeps Arrow's types (the read for R: its floats keep NaN apart from missing)."""
    options.setdefault("sep", separator)
    head = _head(data)
    if _is_whole(data, head) or not _pyarrow_can_read(options):
        return pd.read_csv(_readable(data), **options)
    try:
        model = _model(head, options)
        text_columns = _text_columns(model)
    except _NeedsPandas as reason:
        # Decided from the sample alone: nothing has been read, so no second request.
        logger.debug("CSV read with pandas' parser: %s", reason)
        return pd.read_csv(_readable(data), **options)
    try:
        settings = csvparts.settings(options, text_columns)
        try:
            if settings is None:
                raise csvparts.TypeChanged("options that only a whole read takes")
            frame = csvparts.read(data, _size(data), settings, arrow_types)
        except csvparts.TypeChanged as reason:
            logger.debug("CSV read whole by pyarrow: %s", reason)
            if settings is not None:
                data = _again(data)
            frame = _read_whole(data, options, text_columns, arrow_types)
        return _as_pandas_reads(frame, model)
    except _NeedsPandas as reason:
        logger.debug("CSV read again with pandas' parser: %s", reason)
    except (UnicodeDecodeError, UnicodeError):
        raise
    except Exception as error:  # noqa: BLE001 - pandas' own parser gives the clearer error
        failure = errors.source_failure(data)
        if failure is not None:
            raise failure from None  # the network failed, not the parser
        logger.debug("pyarrow CSV parser failed (%s); using pandas' parser", error)
    return pd.read_csv(_readable(_again(data)), **options)


def _read_whole(data: Any, options: dict, text_columns: dict[str, str],
                arrow_types: bool) -> pd.DataFrame:
    """pyarrow's reading of the whole file at once, through pandas (its inference sees
    every part before it decides a column's type)."""
    with system_allocator():
        return pd.read_csv(_readable(data), engine="pyarrow", **{
            **options, "dtype": {**text_columns, **(options.get("dtype") or {})},
            **({"dtype_backend": "pyarrow"} if arrow_types else {})})


def _again(data: Any) -> Any:
    """The same text from its start: a stream is opened again, bytes are read again."""
    return data.reopen() if hasattr(data, "reopen") else data


def _model(head: bytes, options: dict) -> pd.DataFrame:
    """pandas' reading of the whole lines of the sample (a non-UTF-8 start fails here)."""
    try:
        return pd.read_csv(io.BytesIO(head[: head.rfind(b"\n") + 1]), **options)
    except UnicodeError:
        raise
    except Exception as error:  # noqa: BLE001 - e.g. a quoted field that spans the cut
        raise _NeedsPandas(f"the sample could not be read alone ({error})") from None


def _readable(data: Any) -> Any:
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _head(data: Any) -> bytes:
    if hasattr(data, "peek"):
        return data.peek(SAMPLE_BYTES)
    return bytes(data[:SAMPLE_BYTES])


def _size(data: Any) -> int:
    size = getattr(data, "size", None)
    return len(data) if size is None else size


def _is_whole(data: Any, head: bytes) -> bool:
    return len(head) == _size(data)


def _pyarrow_can_read(options: dict) -> bool:
    if not set(options) <= _PYARROW_OPTIONS:
        return False
    if options.get("header", 0) not in (0, "infer"):
        return False
    names = options.get("names")
    if names is not None and not all(isinstance(name, str) for name in names):
        return False
    dtype = options.get("dtype")
    if dtype is not None and not isinstance(dtype, dict):
        return False
    if options.get("dtype_backend", "numpy_nullable") != "numpy_nullable":
        return False
    encoding = options.get("encoding")
    return encoding is None or codecs.lookup(encoding).name in _LINE_SAFE_ENCODINGS


def _text_columns(model: pd.DataFrame) -> dict[str, str]:
    """The columns pyarrow must keep as text: pandas' text, and integers beyond int64."""
    if not all(isinstance(name, str) for name in model.columns):
        raise _NeedsPandas("column names that are not text")
    if _repeated_names(model.columns):
        # pyarrow's parser sees the header's names as they are, before pandas numbers the
        # repeats: a type given for "a" would be given to every column named "a".
        raise _NeedsPandas("a header that repeats a column name")
    kept = {}
    for name, column in model.items():
        if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
            kept[name] = "str"
        elif column.dtype in (np.uint64, pd.UInt64Dtype()):
            kept[name] = "str"  # made exact uint64 in _as_pandas_reads
        elif column.dtype == object and column.map(type).isin([int]).any():
            raise _NeedsPandas(f"column {name!r} holds integers beyond 64 bits")
    return kept


def _repeated_names(names: pd.Index) -> bool:
    """Whether pandas numbered repeated header names (``a``, ``a.1``): a name that is
    another's with ``.<number>`` after it (a header that names them so is taken for one)."""
    present = set(names)
    return any(stem in present and number.isdigit()
               for stem, dot, number in (name.rpartition(".") for name in names) if dot)


def _as_pandas_reads(frame: pd.DataFrame, model: pd.DataFrame) -> pd.DataFrame:
    """pyarrow's frame made equal to pandas': raises _NeedsPandas where it cannot be."""
    for name, column in frame.items():
        kind = column.dtype
        if model.get(name) is not None and model[name].dtype in (np.uint64, pd.UInt64Dtype()):
            try:
                frame[name] = column.astype(model[name].dtype)
            except (TypeError, ValueError, OverflowError):
                raise _NeedsPandas(f"column {name!r} is not all unsigned integers") from None
        elif kind.kind == "M" or isinstance(kind, pd.DatetimeTZDtype):
            raise _NeedsPandas(f"column {name!r} was read as timestamps")
        elif isinstance(kind, pd.ArrowDtype):
            _check_arrow_column(name, column)
        elif kind in (np.float64, pd.Float64Dtype()):
            _check_floats(name, column)
        elif kind == object:
            frame[name] = _object_column(name, column)
    return frame


def _check_arrow_column(name: str, column: pd.Series) -> None:
    """A column that keeps Arrow's type: what pandas' parser would not have made."""
    import pyarrow as pa

    arrow_type = column.dtype.pyarrow_dtype
    if pa.types.is_floating(arrow_type):
        _check_floats(name, column)
    elif pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        first = next((value for value in column if isinstance(value, bytes)), b"")
        raise UnicodeDecodeError("utf-8", first, 0, len(first),
                                 f"column {name!r} holds text that is not UTF-8")
    elif not (pa.types.is_integer(arrow_type) or pa.types.is_boolean(arrow_type)
              or pa.types.is_null(arrow_type) or pa.types.is_string(arrow_type)
              or pa.types.is_large_string(arrow_type)):
        raise _NeedsPandas(f"column {name!r} was read as {arrow_type}")


def _check_floats(name: str, column: pd.Series) -> None:
    values = column.to_numpy() if isinstance(column.dtype, np.dtype) else \
        column.to_numpy(dtype=np.float64, na_value=np.nan)
    if not values.size:
        return
    # Two reductions that ignore NaN and allocate nothing: almost every column stops here.
    largest = max(abs(np.fmax.reduce(values)), abs(np.fmin.reduce(values)))
    if not largest >= _EXACT_FLOAT_LIMIT:  # also when every value is missing (NaN)
        return
    finite = values[np.isfinite(values)]
    if finite.size and np.abs(finite).max() >= _EXACT_FLOAT_LIMIT \
            and np.all(finite == np.floor(finite)):
        raise _NeedsPandas(f"column {name!r} may hold integers beyond float precision")


def _object_column(name: str, column: pd.Series) -> pd.Series:
    present = column.dropna()
    first = present.iloc[0] if len(present) else None
    if isinstance(first, bytes):
        raise UnicodeDecodeError("utf-8", first, 0, len(first),
                                 f"column {name!r} holds text that is not UTF-8")
    if isinstance(first, (bool, np.bool_)):
        # pyarrow's missing booleans are None; pandas' are NaN.
        return column.where(column.notna(), np.nan)
    if isinstance(first, (datetime.date, datetime.time)):
        raise _NeedsPandas(f"column {name!r} was read as dates or times")
    return column
