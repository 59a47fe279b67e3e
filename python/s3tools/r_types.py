"""Reads made for R: the types R users expect where pandas' default types drop them.

R asks for its reads inside :func:`for_r` (the R boundary does, around every
call). Such a read returns the same values as Python's, in types that keep
what R's own readers keep and pandas' default numpy types cannot hold:

- CSV and TSV (:func:`csv_options` before the parse, :func:`csv_frame` after):
  integers with missing values stay integers (pandas' nullable ``Int64``; R
  integer, as ``read.csv`` gives); a column with no value at all is logical;
  the text ``NaN`` (``nan``, ``-NaN``, ``-nan``) is NaN, apart from an empty
  field or ``NA``, which are missing; a column named in ``parse_dates`` whose
  text has no time of day becomes dates (R ``Date``). pandas' own rules decide
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
import io
import json
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES

# The spellings of NaN that pandas counts as missing, and R's readers read as NaN.
NAN_TEXTS = ("NaN", "nan", "-NaN", "-nan")
# pandas' default missing-value texts, from its parser.
_PANDAS_NA_TEXTS = tuple(sorted(STR_NA_VALUES))
# With any of these options the read is exactly pandas' (their meaning would change).
_PANDAS_ONLY = {"dtype_backend", "converters", "engine", "iterator", "chunksize"}
# Options that say how a value's text is read: a column's text is read again with them.
_VALUE_OPTIONS = ("decimal", "thousands", "true_values", "false_values", "float_precision")
# strftime fields of a time of day.
_TIME_FIELDS = ("%H", "%I", "%M", "%S", "%f", "%p", "%X", "%c", "%T", "%R", "%z", "%Z", "%s")

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

@dataclass(frozen=True)
class CsvPlan:
    """What the read for R changed in the options, for :func:`csv_frame` to finish."""

    na_values: tuple[Any, ...] | None  # None: the user's own, NaN text not set apart
    dates: tuple[str, ...]
    date_format: Any
    dayfirst: bool
    cache_dates: bool
    typed: frozenset[str] | None  # columns given a dtype (None: every column)
    value_options: Mapping[str, Any]


def csv_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], CsvPlan | None]:
    """The ``read_csv`` options of a read for R, and the plan to finish it.

    pandas' nullable types (``dtype_backend="numpy_nullable"``) keep integers with
    missing values; with pandas' missing-value texts (and the user's ``na_values``)
    the spellings of NaN are left out of them (``keep_default_na=False`` and that
    list), to be NaN; the ``parse_dates`` columns are read as text and parsed by
    :func:`csv_frame`. Outside :func:`for_r`, or with options whose meaning this
    would change, the options are returned unchanged with no plan.
    """
    options = dict(options)
    if not wanted() or _PANDAS_ONLY & set(options):
        return options, None
    na_values = _missing_texts(options)
    plan_dates: tuple[str, ...] = ()
    dates = options.get("parse_dates")
    if isinstance(dates, (list, tuple)) and dates and "index_col" not in options \
            and all(isinstance(name, str) for name in dates):
        plan_dates = tuple(dates)
    dtype = options.get("dtype")
    plan = CsvPlan(
        na_values=na_values, dates=plan_dates, date_format=options.get("date_format"),
        dayfirst=bool(options.get("dayfirst", False)),
        cache_dates=bool(options.get("cache_dates", True)),
        typed=frozenset(dtype) if isinstance(dtype, Mapping) else
        frozenset() if dtype is None else None,
        value_options={name: options[name] for name in _VALUE_OPTIONS if name in options})
    if plan_dates:
        for name in ("parse_dates", "date_format", "dayfirst", "cache_dates"):
            options.pop(name, None)
    options["dtype_backend"] = "numpy_nullable"
    if na_values is not None:
        options.update(keep_default_na=False, na_values=list(na_values))
    return options, plan


def _missing_texts(options: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """pandas' missing-value texts but the spellings of NaN, and the user's; None when
    the user's options set their own (then NaN text is what they make it)."""
    given = options.get("na_values")
    if not options.get("keep_default_na", True) or not options.get("na_filter", True) or \
            isinstance(given, Mapping):
        return None
    given = [] if given is None else [given] if isinstance(given, (str, int, float)) \
        else list(given)
    return tuple(text for text in _PANDAS_NA_TEXTS if text not in NAN_TEXTS) + tuple(given)


