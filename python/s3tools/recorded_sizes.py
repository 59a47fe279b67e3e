"""The sizes a columnar file records for what a reader will decode, read before decoding.

A Parquet page's header (Thrift, compact protocol) says how large the page is
once decompressed: the reader allocates that much and no more. An Arrow IPC
file's footer and message headers (FlatBuffers) say where each record batch
is and how large its buffers are; a compressed buffer starts with its
decompressed length. Only those few fields are read here, by hand, from
bytes the caller fetched; anything that does not parse is
:class:`Unreadable`, never a crash or a guess.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Parquet page types (parquet.thrift PageType).
DATA_PAGE, INDEX_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2 = 0, 1, 2, 3
# Thrift compact protocol types.
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = \
    range(1, 13)
_DEPTH = 16  # nesting deeper than any Parquet page header


class Unreadable(Exception):
    """The bytes are not what the format says is there (or not all of it was given)."""


# ----------------------------------------------------------------- Parquet

class _Compact:
    """Just enough of Thrift's compact protocol to read a struct's integer fields."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def byte(self) -> int:
        if self.position >= len(self.data):
            raise Unreadable("the bytes end inside a page header")
        value = self.data[self.position]
        self.position += 1
        return value

    def varint(self) -> int:
        value = 0
        for shift in range(0, 70, 7):
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
        raise Unreadable("a varint longer than ten bytes")

    def integer(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def skip_bytes(self, count: int) -> None:
        if count < 0 or self.position + count > len(self.data):
            raise Unreadable("the bytes end inside a page header")
        self.position += count

    def struct(self, depth: int = 0) -> dict[int, Any]:
        """A struct's fields by id: integers, and structs as dicts (other values skipped)."""
        if depth > _DEPTH:
            raise Unreadable("structs nested too deep")
        fields: dict[int, Any] = {}
        last = 0
        while True:
            header = self.byte()
            kind = header & 0x0F
            if kind == 0:
                return fields
            delta = header >> 4
            last = last + delta if delta else self.integer()
            fields[last] = self.value(kind, depth)

    def value(self, kind: int, depth: int) -> Any:
        if depth > _DEPTH:
            raise Unreadable("values nested too deep")
        if kind in (_TRUE, _FALSE):
            return kind == _TRUE
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.integer()
        if kind == _DOUBLE:
            self.skip_bytes(8)
        elif kind == _BINARY:
            self.skip_bytes(self.varint())
        elif kind in (_LIST, _SET):
            header = self.byte()
            count = header >> 4 if header >> 4 != 15 else self.varint()
            for _ in range(count):
                # Booleans in a list are one byte each, not folded into a header.
                self.byte() if header & 0x0F in (_TRUE, _FALSE) else \
                    self.value(header & 0x0F, depth + 1)
        elif kind == _MAP:
            count = self.varint()
            types = self.byte() if count else 0
            for _ in range(count):
                self.value(types >> 4, depth + 1)
                self.value(types & 0x0F, depth + 1)
        elif kind == _STRUCT:
            return self.struct(depth + 1)
        else:
            raise Unreadable(f"unknown Thrift type {kind}")
        return None


@dataclass(frozen=True)
class PageHeader:
    length: int  # of the header itself; the page's data follows
    kind: int
    uncompressed_size: int
    compressed_size: int
    values: int  # values (v1, dictionary) in the page
    rows: int | None  # rows (v2 pages only)


def page_header(data: bytes) -> PageHeader:
    """The Parquet page header at the start of ``data``.

    Raises:
        Unreadable: ``data`` does not start with a whole page header.
    """
    reader = _Compact(data)
    fields = reader.struct()
    kind, uncompressed, compressed = (fields.get(number) for number in (1, 2, 3))
    if not all(isinstance(value, int) and value >= 0 for value in (kind, uncompressed,
                                                                   compressed)):
        raise Unreadable("a page header without its type and sizes")
    details = fields.get({DATA_PAGE: 5, DICTIONARY_PAGE: 7, DATA_PAGE_V2: 8}.get(kind, 0)) or {}
    values = details.get(1, 0) if isinstance(details, dict) else 0
    rows = details.get(3) if isinstance(details, dict) and kind == DATA_PAGE_V2 else None
    return PageHeader(reader.position, kind, uncompressed, compressed,
                      values if isinstance(values, int) else 0,
                      rows if isinstance(rows, int) else None)


# ------------------------------------------------------------- Arrow IPC

_IPC_MAGIC = b"ARROW1"
_CONTINUATION = b"\xff\xff\xff\xff"
_DICTIONARY_BATCH, _RECORD_BATCH = 2, 3


class _FlatTable:
    """One FlatBuffers table: its fields by index (only scalars, vectors and tables)."""

    def __init__(self, data: bytes, position: int) -> None:
        self.data = data
        self.position = position
        vtable = position - self._int("<i", position)
        self._vtable = vtable
        self._vtable_size = self._int("<H", vtable)

    def _int(self, form: str, position: int) -> int:
        if position < 0 or position + struct.calcsize(form) > len(self.data):
            raise Unreadable("an offset outside the metadata")
        return struct.unpack_from(form, self.data, position)[0]

    def _field(self, index: int) -> int | None:
        entry = 4 + 2 * index
        if entry + 2 > self._vtable_size:
            return None
        offset = self._int("<H", self._vtable + entry)
        return self.position + offset if offset else None

    def scalar(self, index: int, form: str, default: int = 0) -> int:
        where = self._field(index)
        return default if where is None else self._int(form, where)

    def table(self, index: int) -> _FlatTable | None:
        where = self._field(index)
        return None if where is None else _FlatTable(self.data, where + self._int("<I", where))

    def structs(self, index: int, form: str) -> list[tuple]:
        """A vector of structs, each unpacked with ``form``."""
        where = self._field(index)
        if where is None:
            return []
        start = where + self._int("<I", where)
        count = self._int("<I", start)
        size = struct.calcsize(form)
        if start + 4 + count * size > len(self.data):
            raise Unreadable("a vector longer than the metadata")
        return [struct.unpack_from(form, self.data, start + 4 + size * item)
                for item in range(count)]


def _root(data: bytes) -> _FlatTable:
    if len(data) < 8:
        raise Unreadable("metadata too short")
    return _FlatTable(data, struct.unpack_from("<I", data, 0)[0])


@dataclass(frozen=True)
class Block:
    offset: int  # of the message in the file
    metadata_length: int  # its prefix and header; the body follows
    body_length: int


def ipc_footer_length(tail: bytes) -> int:
    """The length of an Arrow IPC file's footer, from the file's last 10 bytes.

    Raises:
        Unreadable: not the end of an Arrow IPC file.
    """
    if len(tail) < 10 or tail[-6:] != _IPC_MAGIC:
        raise Unreadable("not an Arrow IPC file")
    return struct.unpack_from("<i", tail, len(tail) - 10)[0]


def ipc_blocks(footer: bytes) -> tuple[list[Block], list[Block]]:
    """The dictionary batches' and the record batches' places, from an IPC file's footer."""
    root = _root(footer)
    found = []
    for index in (2, 3):  # Footer.dictionaries, Footer.recordBatches
        found.append([Block(offset, metadata, body)
                      for offset, metadata, _, body in root.structs(index, "<qiiq")])
    return found[0], found[1]


@dataclass(frozen=True)
class BatchBuffers:
    """Where a record batch's buffers are in its message body, and whether compressed."""

    buffers: list[tuple[int, int]]  # (offset, length)
    compressed: bool


def ipc_batch(header: bytes) -> BatchBuffers:
    """A record batch's (or a dictionary batch's data) buffers, from its message's header
    (the bytes a :class:`Block`'s ``metadata_length`` covers).

    Raises:
        Unreadable: not a record batch or dictionary batch message.
    """
    start = 8 if header[:4] == _CONTINUATION else 4
    message = _root(header[start:])
    kind = message.scalar(1, "<B")
    batch = message.table(2)
    if kind == _DICTIONARY_BATCH and batch is not None:
        batch = batch.table(1)  # DictionaryBatch.data
    elif kind != _RECORD_BATCH:
        batch = None
    if batch is None:
        raise Unreadable("not a record batch")
    buffers = batch.structs(2, "<qq")
    if any(offset < 0 or length < 0 for offset, length in buffers):
        raise Unreadable("a buffer outside its body")
    return BatchBuffers(buffers=buffers, compressed=batch.table(3) is not None)


def decoded_size(batch: BatchBuffers, prefix: Callable[[int], bytes]) -> int:
    """What a batch's buffers take once decompressed: their lengths, or for a compressed
    batch the lengths their first 8 bytes record (``prefix(offset)``: those bytes of the
    buffer at ``offset`` in the message body)."""
    if not batch.compressed:
        return sum(length for _, length in batch.buffers)
    return sum(decompressed_length(prefix(offset), length)
               for offset, length in batch.buffers if length > 0)


def decompressed_length(prefix: bytes, length: int) -> int:
    """The decompressed length of a compressed IPC buffer of ``length`` bytes, from its
    first 8 bytes (-1 there: stored as it is)."""
    if length < 8:
        return length
    if len(prefix) < 8:
        raise Unreadable("a buffer outside the file")
    recorded = struct.unpack_from("<q", prefix, 0)[0]
    return length - 8 if recorded == -1 else max(recorded, 0)
