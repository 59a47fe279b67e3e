"""botocore's, obstore's and the OS's failures, turned into s3tools' errors.

What a failure says (the server's status and error code, or the network's
reason) is read here, whichever client raised it; the failure is scrubbed of
secrets, since it stays chained to the s3tools error raised from it; and one
table maps S3 error codes and HTTP statuses to the kind of error they mean.
"""

from __future__ import annotations

import re
from typing import Any

import botocore.exceptions

from .errors import (
    ConfigError,
    PathError,
    S3ToolsError,
    access_denied,
    already_exists,
    connection_failed,
    credentials_refused,
    no_credentials,
    no_such_bucket,
    not_found,
)
from .redaction import redact

# Answers that say "overloaded or failing, try again": retried, and when they
# persist, a connection error naming the endpoint.
UNAVAILABLE_STATUSES = frozenset({500, 502, 503, 504})
UNAVAILABLE_CODES = frozenset({"SlowDown", "InternalError", "ServiceUnavailable",
                               "RequestTimeout", "Throttling", "ThrottlingException"})

# S3 error codes and HTTP statuses, to the kind of error they mean.
_CODE_TO_KIND = {
    "NoSuchKey": "not_found",
    "NoSuchBucket": "not_found",
    "NotFound": "not_found",
    "404": "not_found",
    "AccessDenied": "access_denied",
    "AllAccessDisabled": "access_denied",
    "Forbidden": "access_denied",
    "403": "access_denied",
    "InvalidAccessKeyId": "config",
    "InvalidClientTokenId": "config",  # STS and IAM's word for an unknown key
    "SignatureDoesNotMatch": "config",
    "ExpiredToken": "config",
    "TokenRefreshRequired": "config",
    "InvalidToken": "config",
    "PreconditionFailed": "exists",
    "412": "exists",
    "InvalidBucketName": "path",
    "KeyTooLongError": "path",
}


# Failures of the network rather than of the request, in the user's words.
_CONNECTION_REASONS = (
    (botocore.exceptions.ProxyConnectionError, "the proxy refused the connection"),
    (botocore.exceptions.ConnectTimeoutError, "the connection timed out"),
    (botocore.exceptions.ReadTimeoutError, "the server stopped sending (read timeout)"),
    (botocore.exceptions.EndpointConnectionError, "the connection was refused or failed"),
    (botocore.exceptions.ConnectionClosedError, "the connection was closed"),
    (botocore.exceptions.ResponseStreamingError, "the connection broke during the transfer"),
    (botocore.exceptions.IncompleteReadError, "the answer was cut short"),
    (ConnectionError, "the connection broke"),
    (TimeoutError, "the connection timed out"),
)


def connection_reason(error: BaseException) -> str | None:
    """Why a network failure happened, or None when ``error`` is not one."""
    if _is_obstore(error):
        text = str(error)
        if _OBSTORE_STATUS.search(text) is None and any(
                mark in text for mark in _OBSTORE_NETWORK):
            return ("the server stopped sending (read timeout)" if "TimedOut" in text
                    or "Timeout" in text else "the connection broke or was refused")
        return None
    for kind, reason in _CONNECTION_REASONS:
        if isinstance(error, kind) and not isinstance(error, S3ToolsError):
            return reason
    try:
        from urllib3.exceptions import HTTPError as Urllib3Error
    except ImportError:  # pragma: no cover - urllib3 comes with botocore
        return None
    return "the connection broke" if isinstance(error, Urllib3Error) else None


# obstore reports what the server answered inside its message.
_OBSTORE_STATUS = re.compile(r"status code: (\d{3})")
_OBSTORE_CODE = re.compile(r"<Code>([^<]+)</Code>")
# obstore's failures of the network itself (no answer, or an answer cut short).
_OBSTORE_NETWORK = ("error sending request", "body error", "timed out", "connection",
                    "Interrupted", "TimedOut")


def _is_obstore(error: BaseException) -> bool:
    return type(error).__module__.startswith("obstore")


