"""Hive-style partitions (``prefix/year=2024/day=2024-01-31/part-0.parquet``) and filters.

Pure functions, no network: a partition value into a path segment and back,
the types of partition columns guessed from the values seen in paths, and
``filters`` (pyarrow's form, a list of ``(column, op, value)``, or a list of
such lists meaning "any of") turned into a pyarrow expression whose values
have the columns' types.

Paths follow Hive and Spark: ``name=value`` segments, the value
percent-encoded where it holds ``/``, ``=``, ``%`` and the like, and a missing
value written ``__HIVE_DEFAULT_PARTITION__``.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

import pyarrow as pa

NULL_SEGMENT = "__HIVE_DEFAULT_PARTITION__"
# Characters kept as they are in a segment; everything else is percent-encoded,
# as Spark escapes partition values.
_SAFE = " !$&'()*+,;@-_.~"
_INTEGER = re.compile(r"-?\d{1,18}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
OPERATORS = ("==", "=", "!=", "<", "<=", ">", ">=", "in", "not in")

# A filter: (column, op, value); filters: a list of them (all must hold), or a
# list of such lists (any of them may hold).
Predicate = tuple[str, str, Any]


def segment(name: str, value: Any) -> str:
    """``name=value`` for a path, the value written as Hive and Spark write it."""
    return f"{name}={value_text(value)}"


def value_text(value: Any) -> str:
    if _is_missing(value):
        return NULL_SEGMENT
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        text = "true" if value else "false"
    elif isinstance(value, datetime.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = repr(float(value))  # numpy's own repr is np.float64(...)
    else:
        text = str(value)
    return quote(text, safe=_SAFE)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_key(relative_key: str) -> dict[str, str | None]:
    """The partition values named by a key's folders (relative to the dataset's root)."""
    found: dict[str, str | None] = {}
    for part in relative_key.split("/")[:-1]:
        name, equals, text = part.partition("=")
        if equals and name:
            found[unquote(name)] = None if text == NULL_SEGMENT else unquote(text)
    return found


def infer_types(values: Mapping[str, Iterable[str | None]]) -> pa.Schema:
    """The type of each partition column from its values in the paths.

    Whole numbers become int64, ``YYYY-MM-DD`` dates date32, anything else
    text: what Spark infers, and what the columns were when s3tools wrote them
    from pandas integers, dates and strings.
    """
    fields = []
    for name, texts in values.items():
        present = [text for text in texts if text is not None]
        if present and all(_INTEGER.fullmatch(text) for text in present):
            kind = pa.int64()
        elif present and all(_DATE.fullmatch(text) and _is_date(text) for text in present):
            kind = pa.date32()
        else:
            kind = pa.string()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parsing_type(kind: pa.DataType) -> pa.DataType:
    """The type a partition value is parsed as: a dictionary's values (the column gets its
    recorded type back after the read)."""
    return kind.value_type if pa.types.is_dictionary(kind) else kind


# ------------------------------------------------------------------ filters

def normalise(filters: Any) -> list[list[Predicate]] | None:
    """``filters`` as a list of alternatives, each a list of ``(column, op, value)``.

    Raises:
        ValueError: a filter that is not ``(column, op, value)`` with a known op.
    """
    if filters is None:
        return None
    if not isinstance(filters, (list, tuple)) or not filters:
        raise ValueError("filters must be a list of (column, op, value) filters, such as "
                         "[('year', '==', 2024)], or a list of such lists (any of them).")
    if _is_predicate(filters) and isinstance(filters[1], str) \
            and filters[1].strip().lower() in OPERATORS:
        filters = [filters]  # one filter on its own (R's c("year", "==", "2024"))
    groups = [filters] if _is_predicate(filters[0]) else list(filters)
    result = []
    for group in groups:
        if not isinstance(group, (list, tuple)) or not group:
            raise ValueError(f"Each filter group must be a list of (column, op, value), "
                             f"not {group!r}.")
        result.append([_predicate(item) for item in group])
    return result


def _is_predicate(item: Any) -> bool:
    return isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str)


def _predicate(item: Any) -> Predicate:
    if not _is_predicate(item):
        raise ValueError(f"A filter is (column, op, value), such as ('year', '==', 2024), "
                         f"not {item!r}.")
    column, op, value = item
    op = op.strip().lower()
    if op not in OPERATORS:
        raise ValueError(f"Unknown operator {item[1]!r} in filter {tuple(item)!r}: use one of "
                         f"{', '.join(OPERATORS)}.")
    if op in ("in", "not in"):
        value = list(value) if isinstance(value, (list, tuple, set)) else [value]
    return column, "==" if op == "=" else op, value


def only(groups: list[list[Predicate]] | None, columns: Iterable[str],
         ) -> list[list[Predicate]] | None:
    """The alternatives cut down to the filters on ``columns``: a file whose partition
    fails them cannot match. ``None`` when some alternative says nothing about them."""
    if groups is None:
        return None
    wanted = set(columns)
    kept = [[item for item in group if item[0] in wanted] for group in groups]
    return None if any(not group for group in kept) else kept


def expression(groups: list[list[Predicate]] | None, schema: pa.Schema) -> Any:
    """A pyarrow expression for the alternatives, each value cast to its column's type.

    Raises:
        ValueError: a column that is not in ``schema``, or a value its type cannot hold.
    """
    import pyarrow.compute as pc

    if groups is None:
        return None
    alternatives = []
    for group in groups:
        terms = [_term(pc, column, op, value, schema) for column, op, value in group]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term
        alternatives.append(combined)
    result = alternatives[0]
    for alternative in alternatives[1:]:
        result = result | alternative
    return result


def typed(groups: list[list[Predicate]] | None, schema: pa.Schema,
          ) -> list[list[Predicate]] | None:
    """The alternatives with each value as a Python value of its column's type (for readers
    that take filters as lists, such as Dask's)."""
    if groups is None:
        return None
    result = []
    for group in groups:
        expression([group], schema)  # checks the columns and values
        kinds = {column: parsing_type(schema.field(column).type) for column, _, _ in group}
        result.append([(column, op, [_cast(item, kinds[column], column).as_py() for item in value]
                        if op in ("in", "not in") else _cast(value, kinds[column], column).as_py())
                       for column, op, value in group])
    return result


