"""The s3tools error family, and one message per kind of failure.

Every error carries the path it concerns and a ``kind``; the R package raises
a condition of class ``s3tools_<kind>`` (and ``s3tools_error``) with the same
message, so the two languages say the same thing. What a botocore, obstore or
OS failure becomes is decided in :mod:`s3tools.error_translation`.
"""

from __future__ import annotations

from collections.abc import Callable

from .display import visible
from .redaction import redact


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