def server_answer(error: BaseException) -> tuple[int | None, str] | None:
    """The HTTP status and S3 error code a server answered with, whichever client raised
    ``error``; None when the server gave no answer (a network failure) or it is no S3 error."""
    kept = getattr(error, _ANSWER, None)
    if kept is not None:
        return kept
    if isinstance(error, botocore.exceptions.ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status, str(error.response.get("Error", {}).get("Code", ""))
    if _is_obstore(error):
        text = str(error)
        status = _OBSTORE_STATUS.search(text)
        code = _OBSTORE_CODE.search(text)
        if status is None and code is None:
            kind = type(error).__name__
            known = {"NotFoundError": (404, "NotFound"), "PreconditionError": (412,
                     "PreconditionFailed"), "PermissionDeniedError": (403, "AccessDenied"),
                     "UnauthenticatedError": (403, "AccessDenied")}
            return known.get(kind)
        return (int(status.group(1)) if status else None), (code.group(1) if code else "")
    return None


# ------------------------------------------------------------ what stays chained

# A scrubbed error's (status, code), for server_answer(): its text no longer has them all.
_ANSWER = "_s3tools_answer"
# A server's message naming one of these repeats the request's credentials (as a
# proxy that echoes the headers it got does): it is left out whole.
_ECHOED = re.compile(r"security.?token|session.?token|signature=|credential=|secret",
                     re.IGNORECASE)
_TOKEN = re.compile(r"[\w.+/=-]{1,128}")  # what an error code or request id may be
_OBSTORE_REQUEST_ID = re.compile(r"<RequestId>([^<]*)</RequestId>")
_OBSTORE_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")
# obstore's text up to the status it reports ("... status code: 403 Forbidden"), not the body.
_OBSTORE_BEFORE_BODY = re.compile(r"(.*?status code: \d{3}[^:\n]*)", re.DOTALL)
# The answer's headers kept on a botocore error (an empty object's 416 gives its ETag).
_KEPT_HEADERS = frozenset({"etag", "content-range", "content-length", "content-type", "date",
                           "last-modified", "server", "x-amz-request-id", "x-amz-id-2",
                           "x-amz-version-id", "x-amz-bucket-region", "retry-after"})


def scrub(error: BaseException) -> BaseException:
    """Take every secret out of ``error`` and of each exception chained to it, in place.

    s3tools raises its own error from a client's, and Python keeps the
    client's as ``__cause__`` or ``__context__``: every default traceback
    prints it. A server's error body is no place for secrets to be trusted
    to: a proxy or service that echoes the request's headers in it puts the
    session token there, and obstore's text and botocore's message carry the
    body. So an error that holds a server's answer keeps only what s3tools
    reads of it (status, error code, request id, and the server's message
    when it names no credential), and every other text in the chain (args,
    attributes, notes) is masked by :func:`~s3tools.redaction.redact`. The type
    and traceback stay, so the chain still says where the failure came from.

    Args:
        error: any exception; s3tools' own are left as they are (their
            messages are masked when made), the exceptions chained to them not.

    Returns:
        ``error`` itself.
    """
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if not isinstance(current, S3ToolsError):
            _scrub_one(current)
        # Exceptions kept as attributes too (urllib3's reason, botocore's original error).
        pending += [current.__cause__, current.__context__,
                    *getattr(current, "__dict__", {}).values()]
    return error


def _scrub_one(error: BaseException) -> None:
    # The answer is read first: masking cuts the texts it comes from.
    answer = server_answer(error)
    kept = _obstore_answer(error, answer) if answer and _is_obstore(error) else None
    error.args = tuple(_masked(value) for value in error.args)
    for name, value in list(getattr(error, "__dict__", {}).items()):
        masked = _masked(value)
        if masked is not value:
            setattr(error, name, masked)
    if answer is None:
        return
    status, code = answer[0], _plain_token(answer[1])
    if isinstance(error, botocore.exceptions.ClientError):
        _keep_botocore_answer(error, status, code)
    elif kept is not None:
        error.args = (kept,)
    setattr(error, _ANSWER, (status, code))


def _obstore_answer(error: BaseException, answer: tuple[int | None, str]) -> str:
    """obstore's text without the server's body: up to the status, then what s3tools
    reads of the body."""
    text = str(error)
    before = _OBSTORE_BEFORE_BODY.match(text)
    request_id = _OBSTORE_REQUEST_ID.search(text)
    message = _OBSTORE_MESSAGE.search(text)
    return _answer_text(
        redact(before.group(1)) if before else f"The server answered {answer[0] or ''}".strip(),
        _plain_token(answer[1]), _plain_token(request_id.group(1)) if request_id else "",
        _plain_message(message.group(1)) if message else "")


def _keep_botocore_answer(error: botocore.exceptions.ClientError, status: int | None,
                          code: str) -> None:
    metadata = error.response.get("ResponseMetadata", {})
    request_id = _plain_token(str(metadata.get("RequestId", "")))
    message = _plain_message(str(error.response.get("Error", {}).get("Message", "")))
    headers = {name: value for name, value in metadata.get("HTTPHeaders", {}).items()
               if name.lower() in _KEPT_HEADERS}
    error.response = {"Error": {"Code": code, "Message": message},
                      "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": request_id,
                                           "HTTPHeaders": headers}}
    error.args = (_answer_text(
        f"An error occurred when calling the {error.operation_name} operation: HTTP {status}",
        code, request_id, message),)


