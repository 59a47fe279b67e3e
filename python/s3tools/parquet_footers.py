"""Parquet footers looked at before pyarrow's Python API is let near them.

pyarrow's Python objects over a footer (``FileMetaData.row_group(i).column(j)``
and what hangs from them) call C++ methods that are not declared to raise: a
C++ exception thrown there is not turned into a Python one, it ends the whole
process (SIGABRT). A column chunk whose metadata is encrypted (Parquet modular
encryption: columns encrypted under a plaintext footer) throws as soon as its
object is made. pandas' Parquet read never makes those objects, so it fails
cleanly; s3tools makes them to plan fetches, check memory and type previews,
so every footer is looked at here first, and encrypted files are refused.

A footer is Thrift's compact protocol. Only its shape is read (which fields
are set), in one pass over its bytes: a count or length larger than the bytes
left, or nesting deeper than Thrift allows, ends the pass.
"""

from __future__ import annotations

import io
from typing import Any

from .errors import FormatError

MAGIC = b"PAR1"
# A file whose footer itself is encrypted ends with this instead.
ENCRYPTED_MAGIC = b"PARE"
_TRAILER = 8  # the footer's length (4 bytes, little-endian) and the magic

# Compact protocol types (Thrift's TCompactProtocol): booleans, then numbers written as
# varints, then binary, containers and structs.
_FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY = 2, 3, 4, 5, 6, 7, 8
_LIST, _SET, _MAP, _STRUCT, _UUID = 9, 10, 11, 12, 13
_DEPTH = 64  # Thrift's own limit on nesting


class Malformed(ValueError):
    """The footer's bytes are not a Thrift compact struct."""


def refuse_unsafe(source: Any, shown: str) -> None:
    """Raise a format error for an encrypted Parquet file, or one whose footer cannot be
    read through; return for any other file (one that is not Parquet at all is left
    to pyarrow, whose error says so).

    Args:
        source: a seekable binary file over the object (a Python file or a pyarrow
            ``NativeFile``).
        shown: the path, for the message.

    Raises:
        FormatError: the footer or columns are encrypted, or the footer is malformed.
    """
    try:
        what, shape = _inspect(source)
        if shape is not None and what is None:
            _check_level_histograms(*shape)
    except Malformed as error:
        raise FormatError(f"Could not read {shown} as parquet: its footer is damaged "
                          f"({error}).", path=shown) from None
    if what is not None:
        raise FormatError(
            f"Could not read {shown} as parquet: it is encrypted (Parquet modular encryption, "
            f"its {what} encrypted) and s3tools reads no encrypted files. Read it with "
            "read_using() and a reader given its keys (pyarrow.parquet's "
            "decryption_properties).", path=shown)


def encryption(source: Any) -> str | None:
    """What of a Parquet file is encrypted: ``"footer is"``, ``"columns are"``, or None
    (also when the file is not Parquet, or too short to be one).

    Raises:
        Malformed: the trailer is Parquet's but its footer is not Thrift.
    """
    return _inspect(source)[0]


def _inspect(source: Any) -> tuple[str | None, tuple[list, list] | None]:
    """What of the file is encrypted (see :func:`encryption`), and its plaintext footer's
    schema and histograms (:func:`_shape`; None without such a footer), from one pass."""
    size = source.seek(0, io.SEEK_END)
    if size >= _TRAILER and _read(source, size - 4, 4) == ENCRYPTED_MAGIC:
        return "footer is", None
    footer = _plain_footer(source)
    if footer is None:
        return None, None
    found, elements, histograms = _shape(footer)
    return ("columns are" if found else None), (elements, histograms)


def _plain_footer(source: Any) -> bytes | None:
    """The footer of a Parquet file whose footer is not encrypted (None: not such a file).

    Raises:
        Malformed: the file ended before its footer.
    """
    size = source.seek(0, io.SEEK_END)
    if size < _TRAILER:
        return None
    trailer = _read(source, size - _TRAILER, _TRAILER)
    length = int.from_bytes(trailer[:4], "little")
    if trailer[4:] != MAGIC or length > size - _TRAILER:
        return None
    return _read(source, size - _TRAILER - length, length)


def _read(source: Any, start: int, length: int) -> bytes:
    source.seek(start)
    data = bytes(source.read(length))
    if len(data) != length:
        raise Malformed("the file ended before its footer")
    return data


def encrypted(footer: bytes) -> bool:
    """Whether a plaintext footer (a FileMetaData) records an encryption algorithm, or any
    of its column chunks carries encryption metadata (either makes pyarrow's column
    objects throw).

    Raises:
        Malformed: the bytes are not a Thrift compact struct.
    """
    return _shape(footer)[0]


