"""Reading objects: ranged GETs pinned to one version, checked, resumed, in parallel.

A read in several parts pins the version the first answer came from (its
ETag, sent as ``If-Match`` with every later part): if the object is replaced
meanwhile, the server answers 412 and the read starts again from the start
(once), or fails with :class:`~s3tools.errors.ObjectChangedError`. Every
part's length is checked against what was asked for and what the server
announced; a body cut short is asked for again from the byte where it
stopped, under the same pin. Nothing here returns bytes that were not checked.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import io
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, BinaryIO

import botocore.exceptions
import numpy
import pyarrow

from .. import errors
from ..paths import S3Path
from . import clients, policy

# Objects larger than one part are fetched as parallel ranged GETs. Few large
# parts: on a 2-core machine serving S3 on loopback, 32 MiB x 4 matched or beat
# one GET, while 8 MiB x 8 ran at half its speed (bench/, scenario 1).
PART_SIZE = 32 * 1024 * 1024
PARALLEL_PARTS = 4
_CHUNK = 1024 * 1024
# What an ArrivingFile asks for first: the object's end, where a Parquet footer is
# (the memory check reads it before any data is fetched); then parts this size
# (smaller than PART_SIZE: the reader starts sooner; bench/).
_ARRIVING_TAIL = 64 * 1024
ARRIVING_PART = 16 * 1024 * 1024
# How often a read starts again from the start after the object was replaced.
_RESTARTS = 1


@dataclass(frozen=True)
class Version:
    """What a read is pinned to: the object's size and ETag as its first answer gave them."""

    size: int
    etag: str | None


class ObjectChanged(Exception):
    """The object was replaced after the first part was read (a pinned GET got 412)."""


class ShortBody(Exception):
    """A body ended before the length the server announced."""


class Stopped(Exception):
    """Raised by a ``progress`` callback of :func:`get_range`: the reader gave up the part."""


@dataclass
class _Answer:
    """A successful GET, whichever client sent it: what it says and its body's chunks."""

    size: int  # the whole object's
    etag: str | None
    start: int  # where this body starts in the object
    length: int  # how many bytes this body announces
    chunks: Iterator[Any]
    close: Callable[[], None]


def _ranged(response: dict, start: int) -> tuple[int, int]:
    """The object's size and where the body starts, from a botocore response."""
    content_range = response.get("ContentRange") or ""
    if "/" in content_range:
        first = content_range.split(" ", 1)[-1].split("-", 1)[0]
        return int(content_range.rsplit("/", 1)[-1]), int(first) if first.isdigit() else start
    if start == 0:
        return int(response["ContentLength"]), 0  # the server sent the whole object
    raise errors.S3ToolsError("The S3 service ignored a byte range request; s3tools cannot "
                              "read this object in parts.")


def _http_range(start: int, end: int | None, suffix: int | None) -> str:
    """The HTTP Range header for bytes ``[start, end)`` (to the end if None), or the last
    ``suffix`` bytes."""
    return f"bytes=-{suffix}" if suffix is not None else \
        f"bytes={start}-{'' if end is None else end - 1}"


def _get_botocore(path: S3Path, start: int, end: int | None, suffix: int | None,
                  etag: str | None) -> _Answer:
    parameters: dict[str, Any] = {"Bucket": path.bucket, "Key": path.key,
                                  "Range": _http_range(start, end, suffix)}
    if etag:
        parameters["IfMatch"] = etag
    response = clients.client().get_object(**parameters)
    size, first = _ranged(response, start if suffix is None else 0)
    body = response["Body"]

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                chunk = body.read(_CHUNK)
                if not chunk:
                    return
                yield chunk
        except botocore.exceptions.IncompleteReadError:
            return  # counted as short by the caller

    return _Answer(size, response.get("ETag"), first, int(response["ContentLength"]),
                   chunks(), body.close)


def _get_obstore(path: S3Path, start: int, end: int | None, suffix: int | None,
                 etag: str | None) -> _Answer:
    import obstore

    options: dict[str, Any] = {
        "range": {"suffix": suffix} if suffix is not None else
        {"offset": start} if end is None else (start, end)}
    if etag:
        options["if_match"] = etag
    result = obstore.get(clients.object_store(path.bucket, PART_SIZE), path.key,
                         options=options)
    first, stop = result.range
    # A small body in one piece (no stream machinery); a large one in chunks, so that
    # a cut can be resumed where it stopped.
    chunks = iter((result.bytes(),)) if stop - first <= _CHUNK else \
        iter(result.stream(min_chunk_size=_CHUNK))
    meta = result.meta
    return _Answer(meta["size"], meta.get("e_tag"), first, stop - first, chunks, _nothing)


def _nothing() -> None:
    """Closing an obstore answer: its body closes itself once read or dropped."""


_CLIENTS = {"botocore": _get_botocore, "obstore": _get_obstore}
_REFUSED_SEGMENTS = frozenset(("", ".", ".."))  # by obstore's path rules


