"""Compression suffixes: looked through on the way in, applied on the way out.

Decompression is bounded: a stream hands out no more than each read asks for,
and a whole file is decompressed in steps under a limit, so that a small file
that claims or holds far more than memory allows is refused, not expanded.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from .errors import FormatError

COMPRESSIONS = ("gz", "bz2", "xz", "zst", "zip")


def split_compression(key: str) -> tuple[str, str | None]:
    """``('data.csv', 'gz')`` for ``data.csv.gz``; ``(key, None)`` when uncompressed."""
    stem, dot, suffix = key.rpartition(".")
    if dot and suffix.lower() in COMPRESSIONS:
        return stem, suffix.lower()
    return key, None


class DecompressedTooLarge(Exception):
    """Decompressed data passed the limit it was read under (``at_least`` bytes, found or
    recorded by the file itself)."""

    def __init__(self, at_least: int) -> None:
        super().__init__(f"at least {at_least} bytes once decompressed")
        self.at_least = at_least


# Whole reads decompress in steps of this size, each bounded by what is left of the limit.
_DECOMPRESS_STEP = 1024 * 1024


def _zip_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        raise FormatError(f"A .zip must hold exactly one file to be read as data; "
                          f"this one holds {len(members)}.")
    return members[0]


def _zstd_reader(raw: Any) -> Any:
    import zstandard

    # Frames one after another are one file, as the zstd tool writes and reads them.
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True,
                                                      closefd=False)


# Each is entered by decompressed(), which closes it.
_OPENERS: dict[str, Callable[[Any], Any]] = {
    "gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "bz2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),  # noqa: SIM115
    "zst": _zstd_reader,
}


@contextlib.contextmanager
def decompressed(raw: Any, compression: str | None,
                 limit: int | None = None) -> Iterator[Any]:
    """A readable stream of ``raw``'s decompressed bytes (``raw`` itself when uncompressed).

    Each ``read(size)`` decompresses at most ``size`` bytes, whatever the data
    claims, so a reader that asks for bounded pieces holds bounded memory.

    Args:
        raw: a readable binary file (also seekable for zip: its directory is at the end).
        compression: one of :data:`COMPRESSIONS`, or None.
        limit: with zip, refuse a member whose recorded size passes it before reading.

    Raises:
        FormatError: a zip that does not hold exactly one file.
        DecompressedTooLarge: the zip member's recorded size passes ``limit``.
    """
    if compression is None:
        yield raw
    elif compression == "zip":
        with zipfile.ZipFile(raw) as archive:
            member = _zip_member(archive)
            if limit is not None and member.file_size > limit:
                raise DecompressedTooLarge(member.file_size)
            # zipfile stops a member at its recorded size, whatever its data holds.
            with archive.open(member) as stream:
                yield stream
    else:
        with _OPENERS[compression](raw) as stream:
            yield stream


def read_at_most(stream: Any, limit: int | None) -> bytearray:
    """Everything ``stream`` holds, read in bounded steps.

    Raises:
        DecompressedTooLarge: it holds more than ``limit`` bytes (one byte past the limit
            was read, no more).
    """
    out = bytearray()
    while True:
        step = _DECOMPRESS_STEP if limit is None else min(_DECOMPRESS_STEP,
                                                           limit + 1 - len(out))
        piece = stream.read(step)
        if not piece:
            return out
        out += piece
        if limit is not None and len(out) > limit:
            raise DecompressedTooLarge(len(out))


def recorded_size(data: Any, compression: str | None) -> int:
    """The least size ``data`` says it decompresses to (0 when it records none): a gzip
    file's last member records its size modulo 4 GiB, a zstd frame may record its own."""
    view = memoryview(data).cast("B")
    if compression == "gz" and len(view) >= 18 and bytes(view[:2]) == b"\x1f\x8b":
        return int.from_bytes(view[-4:], "little")
    if compression == "zst":
        import zstandard

        try:
            return max(zstandard.frame_content_size(view), 0)
        except zstandard.ZstdError:
            return 0  # not a frame: its reader says so
    return 0


def decompress(data: Any, compression: str | None, limit: int | None = None) -> Any:
    """The decompressed bytes of a whole compressed file in memory (``data`` itself when
    uncompressed), decompressed in bounded steps.

    Raises:
        DecompressedTooLarge: the file holds, or records that it holds, more than
            ``limit`` bytes once decompressed; decompression stopped there.
        FormatError: a zip that does not hold exactly one file.
    """
    if compression is None:
        return data
    recorded = recorded_size(data, compression)
    if limit is not None and recorded > limit:
        raise DecompressedTooLarge(recorded)
    import pyarrow

    # A file over the bytes in place (io.BytesIO would copy a bytearray).
    with decompressed(pyarrow.BufferReader(data), compression, limit) as stream:
        return read_at_most(stream, limit)


def compress(data: bytes, compression: str | None, inner_name: str) -> bytes:
    """``data`` compressed as ``compression`` says (as it is when None); a zip holds it as
    ``inner_name``."""
    if compression is None:
        return data
    if compression == "gz":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    if compression == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(inner_name, data)
    return buffer.getvalue()