def csv_frame(frame: pd.DataFrame, plan: CsvPlan | None) -> pd.DataFrame:
    """A frame read with :func:`csv_options`, finished: NaN text, empty columns, dates."""
    if plan is None:
        return frame
    for position in range(frame.shape[1]):
        name = frame.columns[position]
        column = frame.iloc[:, position]
        finished = _finished_column(_as_nullable(column), plan, plan.typed is not None and
                                    name not in plan.typed)
        if name in plan.dates:
            finished = _dates(finished, name, plan)
        if finished is not column:
            frame.isetitem(position, finished)
    return frame


def _as_nullable(column: pd.Series) -> pd.Series:
    """A column of pyarrow's part of the read (Arrow's types) in the nullable types of
    pandas' part, so that the frames of several files concatenate: floats keep NaN."""
    if not isinstance(column.dtype, pd.ArrowDtype):
        return column
    import pyarrow as pa

    arrow_type = column.dtype.pyarrow_dtype
    if pa.types.is_floating(arrow_type):
        return pd.Series(_floating(pa.array(column.array)), index=column.index)
    if pa.types.is_boolean(arrow_type):
        return column.astype("boolean")
    if pa.types.is_integer(arrow_type) or pa.types.is_null(arrow_type):
        wide = pa.types.is_unsigned_integer(arrow_type) and arrow_type.bit_width == 64
        return column.astype("UInt64" if wide else "Int64")
    return column


def _finished_column(column: pd.Series, plan: CsvPlan, inferred: bool) -> pd.Series:
    if _is_text(column.dtype):
        spelled = column.isin(NAN_TEXTS).to_numpy(dtype=bool, na_value=False) \
            if plan.na_values is not None else np.zeros(len(column), dtype=bool)
        if spelled.any():
            # A column typed as text by the user: the spellings are missing, as in pandas.
            return _with_nan(column, spelled, plan) if inferred else column.mask(spelled)
        if inferred:
            return _big_integers(column)
        return column
    if inferred and _is_integer(column.dtype) and len(column) and column.isna().all():
        # Nothing in the column to type it: logical, as read.csv and readr make it.
        return pd.Series(pd.array([None] * len(column), dtype="boolean"), index=column.index)
    return column


def _is_text(dtype: Any) -> bool:
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        return pa.types.is_string(dtype.pyarrow_dtype) or \
            pa.types.is_large_string(dtype.pyarrow_dtype)
    return isinstance(dtype, pd.StringDtype) or dtype == object


def _is_integer(dtype: Any) -> bool:
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        return pa.types.is_integer(dtype.pyarrow_dtype) or pa.types.is_null(dtype.pyarrow_dtype)
    return pd.api.types.is_integer_dtype(dtype)


def _with_nan(column: pd.Series, spelled: np.ndarray, plan: CsvPlan) -> pd.Series:
    """A text column with NaN spellings, typed as pandas' default read types it.

    pandas' parser reads the column's other values again: numbers make the
    column double with NaN where the text said so (pandas' default read has NaN
    there too, as missing); otherwise the spellings are missing, as in pandas.
    """
    import pyarrow as pa

    present = column.notna().to_numpy() & ~spelled
    texts = pa.array(column.array, type=pa.large_string())
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = texts.filter(pa.array(present))
    # Only NaN and missing values: pandas' default read makes the column float.
    again = _read_again(texts, plan) if len(texts) else pd.Series([], dtype="Float64")
    if len(again) != len(texts):  # not one value a line: leave pandas' reading
        return column.mask(spelled)
    if again.dtype.kind in "iuf":
        values = np.full(len(column), np.nan)
        values[present] = again.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = ~present & ~spelled
        return pd.Series(pd.arrays.FloatingArray(values, missing), index=column.index)
    if again.dtype.kind == "b":
        flags = np.zeros(len(column), dtype=bool)
        flags[present] = again.to_numpy(dtype=bool, na_value=False)
        return pd.Series(pd.arrays.BooleanArray(flags, ~present), index=column.index)
    return column.mask(spelled)