def _container(data: bytes, position: int) -> tuple[int, int, int]:
    """A list's or set's element count and type, and where its elements start."""
    header = data[position]
    position += 1
    count = header >> 4
    if count == 15:
        count, position = _varint(data, position)
    if count > len(data) - position:  # every element takes at least a byte
        raise Malformed("a list longer than the footer")
    return count, header & 0x0F, position


def _varint(data: bytes, position: int) -> tuple[int, int]:
    """An unsigned varint at ``position``, and the position after it."""
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
        if shift > 63:
            raise Malformed("a number longer than 64 bits")


def _skip_struct(data: bytes, position: int, depth: int) -> int:
    """Past a struct whose fields do not matter. Most of a footer is such structs
    (column chunks' metadata and statistics): numbers and text are skipped here,
    without a call each."""
    if depth > _DEPTH:
        raise Malformed("values nested too deeply")
    while True:
        header = data[position]
        position += 1
        if header == 0:
            return position
        if header < 0x10:  # the field id follows as a varint
            while data[position] > 0x7F:
                position += 1
            position += 1
        kind = header & 0x0F
        if _I16 <= kind <= _I64:
            while data[position] > 0x7F:
                position += 1
            position += 1
        elif kind == _BINARY:
            length = data[position]
            position += 1
            if length > 0x7F:
                length, position = _varint(data, position - 1)
            position += length
        elif kind == _LIST:
            position = _skip_list(data, position, depth + 1)
        elif kind > _FALSE:
            position = _skip(data, position, kind, depth + 1)
        elif not kind:
            raise Malformed("a field of no type")


def _skip(data: bytes, position: int, kind: int, depth: int) -> int:
    """Past one struct field's value of this type."""
    if kind <= _FALSE:
        return position  # a boolean field's value is in its header
    if kind == _STRUCT:
        return _skip_struct(data, position, depth)
    if kind in (_LIST, _SET):
        return _skip_list(data, position, depth)
    if kind == _MAP:
        count, position = _varint(data, position)
        if count > len(data) - position:
            raise Malformed("a map longer than the footer")
        if count:
            types = data[position]
            position += 1
            for _ in range(count):
                position = _skip_element(data, position, types >> 4, depth + 1)
                position = _skip_element(data, position, types & 0x0F, depth + 1)
        return position
    return _skip_element(data, position, kind, depth)


def _skip_list(data: bytes, position: int, depth: int) -> int:
    """Past a list or set: of structs (encoding statistics), numbers (encodings, level
    histograms) and text (column paths), element by element without a call each."""
    count, element, position = _container(data, position)
    if element == _STRUCT:
        for _ in range(count):
            position = _skip_struct(data, position, depth)
    elif _I16 <= element <= _I64:
        for _ in range(count):
            while data[position] > 0x7F:
                position += 1
            position += 1
    elif element == _BINARY:
        for _ in range(count):
            length = data[position]
            position += 1
            if length > 0x7F:
                length, position = _varint(data, position - 1)
            position += length
    else:
        for _ in range(count):
            position = _skip_element(data, position, element, depth)
    return position


def _skip_element(data: bytes, position: int, kind: int, depth: int) -> int:
    """Past one value of this type in a container (where a boolean takes a byte)."""
    if depth > _DEPTH:
        raise Malformed("values nested too deeply")
    if kind <= _FALSE:
        if kind == 0:
            raise Malformed("a value of no type")
        return position + 1
    if kind == _BYTE:
        return position + 1
    if _I16 <= kind <= _I64:
        while data[position] > 0x7F:
            position += 1
        return position + 1
    if kind == _DOUBLE:
        return position + 8
    if kind == _BINARY:
        length, position = _varint(data, position)
        return position + length
    if kind == _UUID:
        return position + 16
    if kind in (_LIST, _SET, _MAP, _STRUCT):
        return _skip(data, position, kind, depth + 1)
    raise Malformed(f"a value of unknown type {kind}")


def _check_level_histograms(elements: list, histograms: list) -> None:
    """Refuse a footer whose column chunks' level histograms (their size statistics) do not
    have one entry per level their column can have: pyarrow's column objects throw on
    them (see the module).

    Raises:
        Malformed: a histogram of the wrong length, or a schema that is not a tree.
    """
    leaves = _leaf_levels(elements)
    for column, repetitions, definitions in histograms:
        if column >= len(leaves):
            continue  # more chunks than columns: pyarrow refuses that itself
        most_definition, most_repetition = leaves[column]
        for found, most in ((definitions, most_definition), (repetitions, most_repetition)):
            if found and found != most + 1:
                raise Malformed(f"column {column + 1} has a level histogram of {found} "
                                f"entries where its schema allows {most + 1}")


