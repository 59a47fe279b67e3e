"""What an object reader is made of: spans (one buffer each), the pieces that fill them,
the ranges still unread, and where buffers come from."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

import numpy
import pyarrow

from . import clients, sizes

Ranges = list[tuple[int, int]]  # (start, length)

# What a piece is doing.
PLANNED, SENT, DONE, FAILED, DROPPED = "planned", "sent", "done", "failed", "dropped"


def workers(parts: int) -> int:
    """How many pieces of one object are fetched at once."""
    return max(1, min(clients.settings().max_concurrency, sizes.PARALLEL_PARTS, parts))


def grouped(ranges: Iterable[tuple[int, int]],
            hole: int = 0) -> list[tuple[int, int, Ranges]]:
    """``(start, length)`` ranges, sorted, in groups of those at most ``hole`` bytes apart
    (overlapping or touching ones always): ``(start, end, its ranges)`` per group."""
    groups: list[tuple[int, int, Ranges]] = []
    for start, length in sorted((start, length) for start, length in ranges if length > 0):
        if groups and start <= groups[-1][1] + hole:
            first, end, members = groups[-1]
            groups[-1] = (first, max(end, start + length), [*members, (start, length)])
        else:
            groups.append((start, start + length, [(start, length)]))
    return groups


class Unread:
    """Byte ranges that a reader reads once each, less what it has been handed so far."""

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        self._spans = [(start, end) for start, end, _ in grouped(ranges)]

    def hand_out(self, start: int, end: int) -> bool:
        """Count ``[start, end)`` as handed out: True once, when the last unread byte is."""
        if not self._spans:
            return False
        self._spans = [(low, high) for first, last in self._spans
                       for low, high in ((first, min(last, start)), (max(first, end), last))
                       if low < high]
        return not self._spans


class Span:
    """One buffer: the object's bytes ``[start, end)``, filled by its pieces (none: held)."""

    __slots__ = ("buffer", "end", "gone", "pieces", "start", "unread")

    def __init__(self, start: int, end: int, buffer: Any, unread: Unread | None) -> None:
        self.start, self.end, self.buffer, self.unread = start, end, buffer, unread
        self.pieces: list[Piece] = []
        self.gone = False  # let go: its bytes are no longer handed out


class Piece:
    """One ranged GET into its span's buffer, and how many of its bytes are in place."""

    __slots__ = ("end", "error", "future", "received", "span", "start", "state", "stopped")

    def __init__(self, start: int, end: int, span: Span | None) -> None:
        self.start, self.end, self.span = start, end, span
        self.received = 0
        self.state = PLANNED
        self.error: BaseException | None = None
        self.future: Future | None = None
        self.stopped = False  # its progress raises Stopped: the GET is given up

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end


class Spares:
    """A stream's part buffers once let go, for its next parts: touched once, their pages
    need no fresh zeroing by the kernel (most of what a new buffer costs here).

    A buffer let go is *retired*; it becomes *ready* to be filled again at the
    stream's next counted read, when its reader has copied out what it was handed
    before (a stream's reads copy: :class:`~.files.ObjectFile`).
    """

    def __init__(self) -> None:
        self._retired: list[Any] = []
        self._ready: list[Any] = []

    def retire(self, buffer: Any) -> None:
        if isinstance(buffer, memoryview) and not buffer.readonly:  # not a body kept whole
            self._retired.append(buffer)

    def read_on(self) -> None:
        """The reader reads on: what it was handed before has been copied out."""
        self._ready += self._retired
        self._retired = []

    def take(self, size: int) -> Any:
        """A ready buffer of at least ``size`` bytes (cut to it), or None."""
        for index, buffer in enumerate(self._ready):
            if len(buffer) >= size:
                del self._ready[index]
                return buffer[:size]
        return None

    def clear(self) -> None:
        self._retired, self._ready = [], []


def new_buffer(memory: str, size: int) -> Any:
    """A writable buffer of ``size`` bytes from ``memory`` (see ``ObjectReader``): the
    pool's and fresh memory are not zero-filled first (``bytearray(size)`` writes zeros
    over every page before a byte arrives)."""
    if memory == "pool":
        return memoryview(pyarrow.allocate_buffer(size)).cast("B")
    if memory == "fresh":
        return memoryview(numpy.empty(size, numpy.uint8))
    return bytearray(size)


def kept(error: BaseException) -> BaseException:
    """A piece's failure, kept for its reader without what the failed request's frames
    held (the buffer it was filling: a buffer let go must not outlive its reads)."""
    traceback.clear_frames(error.__traceback__)
    return error


def cuts(start: int, end: int, piece: int, tail_start: int | None) -> list[tuple[int, int]]:
    """``[start, end)`` in pieces of at most ``piece`` bytes, cut at ``tail_start`` too."""
    boundary = tail_start if tail_start is not None and start < tail_start < end else end
    marks = [*range(start, boundary, piece), *([boundary] if boundary < end else [])]
    return list(zip(marks, [*marks[1:], end]))
