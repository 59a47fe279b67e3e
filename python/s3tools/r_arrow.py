"""Arrow columns as R vectors, without pandas in between: Parquet and Feather reads for R.

A read for R keeps the columns of the types :func:`kept_type` names as Arrow
(:func:`frame_for_r`: pandas' ``ArrowDtype``, no conversion), and the codec sends
each from its Arrow chunks (:func:`column_to_r`). R gets the same values and
types as through pandas' conversion:

- integers -> integer, else double within 2^53, else integer64 (the rules of
  :func:`s3tools.r_records._integers`); nulls are NA.
- float32/float64 -> double; nulls are NA, and so is NaN unless the column also
  holds nulls (pandas' conversion cannot keep NaN apart from null otherwise: the
  read makes such NaN null, :func:`frame_for_r`).
- booleans -> logical; timestamps -> POSIXct (``tzone`` from the type); dates -> Date.
- strings -> character (:func:`s3tools.r_records.text_fields`).
- strings the file holds dictionary-encoded (:func:`text_dictionaries`), read
  as Arrow dictionaries: character made from the file's own dictionary and
  indices, with no encoding of the values again.

Numbers, booleans, timestamps and dates cross as the chunks' own buffers: R's C
code (``src/arrow.c``) converts each value into R's type as it copies it, so no
column is converted twice. Dictionary-typed columns of the file's schema (pandas
categoricals) and every other type take pandas' conversion.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .r_records import (_EXACT_IN_DOUBLE, _PER_SECOND, INT64_MIN, INT_MAX, INT_MIN, _record,
                        _timezone_name, hand, hand_chunks, text_fields, text_to_r)

# A string column is read as a dictionary when, in every row group, its dictionary
# page is at most this share of the column chunk: its values repeat, and its indices
# spare making each string. A writer falls back to plain pages once the dictionary
# passes its limit (1 MiB in pyarrow and parquet-mr), whose values pyarrow would then
# encode itself; a dictionary this small beside its pages leaves that unlikely. The
# footer says which encodings a chunk uses, not which pages: the share is the sign.
_DICTIONARY_SHARE = 0.1


def kept_type(arrow_type: pa.DataType) -> bool:
    """Whether a column of this type reaches the codec as Arrow in a read for R."""
    return (pa.types.is_integer(arrow_type) or arrow_type in (pa.float32(), pa.float64())
            or pa.types.is_boolean(arrow_type) or pa.types.is_string(arrow_type)
            or pa.types.is_large_string(arrow_type) or pa.types.is_timestamp(arrow_type)
            or pa.types.is_date(arrow_type))


def parquet_text_dictionaries(source: Any, columns: Iterable[str] | None) -> list[str]:
    """The string columns of a Parquet file (``source``: a seekable file) to read as
    Arrow dictionaries (:func:`text_dictionaries`); none when its footer is not one
    s3tools makes pyarrow's column objects for (its reader then says why)."""
    import pyarrow.parquet

    from . import parquet_footers
    from .errors import FormatError

    if isinstance(source, pa.Buffer):
        source = pa.BufferReader(source)
    if not hasattr(source, "seek"):
        return []
    try:
        parquet_footers.refuse_unsafe(source, "the file")
        found = pyarrow.parquet.ParquetFile(source)
        return text_dictionaries(found.metadata, found.schema_arrow, columns)
    except (FormatError, pa.ArrowException, OSError, ValueError):
        return []
    finally:
        source.seek(0)


def text_dictionaries(footer: Any, schema: pa.Schema, columns: Iterable[str] | None) -> list[str]:
    """The top-level string columns (of ``columns``, or all) that the Parquet file holds
    dictionary-encoded in every row group, to be read as Arrow dictionaries.

    ``footer``: the file's ``FileMetaData``, after :func:`s3tools.parquet_footers.refuse_unsafe`.
    """
    wanted = None if columns is None else set(columns)
    names = [field.name for field in schema
             if (pa.types.is_string(field.type) or pa.types.is_large_string(field.type))
             and (wanted is None or field.name in wanted)]
    if not names or footer.num_row_groups == 0:
        return []
    leaves = {footer.schema.column(index).path: index for index in range(footer.num_columns)}
    return [name for name in names if name in leaves and all(
        _dictionary_encoded(footer.row_group(group).column(leaves[name]))
        for group in range(footer.num_row_groups))]


