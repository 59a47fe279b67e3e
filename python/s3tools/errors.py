"""The s3tools error family and the translation of botocore and obstore errors into it.

Every error carries the path it concerns and a ``kind``; the R package raises
a condition of class ``s3tools_<kind>`` (and ``s3tools_error``) with the same
message, so the two languages say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import botocore.exceptions

from .display import visible

# A secret must never reach a message: anything that looks like a signature,
# a credential pair or a session token is cut out before an error is built.
_SECRET_PATTERNS = [
    re.compile(r"(Signature=|X-Amz-Signature=|X-Amz-Security-Token=|X-Amz-Credential=)[^&\s'\"]+"),
    re.compile(r"(aws_secret_access_key|aws_session_token|SecretAccessKey|SessionToken"
               r"|x-amz-security-token|secret_key|session_token|token)"
               r"(['\"]?\s*[:=]\s*b?['\"]?)[^\s'\",}]+", re.IGNORECASE),
]
_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that it is masked if it ever shows up in a message."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


def redact(text: str) -> str:
    for secret in _known_secrets:
        text = text.replace(secret, "****")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + (m.group(2) if m.lastindex == 2 else "") + "****", text)
    return text


class S3ToolsError(Exception):
    """Base of every s3tools error. ``path`` is the S3 path concerned (``bucket/key``)."""

    kind = "error"

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        # Keys and cells in a message are the bucket writers' text: no control reaches a
        # terminal or a page through it (a message made from another's is escaped already).
        named = path is None or path in message or visible(path) in message
        self.message = visible(redact(message if named else f"{message} (path: {path})"))
        super().__init__(self.message)

    @property
    def r_class(self) -> str:
        return f"s3tools_{self.kind}"


class PathError(S3ToolsError, ValueError):
    kind = "path"


class NotFoundError(S3ToolsError, FileNotFoundError):
    kind = "not_found"


class AccessDeniedError(S3ToolsError, PermissionError):
    kind = "access_denied"


class AlreadyExistsError(S3ToolsError, FileExistsError):
    kind = "exists"


class FormatError(S3ToolsError, ValueError):
    kind = "format"


class ConfigError(S3ToolsError, ValueError):
    kind = "config"


class S3ConnectionError(S3ToolsError, ConnectionError):
    kind = "connection"


class ArgumentError(S3ToolsError, TypeError):
    """An option the function, or the file format's reader or writer, does not take."""

    kind = "argument"


class ObjectChangedError(S3ToolsError):
    """The object was replaced while it was being read (``restarted``: again after the read
    started again from the start, which is then the final answer)."""

    kind = "changed"
    restarted = True


class TooLargeError(S3ToolsError, MemoryError):
    """A whole read would need more memory than the process has left; nothing was fetched."""

    kind = "too_large"


ERROR_CLASSES = (PathError, NotFoundError, AccessDeniedError, AlreadyExistsError, FormatError,
                 ConfigError, S3ConnectionError, ObjectChangedError, TooLargeError, ArgumentError)


# One message per kind; the wording is shared with R through these functions.
def not_found(path: str) -> NotFoundError:
    return NotFoundError(
        f"No such object or bucket: {path}. Check the spelling, or list what is there "
        "with list_files_in_buckets().",
        path=path,
    )


def no_such_bucket(path: str) -> NotFoundError:
    """A write to a bucket the service does not know (a misspelt name, or another's)."""
    bucket = path.split("/", 1)[0]
    return NotFoundError(
        f"The bucket {bucket} does not exist, or is not yours: nothing was written to {path}. "
        "Check its name; accessible_buckets() lists the buckets these credentials can use.",
        path=path,
    )


def unknown_options(path: str, doing: str, unknown: list[str], accepted: list[str],
                    r_names: list[str] = ()) -> ArgumentError:
    """Options that ``doing`` (``"reading csv files"``) does not take, refused before any
    request; ``r_names``: R's names for options it takes (one message in both languages).
    The error keeps its parts, so that the R boundary can name the options as R's user
    typed them."""
    names = ", ".join(unknown)
    verb = "is not an option" if len(unknown) == 1 else "are not options"
    also = f"; in R also {', '.join(r_names)}" if r_names else ""
    error = ArgumentError(
        f"{names} {verb} for {doing} ({path}). The options it takes: {', '.join(accepted)}"
        f"{also}.",
        path=path,
    )
    error.doing, error.unknown, error.accepted = doing, list(unknown), list(accepted)
    error.r_names = list(r_names)
    return error


