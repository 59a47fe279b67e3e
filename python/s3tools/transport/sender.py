"""The ranged-GET sender: one range of an object's bytes, checked, resumed, logged.

A GET is sent through the client chosen for the settings (:mod:`.answers`),
under the one retry policy (:func:`.policy.retrying`). With a version, it
is pinned to it (``If-Match``): an object replaced meanwhile is an
:class:`~s3tools.errors.ObjectChangedError`, which whoever reads in parts
meets and starts again from (:func:`s3tools.transport.restarting`). Every
answer's range and length are checked against what was asked for; a body
cut short is asked for again from the byte where it stopped. Each attempt
is one record in the request log; ``progress`` is told as the bytes land.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import numpy

from .. import error_translation, errors
from ..paths import S3Path
from . import policy
from .answers import Answer, Version, http_range, sender

__all__ = ["ShortBody", "Version", "get_range"]

Progress = Callable[[int, Any, Version], None]


class ShortBody(botocore.exceptions.IncompleteReadError):
    """A body ended before the length the server announced (a network failure: retried)."""


def get_range(path: S3Path, start: int, length: int | None, version: Version | None = None,
              *, suffix: int | None = None, into: Any = None,
              allocate: Callable[[int], Any] = bytearray,
              progress: Progress | None = None,
              given_up: Callable[[], bool] | None = None) -> tuple[Any, Version]:
    """The bytes ``[start, start + length)`` of an object (fewer at its end), and its version.

    Args:
        path: the object.
        start, length: the range (``length`` None: to the end).
        version: the version to pin the read to; without one, the first answer gives it.
        suffix: ask for the object's last ``suffix`` bytes instead (its tail).
        into: where to put the bytes (its length is the range's).
        allocate: otherwise, makes the buffer once the answer gives the length; a body
            that came in one piece is kept as it came (``bytes``), with no buffer.
        progress: ``progress(received, buffer, version)`` is told as soon as an answer
            has come (``buffer`` None until its first bytes) and after each piece of the
            body: the first ``received`` bytes of ``buffer`` are final. It may raise
            :class:`~s3tools.transport.policy.Stopped` to give the range up.
        given_up: asked before each attempt after the first: True gives the range up
            (:class:`~s3tools.transport.policy.Stopped`), so that a read that ended sends
            no retry.

    Returns:
        The buffer and the version; an empty object is ``bytearray()``.

    Raises:
        ObjectChangedError: the pinned version is gone; the other s3tools errors
        (not found, denied, the network...) under the policy.
    """
    get = _Get(path, start, length, version, suffix, into, allocate, progress, given_up)
    return policy.retrying(get.attempt, get.target)


class _Get:
    """One ranged GET across its attempts: what was asked, the version it is pinned to
    once known, and the bytes in place so far (a later attempt asks only for the rest)."""

    def __init__(self, path: S3Path, start: int, length: int | None, version: Version | None,
                 suffix: int | None, into: Any, allocate: Callable[[int], Any],
                 progress: Progress | None, given_up: Callable[[], bool] | None) -> None:
        self.path, self.target, self.send = path, str(path), sender(path.key)
        self.start, self.length, self.version, self.suffix = start, length, version, suffix
        self.buffer, self.allocate, self.progress = into, allocate, progress
        self.given_up = given_up
        self.received = 0

    def attempt(self, number: int) -> tuple[Any, Version]:
        """One request, logged: the range still missing, pinned once the version is known."""
        if number > 1 and self.given_up is not None and self.given_up():
            raise policy.Stopped()
        suffix = self.suffix if self.version is None else None
        end = None if self.length is None else self.start + self.length
        shown = http_range(self.start + self.received, end, suffix)
        started = time.monotonic()

        def log(status: Any) -> None:
            policy.log("get_object", self.target, attempt=number, started=started,
                       status=status, size=self.received or None, byte_range=shown)

        try:
            answer = self.send(self.path, self.start + self.received, end, suffix,
                               None if self.version is None else self.version.etag)
        except errors.S3ToolsError:
            raise  # the client could not be made: no request was sent
        except Exception as error:
            log(policy.outcome(error))
            if self.version is None and self.start == 0:
                empty = _empty_object(error)
                if empty is not None:
                    return bytearray(), empty
            elif self.version is not None and policy.code_of(error) == "PreconditionFailed":
                raise errors.object_changed(self.target, restarted=False) \
                    from error_translation.scrub(error)
            raise  # for the policy
        try:
            self._take(answer)
        except (errors.S3ToolsError, policy.Stopped) as error:
            # Answered, then refused or given up: still one request.
            log(f"answered, body given up ({type(error).__name__})")
            raise
        except Exception as error:
            log(policy.outcome(error))
            raise
        finally:
            answer.close()
        log(206)
        return self.buffer, self.version

    def _take(self, answer: Answer) -> None:
        """The answer's version and bytes, checked, into place."""
        if self.version is None:
            self.version = Version(size=answer.size, etag=answer.etag)
            if self.suffix is not None:
                self.start, self.length = answer.start, answer.length
        self._tell()
        if self.buffer is None:
            expected = max(min(self.version.size - self.start if self.length is None
                               else self.length, self.version.size - self.start), 0)
            whole = _in_one_piece(answer, expected) \
                if answer.length == expected and answer.start == self.start else None
            if whole is not None:
                self.buffer, self.received = whole, len(whole)
                self._tell()
                return
            self.buffer = self.allocate(expected)
        if answer.length != len(self.buffer) - self.received or \
                answer.start != self.start + self.received:
            raise errors.S3ToolsError(
                f"The S3 service sent bytes {answer.start}-{answer.start + answer.length} of "
                f"{self.target} where {self.start + self.received}-"
                f"{self.start + len(self.buffer)} were asked for; nothing was returned.",
                path=self.target)
        self._read_body(answer)

    def _tell(self) -> None:
        if self.progress is not None:
            self.progress(self.received, self.buffer, self.version)

    def _read_body(self, answer: Answer) -> None:
        """Fill the buffer from :attr:`received` on, telling ``progress`` each new total.

        What arrived stays counted when the body breaks off (:class:`ShortBody`, or the
        network): the next attempt asks only for the rest. A body longer than announced
        is refused. A buffer with a ``place(offset)`` method is filled in the places it
        gives (a view from ``offset`` to the end of one of several buffers).
        """
        total = len(self.buffer)
        place = getattr(self.buffer, "place", None)
        # numpy copies without holding the GIL: a parser reading from another thread is
        # not kept waiting while a part arrives.
        target = None if place is not None else numpy.asarray(
            memoryview(self.buffer).cast("B"))
        try:
            for chunk in answer.chunks:
                data = numpy.frombuffer(chunk, numpy.uint8)
                if self.received + len(data) > total:
                    raise errors.S3ToolsError("The S3 service sent more bytes than it "
                                              "announced; nothing was returned.")
                while len(data):
                    into = target[self.received:] if place is None else place(self.received)
                    size = min(len(into), len(data))
                    numpy.copyto(into[:size], data[:size])
                    data, self.received = data[size:], self.received + size
                    del into
                self._tell()
            if self.received < total:
                raise ShortBody(actual_bytes=self.received, expected_bytes=total)
        finally:
            del target


def _in_one_piece(answer: Answer, expected: int) -> bytes | None:
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
