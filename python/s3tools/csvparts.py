"""A CSV parsed by pyarrow part by part, while the rest of it arrives.

The text comes in parts of whole lines (a stream's, copied into one buffer that
every part reuses, or slices of bytes already in memory). pyarrow's
multi-threaded parser reads each part on its own, and its columns join the
frame's at once: integers and floats into numpy arrays that grow (:class:`_Numbers`),
text and the rest as pyarrow's own chunks, which pandas' ``str`` columns hold as
they are. So the text is never whole in memory, and no table of the whole file
sits beside the frame: the read holds the frame, a part, and the transport's
window of parts.

The first part's header names the columns. Every part after it is parsed
with the types found so far, and parsed again with pyarrow's inference where
one does not hold; a column whose parts hold integers and floats is float, one
whose first parts were all missing takes the type of the first values found.
Any other change of type is :class:`TypeChanged`, and the caller reads the file
whole, as pyarrow's own inference of the whole file then decides.

Parts are cut after their last newline, as pyarrow cuts its own blocks (pandas
leaves ``newlines_in_values`` off): a quoted value holding a newline may be
cut, and the parser then finds a row of the wrong length (an error, and the
caller reads the file with pandas' parser).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv
from pandas._libs.parsers import STR_NA_VALUES

from .allocator import parts_pool

# The text parsed at a time, and the part size of the stream it comes from: a
# stream holds about six parts (those under way and the one being parsed).
PART = 8 * 1024 * 1024
# Where a part's last newline is looked for first, from its end.
_NEWLINE_SEARCH = 64 * 1024
# The options this reader takes (with ``header`` 0 or "infer", checked by the caller);
# with any other, or values of other kinds, the caller reads the file whole.
_OPTIONS = {"sep", "header", "dtype", "na_values", "keep_default_na", "encoding",
            "true_values", "false_values", "quotechar", "dtype_backend"}


def part_size() -> int:
    """The part size of the stream a CSV is parsed from (:data:`PART`)."""
    return PART


class TypeChanged(Exception):
    """A column's parts hold values of types that only a read of the whole file reconciles."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """What pyarrow is told, as pandas' ``engine="pyarrow"`` tells it for the same options."""

    read: dict[str, Any]
    parse: dict[str, Any]
    convert: dict[str, Any]
    text: frozenset[str]  # the columns kept as text (large_string)


def settings(options: dict, text_columns: dict[str, str]) -> Settings | None:
    """The parser's settings for pandas' ``options``; None for options this reader
    does not take (the caller reads the file whole).

    ``text_columns``: the columns that pandas' reading of the sample found to be
    text, to be kept as text whatever pyarrow would infer.
    """
    if not set(options) <= _OPTIONS:
        return None
    separator, quote = options.get("sep"), options.get("quotechar", '"')
    given = options.get("na_values")
    given = [] if given is None else [given] if isinstance(given, str) else given
    dtype = options.get("dtype") or {}
    flags = [options.get(name) for name in ("true_values", "false_values")]
    if not (_one_character(separator) and _one_character(quote) and _plain_texts(given)
            and isinstance(dtype, dict) and all(isinstance(name, str) and _is_text(value)
                                                for name, value in dtype.items())
            and all(flag is None or _plain_texts(flag) for flag in flags)):
        return None
    missing = set(given) | (STR_NA_VALUES if options.get("keep_default_na", True) else set())
    convert = {"null_values": sorted(missing), "strings_can_be_null": "" in missing}
    for name, flag in zip(("true_values", "false_values"), flags):
        if flag is not None:
            convert[name] = list(flag)
    encoding = options.get("encoding")
    return Settings(read={"encoding": encoding or "utf8"},
                    parse={"delimiter": separator, "quote_char": quote},
                    convert=convert, text=frozenset(text_columns) | frozenset(dtype))


def _is_text(dtype: Any) -> bool:
    """pandas' default text type (``str``), named as such."""
    return dtype == "str" if isinstance(dtype, str) else dtype is str


