"""R's names for the readers' and writers' options, and the R options pandas has no word for.

The R package passes its ``...`` as R users write it, with the names of R's own
readers (``utils::read.csv``, readr, readxl). :func:`translate` turns each into
the pandas option it means (the table of names is
:data:`s3tools.format_options.R_READ_NAMES`, which the messages list too);
``stringsAsFactors`` and the classes of ``colClasses`` that pandas cannot read
into (factor, Date) are carried out on the data frame the read returns; and an
option that a format does not take is reported in the names the user typed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import errors, r_arrow
from .format_options import R_READ_NAMES, R_WRITE_NAMES

# Accepted and dropped: there is never an index column to write.
_DROPPED = {"row.names", "row_names"}
# The functions whose data frame stringsAsFactors and colClasses finish.
FRAME_READERS = frozenset({"s3_path_to_df", "s3_path_to_full_df", "s3_path_to_preview_df"})
# The R function that calls a helper of the boundary, for messages.
_CALLED_AS = {"chunks_open": "s3_path_to_chunks"}

# colClasses: R's class -> the dtype pandas reads the column as. Factors and dates are
# read as text, then made factors and dates (pandas would type a factor's levels).
COLUMN_CLASSES = {"character": "str", "numeric": "float64", "double": "float64",
                  "integer": "Int64", "logical": "boolean", "factor": "str", "Date": "str"}
_CLASS_ADVICE = {"POSIXct": '; for date-times pass parse_dates = "column"',
                 "POSIXlt": '; for date-times pass parse_dates = "column"',
                 "NULL": "; to leave columns out, pass col_select (or usecols)"}
# R's encoding names that Python spells otherwise; "unknown" is R's "as it comes".
_ENCODINGS = {"UTF-8-BOM": "utf-8-sig", "unknown": None, "": None}


@dataclass
class Translated:
    """An R call's options in pandas' names, and what is left to do on the result."""

    options: dict[str, Any] = field(default_factory=dict)
    given: dict[str, str] = field(default_factory=dict)  # pandas name -> the name typed
    writing: bool = False
    classes: dict[Any, str] = field(default_factory=dict)  # column (or None: all) -> R class
    strings_as_factors: bool = False
    header_prefix: str | None = None  # read.csv's V1, V2... (readr: X1, X2...)

    def run(self, function: Callable[..., Any], keywords: Mapping[str, Any]) -> Any:
        """``function(**keywords, **options)``, finished for R; an option the format
        does not take is reported with the name the user typed."""
        try:
            value = function(**keywords, **self.options)
        except errors.ArgumentError as error:
            if getattr(error, "unknown", None) is None:
                raise
            raise self.in_r_words(error) from None
        if isinstance(value, pd.DataFrame) and not self.writing:
            return self.finish(value, str(keywords.get("s3_path")))
        return value

    def in_r_words(self, error: errors.ArgumentError) -> errors.ArgumentError:
        """The same error, naming the unknown options as the user typed them (skip, not
        the skiprows it became)."""
        unknown = [self.given.get(name, name) for name in error.unknown]
        return errors.unknown_options(error.path, error.doing, unknown, error.accepted,
                                      error.r_names)

    def finish(self, frame: pd.DataFrame, path: str) -> pd.DataFrame:
        """Column names for a headerless read, then colClasses' factors and dates, then
        stringsAsFactors for the text columns colClasses left alone."""
        if self.header_prefix and list(frame.columns) == list(range(frame.shape[1])):
            frame.columns = [f"{self.header_prefix}{index + 1}" for index in frame.columns]
        classes = ({name: self.classes[None] for name in frame.columns} if None in self.classes
                   else self.classes)
        for name, r_class in classes.items():
            if name not in frame.columns:
                continue
            if r_class == "factor":
                frame[name] = r_arrow.as_strings(frame[name]).astype("category")
            elif r_class == "Date":
                frame[name] = _dates(frame[name], name, path)
        if self.strings_as_factors:
            for name, column in frame.items():
                if name not in classes and _is_text(column):
                    frame[name] = r_arrow.as_strings(column).astype("category")
        return frame


def translate(options: Mapping[str, Any], writing: bool = False, path: Any = None,
              function: str = "s3_path_to_df") -> Translated:
    """R's ``...`` in pandas' names and values, and what to do with the result.

    Reading: ``skip`` -> ``skiprows``; ``nrows``/``n_max`` -> ``nrows``;
    ``header``/``col_names`` -> ``header`` (``TRUE`` -> row 0, ``FALSE`` -> no
    header, columns named V1, V2... (readr: X1, X2...), names -> ``names=``);
    ``sep``/``delim`` -> ``sep`` (``sep = ""``: any white space, as
    ``read.table``); ``na.strings``/``na`` -> ``na_values``; ``encoding``/
    ``fileEncoding`` -> ``encoding``; ``sheet`` (1-based) -> ``sheet_name``;
    ``col_select`` -> ``usecols``; ``colClasses`` -> ``dtype`` (see
    :data:`COLUMN_CLASSES`); ``stringsAsFactors = TRUE`` makes text columns
    factors. Writing: ``col_names``/``col.names`` -> ``header``, ``na`` ->
    ``na_rep``, ``delim`` -> ``sep``; ``row.names`` is dropped (there is never
    an index column). Other names pass unchanged.

    Raises:
        ArgumentError: a value R's option does not take, or two names for one option.
    """
    shown = None if path is None else str(path)
    table = R_WRITE_NAMES if writing else R_READ_NAMES
    result = Translated(writing=writing)
    for name, value in options.items():
        if name in _DROPPED:
            continue
        target = table.get(name, name)
        if target in result.options:
            raise errors.ArgumentError(f"{result.given[target]} and {name} are one option "
                                       f"({target}): pass one of them.", path=shown)
        if writing:
            result.options[target], result.given[target] = value, name
            continue
        if name in ("stringsAsFactors", "colClasses") and function not in FRAME_READERS:
            raise errors.ArgumentError(f"{name} is for the readers of one data frame "
                                       "(s3_path_to_df(), s3_path_to_preview_df()), not for "
                                       f"{_CALLED_AS.get(function, function)}().",
                                       path=shown)
        value = _reading(result, name, target, value, shown)
        if target is not None and value is not _LEFT_OUT:
            result.options[target], result.given[target] = value, name
    return result


_LEFT_OUT = object()  # R's "the default" (nrows = -1, encoding = "unknown")


def _reading(result: Translated, name: str, target: str | None, value: Any,
             shown: str | None) -> Any:
    """The pandas value of one R read option (``_LEFT_OUT``: leave the option out)."""
    if name == "stringsAsFactors":
        if not isinstance(value, bool):
            raise errors.ArgumentError(f"stringsAsFactors must be TRUE or FALSE, not {value!r}.",
                                       path=shown)
        result.strings_as_factors = value
        return _LEFT_OUT
    if name == "colClasses":
        return _column_classes(result, value, shown)
    if target == "header":
        return _header(result, name, value)
    if target == "sheet_name" and name == "sheet" and isinstance(value, int):
        return value - 1
    if target == "na_values" and isinstance(value, str):
        return [value]
    if target == "nrows" and isinstance(value, (int, float)) and (value < 0 or math.isinf(value)):
        return _LEFT_OUT  # R's "every row"
    if name == "sep" and value == "":
        return r"\s+"  # read.table's sep = "": any white space
    if target == "encoding" and isinstance(value, str) and value in _ENCODINGS:
        return _ENCODINGS[value] or _LEFT_OUT
    return value


def _header(result: Translated, name: str, value: Any) -> Any:
    if isinstance(value, (list, tuple)) or (isinstance(value, str) and name == "col_names"):
        result.options["names"] = [value] if isinstance(value, str) else list(value)
        return None
    if value is True:
        return 0
    if value is False:
        result.header_prefix = "X" if name == "col_names" else "V"
        return None
    return value


def _column_classes(result: Translated, value: Any, shown: str | None) -> Any:
    """colClasses as pandas' ``dtype``: one class for every column, or classes by name."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        result.classes = {None: _known_class(value, shown)}
        return COLUMN_CLASSES[value]
    if not isinstance(value, Mapping):
        raise errors.ArgumentError(
            'colClasses must name its columns, as in colClasses = c(id = "character", '
            'day = "Date"), or be one class for every column.', path=shown)
    result.classes = {name: _known_class(r_class, shown) for name, r_class in value.items()
                      if r_class is not None}  # NA: the reader's choice
    return {name: COLUMN_CLASSES[r_class] for name, r_class in result.classes.items()}


