"""The one object reader: an object's bytes fetched in pieces, in parallel, into buffers
it hands out views of, and lets go of once they have been read.

Every read of an object in parts is a use of :class:`ObjectReader`:

- a whole read (:func:`s3tools.transport.fetch`): the first GET asks for the
  first part; its answer gives the size, is checked against the memory budget,
  and the other parts are asked for at once, into one buffer where the first
  part lands in place;
- a stream (:func:`s3tools.transport.open_stream`): the same first GET, run
  in the background and followed as its body arrives; the other parts each in
  a buffer of its own, a bounded window ahead of the reader, let go once read;
  or the whole object in one GET whose body fills those parts (:mod:`.followed`,
  which works inside the reader);
- a file read in place (:func:`s3tools.transport.open_file`): spans of the
  object (a Parquet file whole, or the column chunks a dataset reads) in
  pieces into one buffer per span; a span goes once every range its reader
  reads once (``members``) has been handed out.

Every piece is pinned to one version and reports its bytes as they land: a
read waits only for the bytes it needs. :meth:`ObjectReader.stop` cancels
what has not been sent, gives up what is under way and lets every buffer go.
"""

from __future__ import annotations

import collections
import functools
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..paths import S3Path
from . import policy, sizes
from .answers import Version
from .pieces import (
    DONE,
    DROPPED,
    FAILED,
    PLANNED,
    SENT,
    Piece,
    Ranges,
    Span,
    Spares,
    Unread,
    cuts,
    kept,
    new_buffer,
    workers,
)
from .sender import get_range

__all__ = ["ObjectReader"]