def _one_character(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 1


def _plain_texts(values: Any) -> bool:
    """Texts that pandas takes as they are (one it reads as a number it also takes in
    that number's other spellings, which pyarrow's parser does not)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set)):
        return False
    for value in values:
        if not isinstance(value, str):
            return False
        try:
            float(value)
        except ValueError:
            continue
        return False
    return True


def read(data: Any, size: int, settings: Settings, arrow_types: bool) -> pd.DataFrame:
    """The frame of a CSV's text, parsed part by part (see the module).

    Args:
        data: bytes, or a stream read once from its start (``readinto``).
        size: the text's length in bytes (the rows expected are reckoned from it).
        settings: from :func:`settings`.
        arrow_types: the frame keeps Arrow's types (a read for R), text excepted.

    Raises:
        TypeChanged: a column's parts disagree on its type (see the module).
        pyarrow.ArrowInvalid: a part could not be parsed (a row of the wrong length).
    """
    columns: list[_Column] = []
    names: list[str] = []
    parsed = rows = 0
    under_way: Future | None = None  # the part being parsed while the next one is read
    length = 0  # its length

    def join(table: pa.Table, length: int) -> None:
        nonlocal rows, parsed
        rows, parsed = rows + table.num_rows, parsed + length
        expected = max(rows, rows * size // max(parsed, 1))
        for column, values in zip(columns, table.columns):
            column.add(values, expected)

    with ThreadPoolExecutor(1) as parser:
        for lines in _whole_lines(data):
            if not columns:  # the header names the columns before any other part is parsed
                table = _parse(lines, settings, names, columns)
                names = table.column_names
                columns = [_Column(shown in settings.text, arrow_types)
                           for shown in _shown(names)]
                join(table, len(lines))
                continue
            if under_way is not None:
                join(under_way.result(), length)
            under_way = parser.submit(_parse, lines, settings, names, columns)
            length = len(lines)
            del lines
        if under_way is not None:
            join(under_way.result(), length)
            under_way = None
    if not rows:
        raise TypeChanged("no rows")  # a header alone: pandas' own reading
    frame = pd.DataFrame({name: column.result(rows) for name, column in
                          zip(_shown(names), columns)}, copy=False)
    if frame.shape[1] != len(names):
        raise TypeChanged("repeated column names")
    return frame


def _shown(names: list[str]) -> list[str]:
    """The header's names as pandas shows them: an empty one is ``Unnamed: <position>``."""
    return [name or f"Unnamed: {index}" for index, name in enumerate(names)]


def _parse(lines: memoryview, settings: Settings, names: list[str],
           columns: list[_Column]) -> pa.Table:
    """One part's table: the first with its header, the others with the types known so
    far, parsed again with inference where one does not hold."""
    read = dict(settings.read, column_names=names) if names else settings.read
    text = {name: pa.large_string() for name in settings.text}
    known = {name: column.type for name, column in zip(names, columns)
             if not pa.types.is_null(column.type)}
    for types in ({**known, **text}, text) if known else (text,):
        try:
            return pyarrow.csv.read_csv(
                pa.BufferReader(pa.py_buffer(lines)),
                read_options=pyarrow.csv.ReadOptions(**read),
                parse_options=pyarrow.csv.ParseOptions(**settings.parse),
                convert_options=pyarrow.csv.ConvertOptions(**settings.convert,
                                                           column_types=types),
                memory_pool=parts_pool())
        except pa.ArrowInvalid:
            if types is text:
                raise
    raise AssertionError("unreachable")


def _whole_lines(data: Any) -> Iterator[memoryview]:
    """The text in parts that end after a newline (the last part: where the text ends)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data).cast("B")
        start = 0
        while start < len(view):
            cut = _cut(view, start, min(len(view), start + PART), len(view))
            yield view[start:cut]
            start = cut
        return
    yield from _stream_lines(data)


def _cut(view: memoryview, start: int, end: int, length: int) -> int:
    """Where the part from ``start`` ends: after the last newline before ``end``, else
    after the first one past it (a line longer than a part), else at ``length``."""
    if end >= length:
        return length
    cut = _last_newline(view, start, end)
    while cut is None and end < length:
        end = min(length, end + PART)
        cut = _last_newline(view, start, end) if end < length else length
    return cut


def _last_newline(view: memoryview, start: int, end: int) -> int | None:
    """The position after the last newline of ``view[start:end]``, or None."""
    window = _NEWLINE_SEARCH
    while True:
        low = max(start, end - window)
        found = bytes(view[low:end]).rfind(b"\n")
        if found >= 0:
            return low + found + 1
        if low == start:
            return None
        end, window = low, window * 4


def _stream_lines(stream: Any) -> Iterator[memoryview]:
    """A stream's text in parts of whole lines, each a view of one of two buffers used in
    turn: a part is parsed while the next is read into the other buffer (the parser
    copies what it keeps; a buffer is filled again once the part after it is asked for,
    when its own part has been parsed)."""
    buffers = [np.empty(PART + _NEWLINE_SEARCH, np.uint8) for _ in range(2)]
    carry, turn = b"", 0  # carry: the start of a line that the next part ends
    while True:
        held = len(carry)
        if len(buffers[turn]) - held < PART:  # a line longer than a part
            buffers[turn] = np.empty(held + PART + _NEWLINE_SEARCH, np.uint8)
        buffer = buffers[turn]
        buffer[:held] = np.frombuffer(carry, np.uint8)
        received = stream.readinto(memoryview(buffer)[held:held + PART])
        end = held + received
        if received < PART:  # the end of the text
            if end:
                yield memoryview(buffer)[:end]
            return
        cut = _last_newline(memoryview(buffer), 0, end)
        carry = bytes(buffer[cut or 0:end])
        if cut is not None:
            yield memoryview(buffer)[:cut]
            turn = 1 - turn


class _Column:
    """One column's values so far: numbers in numpy (:class:`_Numbers`), the rest as
    pyarrow's chunks; ``type`` is null while every value so far is missing."""

    def __init__(self, text: bool, arrow_types: bool) -> None:
        self.type: pa.DataType = pa.null()
        self.text, self.arrow_types = text, arrow_types  # text: pandas' str in any case
        self.chunks: list[pa.Array] = []
        self.numbers: _Numbers | None = None
        self.missing = 0  # the rows before the first typed part, all missing

    def add(self, values: pa.ChunkedArray, expected: int) -> None:
        kind = values.type
        if pa.types.is_null(kind):
            if pa.types.is_null(self.type):
                self.missing += len(values)
                return
            values, kind = pa.chunked_array([pa.nulls(len(values), self.type)]), self.type
        elif pa.types.is_null(self.type):
            self.type, missing, self.missing = kind, self.missing, 0
            if missing:
                self.add(pa.chunked_array([pa.nulls(missing, kind)]), expected)
        elif kind != self.type:
            values, kind = self._widened(values, kind)
        if self._in_numpy(kind):
            if self.numbers is None:
                self.numbers = _Numbers(kind)
            self.numbers.add(values, expected)
        else:
            self.chunks.extend(values.chunks)

    def _widened(self, values: pa.ChunkedArray, kind: pa.DataType
                 ) -> tuple[pa.ChunkedArray, pa.DataType]:
        """Integers and floats: floats; any other pair: :class:`TypeChanged`."""
        numbers = {pa.int64(), pa.float64()}
        if {kind, self.type} != numbers:
            raise TypeChanged(f"parts typed {self.type} and {kind}")
        self.type = pa.float64()
        if self.numbers is not None:
            self.numbers.as_floats()
        self.chunks = [chunk.cast(pa.float64()) for chunk in self.chunks]
        return values.cast(pa.float64()), self.type

    def _in_numpy(self, kind: pa.DataType) -> bool:
        return not self.arrow_types and kind in (pa.int64(), pa.float64())

    def result(self, rows: int) -> Any:
        """The column for pandas: what pandas' read of the same text holds."""
        if pa.types.is_null(self.type):
            if self.arrow_types:
                return pd.arrays.ArrowExtensionArray(pa.chunked_array([pa.nulls(rows)]))
            return np.full(rows, np.nan)
        if self.numbers is not None:
            return self.numbers.result()
        values = pa.chunked_array(self.chunks, self.type)
        if self.arrow_types and not self.text:
            return pd.arrays.ArrowExtensionArray(values)
        return values.to_pandas().array


class _Numbers:
    """A column's integers or floats in one numpy array made for the rows expected: its
    pages are touched only as values land, so room to spare costs nothing. Integers
    become floats at their first missing value, as in pandas."""

    def __init__(self, kind: pa.DataType) -> None:
        self.values = np.empty(0, np.int64 if kind == pa.int64() else np.float64)
        self.count = 0

    def add(self, values: pa.ChunkedArray, expected: int) -> None:
        if values.null_count and self.values.dtype != np.float64:
            self.as_floats()
        needed = self.count + len(values)
        if needed > len(self.values):
            self._grow(max(expected + expected // 8, needed + needed // 2))
        for chunk in values.chunks:
            numbers = chunk.to_numpy(zero_copy_only=False)
            self.values[self.count:self.count + len(numbers)] = numbers
            self.count += len(numbers)

    def as_floats(self) -> None:
        self._grow(len(self.values), np.float64)

    def _grow(self, length: int, dtype: Any = None) -> None:
        grown = np.empty(length, dtype or self.values.dtype)
        grown[:self.count] = self.values[:self.count]
        self.values = grown

    def result(self) -> np.ndarray:
        return self.values[:self.count]
