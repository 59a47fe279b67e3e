"""CSV and TSV read for R: the types R's own readers give, where pandas' default drops them.

Inside :func:`s3tools.r_types.for_r` a CSV read takes :func:`csv_options` before
the parse and :func:`csv_frame` after it: integers with missing values stay
integers (pandas' nullable ``Int64``, or Arrow's type where pyarrow's parser read
the file; R integer, as ``read.csv`` gives); a column with no value at all is
logical; the text ``NaN`` (``nan``, ``-NaN``, ``-nan``) is NaN, apart from an
empty field or ``NA``, which are missing; a column named in ``parse_dates`` whose
text has no time of day becomes dates (R ``Date``). pandas' own rules decide
everything else: its parser reads the file, with its nullable types.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES

# The spellings of NaN that pandas counts as missing, and R's readers read as NaN.
NAN_TEXTS = ("NaN", "nan", "-NaN", "-nan")
_NAN_LENGTHS = (min(map(len, NAN_TEXTS)), max(map(len, NAN_TEXTS)))
# pandas' default missing-value texts, from its parser.
_PANDAS_NA_TEXTS = tuple(sorted(STR_NA_VALUES))
# With any of these options the read is exactly pandas' (their meaning would change).
_PANDAS_ONLY = {"dtype_backend", "converters", "engine", "iterator", "chunksize"}
# Options that say how a value's text is read: a column's text is read again with them.
_VALUE_OPTIONS = ("decimal", "thousands", "true_values", "false_values", "float_precision")
# strftime fields of a time of day.
_TIME_FIELDS = ("%H", "%I", "%M", "%S", "%f", "%p", "%X", "%c", "%T", "%R", "%z", "%Z", "%s")

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
    :func:`csv_frame`. With options whose meaning this would change, the options are
    returned unchanged with no plan.
    """
    options = dict(options)
    if _PANDAS_ONLY & set(options):
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
        finished = _finished_column(column, plan, plan.typed is not None and
                                    name not in plan.typed)
        if name in plan.dates:
            finished = _dates(finished, name, plan)
        if finished is not column:
            frame.isetitem(position, finished)
    return frame


def alike(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The frames of several files read for R, a column in one type in all of them: a
    column that pyarrow's part of a read left in an Arrow type and another read gave
    another type takes pandas' nullable type in every frame, so that they concatenate.
    (A single file's Arrow columns go to R as they are: :mod:`s3tools.r_arrow`.)"""
    found: dict[Any, set[str]] = {}
    for frame in frames:
        for name, dtype in zip(frame.columns, frame.dtypes):
            found.setdefault(name, set()).add(str(dtype))
    mixed = {name for name, dtypes in found.items() if len(dtypes) > 1}
    for frame in frames if mixed else ():
        for position in range(frame.shape[1]):
            if frame.columns[position] in mixed:
                frame.isetitem(position, _as_nullable(frame.iloc[:, position]))
    return frames


def _as_nullable(column: pd.Series) -> pd.Series:
    """A column of pyarrow's part of the read (Arrow's types) in the nullable types of
    pandas' part: floats keep NaN."""
    if not isinstance(column.dtype, pd.ArrowDtype):
        return column
    import pyarrow as pa

    arrow_type = column.dtype.pyarrow_dtype
    if pa.types.is_floating(arrow_type):
        return pd.Series(_floating(pa.array(column.array)), index=column.index)
    if pa.types.is_boolean(arrow_type):
        return pd.Series(_logical(pa.array(column.array)), index=column.index)
    if pa.types.is_integer(arrow_type) or pa.types.is_null(arrow_type):
        wide = pa.types.is_unsigned_integer(arrow_type) and arrow_type.bit_width == 64
        return column.astype("UInt64" if wide else "Int64")
    return column


def _finished_column(column: pd.Series, plan: CsvPlan, inferred: bool) -> pd.Series:
    if _is_text(column.dtype):
        spelled = _spelled_nan(column) if plan.na_values is not None else \
            np.zeros(len(column), dtype=bool)
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


def _spelled_nan(column: pd.Series) -> np.ndarray:
    """Where a text column spells NaN (:data:`NAN_TEXTS`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        texts = pa.array(column.array)  # Arrow's strings (pandas' str): no Python strings
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        texts = None
    if texts is None or not (pa.types.is_string(texts.type) or
                             pa.types.is_large_string(texts.type)):
        return column.isin(NAN_TEXTS).to_numpy(dtype=bool, na_value=False)
    lengths = pc.binary_length(texts)  # a few values of 3 or 4 bytes, if any, are looked at
    if not pc.any(pc.and_(pc.greater_equal(lengths, _NAN_LENGTHS[0]),
                          pc.less_equal(lengths, _NAN_LENGTHS[1]))).as_py():
        return np.zeros(len(column), dtype=bool)
    spelled = pc.is_in(texts, value_set=pa.array(NAN_TEXTS, texts.type))
    if not pc.any(spelled).as_py():
        return np.zeros(len(column), dtype=bool)
    return spelled.to_numpy(zero_copy_only=False).astype(bool)


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


def _is_float(arrow_type: Any) -> bool:
    import pyarrow as pa

    return arrow_type in (pa.float32(), pa.float64())


def _logical(values: Any) -> Any:
    """An Arrow boolean array as pandas' ``boolean`` (its mask from Arrow's validity)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    missing = values.is_null().to_numpy(zero_copy_only=False)
    data = pc.fill_null(values, False).to_numpy(zero_copy_only=False)
    return pd.arrays.BooleanArray(data, missing)


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


__all__ = ["NAN_TEXTS", "CsvPlan", "alike", "csv_frame", "csv_options"]
