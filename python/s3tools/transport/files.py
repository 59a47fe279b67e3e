"""Files over an object: what parsers read, each an :class:`ObjectFile` over the one reader.

- :func:`open_stream`: the object's bytes in order, read while they arrive
  (CSV and JSON Lines parsers, downloads, ``cat``); a bounded window of parts
  ahead of the reader, each let go once read.
- :func:`open_file`: a seekable file that fetches only the bytes read (Parquet,
  Arrow, zip, SPSS, Stata and SAS readers; pyarrow's dataset reader), or, with
  :meth:`ObjectFile.fetch_rest`, the whole object in place, read while it
  arrives and let go once every column chunk has been handed out.

A file keeps the first failure of its reads in :attr:`ObjectFile.failure`, so
that whoever reads through a parser can tell the network's failure from the
parser's (:func:`s3tools.errors.source_failure`).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

from ..paths import S3Path
from . import sizes
from .answers import Version
from .followed import Follower
from .pieces import Ranges, grouped, workers
from .reader import ObjectReader
from .sender import get_range


def open_stream(path: S3Path, version: Version | None = None, *, part_size: int | None = None,
                budget: Any = None, one_get: bool = False) -> ObjectFile:
    """An object's bytes in order, read while they are still arriving.

    The first GET asks for the first part: its answer gives the size and pins
    the version, the other parts are then fetched in parallel a bounded window
    ahead of the reader, and the reader follows the first part's body as it
    arrives. So a parser starts on the first bytes at once, an object of one
    part is one request, and the whole object never sits in memory at once.

    Args:
        path: the object.
        version: the version to read (a second parser over the same bytes).
        part_size: smaller parts hold less in memory at once (chunked reads), at
            the cost of more requests (default: :data:`~.sizes.PART_SIZE`).
        budget: a ``memory.Budget``: the first GET asks for at most its
            ``first_part``, and its ``admit(path, size)`` may refuse before the rest.
        one_get: the whole object in one GET instead, its body followed in parts, at
            most :data:`~.sizes.FOLLOWED_PARTS` of them arrived and not yet read (for
            a parser that reads as fast as the bytes come: one request, and the
            least work for the service).

    Raises:
        NotFoundError, AccessDeniedError, S3ConnectionError, TooLargeError...: the
        first GET's, here, before any parser sees the stream.
    """
    part = part_size or sizes.PART_SIZE
    first = part if budget is None else max(1, min(part, budget.first_part))
    reader = ObjectReader(path, version, memory="fresh",
                          threads=1 if one_get else workers(sizes.PARALLEL_PARTS) + 1)
    try:
        if one_get:
            Follower(reader, part, sizes.FOLLOWED_PARTS, budget).start()
        else:
            reader.open_start(first, budget=budget, part=part, follow=True)
    except BaseException:
        reader.stop(wait=False)
        raise
    return ObjectFile(reader, stream=part, one_get=one_get)


def open_file(path: S3Path, tail_length: int = 0, *, head_length: int = 0, readahead: int = 0,
              version: Version | None = None, tail: Any = None, views: bool = False,
              shared: ObjectReader | None = None) -> ObjectFile:
    """A read-only, seekable file over an object that fetches only the bytes read.

    Args:
        path: the object.
        tail_length: the first request asks for the object's last bytes, where
            Parquet, Arrow and zip files keep their directory; it tells the size and
            pins the version.
        head_length: the first request asks for the start instead, where SPSS, Stata
            and SAS files keep their dictionary.
        readahead: a read outside what is at hand fetches at least that much, doubling
            on each such read: readers that go through a file in small steps send a
            few requests, not one per step.
        version: already known (a listing's size and ETag): nothing is fetched now;
            the tail at the first read that reaches it, or ``tail``, the
            :attr:`~ObjectFile.tail` of an earlier file over the same version.
        views: reads hand out views of the bytes held, no copies (for pyarrow).
        shared: a reader of the same version under way for several files (a dataset's
            whole files): reads look there first; closing the file leaves it running.

    Raises:
        NotFoundError, AccessDeniedError, S3ConnectionError...: the first request's.
    """
    held: list[tuple[int, Any]] = []
    if version is None and head_length:
        first, version = get_range(path, 0, head_length)
        held, tail = [(0, first)], bytearray()
    elif version is None:  # a byte at least: a range of none is refused (416) by any object
        tail, version = get_range(path, 0, None, suffix=max(1, tail_length))
    size = version.size
    tail_start = size - (min(tail_length, size) if tail is None else len(tail))
    if tail is not None and len(tail):
        held.append((tail_start, tail))
    reader = ObjectReader(path, version, memory="pool")
    for start, buffer in held:
        reader.hold(start, buffer)
    return ObjectFile(reader, views=views, readahead=readahead, tail=(tail_start, tail),
                      shared=shared)


class ObjectFile(io.RawIOBase):
    """A read-only file over an :class:`ObjectReader` (made by :func:`open_stream` or
    :func:`open_file`): ``path``, ``size``, ``version``, and what the readers need."""

    def __init__(self, reader: ObjectReader, *, stream: int = 0, one_get: bool = False,
                 views: bool = False, readahead: int = 0, tail: tuple[int, Any] | None = None,
                 shared: ObjectReader | None = None) -> None:
        super().__init__()
        self.path, self.version, self.size = reader.path, reader.version, reader.size
        self.failure: BaseException | None = None
        self.reader = reader
        self._shared = shared
        self._stream = stream  # the part size of a stream; 0 for a seekable file
        self._one_get = one_get
        self._views, self._readahead = views, readahead
        self._tail_start, self._tail = tail if tail is not None else (self.size, None)
        self._position = 0

    # ------------------------------------------------------------ io

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return not self._stream

    def tell(self) -> int:
        if self._stream:
            raise io.UnsupportedOperation("a stream reads in order")
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self._stream:
            raise io.UnsupportedOperation("a stream reads in order")
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def read(self, size: int | None = -1) -> Any:
        """``size`` bytes from the position (all the rest when negative): ``bytes``, or,
        for ``views``, a view of the bytes held."""
        try:
            if not (self._stream or self._views):
                return super().read(size)  # bytes, through readinto
            start = self._position
            end = self.size if size is None or size < 0 else min(self.size, start + size)
            if end <= start:
                return b""
            data = self._in_order(start, end) if self._stream else self._bytes(start, end)
            self._position = start + len(data)
            return bytes(data) if self._stream else data
        except BaseException as error:
            self.failure = self.failure or error
            raise

    def readinto(self, buffer: Any) -> int:
        try:
            view = memoryview(buffer).cast("B")
            start = self._position
            end = min(self.size, start + len(view))
            if end <= start:
                return 0
            if self._stream:  # each part's bytes copied straight in, not joined first
                done = 0
                for data in self._parts(start, end):
                    view[done:done + len(data)] = data
                    done += len(data)
            else:
                data = self._bytes(start, end)
                view[:len(data)] = data
                done = len(data)
            self._position = start + done
            return done
        except BaseException as error:
            self.failure = self.failure or error
            raise

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the position, without reading them: of a stream,
        those of the part in hand, waiting for them if it is still arriving."""
        try:
            data = self.reader.view(self._position, min(self.size, self._position + size),
                                    clip=True, count=False) if size > 0 else None
            return b"" if data is None else bytes(data)
        except BaseException as error:
            self.failure = self.failure or error
            raise

    def close(self) -> None:
        if not self.closed:
            # A stream closed early does not wait for its parts under way; a file's
            # pieces end before it is closed (no request outlives the read).
            self.reader.stop(wait=not self._stream)
        super().close()

    # ------------------------------------------------------------ what readers need

    @property
    def head(self) -> bytes:
        """The object's first bytes (up to 4 KiB), for the hints of a format error."""
        with contextlib.suppress(Exception):  # the read's own error is reported, not this
            head = self.reader.head()
            if head is None and not self._stream:
                head = bytes(self._bytes(0, min(sizes.HEAD_SIZE, self.size)))
            return head or b""
        return b""

    @property
    def tail(self) -> Any:
        """The object's last bytes, once fetched (None before): for a later file."""
        return self._tail

    def reopen(self) -> ObjectFile:
        """A new stream from the start of the same version (for a second parser)."""
        self.close()
        return open_stream(self.path, self.version, part_size=self._stream or None,
                           one_get=self._one_get)

    def fetch_rest(self, read_once: Ranges | None = None) -> None:
        """Ask for the whole object, in pieces of :data:`~.sizes.PIECE_SIZE` into one
        buffer, in order; the tail at hand is copied in. Reads wait for their pieces.

        ``read_once``: ``(start, length)`` ranges the reader reads once each (a Parquet
        file's column chunks): once every byte of them has been handed out, the
        buffer is let go, and a later read is a GET of its own.
        """
        if self._tail_start == 0:
            return  # the tail is the whole object
        self.reader.plan([(0, self.size, list(read_once or []))], sizes.PIECE_SIZE,
                         tail=self.size - self._tail_start)
        self.reader.send()

    def prefetch(self, ranges: Ranges) -> None:
        """Fetch ``(start, length)`` ranges in parallel now; reads inside them need no
        request."""
        ranges = [(start, length) for start, length in ranges
                  if length > 0 and start < self._tail_start]
        if not ranges:
            return
        self.reader.plan([(start, start + length, None) for start, length in ranges],
                         max(length for _, length in ranges))
        self.reader.send()
        for start, length in ranges:
            self.reader.view(start, start + length, count=False)

    def prefetch_in_background(self, ranges: Ranges, piece: int | None = None, *,
                               hole: int = 0) -> None:
        """Start fetching ``(start, length)`` ranges, in pieces of at most ``piece`` bytes,
        in order, several at a time, and return: a read waits only for the pieces it
        needs, so a reader works on the first while the rest arrive. Closing the file
        stops what has not started.

        The ranges are what the reader reads, once each. Ranges at most ``hole`` bytes
        apart share one buffer (the reader joins them into one read); a buffer is let
        go once all its ranges have been handed out, and a later read of it is a GET.
        """
        spans = grouped([(start, length) for start, length in ranges
                         if start < self._tail_start], hole)
        if spans:
            self.reader.plan(spans, piece or sizes.PART_SIZE)
            self.reader.send()

    # ------------------------------------------------------------ reading

    def _in_order(self, start: int, end: int) -> Any:
        """A stream's ``[start, end)``: a view within the part in hand, else joined."""
        parts = self._parts(start, end)
        data = next(parts, b"")
        if len(data) == end - start:
            return data
        joined = bytearray(data)
        for data in parts:
            joined += data
        return joined

    def _parts(self, start: int, end: int) -> Iterator[Any]:
        """A stream's ``[start, end)`` as views of the parts that hold it, in order, each
        handed out as it is asked for (fewer bytes where the object ends)."""
        while start < end:
            data = self.reader.view(start, end, clip=True)
            if not data:
                return
            yield data
            start += len(data)

    def _bytes(self, start: int, end: int) -> Any:
        """``[start, end)``: a view of what is held, or fetched."""
        for reader in (self._shared, self.reader):
            data = reader.view(start, end) if reader is not None else None
            if data is not None:
                return data
        if start >= self._tail_start and self._tail is None:
            self._tail, _ = get_range(self.path, self._tail_start, self.size - self._tail_start,
                                      self.version)
            self.reader.hold(self._tail_start, self._tail)
            offset = start - self._tail_start
            return memoryview(self._tail)[offset:offset + end - start]
        data = self.reader.joined(start, end)
        return data if data is not None else self._fetch(start, end)

    def _fetch(self, start: int, end: int) -> Any:
        length = end - start
        if not self._readahead:
            return get_range(self.path, start, length, self.version)[0]
        wanted = min(max(length, self._readahead), self._tail_start - start)
        self._readahead = min(self._readahead * 2, sizes.PART_SIZE)
        part, _ = get_range(self.path, start, max(wanted, length), self.version)
        self.reader.hold(start, part)
        return memoryview(part)[:length]
