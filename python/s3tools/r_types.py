"""Reads made for R: the types R users expect where pandas' default types drop them.

R asks for its reads inside :func:`for_r` (the R boundary does, around every
call). Such a read returns the same values as Python's, in types that keep
what R's own readers keep and pandas' default numpy types cannot hold:

- CSV and TSV (:func:`csv_options` before the parse, :func:`csv_frame` after; see
  :mod:`s3tools.r_csv`):
  integers with missing values stay integers (pandas' nullable ``Int64``, or
  Arrow's type where pyarrow's parser read the file; R integer, as ``read.csv``
  gives); a column with no value at all is logical; the text ``NaN`` (``nan``,
  ``-NaN``, ``-nan``) is NaN, apart from an empty field or ``NA``, which are
  missing; a column named in ``parse_dates`` whose text has no time of day
  becomes dates (R ``Date``). pandas' own rules decide
  everything else: its parser reads the file, with its nullable types.
- JSON and JSON Lines (:func:`json_frame`): a column pandas makes float only
  because values are missing is integer where the JSON text holds whole
  numbers only (no decimal point), logical where it holds true and false only
  or no value at all.
- Excel (:func:`excel_options`, :func:`excel_frame`): a column of TRUE and
  FALSE cells with blank ones is logical; numbers with blank cells stay double,
  as readxl reads them (a cell holds a double).
- Parquet and Feather (:func:`table_to_frame`): a float column holding both
  null and NaN keeps them apart; integer and boolean columns with nulls are
  integer and logical with NA (pandas' nullable types).

Chunked reads for R are typed the same way, one type a column throughout
(:mod:`s3tools.r_chunks`).

Python's reads keep pandas' types, with one exception that loses nothing: a
``Float64`` column (pandas' nullable float, which a file written from nullable
data records) keeps NaN apart from ``<NA>``, where pandas' conversion would make
every NaN ``<NA>``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from . import r_arrow, r_csv
from .r_csv import NAN_TEXTS, CsvPlan, _floating, _is_float, alike, csv_frame


_FOR_R: ContextVar[bool] = ContextVar("s3tools_reads_for_r", default=False)


@contextlib.contextmanager
def for_r() -> Iterator[None]:
    """Reads in this block (this thread or task) are made for R."""
    token = _FOR_R.set(True)
    try:
        yield
    finally:
        _FOR_R.reset(token)


def wanted() -> bool:
    """Whether the read under way is made for R."""
    return _FOR_R.get()


# ---------------------------------------------------------------------- CSV

def csv_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], CsvPlan | None]:
    """The ``read_csv`` options of a read for R and the plan to finish it
    (:func:`s3tools.r_csv.csv_options`); outside :func:`for_r`, the options unchanged and
    no plan."""
    if not wanted():
        return dict(options), None
    return r_csv.csv_options(options)


# ---------------------------------------------------------------------- JSON

def json_frame(frame: Any, data: Any, options: Mapping[str, Any]) -> Any:
    """A frame ``pandas.read_json`` read from ``data`` (its bytes), finished for R.

    pandas makes a column float when a record lacks its value (``null``, or no
    such key): where the JSON text holds whole numbers only (no decimal point,
    no exponent), the column is integer (pandas' ``Int64``, exact beyond 2^53);
    where it holds ``true`` and ``false`` only, logical; where it holds no value,
    logical. Only records are looked at (a list of objects, or JSON Lines);
    columns the user typed (``dtype``), other layouts, and reads outside
    :func:`for_r` keep pandas' types.
    """
    dtype = options.get("dtype", True)
    typed = set(dtype) if isinstance(dtype, Mapping) else set()
    if not wanted() or not isinstance(frame, pd.DataFrame) or \
            options.get("orient") not in (None, "records") or \
            not (dtype is True or typed) or {"dtype_backend", "engine"} & set(options):
        return frame
    gaps = [position for position in range(frame.shape[1])
            if frame.dtypes.iloc[position] == np.float64 and frame.columns[position] not in typed
            and isinstance(frame.columns[position], str) and frame.iloc[:, position].hasnans]
    if not gaps:
        return frame
    records = _records(data, {frame.columns[position] for position in gaps},
                       bool(options.get("lines")), options.get("encoding"), len(frame))
    for position in gaps if records is not None else ():
        typed = _json_typed([record.get(frame.columns[position]) for record in records])
        if typed is not None:
            frame.isetitem(position, pd.Series(typed, index=frame.index))
    return frame


def _records(data: Any, keys: set[str], lines: bool, encoding: str | None,
             count: int) -> list[dict[str, Any]] | None:
    """The first ``count`` records of the JSON text, each with only ``keys`` kept; None
    when the text is not that many objects (another layout: pandas' types stay)."""
    decoder = json.JSONDecoder(object_pairs_hook=lambda pairs: {
        key: value for key, value in pairs if key in keys})
    try:
        text = str(data, encoding or "utf-8")
        if lines:
            records = []
            for line in text.split("\n"):
                if len(records) == count:
                    break
                if line.strip():
                    records.append(decoder.decode(line))
        else:
            records = decoder.decode(text)
    except (ValueError, LookupError):  # pandas read it, or failed with its own words
        return None
    if not isinstance(records, list) or len(records) != count or \
            not all(isinstance(record, dict) for record in records):
        return None
    return records


def _json_typed(values: list[Any]) -> Any:
    """JSON values of a column as an integer or boolean array, or None when they are
    not all whole numbers or all true/false (or missing)."""
    present = [value for value in values if value is not None]
    if all(type(value) is bool for value in present):  # also when none is present
        return pd.array(values, dtype="boolean")
    if not all(type(value) is int for value in present):
        return None
    for dtype in ("Int64", "UInt64"):
        try:
            return pd.array(values, dtype=dtype)
        except (OverflowError, TypeError, ValueError):
            continue
    return None  # beyond 64 bits: pandas' doubles


# --------------------------------------------------------------------- Excel

def excel_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The ``read_excel`` options of a read for R, and whether :func:`excel_frame` is to
    finish it: pandas' nullable types, in which a column of TRUE and FALSE cells with
    blank ones is logical (pandas' default read makes it float). Outside :func:`for_r`,
    or with options that type the columns, the options unchanged and False."""
    options = dict(options)
    if not wanted() or {"dtype", "converters", "dtype_backend"} & set(options):
        return options, False
    options["dtype_backend"] = "numpy_nullable"
    return options, True


def excel_frame(result: Any, nullable: bool) -> Any:
    """A read made with :func:`excel_options` (a frame, or a dict of them: one a sheet),
    finished: whole numbers with blank cells are double, as pandas' default read and
    readxl read them (a cell holds a double; 1 and 1.0 are the same cell)."""
    if not nullable:
        return result
    if isinstance(result, Mapping):
        return {sheet: excel_frame(frame, nullable) for sheet, frame in result.items()}
    for position in range(result.shape[1]):
        column = result.iloc[:, position]
        if pd.api.types.is_integer_dtype(column.dtype) and \
                not isinstance(column.dtype, np.dtype) and column.hasnans:
            result.isetitem(position, column.astype(np.float64))
    return result


# ------------------------------------------------------------ Arrow tables

parquet_text_dictionaries = r_arrow.parquet_text_dictionaries


def table_to_frame(table: Any, text_dictionaries: Iterable[str] = ()) -> pd.DataFrame:
    """An Arrow table as pandas reads it, with NaN kept apart from null where the
    column's pandas type can hold both (``Float64``).

    For R, numbers, booleans, text, dates and date-times stay Arrow, and so do the
    ``text_dictionaries`` (string columns read as dictionaries): the codec sends them
    to R from Arrow, with the values and types pandas' conversion would give R
    (:mod:`s3tools.r_arrow`).
    """
    if wanted():
        frame = r_arrow.frame_for_r(table, text_dictionaries)
    else:
        frame = table.to_pandas()
    return _finished(table, frame)


def _finished(table: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """pandas' conversion of ``table`` with the pandas attributes the file records, and NaN
    kept apart from null (for R, nulls in integer and boolean columns) where pandas'
    conversion made numpy columns."""
    metadata = table.schema.metadata or {}
    if b"PANDAS_ATTRS" in metadata:  # as pandas.read_parquet restores them
        frame.attrs = json.loads(metadata[b"PANDAS_ATTRS"])
    for position in range(frame.shape[1]):
        dtype = frame.dtypes.iloc[position]
        nullable = isinstance(dtype, (pd.Float32Dtype, pd.Float64Dtype))
        if not (nullable or wanted() and dtype in (np.float32, np.float64, np.dtype(object))):
            continue
        values = _arrow_column(table, str(frame.columns[position]))
        if values is None:
            continue
        kept = _nan_kept(values) if _is_float(values.type) else \
            _with_nulls(values) if wanted() else None
        if kept is not None:
            frame.isetitem(position, pd.Series(kept, index=frame.index))
    return frame


def _arrow_column(table: Any, name: str) -> Any:
    """The table's column of that name (None when it has none, or several)."""
    if table.schema.get_field_index(name) < 0:
        return None
    return table.column(name)


def _nan_kept(values: Any) -> Any:
    """A float column as ``Float64`` (``Float32``) with its NaN and its nulls, or None when
    it has not both."""
    import pyarrow.compute as pc

    if not values.null_count or not pc.any(pc.is_nan(values)).as_py():
        return None
    return _floating(values)


def _with_nulls(values: Any) -> Any:
    """An integer or boolean column holding nulls in pandas' nullable type of its width
    (``Int32``, ``UInt64``, ``boolean``...), or None for other columns."""
    if not values.null_count:
        return None
    nullable = _nullable_types().get(values.type)
    if nullable is None:
        return None
    return values.to_pandas(types_mapper=lambda _: nullable).array


def _nullable_types() -> dict[Any, Any]:
    """Arrow's integer and boolean types, and pandas' nullable type for each."""
    import pyarrow as pa

    types = {pa.bool_(): pd.BooleanDtype()}
    for width in (8, 16, 32, 64):
        types[getattr(pa, f"int{width}")()] = pd.api.types.pandas_dtype(f"Int{width}")
        types[getattr(pa, f"uint{width}")()] = pd.api.types.pandas_dtype(f"UInt{width}")
    return types


def holding_missing(column: pd.Series) -> pd.Series:
    """An integer or boolean column in the type a read of data with missing values gives
    it: pandas' ``float64`` (integers) or ``object`` (booleans); for R, the nullable type
    (``Int64``, ``boolean``...)."""
    kind = column.dtype.kind
    if not wanted():
        return column.astype(np.float64 if kind in "iu" else object)
    if not isinstance(column.dtype, np.dtype):
        return column  # a nullable type already
    return column.astype("boolean" if kind == "b" else
                         f"{'U' if kind == 'u' else ''}Int{column.dtype.itemsize * 8}")


__all__ = ["NAN_TEXTS", "CsvPlan", "alike", "csv_frame", "csv_options", "for_r",
           "holding_missing", "excel_frame", "excel_options", "json_frame",
           "parquet_text_dictionaries", "table_to_frame", "wanted"]