def _read_again(texts: Any, plan: CsvPlan) -> pd.Series:
    """pandas' reading of ``texts`` (an Arrow string array) as one column, one quoted
    value a line (the lines made by Arrow, without a Python string each)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(value: str) -> Any:
        return pa.scalar(value, pa.large_string())

    quoted = pc.binary_join_element_wise(text('"'), pc.replace_substring(texts, '"', '""'),
                                         text('"\n'), text(""))
    # The lines one after the other are the bytes of the array's values.
    offsets = np.frombuffer(quoted.buffers()[1], dtype=np.int64)[quoted.offset:]
    body = quoted.buffers()[2][offsets[0]:offsets[len(quoted)]]
    frame = pd.read_csv(io.BytesIO(body), header=None, names=["value"],
                        dtype_backend="numpy_nullable", keep_default_na=False,
                        na_values=list(plan.na_values), skip_blank_lines=False,
                        **plan.value_options)
    return frame["value"]


def _big_integers(column: pd.Series) -> pd.Series:
    """Whole numbers beyond 64 bits: pandas' default read holds them as Python ints
    (its nullable read as text), which R receives as double."""
    first = column.first_valid_index()
    if first is None or not str(column.loc[first]).strip().lstrip("+-").isdigit():
        return column
    if not column.dropna().astype(str).str.fullmatch(r"\s*[+-]?\d+\s*").all():
        return column
    values = column.to_numpy(dtype=object, na_value=np.nan)
    return pd.Series([value if value is np.nan else int(value) for value in values],
                     index=column.index, dtype=object)


def _dates(column: pd.Series, name: str, plan: CsvPlan) -> pd.Series:
    """A ``parse_dates`` column parsed as ``read_csv`` parses it; text with no time of
    day gives dates (R ``Date``) instead of midnight date-times."""
    from pandas._libs import lib  # pandas' own text conversion for parse_dates

    if column.dtype.kind in "Mm":
        return column
    date_format = plan.date_format.get(name) if isinstance(plan.date_format, Mapping) \
        else plan.date_format
    texts = lib.ensure_string_array(np.asarray(_as_pandas_holds(column)))
    try:
        parsed = pd.to_datetime(texts, format=date_format, utc=False, dayfirst=plan.dayfirst,
                                cache=plan.cache_dates)
    except (ValueError, TypeError):
        return pd.Series(texts, index=column.index)  # pandas keeps the text
    if not isinstance(parsed, pd.DatetimeIndex):
        return pd.Series(parsed, index=column.index)
    if parsed.tz is None and _date_only(texts, parsed, date_format, plan.dayfirst):
        import pyarrow as pa

        days = pa.array(parsed.to_numpy(), from_pandas=True).cast(pa.date32())
        return pd.Series(pd.arrays.ArrowExtensionArray(days), index=column.index)
    return pd.Series(parsed.to_numpy() if parsed.tz is None else parsed.array,
                     index=column.index)


def _as_pandas_holds(column: pd.Series) -> np.ndarray:
    """The column as pandas' default read holds it (numbers with NA as float)."""
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) and column.dtype.kind in "iuf":
        kind = np.float64 if column.hasnans or column.dtype.kind == "f" else np.int64
        return column.to_numpy(dtype=kind, na_value=np.nan)
    return column.to_numpy(dtype=object, na_value=np.nan)


def _date_only(texts: np.ndarray, parsed: pd.DatetimeIndex, date_format: Any,
               dayfirst: bool) -> bool:
    """Whether the text had no time of day: the format pandas used (given, or the one it
    guesses from the first value) has no time field, and every value is at midnight."""
    present = parsed[~parsed.isna()]
    if not len(present) or (present != present.normalize()).any():
        return False
    if date_format is None:
        from pandas.tseries.api import guess_datetime_format

        first = next(text for text in texts if isinstance(text, str))
        date_format = guess_datetime_format(first, dayfirst=dayfirst)
    if date_format in (None, "ISO8601", "mixed"):
        return not any(":" in text for text in texts if isinstance(text, str))
    return not any(field in date_format for field in _TIME_FIELDS)


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

def table_to_frame(table: Any) -> pd.DataFrame:
    """An Arrow table as pandas reads it, with NaN kept apart from null where the
    column's pandas type can hold both (``Float64``; for R, any float column); for R,
    integer and boolean columns with nulls in pandas' nullable types (pandas' own
    conversion makes them float64 and object)."""
    frame = table.to_pandas()
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


def _is_float(arrow_type: Any) -> bool:
    import pyarrow as pa

    return arrow_type in (pa.float32(), pa.float64())


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


def _floating(values: Any) -> Any:
    """An Arrow float32/float64 array as pandas' ``Float32``/``Float64``: nulls under the
    mask, NaN kept (pandas' own conversion makes every NaN missing)."""
    import pyarrow as pa

    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not _is_float(values.type):
        values = values.cast(pa.float64())
    missing = values.is_null().to_numpy(zero_copy_only=False)
    data = values.to_numpy(zero_copy_only=False).copy()  # nulls are NaN here, under the mask
    return pd.arrays.FloatingArray(data, missing)


__all__ = ["NAN_TEXTS", "CsvPlan", "csv_frame", "csv_options", "for_r", "holding_missing",
           "excel_frame", "excel_options", "json_frame", "table_to_frame", "wanted"]