def _term(pc: Any, column: str, op: str, value: Any, schema: pa.Schema) -> Any:
    if schema.get_field_index(column) < 0:
        raise ValueError(f"filters name the column {column!r}, which is not in the data: "
                         f"the columns are {', '.join(schema.names)}.")
    kind = parsing_type(schema.field(column).type)
    field = pc.field(column)
    if op in ("in", "not in"):
        values = pa.array([_cast(item, kind, column) for item in value], type=kind)
        found = field.isin(values)
        return ~found if op == "not in" else found
    scalar = _cast(value, kind, column)
    return {"==": field == scalar, "!=": field != scalar, "<": field < scalar,
            "<=": field <= scalar, ">": field > scalar, ">=": field >= scalar}[op]


def _cast(value: Any, kind: pa.DataType, column: str) -> Any:
    """``value`` as a scalar of ``kind`` (``"2024-01-31"`` for a date, ``2024`` for text...)."""
    if isinstance(value, float) and math.isnan(value):
        raise ValueError(f"filters compare {column!r} with NaN, which matches nothing; "
                         "to keep missing values use a different test.")
    try:
        scalar = value if isinstance(value, pa.Scalar) else pa.scalar(value)
        if pa.types.is_integer(scalar.type) and pa.types.is_string(kind):
            return pa.scalar(str(value), kind)
        return scalar.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError) as error:
        raise ValueError(f"filters compare {column!r} ({kind}) with {value!r}, which is not "
                         f"a value of that type ({error}).") from None
