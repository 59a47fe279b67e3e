"""The one retry policy, the one error translation and the request log.

A request is tried again only when the failure is transient: the connection
was refused, reset or timed out, the answer was cut short, or the server said
500, 502, 503, 504 or SlowDown. Anything else the server answered (403, 404,
400, 412...) is final at once and is never sent again, by this client or
another: on a Safe Haven each request is a line in an audit log. Waits grow
exponentially with full jitter. The last failure becomes the s3tools error for
the path, naming the endpoint.

Every attempt is one DEBUG record on ``s3tools.requests``: method, bucket/key,
range, status, bytes, attempt and seconds.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .. import error_translation, errors
from . import clients

logger = logging.getLogger("s3tools.requests")
T = TypeVar("T")

FIRST_WAIT = 0.1  # seconds before the second attempt; doubles each time
LONGEST_WAIT = 2.0


# The HTTP method of each operation, for the log.
_METHODS = {"get_object": "GET", "head_object": "HEAD", "put_object": "PUT",
            "upload_part": "PUT", "create_multipart_upload": "POST",
            "complete_multipart_upload": "POST", "abort_multipart_upload": "DELETE",
            "list_objects_v2": "GET", "list_buckets": "GET", "delete_object": "DELETE",
            "delete_objects": "POST",
            "copy_object": "PUT", "upload_part_copy": "PUT",
            # STS and IAM (the access lookups): every request is a POST.
            "get_caller_identity": "POST", "list_user_policies": "POST",
            "get_user_policy": "POST", "list_attached_user_policies": "POST",
            "list_role_policies": "POST", "get_role_policy": "POST",
            "list_attached_role_policies": "POST", "get_policy": "POST",
            "get_policy_version": "POST"}


def status_of(error: BaseException) -> int | None:
    answer = error_translation.server_answer(error)
    return answer[0] if answer else None


def code_of(error: BaseException) -> str:
    answer = error_translation.server_answer(error)
    return answer[1] if answer else ""


def is_transient(error: BaseException) -> bool:
    """Whether trying again could succeed: the network failed, or the server was overloaded."""
    answer = error_translation.server_answer(error)
    if answer is not None:
        return answer[0] in error_translation.UNAVAILABLE_STATUSES \
            or answer[1] in error_translation.UNAVAILABLE_CODES
    return error_translation.connection_reason(error) is not None


def attempts() -> Iterator[int]:
    """Attempt numbers from 1, waiting (exponential backoff, full jitter) before each retry."""
    limit = clients.settings().max_attempts
    for attempt in range(1, limit + 1):
        if attempt > 1:
            time.sleep(random.uniform(0, min(LONGEST_WAIT, FIRST_WAIT * 2 ** (attempt - 2))))
        yield attempt


def log(operation: str, target: str, *, attempt: int, started: float, status: Any,
        size: int | None = None, byte_range: str | None = None) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s %s%s -> %s, %s bytes, attempt %d, %.3f s",
                     _METHODS.get(operation, operation), target,
                     f" [{byte_range}]" if byte_range else "", status,
                     "-" if size is None else size, attempt, time.monotonic() - started)


def outcome(error: BaseException) -> str:
    """What an attempt ended with, for the log: a status, or the kind of network failure."""
    status = status_of(error)
    if status is not None:
        return f"{status} {code_of(error)}".strip()
    return error_translation.connection_reason(error) or type(error).__name__


def fail(error: BaseException, target: str | None, *, writing: bool = False) -> BaseException:
    """The s3tools error for a final failure (the original kept as its cause)."""
    translated = error_translation.translate(error, target, writing=writing,
                                             endpoint=clients.settings().endpoint_label)
    if translated is error:
        # Nothing in the table: still s3tools' error, never a client's raw one.
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        translated = errors.S3ToolsError(
            f"The S3 request for {target or 'the service'} failed: {type(error).__name__}"
            f"{': ' + first_line[:300] if first_line else ''}.", path=target)
    if translated.__cause__ is None:
        translated.__cause__ = error
    return translated


class Stopped(Exception):
    """Raised inside an attempt by whoever asked for it: the request is given up, not retried."""


def retrying(attempt: Callable[[int], T], target: str | None, *, writing: bool = False) -> T:
    """``attempt(number)`` until it returns, under the policy; its result.

    An attempt logs its own record (it knows what it sent). A transient
    failure is tried again while attempts are left; any other, or the last,
    becomes the s3tools error for ``target`` (see :func:`fail`). s3tools' own
    errors, and :class:`Stopped`, pass through at once.
    """
    for number in attempts():
        try:
            return attempt(number)
        except (errors.S3ToolsError, Stopped):
            raise
        except Exception as error:
            if is_transient(error) and number < clients.settings().max_attempts:
                continue
            raise fail(error, target, writing=writing) from error
    raise AssertionError("unreachable: the last attempt returns or raises")


def request(operation: str, target: str | None, *, writing: bool = False,
            service: str = "s3", **parameters: Any) -> Any:
    """Send one request through botocore under the retry policy; returns the response.

    ``target`` is the ``bucket/key`` (or what the request is about) named in
    errors; ``writing`` says whether a denied request needed write access;
    ``service`` is ``s3``, or ``sts`` / ``iam`` for the access lookups.
    GETs of object bytes go through :func:`s3tools.transport.sender.get_range`,
    which resumes a body cut short, under the same policy.
    """
    shown = target or ""

    def attempt(number: int) -> Any:
        started = time.monotonic()
        try:
            response = getattr(clients.client(service), operation)(**parameters)
        except errors.S3ToolsError:
            raise  # already in s3tools' words (settings that cannot be used)
        except Exception as error:
            log(operation, shown, attempt=number, started=started, status=outcome(error))
            raise
        log(operation, shown, attempt=number, started=started,
            status=response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
        return response

    return retrying(attempt, target, writing=writing)
