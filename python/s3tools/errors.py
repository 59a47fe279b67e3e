"""The s3tools error family and the translation of botocore errors into it.

Every error carries the path it concerns and a ``kind``; the R package raises
a condition of class ``s3tools_<kind>`` (and ``s3tools_error``) with the same
message, so the two languages say the same thing.
"""

from __future__ import annotations

import re

import botocore.exceptions

# A secret must never reach a message: anything that looks like a signature,
# a credential pair or a session token is cut out before an error is built.
_SECRET_PATTERNS = [
    re.compile(r"(Signature=|X-Amz-Signature=|X-Amz-Security-Token=|X-Amz-Credential=)[^&\s'\"]+"),
    re.compile(r"(aws_secret_access_key|aws_session_token|SecretAccessKey|SessionToken)"
               r"(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+", re.IGNORECASE),
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
        full = message if path is None or path in message else f"{message} (path: {path})"
        self.message = redact(full)
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


ERROR_CLASSES = (PathError, NotFoundError, AccessDeniedError, AlreadyExistsError, FormatError,
                 ConfigError, S3ConnectionError)


# One message per kind; the wording is shared with R through these functions.
def not_found(path: str) -> NotFoundError:
    return NotFoundError(
        f"No such object or bucket: {path}. Check the spelling, or list what is there "
        "with list_files_in_buckets().",
        path=path,
    )


def access_denied(path: str, writing: bool = False) -> AccessDeniedError:
    need = "read-write" if writing else "read-only (or higher)"
    return AccessDeniedError(
        f"Access denied to {path}: these credentials need {need} access to the bucket. "
        "Ask the bucket's admin (or your platform team / research coordinator) to grant it.",
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
        f"Could not connect to the S3 endpoint {endpoint}: {reason}. Check AWS_ENDPOINT_URL, "
        "the network, and that http_proxy/https_proxy are empty for this endpoint.",
        path=path,
    )


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
    "SignatureDoesNotMatch": "config",
    "ExpiredToken": "config",
    "InvalidToken": "config",
    "PreconditionFailed": "exists",
    "412": "exists",
    "InvalidBucketName": "path",
    "KeyTooLongError": "path",
}


def translate(error: BaseException, path: str | None, *, writing: bool = False,
              endpoint: str = "AWS S3") -> BaseException:
    """Turn a botocore/s3fs/OS error into the matching s3tools error (others pass through)."""
    if isinstance(error, S3ToolsError):
        return error
    shown = path or ""
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        kind = _CODE_TO_KIND.get(code) or _CODE_TO_KIND.get(status)
        if kind == "not_found":
            return not_found(shown)
        if kind == "access_denied":
            return access_denied(shown, writing=writing)
        if kind == "exists":
            return already_exists(shown)
        if kind == "config":
            return ConfigError(
                f"The credentials were refused by {endpoint} ({code}) for {shown}. Check "
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and the endpoint.",
                path=path,
            )
        if kind == "path":
            return PathError(f"The S3 service rejected the path {shown} ({code}).", path=path)
        return S3ToolsError(f"S3 request failed for {shown}: {code or status}.", path=path)
    if isinstance(error, (botocore.exceptions.EndpointConnectionError,
                          botocore.exceptions.ConnectionClosedError,
                          botocore.exceptions.ProxyConnectionError,
                          botocore.exceptions.ConnectTimeoutError,
                          botocore.exceptions.ReadTimeoutError)):
        reason = "the proxy refused the connection" if isinstance(
            error, botocore.exceptions.ProxyConnectionError) else type(error).__name__
        return connection_failed(endpoint, path, reason)
    if isinstance(error, (botocore.exceptions.NoCredentialsError,
                          botocore.exceptions.PartialCredentialsError)):
        return ConfigError(
            "No AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(R: in .Renviron), or AWS_PROFILE with ~/.aws/credentials.",
            path=path,
        )
    if isinstance(error, botocore.exceptions.ProfileNotFound):
        return ConfigError(f"{error}. Check AWS_PROFILE and ~/.aws/config.", path=path)
    if isinstance(error, FileNotFoundError):
        return not_found(shown)
    if isinstance(error, PermissionError):
        return access_denied(shown, writing=writing)
    return error
