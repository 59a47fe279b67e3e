"""A stream in one GET: the object's body followed into the stream's parts as it arrives.

Where a parser reads a stream as fast as its bytes come, one request serves the
whole object: the service does the least work, and every read is one line in
its log. The body fills the stream's parts in turn, each a buffer of its own
made when the reader's window has room; once ``window`` parts have arrived and
are unread, the GET waits (the connection holds the rest back) until the reader
lets one go. A body cut short is asked for again from the byte where it
stopped, pinned to its version (:mod:`.sender`).

With a memory budget, the first GET asks for at most its ``first_part``, so a
read refused at the first answer has fetched little; the rest, if any, is one
more GET.

A :class:`Follower` works inside an :class:`~.reader.ObjectReader`: its lock,
its spans and its window are the reader's.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy

from . import policy
from .answers import Version
from .pieces import DONE, SENT, Piece, Span, Unread, kept
from .sender import get_range

if TYPE_CHECKING:
    from .reader import ObjectReader


class Follower:
    """The GET (or two) of a followed stream, and the parts it fills (see the module)."""

    def __init__(self, reader: ObjectReader, part: int, window: int, budget: Any) -> None:
        self.reader, self.part, self.window, self.budget = reader, part, window, budget
        self.first = None if budget is None else max(1, budget.first_part)
        self.carrier = Piece(0, 0, None)  # the reader's record of the GET under way
        self.parts: list[Piece] = []  # one per part of the object, in order
        self._filling = 0  # the first part not yet filled

    def start(self) -> None:
        """Send the GET; return once its answer has come (raising its error).

        Raises:
            the GET's error (not found, denied, the network...), TooLargeError.
        """
        reader, carrier = self.reader, self.carrier
        reader._window = self.window
        carrier.state = SENT
        reader._running.add(carrier)
        carrier.future = reader._threads_pool().submit(self._run)
        with reader._changed:
            reader._changed.wait_for(lambda: reader._opened or carrier.state != SENT)
            reader._raise_failed(carrier)

    def _run(self) -> None:
        reader = self.reader
        try:
            _, version = self._get(0, self.first, None)
            if not reader._opened:  # an empty object: its answer had no body
                self._arrived(0, 0, b"", version)
            if self.first is not None and self.first < reader.size:
                self._get(self.first, None, _Sink(self, self.first, reader.size - self.first))
        except BaseException as failure:  # noqa: BLE001 - kept for whoever reads
            reader._ended(self.carrier, kept(failure))
        else:
            reader._ended(self.carrier, None)
        with reader._changed:  # the parts it did not fill will not come
            for piece in self.parts:
                if piece.state == SENT:
                    piece.state, piece.error = self.carrier.state, self.carrier.error
            reader._changed.notify_all()

    def _get(self, start: int, length: int | None, into: Any) -> tuple[Any, Version]:
        return get_range(
            self.reader.path, start, length, self.reader.version, into=into,
            allocate=lambda size: _Sink(self, start, size),
            progress=functools.partial(self._arrived, start),
            given_up=lambda: self.carrier.stopped)

    def _arrived(self, start: int, received: int, buffer: Any, version: Version) -> None:
        """A GET's ``progress``: at the first answer, admit and plan the parts; then the
        parts filled so far."""
        reader = self.reader
        if not reader._opened:
            reader.version = reader.version or version
            if self.budget is not None:
                self.budget.admit(reader.path, version.size)
            with reader._changed:
                self._plan(version.size)
                reader._opened = True
                reader._changed.notify_all()
        if self.carrier.stopped:
            raise policy.Stopped()
        if isinstance(buffer, bytes) and buffer:  # came in one piece: put in its parts
            _Sink(self, start, len(buffer)).fill(buffer)
        with reader._changed:
            self.filled(start + received)

    def _plan(self, size: int) -> None:
        for start in range(0, size, self.part):
            end = min(start + self.part, size)
            span = Span(start, end, None, Unread([(start, end - start)]))
            piece = Piece(start, end, span)
            piece.state = SENT  # filled by the GET under way
            span.pieces.append(piece)
            self.reader._spans.append(span)
            self.parts.append(piece)

    def filled(self, end: int) -> None:
        """The object's bytes before ``end`` are in place: their parts say so (with the
        reader's lock held)."""
        while self._filling < len(self.parts):
            piece = self.parts[self._filling]
            if piece.state == SENT:
                piece.received = max(0, min(end, piece.end) - piece.start)
                if piece.received < piece.end - piece.start:
                    break
                piece.state = DONE
            self._filling += 1
        self.reader._changed.notify_all()

    def place(self, position: int) -> Any:
        """Where the object's byte ``position`` goes: a view to the end of its part's
        buffer, made once the window has room."""
        reader = self.reader
        with reader._changed:
            span = self.parts[position // self.part].span
            assert span is not None
            if span.buffer is None:
                self.filled(position)  # a chunk may fill several parts: read on
                reader._changed.wait_for(lambda: self.carrier.stopped or reader._room())
                if self.carrier.stopped or span.gone:
                    raise policy.Stopped()
                span.buffer = reader._new_buffer(span.end - span.start)
            return numpy.asarray(span.buffer)[position - span.start:]


class _Sink:
    """One GET's body as the sender fills it (``place``): the parts from ``start`` on."""

    def __init__(self, follower: Follower, start: int, length: int) -> None:
        self._follower, self._start, self._length = follower, start, length

    def __len__(self) -> int:
        return self._length

    def place(self, offset: int) -> Any:
        return self._follower.place(self._start + offset)

    def fill(self, data: bytes) -> None:
        """Put a body that came in one piece in its parts."""
        values, offset = numpy.frombuffer(data, numpy.uint8), 0
        while offset < len(values):
            into = self.place(offset)
            size = min(len(into), len(values) - offset)
            numpy.copyto(into[:size], values[offset:offset + size])
            offset += size