def _sender(key: str) -> Callable[..., _Answer]:
    """The client for a GET of this key: the one chosen for the settings, unless it is
    obstore and the key has segments obstore's path rules refuse (empty, ``.`` or
    ``..``): then botocore, decided before any request is sent."""
    chosen = clients.get_client()
    if chosen == "obstore" and not _REFUSED_SEGMENTS.isdisjoint(key.split("/")):
        return _get_botocore
    return _CLIENTS[chosen]


def _empty_object(error: BaseException) -> Version | None:
    """The version of an empty object, if ``error`` is the 416 of a range from byte 0.

    A range that starts at the first byte (or a suffix range) is unsatisfiable
    only when the object has no bytes at all (RFC 9110, 14.1.1), whatever else
    the service says or leaves out.
    """
    if policy.status_of(error) != 416 and policy.code_of(error) != "InvalidRange":
        return None
    headers = getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return Version(size=0, etag=headers.get("etag"))


def get_range(path: S3Path, start: int, length: int | None, version: Version | None = None,
              *, suffix: int | None = None, into: memoryview | None = None,
              allocate: Callable[[int], Any] = bytearray,
              progress: Callable[[int, Any, Version], None] | None = None,
              ) -> tuple[Any, Version]:
    """The bytes ``[start, start + length)`` of an object (fewer at its end), and its version.

    ``suffix`` asks for the last bytes instead (the object's tail). With a
    ``version``, the read is pinned to it; without one, the first answer
    gives it. ``into`` is where to put the bytes (its length is the part's);
    otherwise they come back in a new buffer (``allocate(length)``), or as the
    body itself (``bytes``) when it came in one piece. A body cut short is
    asked for again from where it stopped. Raises :class:`ObjectChanged` when
    the pinned version is gone.

    ``progress(received, buffer, version)`` is told as soon as an answer has
    come (buffer None until its first bytes) and after each piece of the body:
    the first ``received`` bytes of ``buffer`` are final. It may raise
    :class:`Stopped` to give the part up.
    """
    target = str(path)
    send = _sender(path.key)
    buffer: Any = into
    received = 0
    for attempt in policy.attempts():
        pinned_suffix = suffix if version is None else None
        begin = start + received
        end = None if length is None else start + length
        shown_range = _http_range(begin, end, pinned_suffix)
        started = time.monotonic()
        answer = None
        try:
            answer = send(path, begin, end, pinned_suffix,
                          version.etag if version is not None else None)
            try:
                if version is None:
                    version = Version(size=answer.size, etag=answer.etag)
                    if suffix is not None:
                        start, length = answer.start, answer.length
                if progress is not None:
                    progress(received, buffer, version)
                whole = None
                if buffer is None:
                    expected = max(min(length if length is not None else version.size - start,
                                       version.size - start), 0)
                    if answer.length == expected and answer.start == start:
                        whole = _in_one_piece(answer, expected)
                    buffer = allocate(expected) if whole is None else whole
                if whole is not None:
                    received = len(whole)
                    if progress is not None:
                        progress(received, whole, version)
                elif answer.length != len(buffer) - received or \
                        answer.start != start + received:
                    raise errors.S3ToolsError(
                        f"The S3 service sent bytes {answer.start}-"
                        f"{answer.start + answer.length} of {target} where "
                        f"{start + received}-{start + len(buffer)} were asked for; "
                        "nothing was returned.", path=target)
                else:
                    received = _read_body(answer.chunks, buffer, received, None if progress is None
                                          else functools.partial(progress, buffer=buffer,
                                                                 version=version))
            finally:
                answer.close()
        except (errors.S3ToolsError, ObjectChanged, Stopped) as error:
            if answer is not None:  # answered, then refused or given up: still one request
                policy.log("get_object", target, attempt=attempt, started=started,
                           status=f"answered, body given up ({type(error).__name__})",
                           size=received or None, byte_range=shown_range)
            raise
        except Exception as error:
            policy.log("get_object", target, attempt=attempt, started=started,
                       status=policy.outcome(error), byte_range=shown_range,
                       size=received or None)
            empty = _empty_object(error)
            if empty is not None and version is None and start == 0:
                return bytearray(), empty
            if policy.code_of(error) == "PreconditionFailed" and version is not None:
                raise ObjectChanged(target) from errors.scrub(error)
            if (policy.is_transient(error) or isinstance(error, ShortBody)) \
                    and attempt < clients.settings().max_attempts:
                continue
            if isinstance(error, ShortBody):
                error = botocore.exceptions.IncompleteReadError(
                    actual_bytes=received, expected_bytes=len(buffer or b""))
            raise policy.fail(error, target) from error
        policy.log("get_object", target, attempt=attempt, started=started, status=206,
                   size=received, byte_range=shown_range)
        return buffer, version
    raise AssertionError("unreachable: the last attempt returns or raises")