def cannot_write(path: str, fmt: str, reason: BaseException, advice: str) -> FormatError:
    """The writer of format ``fmt`` refused the data frame; nothing was written."""
    text = str(reason).strip().rstrip(".")
    return FormatError(f"Could not write {path} as {fmt}: {text}. Nothing was written. {advice}",
                       path=path)


def access_denied(path: str, writing: bool = False) -> AccessDeniedError:
    need = "read-write" if writing else "read-only (or higher)"
    return AccessDeniedError(
        f"Access denied to {path}: these credentials need {need} access to the bucket. "
        "Ask the bucket's admin (or your platform team / research coordinator) to grant it.",
        path=path,
    )


def read_only_bucket(path: str, source: str) -> AccessDeniedError:
    bucket = path.split("/", 1)[0]
    return AccessDeniedError(
        f"Access denied to {path}: {bucket} is read-only for these credentials ({source}), "
        "and writing needs read-write access; nothing was sent. Ask the bucket's admin (or "
        "your platform team / research coordinator) to grant it.",
        path=path,
    )


def buckets_unknown(reason: str) -> AccessDeniedError:
    return AccessDeniedError(
        f"Access denied to the list of buckets: these credentials may not list buckets "
        f"(ListBuckets), S3TOOLS_BUCKETS is not set, and {reason}. Set S3TOOLS_BUCKETS to the "
        "buckets you were given, with their access if you know it (R: in .Renviron), as in "
        "S3TOOLS_BUCKETS=project-data:read-only,project-scratch:read-write; ask your platform "
        "team / research coordinator which buckets you may use.",
    )


def too_large(path: str, needed: str, left: str, frame: bool,
              started: bool = False, decompressed: str | None = None) -> TooLargeError:
    """``decompressed``: the read was stopped once the file proved (or recorded) to hold at
    least this much decompressed; ``needed`` is then a least figure too."""
    smaller = ("s3_path_to_preview_df() for the first rows, columns= (and filters= for "
               "Parquet) for part of it, or chunks (pandas' chunksize on an s3:// path) or "
               "Dask for data larger than memory" if frame else
               "download_file_from_s3() to a local file, or fewer objects at a time")
    stopped = (f"it holds at least {decompressed} once decompressed, and the read was "
               "stopped there" if decompressed else "the download was "
               f"{'stopped after its first part' if started else 'not started'}")
    return TooLargeError(
        f"{path} needs {'at least' if decompressed else 'about'} {needed} of memory to read "
        f"whole, and this process has about {left}; {stopped}"
        f". Read less of it: {smaller}. To read it anyway, "
        "pass memory_check=FALSE (R) / memory_check=False (Python), or set "
        "S3TOOLS_MEMORY_CHECK=false.",
        path=path,
    )


def preview_too_large(path: str, what: str, limit: str) -> FormatError:
    """A preview refused because ``what`` (``"its first rows take"``...) passes the preview
    budget of ``limit`` (a readable size)."""
    return FormatError(
        f"Could not preview {path}: {what} more than the preview limit of {limit} of "
        "decompressed or decoded data. To preview it, raise the limit with "
        "S3TOOLS_PREVIEW_LIMIT (e.g. S3TOOLS_PREVIEW_LIMIT=1GB; R: Sys.setenv()), or read "
        "part of it with s3_path_to_chunks() (or columns= for Parquet).",
        path=path,
    )


def chunk_too_large(path: str, text: str, left: str) -> TooLargeError:
    """A chunked read stopped: the text read for one chunk passed ``text`` (a readable size),
    what the memory check allows beside the chunk's frame (``left``: what is left, and why)."""
    return TooLargeError(
        f"{path} has a chunk of more than {text} of text, more than this process can hold "
        f"beside the chunk's frame (about {left}); the chunked read was stopped there. A "
        "file without line breaks (or with others than sep=/lineterminator= say) is one "
        "row: check those options, or pass a smaller chunk_size. To read it anyway, set "
        "S3TOOLS_MEMORY_CHECK=false.",
        path=path,
    )