class ObjectReader:
    """One version of an object, fetched in pieces (see the module).

    Args:
        path: the object.
        version: the version every piece is pinned to; None until :meth:`open_start`
            learns it from the first answer.
        memory: where buffers come from: ``"pool"``, Arrow's memory pool, for bytes
            pyarrow decodes in place (its pages stay mapped between reads, so the next
            read's parts need not be faulted in and zeroed again); ``"fresh"``, a
            stream's: new memory for the first parts, then the buffers of those let go
            (:class:`~.pieces.Spares`), given back when the stream ends (kept in the
            pool, they would sit beside the frame being built);
            ``"bytes"``, a ``bytearray`` (whole reads return it).
        pool: the threads that send the pieces (shared by several readers); by default
            the reader's own, made at the first piece sent.
        threads: the size of its own pool (default: :func:`workers` of what is planned).
    """

    def __init__(self, path: S3Path, version: Version | None = None, *, memory: str = "pool",
                 pool: ThreadPoolExecutor | None = None, threads: int | None = None) -> None:
        self.path, self.version = path, version
        self._memory, self._pool, self._threads = memory, pool, threads
        self._own_pool: ThreadPoolExecutor | None = None
        self._changed = threading.Condition()
        self._spans: list[Span] = []
        self._planned: collections.deque[Piece] = collections.deque()
        self._running: set[Piece] = set()
        self._window: int | None = None  # spans under way or unread at most (streams)
        self._first: Piece | None = None
        self._opened = False  # the first answer has come and was admitted
        self._head: bytes | None = None
        self._spares = Spares() if memory == "fresh" else None

    @property
    def size(self) -> int:
        assert self.version is not None, "the reader's first answer has not come"
        return self.version.size

    @property
    def pieces(self) -> int:
        """How many pieces are planned or under way."""
        with self._changed:
            return len(self._planned) + len(self._running)

    def spans(self) -> list[tuple[int, Any]]:
        """The buffers held, with where they start."""
        with self._changed:
            return [(span.start, span.buffer) for span in self._spans
                    if span.buffer is not None]

    # ------------------------------------------------------------ planning

    def hold(self, start: int, buffer: Any) -> None:
        """Keep bytes already fetched (a file's tail, a read-ahead): a span with no pieces."""
        with self._changed:
            self._spans.append(Span(start, start + len(buffer), buffer, None))

    def plan(self, spans: Iterable[tuple[int, int, Ranges | None]], piece: int, *,
             tail: int = 0) -> None:
        """Cut ``(start, end, members)`` spans into pieces of at most ``piece`` bytes, one
        buffer per span, to be sent by :meth:`send`.

        ``members``: the ranges the reader reads once each: once all of them have
        been handed out, the buffer is let go. None: not known yet (see
        :meth:`read_once`); the buffer is kept until then. ``tail``: the object's last
        ``tail`` bytes are a piece of their own, sent first (a Parquet reader looks
        there first). Bytes already held are copied, not asked for again.
        """
        tail_start = self.size - tail if tail else None
        with self._changed:
            for start, end, members in spans:
                span = Span(start, end, new_buffer(self._memory, end - start),
                            None if members is None else Unread(members))
                for first, last in cuts(start, end, piece, tail_start):
                    item = Piece(first, last, span)
                    span.pieces.append(item)
                    if self._copy_held(item):
                        continue
                    if tail_start is not None and first >= tail_start:
                        self._planned.appendleft(item)
                    else:
                        self._planned.append(item)
                self._spans = [held for held in self._spans if held.pieces or not (
                    start <= held.start and held.end <= end)]  # copied in: superseded
                self._spans.append(span)

    def read_once(self, ranges: Ranges) -> None:
        """The ranges the reader reads once each, for spans planned without them."""
        with self._changed:
            for span in self._spans:
                if span.unread is None and span.pieces:
                    span.unread = Unread([(start, length) for start, length in ranges
                                          if span.start <= start
                                          and start + length <= span.end])

    def use_pool(self, pool: ThreadPoolExecutor) -> None:
        """Send the pieces to these threads, shared with other readers."""
        with self._changed:
            self._pool = pool

    def send(self, count: int | None = None) -> None:
        """Send the next ``count`` planned pieces (all by default, within the window)."""
        with self._changed:
            self._send(count)

    # ------------------------------------------------------------ the first GET

    def open_start(self, length: int, *, budget: Any = None, part: int | None = None,
                   follow: bool = False) -> None:
        """The first GET, of bytes ``[0, length)``: its answer gives the size and pins the
        version, ``budget.admit(path, size)`` may refuse before anything else is asked
        for, and the rest is then asked for at once.

        ``part``: the rest in parts of that size, each a buffer of its own, let go once
        read, a bounded window ahead (a stream); None: in parts of
        :data:`~.sizes.PART_SIZE` into one buffer, where the first part lands in place
        (a whole read). ``follow``: the first GET runs in the background and this
        returns once its answer has come; the reader follows its body as it arrives.

        Raises:
            the first GET's error (not found, denied, the network...), TooLargeError.
        """
        first = self._first = Piece(0, length, None)
        first.state = SENT
        self._running.add(first)
        run = functools.partial(self._fetch_first, first, budget, part)
        if not follow:
            run()
            self._raise_failed(first)
        else:
            first.future = self._threads_pool().submit(run)
            with self._changed:
                self._changed.wait_for(lambda: self._opened or first.state != SENT)
                self._raise_failed(first)
        # A stream's parts are sent (and their buffers made) by its reader's thread, as
        # later ones are when a part is let go: the memory freed by one part is then at
        # hand for the next (made in a thread of the pool, it sat apart, unused).
        self.send()

    def _fetch_first(self, piece: Piece, budget: Any, part: int | None) -> None:
        try:
            buffer, version = get_range(
                self.path, 0, piece.end, self.version,
                allocate=functools.partial(self._first_buffer, piece, part),
                progress=functools.partial(self._first_arrived, piece, budget, part),
                given_up=lambda: piece.stopped)
            if not self._opened:  # an empty object: its answer had no body
                self._first_arrived(piece, budget, part, 0, buffer, version)
        except BaseException as failure:  # noqa: BLE001 - kept for whoever reads
            self._ended(piece, kept(failure))
        else:
            self._ended(piece, None)

    def _first_arrived(self, piece: Piece, budget: Any, part: int | None, received: int,
                       buffer: Any, version: Version) -> None:
        """The first GET's ``progress``: at its answer, admit and plan the rest."""
        if not self._opened:
            self.version = self.version or version
            if budget is not None:
                budget.admit(self.path, version.size)
            with self._changed:
                piece.end = min(piece.end, version.size)
                self._plan_rest(piece, part)
                self._opened = True
                self._changed.notify_all()
        with self._changed:
            if piece.stopped:
                raise policy.Stopped()
            if buffer is not None and piece.span is None:
                self._add_first_span(piece, buffer, part)
            elif isinstance(buffer, bytes) and piece.span is not None:
                # Came in one piece, not in place: the one copy into the whole.
                memoryview(piece.span.buffer)[:len(buffer)] = buffer
            piece.received = received
            self._changed.notify_all()

    def _first_buffer(self, piece: Piece, part: int | None, length: int) -> Any:
        """The first GET's ``allocate``: its place in the whole, or a buffer of its own."""
        with self._changed:
            if piece.span is not None:
                return memoryview(piece.span.buffer)[:length]
            buffer = self._new_buffer(length)
            self._add_first_span(piece, buffer, part)
            return buffer

    def _add_first_span(self, piece: Piece, buffer: Any, part: int | None) -> None:
        span = Span(0, len(buffer), buffer, None if part is None else Unread([(0, len(buffer))]))
        span.pieces.append(piece)
        piece.span = span
        self._spans.insert(0, span)  # before the parts after it: a stream reads in order

    def _plan_rest(self, first: Piece, part: int | None) -> None:
        """After the first answer, the rest of the object: a whole read's parts sent at once
        (from this answer), a stream's by :meth:`open_start`."""
        size = self.size
        if first.end >= size:
            return
        if part is None:
            span = Span(0, size, new_buffer(self._memory, size), None)
            span.pieces.append(first)
            first.span = span
            self._spans.append(span)
            for start in range(first.end, size, sizes.PART_SIZE):
                item = Piece(start, min(start + sizes.PART_SIZE, size), span)
                span.pieces.append(item)
                self._planned.append(item)
        else:
            self._window = workers(-(-size // part)) + 2
            for start in range(first.end, size, part):
                end = min(start + part, size)
                span = Span(start, end, None, Unread([(start, end - start)]))  # made when sent
                span.pieces.append(Piece(start, end, span))
                self._spans.append(span)
                self._planned.append(span.pieces[0])
            return  # sent by open_start, in the reader's thread
        self._send()

    # ------------------------------------------------------------ sending

    def _send(self, count: int | None = None) -> None:
        sent = 0
        while self._planned and (count is None or sent < count) and self._room():
            self._submit(self._planned.popleft())
            sent += 1

    def _room(self) -> bool:
        if self._window is None:
            return True
        # A stream's parts are sent in order: those under way or unread come first, after
        # the first part's (which has no span yet while its answer's body is not placed).
        live = 1 if self._first is not None and self._first.span is None else 0
        for span in self._spans:
            if span.buffer is None:
                break
            live += 1
        return live < self._window

    def _submit(self, piece: Piece) -> None:
        span = piece.span
        if span is not None and span.buffer is None:
            span.buffer = self._new_buffer(span.end - span.start)
        piece.state = SENT
        self._running.add(piece)
        piece.future = self._threads_pool().submit(self._fill, piece)

    def _new_buffer(self, size: int) -> Any:
        spare = self._spares.take(size) if self._spares is not None else None
        return spare if spare is not None else new_buffer(self._memory, size)

    def _threads_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = self._own_pool = ThreadPoolExecutor(
                max_workers=self._threads or workers(len(self._planned) + 1))
        return self._pool

    def _fill(self, piece: Piece) -> None:
        """A pinned ranged GET into the piece's place; returns nothing, so that a finished
        future does not hold on to the buffer."""
        with self._changed:
            span = piece.span
            into = None if piece.stopped or span is None or span.gone else \
                memoryview(span.buffer)[piece.start - span.start:piece.end - span.start]
        if into is None:  # given up, or let go, before it was sent
            self._ended(piece, policy.Stopped())
            return
        try:
            get_range(self.path, piece.start, piece.end - piece.start, self.version,
                      into=into, progress=functools.partial(self._arrived, piece),
                      given_up=lambda: piece.stopped)
        except BaseException as failure:  # noqa: BLE001 - kept for whoever reads
            del into
            self._ended(piece, kept(failure))
        else:
            del into
            self._ended(piece, None)

    def _arrived(self, piece: Piece, received: int, buffer: Any, version: Version) -> None:
        with self._changed:
            if piece.stopped:
                raise policy.Stopped()
            piece.received = received
            self._changed.notify_all()

    def _ended(self, piece: Piece, error: BaseException | None) -> None:
        with self._changed:
            self._running.discard(piece)
            if error is None:
                piece.state = DONE
            elif piece.stopped or isinstance(error, policy.Stopped):
                piece.state = DROPPED
            else:
                piece.state, piece.error = FAILED, error
            self._changed.notify_all()

    # ------------------------------------------------------------ reading

    def view(self, start: int, end: int, *, clip: bool = False,
             count: bool = True) -> memoryview | None:
        """The bytes ``[start, end)`` from the buffer that holds them, once they are in.

        ``clip``: up to the end of the buffer that holds ``start`` (a stream's part),
        fewer than asked for. ``count``: the bytes are handed out (a peek is not).
        None when no buffer holds them (or their piece was dropped).

        Raises:
            what their piece's GET raised.
        """
        with self._changed:
            if count and self._spares is not None:
                self._spares.read_on()
            span = self._span_for(start, start + 1 if clip else end)
            if span is None:
                return None
            end = min(end, span.end) if clip else end
            if not self._ready(span, start, end):
                return None
            data = memoryview(span.buffer)[start - span.start:end - span.start]
            if count and span.unread is not None and span.unread.hand_out(start, end):
                self._let_go(span)
            return data

    def joined(self, start: int, end: int) -> bytearray | None:
        """``[start, end)`` from buffers that follow one another (a copy); None when a
        byte of it is in none."""
        joined, position = bytearray(), start
        with self._changed:
            for span in sorted(self._spans, key=lambda span: span.start):
                if span.start <= position < span.end and not span.gone:
                    stop = min(span.end, end)
                    if not self._ready(span, position, stop):
                        return None
                    joined += memoryview(span.buffer)[position - span.start:stop - span.start]
                    position = stop
                    if position >= end:
                        return joined
        return None

    def result(self) -> Any:
        """A whole read's buffer (see :meth:`open_start`), once every part is in."""
        with self._changed:
            span = self._first.span if self._first is not None else None
            if span is None or not self._ready(span, 0, span.end):
                raise AssertionError("a whole read ended without its bytes")
            return span.buffer

    def head(self) -> bytes | None:
        """The object's first bytes (for the hints of a format error): kept when their
        buffer was let go; None when no buffer holds them."""
        with self._changed:
            if self._head is not None:
                return self._head
        data = self.view(0, sizes.HEAD_SIZE, clip=True, count=False)
        return None if data is None else bytes(data)

    def _span_for(self, start: int, end: int) -> Span | None:
        """The span that holds ``[start, end)``, waiting for the first GET's own buffer if
        the bytes may be in it."""
        while True:
            for span in self._spans:
                if span.start <= start and end <= span.end and not span.gone:
                    return span
            first = self._first
            if first is None or first.span is not None or start >= first.end:
                return None
            if first.state != SENT:
                self._raise_failed(first)
                return None
            self._changed.wait()

    def _ready(self, span: Span, start: int, end: int) -> bool:
        """Wait until ``[start, end)`` of ``span`` is in (pieces planned are sent now);
        False if a piece will not come (the span was let go). Raises a piece's failure."""
        while True:
            if span.gone:
                return False
            waiting = False
            for piece in [piece for piece in span.pieces if piece.overlaps(start, end)]:
                if piece.state == FAILED:
                    raise piece.error  # type: ignore[misc]
                if piece.state == DROPPED:
                    return False
                if piece.state == PLANNED:  # wanted now, whatever the window
                    self._planned.remove(piece)
                    self._submit(piece)
                waiting = waiting or piece.received < min(end, piece.end) - piece.start
            if not waiting:
                return True
            self._changed.wait()

    def _raise_failed(self, piece: Piece) -> None:
        if piece.state == FAILED:
            raise piece.error  # type: ignore[misc]

    # ------------------------------------------------------------ letting go

    def _let_go(self, span: Span) -> None:
        """Drop a span whose members have all been handed out: its pieces not sent are
        not, those under way are given up (and waited for, so that nothing holds the
        buffer but what was handed out)."""
        if span.start == 0 and self._head is None:
            arrived = span.pieces[0].received if span.pieces else span.end
            self._head = bytes(memoryview(span.buffer)[:min(sizes.HEAD_SIZE, arrived)])
        span.gone = True
        self._spans.remove(span)
        under_way = self._give_up(span.pieces)
        buffer, span.buffer = span.buffer, None
        self._changed.wait_for(lambda: not any(piece.state == SENT for piece in under_way))
        if self._spares is not None:  # nothing writes into it now
            self._spares.retire(buffer)
        del buffer
        self._send()
        self._changed.notify_all()  # a followed GET may be waiting for room

    def _give_up(self, pieces: Iterable[Piece]) -> list[Piece]:
        """Drop the planned ones and stop the sent ones; the ones still under way."""
        under_way = []
        for piece in pieces:
            if piece.state == PLANNED:
                self._planned.remove(piece)
                piece.state = DROPPED
            elif piece.state == SENT:
                piece.stopped = True
                if piece.future is not None and piece.future.cancel():
                    self._running.discard(piece)
                    piece.state = DROPPED
                else:
                    under_way.append(piece)
        return under_way

    def stop(self, wait: bool = True) -> None:
        """Send nothing more, give up what is under way (waited for with ``wait``: no
        request outlives the read that asked for it), and let every buffer go."""
        with self._changed:
            under_way = self._give_up([*self._planned, *self._running])
            for span in self._spans:
                span.gone, span.buffer = True, None
            self._spans = []
            if self._spares is not None:
                self._spares.clear()
            self._changed.notify_all()
            if wait:
                self._changed.wait_for(lambda: not any(piece.state == SENT
                                                       for piece in under_way))
        if self._own_pool is not None:
            self._own_pool.shutdown(wait=False)
            self._own_pool = None

    def _copy_held(self, piece: Piece) -> bool:
        """Fill a piece from a held span that has its bytes (no request); whether it did."""
        for held in self._spans:
            if not held.pieces and held.start <= piece.start and piece.end <= held.end:
                target = memoryview(piece.span.buffer)  # type: ignore[union-attr]
                offset = piece.start - piece.span.start  # type: ignore[union-attr]
                target[offset:offset + piece.end - piece.start] = \
                    memoryview(held.buffer)[piece.start - held.start:piece.end - held.start]
                piece.state, piece.received = DONE, piece.end - piece.start
                return True
        return False