def _in_one_piece(answer: _Answer, expected: int) -> bytes | None:
    """The whole body as it came, when it came in one chunk of the length asked for (small
    objects): no buffer to fill, and no copy but the one into ``bytes``. Otherwise None,
    with the chunk put back in front of the rest."""
    first = next(answer.chunks, None)
    if first is None or len(first) != expected:
        answer.chunks = iter(()) if first is None else itertools.chain((first,), answer.chunks)
        return None
    if next(answer.chunks, None) is not None:
        raise errors.S3ToolsError("The S3 service sent more bytes than it announced; "
                                  "nothing was returned.")
    return first if isinstance(first, bytes) else bytes(first)


def _read_body(chunks: Iterator[Any], buffer: Any, received: int,
               progress: Callable[[int], None] | None = None) -> int:
    """Fill ``buffer`` from ``received`` on, telling ``progress`` each new total; a body
    that ends early raises :class:`ShortBody`.

    The bytes that did arrive stay in ``buffer``: the next attempt asks only
    for the rest. A body longer than announced is refused.
    """
    view = memoryview(buffer).cast("B")
    # numpy copies without holding the GIL: a parser reading from another thread is
    # not kept waiting while a part arrives.
    target = numpy.asarray(view)
    try:
        for chunk in chunks:
            size = len(chunk)
            if received + size > len(view):
                raise errors.S3ToolsError("The S3 service sent more bytes than it announced; "
                                          "nothing was returned.")
            numpy.copyto(target[received:received + size], numpy.frombuffer(chunk, numpy.uint8))
            received += size
            if progress is not None:
                progress(received)
        if received < len(view):
            raise ShortBody()
        return received
    finally:
        del target
        view.release()


def _workers(parts: int) -> int:
    return max(1, min(clients.settings().max_concurrency, PARALLEL_PARTS, parts))


def restarting(path: S3Path, read: Callable[[], Any]) -> Any:
    """``read()``, started again from the start if the object is replaced meanwhile."""
    for restart in range(_RESTARTS + 1):
        try:
            return read()
        except ObjectChanged:
            if restart == _RESTARTS:
                raise errors.object_changed(str(path)) from None
    raise AssertionError("unreachable")


def fetch(path: S3Path, budget: Any = None) -> bytes | bytearray:
    """A whole object in memory: one GET if small, parallel pinned ranged GETs if large.

    ``budget`` (a ``memory.Budget``): the first GET asks for at most its
    ``first_part``, and its ``admit(path, size)`` may refuse before the rest.
    """
    return restarting(path, lambda: _fetch_once(path, budget))


def _fetch_once(path: S3Path, budget: Any = None) -> bytes | bytearray:
    """The first GET asks for the first part; as soon as its answer gives the size, the
    other parts are asked for in parallel, and every part lands in place in the whole."""
    first_part = PART_SIZE if budget is None else budget.first_part
    whole: bytearray | None = None
    pool: ThreadPoolExecutor | None = None  # only for an object of several parts
    parts: list[Any] = []
    admitted = placed = False  # the size checked; the first part put in place in the whole

    def answered(received: int, buffer: Any, version: Version) -> None:
        nonlocal whole, pool, admitted
        if admitted:
            return  # a later attempt of the first part
        if budget is not None:
            budget.admit(path, version.size)
        admitted = True
        if version.size > first_part:
            whole = bytearray(version.size)
            pool = ThreadPoolExecutor(max_workers=_workers(PARALLEL_PARTS))
            parts.extend(pool.submit(_fill, path, start, version,
                                     memoryview(whole)[start:start + PART_SIZE])
                         for start in range(first_part, version.size, PART_SIZE))

    def allocate(size: int) -> Any:
        nonlocal placed
        if whole is None:
            return bytearray(size)
        placed = True
        return memoryview(whole)[:size]

    try:
        first, version = get_range(path, 0, first_part, progress=answered, allocate=allocate)
        if not admitted and budget is not None:  # an empty object: its answer has no body
            budget.admit(path, version.size)
        if whole is not None and not placed:  # the body came in one piece, not in place
            whole[:len(first)] = first
        for part in parts:
            part.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return first if whole is None else whole


def _fill(path: S3Path, start: int, version: Version, into: memoryview) -> None:
    """A pinned ranged GET into ``into``; returns nothing, so that a finished future does
    not hold on to the buffer."""
    get_range(path, start, len(into), version, into=into)


def _grouped(ranges: Iterable[tuple[int, int]],
             hole: int = 0) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """``(start, length)`` ranges, sorted, in groups of those at most ``hole`` bytes apart
    (overlapping or touching ones always): ``(start, end, its ranges)`` per group."""
    groups: list[tuple[int, int, list[tuple[int, int]]]] = []
    for start, length in sorted((start, length) for start, length in ranges if length > 0):
        if groups and start <= groups[-1][1] + hole:
            first, end, members = groups[-1]
            groups[-1] = (first, max(end, start + length), [*members, (start, length)])
        else:
            groups.append((start, start + length, [(start, length)]))
    return groups