def already_exists(path: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"{path} already exists: nothing was written. Pass overwrite=TRUE (R) / "
        "overwrite=True (Python) to replace it.",
        path=path,
    )


def local_exists(local_path: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"The local file {local_path} already exists: nothing was downloaded. "
        "Pass overwrite=TRUE (R) / overwrite=True (Python) to replace it.",
        path=local_path,
    )


def connection_failed(endpoint: str, path: str | None, reason: str) -> S3ConnectionError:
    return S3ConnectionError(
        f"Could not connect to the S3 endpoint {endpoint}: {reason}. Check AWS_ENDPOINT_URL "
        "and the network (and S3TOOLS_PROXY, if this endpoint is only reached through a proxy).",
        path=path,
    )


def object_changed(path: str, restarted: bool = True) -> ObjectChangedError:
    """``restarted=False``: as a pinned GET finds it, for a read that may start again."""
    what = ", again after a fresh start: nothing was returned" if restarted else \
        ": the read stopped there"
    error = ObjectChangedError(
        f"{path} was replaced while it was being read{what}. Try again once the object has "
        "stopped changing.",
        path=path,
    )
    error.restarted = restarted
    return error


def format_error(path: str, format_name: str, error: BaseException, advice: str = "",
                 verb: str = "read") -> FormatError:
    """What a reader of a format said about the data: "Could not read X as fmt: ...",
    with what to do (``advice``), the reader's error kept as the cause."""
    said = str(error).strip().splitlines()[0].rstrip(".") if str(error).strip() \
        else type(error).__name__
    failed = FormatError(f"Could not {verb} {path} as {format_name}: {said}."
                         f"{' ' + advice if advice else ''}", path=path)
    failed.__cause__ = error
    return failed


def source_failure(source: object) -> S3ToolsError | None:
    """Whether a parser's failure was the network's: the error the file it read
    (``source``, a transport file) failed with first, if any.

    A parser that reads a file whose read failed (the connection broke, the object
    was replaced) complains about the data it was cut off from; its complaint is
    a symptom, and the file's failure is what went wrong. None when the file
    did not fail (bytes in memory never do): the parser failed on the data.
    """
    failure = getattr(source, "failure", None)
    return failure if isinstance(failure, S3ToolsError) else None


def parse_failure(error: BaseException, source: object, path: str, format_name: str,
                  advice: Callable[[BaseException], str], verb: str = "read") -> S3ToolsError:
    """What a parser's ``error`` while it read ``source`` means: the network's failure
    (see :func:`source_failure`), else a :func:`format_error` with ``advice(error)``.
    Raise it plainly (not ``from``): each keeps its own cause."""
    failure = source_failure(source)
    if failure is not None:
        failure.__suppress_context__ = True  # the parser's complaint is not its cause
        return failure
    return format_error(path, format_name, error, advice(error), verb)


# What to renew when the service refuses the credentials, by its error code.
_EXPIRED = ("The session token has expired: get new temporary credentials "
            "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)")
_CREDENTIAL_ADVICE = {
    "ExpiredToken": _EXPIRED,
    "TokenRefreshRequired": _EXPIRED,
    "InvalidToken": "The session token is not valid: renew AWS_SESSION_TOKEN (or unset it if "
                    "these keys are not temporary ones)",
    "InvalidAccessKeyId": "The access key is not known to the service: check or renew "
                          "AWS_ACCESS_KEY_ID (or AWS_PROFILE)",
    "SignatureDoesNotMatch": "The secret key does not match the access key: check or renew "
                             "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)",
}


def no_credentials(path: str | None = None) -> ConfigError:
    return ConfigError(
        "No AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
        "(R: in .Renviron), or AWS_PROFILE with ~/.aws/credentials.",
        path=path,
    )


def credentials_refused(code: str, endpoint: str, path: str | None) -> ConfigError:
    advice = _CREDENTIAL_ADVICE.get(code, _CREDENTIAL_ADVICE["InvalidAccessKeyId"])
    return ConfigError(
        f"{advice}, then call refresh_credentials() (no restart needed). {endpoint} refused "
        f"the request for {path or 'the service'} ({code}).",
        path=path,
    )


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
    attributes, notes) is masked by :func:`redact`. The type and traceback
    stay, so the chain still says where the failure came from.

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
    """``value`` with :func:`redact` applied to its text (in containers too); the same
    object when nothing changed."""
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
