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