class _Unread:
    """Byte ranges that a reader reads once each, less what it has been handed so far."""

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        # Sorted (start, end) spans, overlaps joined.
        self._spans = [(start, end) for start, end, _ in _grouped(ranges)]
        self._lock = threading.Lock()

    def hand_out(self, start: int, end: int) -> bool:
        """Count ``[start, end)`` as handed out: True once, when the last unread byte is."""
        with self._lock:
            if not self._spans:
                return False
            self._spans = [(low, high) for first, last in self._spans
                           for low, high in ((first, min(last, start)), (max(first, end), last))
                           if low < high]
            return not self._spans


def _unfilled(size: int, pooled: bool = True) -> memoryview:
    """A writable buffer of ``size`` bytes, not zero-filled first (``bytearray(size)``
    writes zeros over every page before a byte arrives).

    ``pooled``: from Arrow's memory pool, for bytes that pyarrow decodes in place
    (Parquet). The pool keeps the pages of buffers let go, so the next read's
    parts land in memory the kernel need not fault in and zero again: a 99 MB
    Parquet file's parts took 0.25 s of CPU in fresh memory, 0.05 s in the pool's.
    Otherwise fresh memory, given back as soon as it is let go: the parts a CSV
    parser copies from (kept in the pool, they sat beside the frame being built:
    851 MB at the peak against 678 MB for a 200 MB CSV, bench/ scenario 1).
    """
    if pooled:
        return memoryview(pyarrow.allocate_buffer(size)).cast("B")
    return memoryview(numpy.empty(size, numpy.uint8))


class _SeekableObject(io.RawIOBase):
    """A read-only, seekable file over an object of ``size`` bytes (subclasses read)."""

    size: int
    _position: int

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position