def _known_class(r_class: Any, shown: str | None) -> str:
    if r_class not in COLUMN_CLASSES:
        raise errors.ArgumentError(
            f"colClasses: s3tools reads columns as {', '.join(COLUMN_CLASSES)} (NA: as the "
            f"reader decides), not {r_class!r}{_CLASS_ADVICE.get(str(r_class), '')}.",
            path=shown)
    return r_class


def _is_text(column: pd.Series) -> bool:
    return not isinstance(column.dtype, pd.CategoricalDtype) and (
        isinstance(column.dtype, pd.StringDtype) or r_arrow.holds_text(column)
        or (column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "string"))


def _dates(column: pd.Series, name: Any, path: str) -> pd.Series:
    """colClasses = "Date": text written as 2024-01-31 or 2024/01/31 (as.Date's forms),
    or date-times, as dates (None where missing)."""
    parsed, reason = None, None
    for form in ("ISO8601", "%Y/%m/%d"):
        try:
            parsed = pd.to_datetime(column, format=form)
            break
        except (TypeError, ValueError) as error:
            reason = error
    if parsed is None:
        raise errors.FormatError(
            f"Could not read {path}: column {name} holds values that are not dates, as "
            f'colClasses = "Date" wants them (2024-01-31 or 2024/01/31): {reason}.',
            path=path)
    return pd.Series([None if pd.isna(moment) else moment.date() for moment in parsed],
                     index=column.index, dtype=object)