def _walk(data: bytes, position: int, handlers: dict) -> int:
    """Past a struct, handing the fields named in ``handlers`` (``(field id, type)`` to a
    function of the data and the value's position that returns the position after it)."""
    field = 0
    while True:
        header = data[position]
        position += 1
        if header == 0:
            return position
        kind = header & 0x0F
        if header >> 4:
            field += header >> 4
        else:
            raw, position = _varint(data, position)
            field = (raw >> 1) ^ -(raw & 1)
        handler = handlers.get((field, kind))
        if handler is not None:
            position = handler(data, position)
        elif _I16 <= kind <= _I64:  # most fields: numbers, skipped here without a call
            while data[position] > 0x7F:
                position += 1
            position += 1
        elif kind == _LIST:
            position = _skip_list(data, position, 1)
        else:
            position = _skip(data, position, kind, 1)


def _each_struct(read: Any) -> Any:
    """A handler of a list that calls ``read(data, position, index)`` on each struct."""
    def handle(data: bytes, position: int) -> int:
        count, kind, position = _container(data, position)
        for index in range(count):
            position = read(data, position, index) if kind == _STRUCT else \
                _skip_element(data, position, kind, 2)
        return position
    return handle


def _shape(footer: bytes) -> tuple[bool, list, list]:
    """One pass over a footer: whether it records encryption (the FileMetaData's
    encryption_algorithm, a column chunk's crypto_metadata or encrypted_column_metadata),
    the schema's elements as (repetition, children), and each column chunk's (column,
    repetition histogram length, definition histogram length). The handlers are made
    once and note what they find in ``found``: a footer has a column chunk per column
    and row group, thousands in a large file.

    Raises:
        Malformed: the bytes are not a Thrift compact struct.
    """
    elements: list[tuple[int, int]] = []
    histograms: list[tuple[int, int, int]] = []
    found: dict[Any, Any] = {3: 0, 5: 0, "histogram 2": 0, "histogram 3": 0,
                             "encrypted": False}

    def number(field: int) -> Any:
        def read(data: bytes, position: int) -> int:
            raw, position = _varint(data, position)
            found[field] = (raw >> 1) ^ -(raw & 1)
            return position
        return read

    def length(field: str) -> Any:
        def read(data: bytes, position: int) -> int:
            count, kind, position = _container(data, position)
            for _ in range(count):
                position = _skip_element(data, position, kind, 4)
            found[field] = count
            return position
        return read

    def encryption(kind: int) -> Any:
        def read(data: bytes, position: int) -> int:
            found["encrypted"] = True
            return _skip(data, position, kind, 1)
        return read

    element_fields = {(3, _I32): number(3), (5, _I32): number(5)}
    statistics_fields = {(2, _LIST): length("histogram 2"), (3, _LIST): length("histogram 3")}
    metadata_fields = {(16, _STRUCT): lambda data, position: _walk(data, position,
                                                                   statistics_fields)}
    chunk_fields = {(3, _STRUCT): lambda data, position: _walk(data, position,
                                                               metadata_fields),
                    (8, _STRUCT): encryption(_STRUCT), (9, _BINARY): encryption(_BINARY)}

    def element(data: bytes, position: int, _: int) -> int:
        found[3] = found[5] = 0
        position = _walk(data, position, element_fields)
        elements.append((found[3], found[5]))
        return position

    def chunk(data: bytes, position: int, column: int) -> int:
        found["histogram 2"] = found["histogram 3"] = 0
        position = _walk(data, position, chunk_fields)
        histograms.append((column, found["histogram 2"], found["histogram 3"]))
        return position

    group_fields = {(1, _LIST): _each_struct(chunk)}
    try:
        end = _walk(footer, 0, {
            (2, _LIST): _each_struct(element), (8, _STRUCT): encryption(_STRUCT),
            (4, _LIST): _each_struct(lambda data, position, _:
                                     _walk(data, position, group_fields))})
    except IndexError:
        raise Malformed("it ends inside a value") from None
    except RecursionError:
        raise Malformed("values nested too deeply") from None
    if end > len(footer):
        raise Malformed("a value runs past its end")
    return found["encrypted"], elements, histograms


def _leaf_levels(elements: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each leaf column's most definition and repetition levels, from the schema's
    elements in their depth-first order (the first is the root)."""
    leaves: list[tuple[int, int]] = []
    following = iter(elements[1:])

    def visit(definition: int, repetition: int, children: int) -> None:
        for _ in range(children):
            kind, below = next(following, (None, None))
            if kind is None:
                raise Malformed("the schema names more fields than it holds")
            if kind not in (0, 1, 2):  # REQUIRED, OPTIONAL, REPEATED
                raise Malformed(f"a field's repetition is {kind}, which is none of Parquet's")
            level = (definition + (kind != 0), repetition + (kind == 2))  # not REQUIRED; REPEATED
            if below > 0:
                visit(*level, below)
            else:
                leaves.append(level)
    if elements:
        visit(0, 0, elements[0][1])
    return leaves
