"""Files that are small but decompress or decode to far more: made piece by piece, so that
whoever makes them holds little in memory.

``python bombs.py parquet|feather OUT VALUE_SIZE`` writes a zstd-compressed Parquet
or Arrow file whose two binary columns each hold one value of ``VALUE_SIZE``
zero bytes (run in a process of its own: the writer copies each value once).
"""

from __future__ import annotations

import bz2
import lzma
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import zstandard

MiB = 1024 * 1024


def one_character(size: int, before: bytes = b"", after: bytes = b"") -> Iterator[bytes]:
    """``before``, then ``size`` bytes of ``a`` (no newline), then ``after``, in 1 MiB pieces."""
    yield before
    chunk = b"a" * MiB
    for _ in range(size // MiB):
        yield chunk
    yield b"a" * (size % MiB)
    yield after


def _compressor(compression: str):
    if compression == "gz":
        return zlib.compressobj(1, zlib.DEFLATED, 31)
    if compression == "bz2":
        return bz2.BZ2Compressor(9)
    if compression == "xz":
        return lzma.LZMACompressor(preset=0)
    return zstandard.ZstdCompressor(level=3).compressobj()  # no size in its header


def write_compressed(path: Path, compression: str, pieces: Iterable[bytes]) -> Path:
    """``pieces`` compressed into one stream (one zip member), written as they come."""
    if compression == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
                archive.open("data.csv", "w", force_zip64=True) as member:
            for piece in pieces:
                member.write(piece)
        return path
    compressor = _compressor(compression)
    with open(path, "wb") as sink:
        for piece in pieces:
            sink.write(compressor.compress(piece))
        sink.write(compressor.flush())
    return path


# The parts of an xlsx workbook of one sheet, but the sheet and its shared strings.
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
WORKBOOK_PARTS = {
    "[Content_Types].xml":
        f'<Types xmlns="{_PACKAGE}/content-types"><Default Extension="rels" ContentType='
        f'"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml"'
        f' ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
        f'"{_TYPE}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_TYPE}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{_TYPE}.sharedStrings+xml"/></Types>',
    "_rels/.rels":
        f'<Relationships xmlns="{_PACKAGE}/relationships"><Relationship Id="rId1" Type='
        f'"{_OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml":
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE}"><sheets><sheet name="Sheet1" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels":
        f'<Relationships xmlns="{_PACKAGE}/relationships"><Relationship Id="rId1" Type='
        f'"{_OFFICE}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        f'Type="{_OFFICE}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}


def shared_string_rows(count: int) -> Iterator[bytes]:
    """A sheet whose column ``name`` holds shared strings 1 to ``count``, one a row."""
    yield f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode()
    for row in range(1, count + 2):
        yield f'<row r="{row}"><c r="A{row}" t="s"><v>{row - 1}</v></c></row>'.encode()
    yield b"</sheetData></worksheet>"


def number_rows(count: int) -> Iterator[bytes]:
    """A sheet whose column ``name`` (shared string 0) holds the numbers 1 to ``count``; its
    dimension first, as Excel writes it (openpyxl reads a sheet to its end for it else)."""
    yield f'<worksheet xmlns="{_MAIN}"><dimension ref="A1:A{count + 1}"/><sheetData><row '\
        'r="1"><c r="A1" t="s"><v>0</v></c></row>'.encode()
    for row in range(2, count + 2):
        yield f'<row r="{row}"><c r="A{row}"><v>{row - 1}</v></c></row>'.encode()
    yield b"</sheetData></worksheet>"


def shared_strings(*values: Iterable[bytes]) -> Iterator[bytes]:
    """A shared strings part of ``values``, each given in pieces."""
    yield f'<sst xmlns="{_MAIN}">'.encode()
    for value in values:
        yield b"<si><t>"
        yield from value
        yield b"</t></si>"
    yield b"</sst>"


def first_cell(value: Iterable[bytes]) -> Iterator[bytes]:
    """A sheet of one cell, the text ``value`` (given in pieces) in the sheet itself."""
    yield f'<worksheet xmlns="{_MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'\
        .encode()
    yield from value
    yield b"</t></is></c></row></sheetData></worksheet>"


def write_workbook(path: Path, parts: dict[str, Iterable[bytes]] | None = None,
                   recorded: dict[str, int] | None = None) -> Path:
    """An xlsx file of one sheet (a column ``name`` holding ``x``), with ``parts`` (name:
    pieces) in place of or beside its own, deflated as they come; ``recorded``: sizes its
    directory gives instead of the true ones, by part."""
    own = {"xl/sharedStrings.xml": shared_strings([b"name"], [b"x"]),
           "xl/worksheets/sheet1.xml": shared_string_rows(1)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        for name, pieces in {**own, **(parts or {})}.items():
            with archive.open(name, "w") as part:
                for piece in pieces:
                    part.write(piece)
        for name, size in (recorded or {}).items():
            archive.getinfo(name).file_size = size  # the directory is written at the close
    return path


def huge_values_table(value_size: int):
    """Two binary columns of one row, each a value of ``value_size`` zero bytes (numpy's
    zeros: no memory is used for them until something writes a copy)."""
    import numpy as np
    import pyarrow as pa

    value = pa.py_buffer(np.zeros(value_size, np.uint8))
    offsets = pa.py_buffer(np.array([0, value_size], np.int32))
    column = pa.Array.from_buffers(pa.binary(), 1, [None, offsets, value])
    return pa.table({"a": column, "b": column})


def write_columnar(kind: str, path: Path, value_size: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = huge_values_table(value_size)
    if kind == "parquet":
        pq.write_table(table, path, compression="zstd", use_dictionary=False,
                       write_statistics=False)
        return
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema,
                                                             options=options) as writer:
        writer.write_table(table)


if __name__ == "__main__":
    write_columnar(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