def _dictionary_encoded(chunk: Any) -> bool:
    if not chunk.has_dictionary_page or not chunk.dictionary_page_offset:
        return False
    dictionary = chunk.data_page_offset - chunk.dictionary_page_offset
    return 0 < dictionary <= _DICTIONARY_SHARE * chunk.total_compressed_size


def frame_for_r(table: pa.Table, text: Iterable[str] = ()) -> pd.DataFrame:
    """``table`` as a frame whose columns of :func:`kept_type` stay Arrow (no copy), and
    whose ``text`` columns (strings read as dictionaries) stay Arrow dictionaries.

    pandas' conversion makes the frame (the file's pandas metadata: index, names,
    attributes); a ``text`` column whose name does not lead back to one column of the
    table is decoded to strings first, so that it converts as any string column.
    """
    text = [name for name in text if table.schema.get_field_index(name) >= 0]
    table = _nan_as_null(table)
    for name in text:
        if not _one_frame_column(table, name):
            position = table.schema.get_field_index(name)
            table = table.set_column(position, name, table.column(name).cast(pa.large_string()))
    frame = table.to_pandas(types_mapper=lambda arrow_type: pd.ArrowDtype(arrow_type)
                            if kept_type(arrow_type) else None)
    for name in text:
        if pa.types.is_dictionary(table.schema.field(name).type):
            position = list(frame.columns).index(name)
            frame.isetitem(position, pd.Series(pd.arrays.ArrowExtensionArray(table.column(name)),
                                               index=frame.index))
    return frame


def _nan_as_null(table: pa.Table) -> pa.Table:
    """Float columns that hold NaN and no null, with null for NaN: pandas' float64 cannot
    tell NaN from missing, and R got NA for both (a column holding both keeps NaN)."""
    for position, field in enumerate(table.schema):
        values = table.column(position)
        if field.type in (pa.float32(), pa.float64()) and not values.null_count and any(
                np.isnan(piece).any() for piece in _pieces(values)):
            table = table.set_column(position, field, pc.if_else(pc.is_nan(values), None, values))
    return table


def _one_frame_column(table: pa.Table, name: str) -> bool:
    """Whether the column ``name`` becomes the one frame column of that name (not an index
    column, not renamed by the pandas metadata, not a duplicate name)."""
    if table.schema.get_all_field_indices(name) != [table.schema.get_field_index(name)]:
        return False
    metadata = table.schema.pandas_metadata or {}
    if name in [column for column in metadata.get("index_columns", [])
                if isinstance(column, str)]:
        return False
    described = [column for column in metadata.get("columns", [])
                 if column.get("field_name", column.get("name")) == name]
    return all(column.get("name") == name for column in described)


def column_to_r(name: str, array: pa.ChunkedArray) -> dict[str, Any] | None:
    """One Arrow column as a record for R, or None for a type this module does not send."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _dictionary_text(name, array) if _is_text(kind.value_type) else None
    if pa.types.is_integer(kind):
        return _whole_numbers(name, array)
    if kind in (pa.float32(), pa.float64()):
        return _converted(name, "double", array)  # nulls NA, NaN kept (see frame_for_r)
    if pa.types.is_boolean(kind):
        return _converted(name, "logical", array)
    if _is_text(kind):
        return _text(name, array)
    if pa.types.is_timestamp(kind):
        zone = _zone(kind.tz) if kind.tz else ""
        return _converted(name, "POSIXct", array, scale=_PER_SECOND[kind.unit], tz=zone)
    if pa.types.is_date(kind):
        return _converted(name, "Date", array.cast(pa.date32()))  # days
    return None


def _is_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _pieces(array: pa.ChunkedArray) -> list[np.ndarray]:
    """The values of a chunked array without nulls, chunk by chunk (views, no copy)."""
    return [chunk.to_numpy(zero_copy_only=False) for chunk in array.chunks if len(chunk)]


# The C type of each Arrow type's values buffer, as src/arrow.c names it.
_VALUES = {pa.int8(): "int8", pa.int16(): "int16", pa.int32(): "int32", pa.int64(): "int64",
           pa.uint8(): "uint8", pa.uint16(): "uint16", pa.uint32(): "uint32",
           pa.uint64(): "uint64", pa.float32(): "float", pa.float64(): "double",
           pa.bool_(): "bool", pa.date32(): "int32"}


def _converted(name: str, kind: str, array: pa.ChunkedArray, scale: int = 1,
               **extra: Any) -> dict[str, Any]:
    """A record whose values R's C code converts from the Arrow chunks as it copies them."""
    values = "int64" if pa.types.is_timestamp(array.type) else _VALUES[array.type]
    return {**_record(name, kind, None, **extra), "arrow": hand_chunks(array, values, scale)}