class ArrivingFile(_SeekableObject):
    """A whole object fetched into memory in parallel parts, readable while they arrive.

    The first GET asks for the object's last bytes (where Parquet and Arrow
    files keep their footer): it tells the size and pins the version, and a
    reader can look at the footer (to check the memory a read needs, say)
    before :meth:`fetch_rest` asks for the rest in parallel parts, in order. A
    read waits only for the parts that hold its bytes and returns them in
    place, a view of the one buffer, without a copy: a Parquet reader decodes
    the first row groups while later ones are still on their way. A read
    outside the tail before :meth:`fetch_rest` is a ranged GET of its own. A
    failure is kept in :attr:`failure`, as in :class:`ObjectStream`, so that a
    parser's error is not taken for the cause.
    """

    def __init__(self, path: S3Path, part_size: int | None = None) -> None:
        super().__init__()
        self.path = path
        self.part_size = part_size or ARRIVING_PART  # the module's, when called
        self.failure: BaseException | None = None
        self._position = 0
        self._pool: ThreadPoolExecutor | None = None
        self._parts: dict[int, Any] = {}
        self._tail, self.version = get_range(path, 0, None, suffix=_ARRIVING_TAIL)
        self.size = self.version.size
        self._rest = self.size - len(self._tail)  # where the tail starts
        self._view: memoryview | None = memoryview(self._tail) if self._rest == 0 else None
        self._unread = _Unread([])
        self._head: bytes | None = None  # kept when the buffer is let go

    def fetch_rest(self, read_once: Iterable[tuple[int, int]] | None = None) -> None:
        """Ask for everything before the tail, in parallel parts (reads wait for theirs).

        ``read_once``: ``(start, length)`` ranges the reader reads once each (a
        Parquet file's column chunks). Once every byte of them has been handed
        out, the buffer is let go: its memory is freed as soon as the reader
        drops what it was given, and a later read is a ranged GET of its own.
        """
        if self._view is not None:
            return
        self._unread = _Unread(read_once or [])
        self._view = view = _unfilled(self.size)
        view[self._rest:] = self._tail
        self._tail = None
        rest, part = self._rest, self.part_size
        self._pool = ThreadPoolExecutor(max_workers=_workers(-(-rest // part)))
        self._parts = {start: self._pool.submit(
            _fill, self.path, start, self.version, view[start:min(start + part, rest)])
            for start in range(0, rest, part)}

    @property
    def head(self) -> bytes:
        """The object's first bytes (for error messages)."""
        return self._head if self._head is not None else bytes(self.pread(0, 4096))

    def pread(self, start: int, end: int) -> Any:
        """The bytes ``[start, end)`` (end capped at the size), once they are in."""
        end = min(end, self.size)
        view = self._view
        if view is None and self._tail is not None and start >= self._rest:
            return memoryview(self._tail)[start - self._rest:end - self._rest]
        if view is None or not self._wait(start, end):  # before fetch_rest, or let go
            try:
                return get_range(self.path, start, end - start, self.version)[0]
            except BaseException as error:
                self.failure = error
                raise
        if self._unread.hand_out(start, end):
            self._let_go()
        return view[start:end]

    def _wait(self, start: int, end: int) -> bool:
        """Until the bytes ``[start, end)`` are in (raises what a part's fetch raised);
        False if one of their parts will not come (the buffer was let go first)."""
        for first in [first for first in list(self._parts)
                      if first < end and start < min(first + self.part_size, self._rest)]:
            part = self._parts.get(first)  # None: another reader thread saw it in
            if part is None:
                continue
            try:
                part.result()
            except CancelledError:
                return False
            except BaseException as error:
                self.failure = error
                raise
            self._parts.pop(first, None)
        return True

    def _let_go(self) -> None:
        """Drop the buffer (every byte of ``read_once`` has been handed out)."""
        first = self._parts.get(0)  # None: in (and popped)
        if first is None or first.done() and not first.cancelled() \
                and first.exception() is None:
            self._head = bytes(self._view[:4096])
        self._view = None
        if self._pool is not None:  # parts not started will not be
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def read(self, size: int | None = -1) -> Any:
        start = self._position
        end = self.size if size is None or size < 0 else start + size
        data = self.pread(start, max(start, end))
        self._position = start + len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[:len(data)] = data
        return len(data)

    def close(self) -> None:
        for future in self._parts.values():
            future.cancel()
        self._parts.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        super().close()


class _Arrival:
    """A part's bytes as :func:`get_range` puts them in place (its ``progress``), for a
    reader in another thread that follows them as far as they have come."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.buffer: Any = None
        self.received = 0
        self.version: Version | None = None
        self.ended = False  # get_range returned or raised
        self.stopped = False  # the reader gave the part up

    def update(self, received: int, buffer: Any, version: Version) -> None:
        with self._changed:
            if self.stopped:
                raise Stopped()
            self.buffer, self.received, self.version = buffer, received, version
            self._changed.notify_all()

    def end(self, _: Any = None) -> None:
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self.stopped = True

    def arrived(self) -> tuple[Any, int]:
        """The buffer and how much of it is final, read together."""
        with self._changed:
            return self.buffer, self.received

    def wait(self, ready: Callable[[], bool]) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self.ended or ready())


class ObjectStream(io.RawIOBase):
    """An object's bytes in order, read while they are still arriving.

    The first GET asks for the first part: its answer gives the size and pins
    the version, the other parts are then fetched in parallel a bounded window
    ahead of the reader, and the reader follows the first part's body as it
    arrives. So a parser starts on the first bytes at once, an object of one
    part is one request, and the whole object never sits in memory at once
    (parts are dropped once read). Every part is pinned to the first one's
    version. A failure is kept in :attr:`failure`, so that whoever reads
    through a parser can tell a network error from a format error. A smaller
    ``part_size`` holds less in memory at once (chunked reads), at the cost of
    more requests. With a ``budget`` (a ``memory.Budget``), the first GET asks
    for at most its ``first_part``, and its ``admit(path, size)`` may refuse
    before the rest (the first part's body is then given up).
    """

    def __init__(self, path: S3Path, version: Version | None = None, *,
                 part_size: int | None = None, budget: Any = None) -> None:
        super().__init__()
        self.path = path
        self.failure: BaseException | None = None
        self._part_size = part_size = part_size or PART_SIZE  # the module's, when called
        first_part = min(part_size, budget.first_part if budget else part_size)
        self._pool = ThreadPoolExecutor(max_workers=_workers(PARALLEL_PARTS) + 1)
        self._pending: collections.deque = collections.deque()
        self._head: bytes | None = None
        self._first: _Arrival | None = _Arrival()
        self._first_fetch = self._pool.submit(
            get_range, path, 0, first_part, version,
            allocate=lambda size: _unfilled(size, pooled=False), progress=self._first.update)
        self._first_fetch.add_done_callback(self._first.end)
        # Errors (not found, denied...) show here, before any parser sees the stream.
        self._first.wait(lambda: self._first.version is not None)
        try:
            if self._first.version is None:
                buffer, found = self._first_fetch.result()  # raises the request's error
                self._first.update(len(buffer), buffer, found)  # an empty object
            self.version = self._first.version
            self.size = self.version.size
            if budget is not None:
                budget.admit(path, self.size)
        except BaseException:
            self.close()
            raise
        self._current: Any = memoryview(b"")
        self._offset = 0
        self._starts = iter(range(min(first_part, self.size), self.size, part_size))
        self._window = _workers((self.size + part_size - 1) // part_size)
        self._fill()

    def _fill(self) -> None:
        while len(self._pending) < self._window + 1:
            start = next(self._starts, None)
            if start is None:
                return
            into = _unfilled(min(self._part_size, self.size - start), pooled=False)
            self._pending.append(self._pool.submit(get_range, self.path, start, len(into),
                                                   self.version, into=into))

    def _available(self) -> int:
        """How much of the part in hand has arrived (the first part may still be arriving);
        raises the first part's failure once it has ended without all its bytes."""
        first = self._first
        if first is None:
            return len(self._current)
        if first.ended and self._first_fetch.exception() is not None:
            raise self._first_fetch.exception()
        buffer, received = first.arrived()
        if buffer is not None and len(self._current) != len(buffer):
            self._current = memoryview(buffer).cast("B")
        return received

    def _first_done(self) -> bool:
        return self._first is None or (self._first.ended and self._first.buffer is not None
                                       and self._first.received == len(self._first.buffer))

    def _wait(self, end: int) -> int:
        """Wait until the part in hand has ``end`` bytes, or all it will have; how many."""
        if self._first is not None:
            first = self._first
            first.wait(lambda: first.buffer is not None and first.received >= min(
                end, len(first.buffer)))
        return self._available()

    def reopen(self) -> ObjectStream:
        """A new stream from the start of the same version (for a second parser)."""
        self.close()
        return ObjectStream(self.path, self.version, part_size=self._part_size)

    @property
    def head(self) -> bytes:
        """The object's first bytes (up to 4 KiB), for error messages."""
        if self._head is None:
            if self._first is None:
                return b""
            with contextlib.suppress(Exception):  # the read's own error is reported, not this
                self._wait(4096)
            buffer, received = self._first.arrived()
            self._head = b"" if buffer is None else bytes(memoryview(buffer)[:min(received, 4096)])
        return self._head

    def readable(self) -> bool:
        return True

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the current position, without reading them (the part
        in hand, waiting for them if it is still arriving)."""
        available = self._wait(self._offset + size)
        return bytes(self._current[self._offset:min(available, self._offset + size)])

    def readinto(self, buffer: Any) -> int:
        try:
            return self._readinto(buffer)
        except BaseException as error:
            self.failure = error
            raise

    def _next_part(self) -> bool:
        """Move to the next part (waiting for it); False at the end of the object."""
        if not self._first_done():
            self._wait(self._offset + 1)
            return True
        if self._first is not None:
            self.head  # noqa: B018 - kept before the first part is let go
            self._first = self._first_fetch = None  # the future holds the part too
        if not self._pending:
            return False
        part, _ = self._pending.popleft().result()
        self._current, self._offset = memoryview(part), 0
        self._fill()
        return True

    def _readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        written = 0
        while written < len(view):
            available = self._available()
            if self._offset >= available:
                if not self._next_part():
                    break
                continue
            count = min(len(view) - written, available - self._offset)
            view[written:written + count] = self._current[self._offset:self._offset + count]
            written += count
            self._offset += count
        return written

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if size <= self._available() - self._offset:
            # Within what has arrived of the part in hand (parsers read 1 MiB blocks): one
            # copy, no buffer.
            piece = bytes(self._current[self._offset:self._offset + size])
            self._offset += size
            return piece
        buffer = bytearray(size)
        return bytes(memoryview(buffer)[:self.readinto(buffer)])

    def close(self) -> None:
        if not self.closed:
            if self._first is not None:
                self._first.stop()
            for future in self._pending:
                future.cancel()
            self._pending.clear()
            self._pool.shutdown(wait=False)
        super().close()


def download(path: S3Path, target: BinaryIO,
             progress: Callable[[int, int], None] | None = None) -> int:
    """Write an object into an open file, part by part (bounded memory); returns its size.

    ``progress(moved, size)`` is told each piece written and the object's size;
    a read that starts again from the start takes back what it had reported.
    """
    reported = [0]

    def once() -> int:
        target.seek(0)
        target.truncate()
        if progress is not None and reported[0]:
            progress(-reported[0], 0)
            reported[0] = 0
        written = 0
        with ObjectStream(path) as stream:
            while True:
                chunk = stream.read(_CHUNK * 8)
                if not chunk:
                    break
                target.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(len(chunk), stream.size)
                    reported[0] += len(chunk)
        if written != stream.size:
            raise errors.S3ToolsError(f"{path} arrived with {written} of its {stream.size} "
                                      "bytes; nothing was kept.", path=str(path))
        return written

    return restarting(path, once)


class Background:
    """Spans of one version of an object, fetched in the background in pieces, several at
    a time: a read waits only for the pieces that hold its bytes, and takes a view of
    the span's one buffer, without a copy.

    A span's ranges (``members``) are what its reader reads once each: once all of
    them have been handed out, the buffer is let go (freed when the reader drops what
    it was given), and :meth:`take` no longer finds those bytes. Members ``None``
    means not known yet (see :meth:`read_once`): the buffer is kept until then.
    ``tail``: the object's last bytes, where a Parquet reader looks first, are a piece
    of their own, asked for first. :meth:`start` sends the pieces (to the pool given,
    or to one of the span's own); :meth:`stop` cancels what has not started, waits for
    what has, and lets every buffer go.
    """

    def __init__(self, path: S3Path, version: Version,
                 spans: list[tuple[int, int, list[tuple[int, int]] | None]], piece: int,
                 *, tail: int = 0) -> None:
        self.path, self.version = path, version
        self._lock = threading.Lock()
        self._segments: list[tuple[int, Any]] = []
        self._unread: dict[int, _Unread | None] = {}  # by segment start
        self._pieces: list[tuple[int, Any]] = []  # (start, buffer to fill), in order to ask
        tail_start = version.size - tail
        for start, end, members in spans:
            buffer = _unfilled(end - start)
            self._segments.append((start, buffer))
            self._unread[start] = None if members is None else _Unread(members)
            boundary = tail_start if tail and start < tail_start < end else end
            cuts = [*range(start, boundary, piece), *([boundary] if boundary < end else [])]
            for first, last in zip(cuts, [*cuts[1:], end]):
                piece_of = (first, buffer[first - start:last - start])
                if tail and first >= tail_start:
                    self._pieces.insert(0, piece_of)
                else:
                    self._pieces.append(piece_of)
        self._pending: list[tuple[int, int, Future]] = []
        self._pool: ThreadPoolExecutor | None = None

    @property
    def pieces(self) -> int:
        return len(self._pieces) + len(self._pending)

    def start(self, pool: ThreadPoolExecutor | None = None, count: int | None = None) -> None:
        """Ask for the next ``count`` pieces (all by default), in a pool of the spans' own
        when ``pool`` is None."""
        with self._lock:  # the pieces taken and sent together, as stop() takes them back
            if pool is None:
                pool = self._pool = self._pool or ThreadPoolExecutor(
                    max_workers=_workers(len(self._pieces)))
            chosen = self._pieces[:count] if count is not None else self._pieces
            self._pieces = self._pieces[len(chosen):]
            self._pending += [(first, len(into), pool.submit(_fill, self.path, first,
                                                              self.version, into))
                              for first, into in chosen]

    def read_once(self, ranges: list[tuple[int, int]]) -> None:
        """The ranges the reader reads once each, for spans whose members were not known."""
        with self._lock:
            for first, buffer in self._segments:
                if self._unread.get(first) is None:
                    self._unread[first] = _Unread(
                        [(start, length) for start, length in ranges
                         if first <= start and start + length <= first + len(buffer)])

    def segments(self) -> list[tuple[int, Any]]:
        with self._lock:
            return list(self._segments)

    def settle(self, start: int, length: int) -> None:
        """Wait for the pieces that hold bytes of ``[start, start + length)`` (raises what
        their fetch raised)."""
        with self._lock:
            waiting = [item for item in self._pending
                       if item[0] < start + length and start < item[0] + item[1]]
        for item in waiting:
            item[2].result()
            with self._lock, contextlib.suppress(ValueError):  # another reader saw it in
                self._pending.remove(item)

    def take(self, start: int, length: int) -> Any:
        """A view of ``[start, start + length)`` once its pieces are in (raises what their
        fetch raised); None if no span holds it whole."""
        end = start + length
        found = next(((first, buffer) for first, buffer in self.segments()
                      if first <= start and end <= first + len(buffer)), None)
        if found is None:
            return None
        first, buffer = found
        self.settle(start, length)
        unread = self._unread.get(first)
        if unread is not None and unread.hand_out(start, end):
            with self._lock:
                self._segments = [segment for segment in self._segments if segment[0] != first]
        return memoryview(buffer)[start - first:end - first]

    def stop(self) -> None:
        """Cancel the pieces not started, wait for those under way (no request outlives
        the read that asked for it), and let every buffer go."""
        with self._lock:
            pending, self._pending, self._pieces, self._segments = self._pending, [], [], []
        for _, _, future in pending:
            future.cancel()
        wait([future for _, _, future in pending])
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


class RangedFile(_SeekableObject):
    """A read-only, seekable file over an object that fetches only the bytes read.

    The first request (which also tells the size and pins the version) asks
    for the tail, where Parquet, Arrow and zip files keep their directory, or,
    with ``head_length``, for the start, where SPSS, Stata and SAS files keep
    theirs. Every later read is pinned to that version. With ``readahead``, a
    read outside what is at hand fetches at least that much, doubling on each
    such read: readers that go through a file in small steps then send a few
    requests, not one per step. With a ``version`` already known (from a
    listing: its size and ETag), nothing is fetched up front: the tail is
    fetched at the first read that reaches it (or taken from ``tail``, the
    :attr:`tail` of an earlier file over the same version), and every read is
    pinned to that version. ``background``: a :class:`Background` already under
    way for this version, shared with other files (reads look there first; closing
    the file leaves it running).
    """

    def __init__(self, path: S3Path, tail_length: int = 0, *, head_length: int = 0,
                 readahead: int = 0, version: Version | None = None,
                 tail: Any = None, views: bool = False,
                 background: Background | None = None) -> None:
        super().__init__()
        self.path = path
        self._views = views  # read() hands out views of what it holds (for pyarrow)
        self._position = 0
        self._segments: list[tuple[int, Any]] = []
        self._background = background
        self._owns_background = False
        self._readahead = readahead
        self._tail: Any = None
        if version is not None:
            self.version = version
            self._tail = tail
        elif head_length:
            first, self.version = get_range(path, 0, head_length)
            self._segments.append((0, first))
            self._tail = bytearray()
        else:
            self._tail, self.version = get_range(path, 0, None, suffix=tail_length)
        self.size = self.version.size
        self._tail_start = self.size - (min(tail_length, self.size) if self._tail is None
                                        else len(self._tail))

    @property
    def tail(self) -> Any:
        """The object's last bytes, once fetched (None before)."""
        return self._tail

    def prefetch(self, ranges: list[tuple[int, int]]) -> None:
        """Fetch ``(start, length)`` ranges in parallel now; reads inside them need no request."""
        ranges = [(start, length) for start, length in ranges
                  if length > 0 and start < self._tail_start]
        if not ranges:
            return
        with ThreadPoolExecutor(max_workers=_workers(len(ranges))) as pool:
            parts = list(pool.map(
                lambda r: get_range(self.path, r[0], r[1], self.version)[0], ranges))
        self._segments.extend(zip([start for start, _ in ranges], parts))

    def prefetch_in_background(self, ranges: list[tuple[int, int]], piece: int | None = None,
                               *, hole: int = 0) -> None:
        """Start fetching ``(start, length)`` ranges, in pieces of at most ``piece`` bytes,
        in order, several at a time, and return: a read waits only for the pieces it needs,
        so a reader works on the first while the rest arrive. Closing the file stops what
        has not started.

        The ranges are what the reader reads, once each. Ranges at most ``hole`` bytes
        apart share one buffer (the reader joins them into one read); a buffer is let go
        once all its ranges have been handed out, and a later read of it is a GET.
        """
        spans = _grouped([(start, length) for start, length in ranges
                          if start < self._tail_start], hole)
        if not spans:
            return
        self._background = Background(self.path, self.version, spans, piece or PART_SIZE)
        self._owns_background = True
        self._background.start()

    def close(self) -> None:
        if self._background is not None and self._owns_background:
            self._background.stop()
        self._background = None
        self._segments = []  # the tail stays (for a later file over the same version)
        super().close()

    def read(self, size: int | None = -1) -> Any:
        if not self._views:
            return super().read(size)
        length = self.size - self._position if size is None or size < 0 else \
            min(size, self.size - self._position)
        data = self._bytes(self._position, length) if length > 0 else b""
        self._position += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        length = min(len(view), self.size - self._position)
        if length <= 0:
            return 0
        data = self._bytes(self._position, length)
        view[:len(data)] = data
        self._position += len(data)
        return len(data)

    def _bytes(self, start: int, length: int) -> Any:
        """``[start, start + length)``: a view of what is at hand, or fetched."""
        background = self._background
        if background is not None:
            data = background.take(start, length)
            if data is not None:
                return data
        if start >= self._tail_start:
            if self._tail is None:
                self._tail, _ = get_range(self.path, self._tail_start,
                                          self.size - self._tail_start, self.version)
            offset = start - self._tail_start
            return memoryview(self._tail)[offset:offset + length]
        first, part = next(((first, part) for first, part in self._segments
                            if first <= start and start + length <= first + len(part)),
                           (None, None))
        if first is not None:
            return memoryview(part)[start - first:start - first + length]
        data = self._joined(start, length)
        if data is None:
            data = self._fetch(start, length)
        return data

    def _joined(self, start: int, length: int) -> bytearray | None:
        """``[start, start + length)`` from prefetched parts that follow one another
        (None when a byte of it is in none)."""
        joined = bytearray()
        position, end = start, start + length
        held = self._segments
        if self._background is not None:
            self._background.settle(start, length)
            held = held + self._background.segments()
        for first, part in sorted(held, key=lambda segment: segment[0]):
            if first <= position < first + len(part):
                piece = memoryview(part)[position - first:min(len(part), end - first)]
                joined += piece
                position += len(piece)
                if position >= end:
                    return joined
        return None

    def _fetch(self, start: int, length: int) -> Any:
        if not self._readahead:
            return get_range(self.path, start, length, self.version)[0]
        wanted = min(max(length, self._readahead), self._tail_start - start)
        self._readahead = min(self._readahead * 2, PART_SIZE)
        part, _ = get_range(self.path, start, max(wanted, length), self.version)
        self._segments.append((start, part))
        return memoryview(part)[:length]
