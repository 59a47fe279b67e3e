"""Whole objects: into memory (:func:`fetch`) or into a file (:func:`download`), and the
start again of a read whose object was replaced under it (:func:`restarting`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar

from .. import errors
from ..paths import S3Path
from . import sizes
from .files import open_stream
from .reader import ObjectReader

T = TypeVar("T")

# How often a read starts again from the start after the object was replaced.
_RESTARTS = 1


def restarting(path: S3Path, read: Callable[[], T]) -> T:
    """``read()``, started again from the start if the object is replaced meanwhile.

    Raises:
        ObjectChangedError: it was replaced again after the fresh start.
    """
    for restart in range(_RESTARTS + 1):
        try:
            return read()
        except errors.ObjectChangedError as error:
            if error.restarted:
                raise  # a read inside this one already started again
            if restart == _RESTARTS:
                raise errors.object_changed(str(path)) from None
    raise AssertionError("unreachable")


def fetch(path: S3Path, budget: Any = None) -> bytes | bytearray:
    """A whole object in memory: one GET if small, parallel pinned ranged GETs if large.

    The first GET asks for the first part; as soon as its answer gives the size,
    the other parts are asked for in parallel, and every part lands in place in
    the whole. ``budget`` (a ``memory.Budget``): the first GET asks for at most its
    ``first_part``, and its ``admit(path, size)`` may refuse before the rest.

    Raises:
        NotFoundError, AccessDeniedError, S3ConnectionError, TooLargeError,
        ObjectChangedError.
    """
    return restarting(path, lambda: _fetch_once(path, budget))


def _fetch_once(path: S3Path, budget: Any) -> bytes | bytearray:
    first = sizes.PART_SIZE if budget is None else max(1, min(sizes.PART_SIZE,
                                                               budget.first_part))
    reader = ObjectReader(path, memory="bytes")
    try:
        reader.open_start(first, budget=budget)
        return reader.result()
    finally:
        reader.stop()


def download(path: S3Path, target: BinaryIO,
             progress: Callable[[int, int], None] | None = None) -> int:
    """Write an object into an open file, part by part (bounded memory); returns its size.

    ``progress(moved, size)`` is told each piece written and the object's size;
    a read that starts again from the start takes back what it had reported.

    Raises:
        NotFoundError, AccessDeniedError, S3ConnectionError, ObjectChangedError.
    """
    reported = [0]

    def once() -> int:
        target.seek(0)
        target.truncate()
        if progress is not None and reported[0]:
            progress(-reported[0], 0)
            reported[0] = 0
        written = 0
        with open_stream(path) as stream:
            while True:
                chunk = stream.read(sizes.CHUNK * 8)
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