def _whole_numbers(name: str, array: pa.ChunkedArray) -> dict[str, Any]:
    """Integer when every value fits, else double when a double holds them all exactly,
    else integer64; beyond int64 (uint64), doubles marked lossy."""
    bounds = pc.min_max(array)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    if low is None or (low > INT_MIN and high <= INT_MAX):
        return _converted(name, "integer", array)
    if low >= -_EXACT_IN_DOUBLE and high <= _EXACT_IN_DOUBLE:
        return _converted(name, "double", array)
    if low > INT64_MIN and high <= np.iinfo(np.int64).max:
        return _converted(name, "integer64", array)
    return _converted(name, "double", array, lossy=True)


def _zone(tz: str) -> str:
    """The ``tzone`` R gets for an Arrow time zone: the name pandas' conversion gave it."""
    try:
        return _timezone_name(pd.DatetimeTZDtype(unit="ns", tz=tz).tz)
    except (TypeError, ValueError, KeyError):  # a zone pandas does not know: R may
        return tz


def _text(name: str, array: pa.ChunkedArray) -> dict[str, Any]:
    """Strings: Arrow's buffers, or codes into the distinct values when they repeat."""
    return {**_record(name, "character", None), **text_fields(array)}


def _dictionary_text(name: str, array: pa.ChunkedArray) -> dict[str, Any]:
    """Strings read as a dictionary: the dictionary's values once, and 1-based codes into
    them (``INT_MIN`` for a null), as R's ``levels[codes]`` reads them. Chunks with
    dictionaries of their own (row groups) are brought to one dictionary first."""
    if array.num_chunks == 0:
        return _text(name, array.cast(pa.large_string()))
    unified = array.unify_dictionaries()
    levels = unified.chunk(0).dictionary
    codes = np.empty(len(array), dtype="<i4")
    start = 0
    for chunk in unified.chunks:
        indices = chunk.indices.cast(pa.int32()).fill_null(-1).to_numpy(zero_copy_only=False)
        np.add(indices, 1, out=codes[start:start + len(chunk)])
        start += len(chunk)
    codes[codes == 0] = INT_MIN
    return {**_record(name, "character", None), **text_to_r(levels), "codes": hand(codes)}


def holds_text(column: pd.Series) -> bool:
    """Whether a column kept as Arrow holds text (plain, or as a dictionary)."""
    if not isinstance(column.dtype, pd.ArrowDtype):
        return False
    kind = column.dtype.pyarrow_dtype
    return _is_text(kind.value_type if pa.types.is_dictionary(kind) else kind)


def as_strings(column: pd.Series) -> pd.Series:
    """A text column kept as an Arrow dictionary, as plain Arrow strings (pandas' own
    operations, such as ``astype("category")``, take those); other columns as they are."""
    array = arrow_of(column)
    if array is None or not pa.types.is_dictionary(array.type):
        return column
    return pd.Series(pd.arrays.ArrowExtensionArray(array.cast(pa.large_string())),
                     index=column.index, name=column.name)


def arrow_of(column: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow column under a frame's column kept as Arrow, or None."""
    values = column.array
    if not isinstance(values, pd.arrays.ArrowExtensionArray):
        return None
    data = values.__arrow_array__()  # the chunked array pandas was given: no copy
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


__all__ = ["arrow_of", "as_strings", "column_to_r", "holds_text", "frame_for_r", "kept_type",
           "parquet_text_dictionaries", "text_dictionaries"]