def _answer_text(head: str, code: str, request_id: str, message: str) -> str:
    return (head + (f" {code}" if code else "") + (f": {message}" if message else "")
            + (f" (request id {request_id})" if request_id else ""))


def _plain_token(text: str) -> str:
    return text if _TOKEN.fullmatch(text) else ""


def _plain_message(text: str) -> str:
    """The first line of a server's message, or nothing if it repeats credentials."""
    if _ECHOED.search(text):
        return ""
    lines = text.strip().splitlines()
    return redact(lines[0][:300]) if lines else ""


def _masked(value: Any, depth: int = 0) -> Any:
    """``value`` with :func:`~s3tools.redaction.redact` applied to its text (in containers
    too); the same object when nothing changed."""
    if isinstance(value, str):
        masked = redact(value)
        return value if masked == value else masked
    if isinstance(value, (bytes, bytearray)):
        text = value.decode("utf-8", "replace")
        masked = redact(text)
        return value if masked == text else masked.encode()
    if depth > 8:
        return value
    if isinstance(value, dict):
        items = {key: _masked(item, depth + 1) for key, item in value.items()}
        return value if all(items[key] is value[key] for key in value) else items
    if isinstance(value, (list, tuple)):
        items = [_masked(item, depth + 1) for item in value]
        if all(new is old for new, old in zip(items, value)):
            return value
        return tuple(items) if isinstance(value, tuple) else items
    return value


def translate(error: BaseException, path: str | None, *, writing: bool = False,
              endpoint: str = "AWS S3") -> BaseException:
    """Turn a botocore/obstore/OS error into the matching s3tools error (others pass through).

    ``error`` is scrubbed first (:func:`scrub`): it stays chained to what is raised.
    """
    if isinstance(error, S3ToolsError):
        return error
    scrub(error)
    shown = path or ""
    answer = server_answer(error)
    if answer is not None:
        status_number, code = answer
        status = str(status_number or "")
        kind = _CODE_TO_KIND.get(code) or _CODE_TO_KIND.get(status)
        if code in UNAVAILABLE_CODES or status_number in UNAVAILABLE_STATUSES:
            return connection_failed(endpoint, path,
                                     f"the service kept answering {status} {code}".strip())
        if kind == "not_found":
            # A write's NoSuchBucket: there is no object to look for, only a bucket name.
            return no_such_bucket(shown) if writing and code == "NoSuchBucket" \
                else not_found(shown)
        if kind == "access_denied":
            return access_denied(shown, writing=writing)
        if kind == "exists":
            return already_exists(shown)
        if kind == "config":
            return credentials_refused(code, endpoint, path)
        if kind == "path":
            return PathError(f"The S3 service rejected the path {shown} ({code}).", path=path)
        return S3ToolsError(f"S3 request failed for {shown}: {code or status}.", path=path)
    reason = connection_reason(error)
    if reason is not None:
        return connection_failed(endpoint, path, reason)
    if isinstance(error, (botocore.exceptions.NoCredentialsError,
                          botocore.exceptions.PartialCredentialsError)):
        return no_credentials(path)
    if isinstance(error, botocore.exceptions.ProfileNotFound):
        return ConfigError(f"{error}. Check AWS_PROFILE and ~/.aws/config.", path=path)
    if isinstance(error, FileNotFoundError):
        return not_found(shown)
    if isinstance(error, PermissionError):
        return access_denied(shown, writing=writing)
    return error
