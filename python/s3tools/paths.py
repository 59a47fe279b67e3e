"""Parsing of the S3 paths users type: ``bucket/key``, ``s3://bucket/key``, ``/bucket/key``.

Pure functions, no network. Results always show a path as ``bucket/key``.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from .errors import PathError

_SCHEMES = ("s3://", "s3a://", "s3n://")
# What is trimmed around a typed or pasted path: the Unicode spaces (category Zs), not
# control characters or line separators. A key may end in a tab or a newline (a bucket's
# writers choose its keys), and its path as s3tools writes it must name that key.
_TRIMMED = (" \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
            "\u200a\u202f\u205f\u3000")
# An S3 scheme with one slash, or none, where two are needed: "s3:/b/k", "s3//b/k".
_SCHEME_SLASH_MISSING = re.compile(r"^(s3[an]?):/(?!/)|^(s3[an]?)//", re.IGNORECASE)
# Another tool's scheme ("gs://", "file://"); a bucket name never holds "://".
_OTHER_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
# The host of a virtual-hosted AWS address: the bucket, then "s3." / "s3-" and the rest.
_AWS_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+?)\.s3[.-](?:[a-z0-9-]+\.)*amazonaws\.com(?:\.cn)?$",
                               re.IGNORECASE)
_AWS_HOST = re.compile(r"^s3[.-](?:[a-z0-9-]+\.)*amazonaws\.com(?:\.cn)?$|^s3\.amazonaws\.com$",
                       re.IGNORECASE)


@dataclass(frozen=True)
class S3Path:
    """A bucket and a key (the key may be empty or end in ``/`` for a folder)."""

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{self.bucket}/{self.key}"

    @property
    def is_folder(self) -> bool:
        return self.key == "" or self.key.endswith("/")

    @property
    def suffix(self) -> str:
        """The name's last extension with its dot (``.csv``), or ``""``: what a temporary
        copy of the object keeps, so that readers recognise it."""
        return "." + self.name.rsplit(".", 1)[-1] if "." in self.name else ""

    @property
    def name(self) -> str:
        """The last part of the key: the file name."""
        return self.key.rstrip("/").rsplit("/", 1)[-1]

    def child(self, key: str) -> S3Path:
        return S3Path(self.bucket, key)


def parse(s3_path: object) -> S3Path:
    """Split a user's path into bucket and key, without judging the key.

    Bucket names are not checked against AWS's naming rules: S3-compatible
    services accept names such as ``extraction_5_CT`` or ``Request4_CT``.
    """
    if isinstance(s3_path, S3Path):
        return s3_path
    if not isinstance(s3_path, str):
        raise PathError(
            f"s3_path must be a string such as 'bucket/key', not {type(s3_path).__name__}.",
            path=repr(s3_path),
        )
    text = s3_path.strip(_TRIMMED)
    _refuse_other_forms(text.lstrip("/"))  # '/s3:/b/k' is the same mistake
    for scheme in _SCHEMES:
        if text.lower().startswith(scheme):
            text = text[len(scheme):]
            if text.startswith("/"):  # s3:///key: the bucket is empty, not "key"
                text = ""
            break
    else:
        text = text.lstrip("/")
    bucket, _, key = text.partition("/")
    if not bucket:
        raise PathError("The path has no bucket: write it as 'bucket/key'.", path=s3_path)
    if any(ch.isspace() for ch in bucket):
        raise PathError("A bucket name cannot contain spaces.", path=s3_path)
    _check_key(key, s3_path)
    return S3Path(bucket, key)


def _refuse_other_forms(text: str) -> None:
    """Refuse what looks like an S3 path but is none of the three forms, saying which
    form to write: a web address, a scheme with a slash missing, another tool's scheme."""
    missing = _SCHEME_SLASH_MISSING.match(text)
    if missing:
        scheme = (missing.group(1) or missing.group(2)).lower()
        rest = text[missing.end():].lstrip("/")
        what = "a slash is missing" if missing.group(1) else "the ':' is missing"
        raise PathError(f"{text} starts with '{text[:missing.end()]}': {what}. Write it as "
                        f"'{scheme}://{rest}'.", path=text)
    other = _OTHER_SCHEME.match(text)
    if other is None or text.lower().startswith(_SCHEMES):
        return
    if other.group(1).lower() in ("http", "https"):
        raise PathError(f"{text} is a web address, not an S3 path: "
                        f"{_s3_form_of(text)}", path=text)
    raise PathError(f"{text} is not an S3 path ('{other.group(0)}'): write 's3://bucket/key', "
                    "'bucket/key' or '/bucket/key'.", path=text)


def _s3_form_of(address: str) -> str:
    """What to write instead of an http(s) address of an object: its s3:// form."""
    parts = urllib.parse.urlsplit(address)
    host = parts.hostname or ""
    segments = urllib.parse.unquote(parts.path).lstrip("/")
    hosted = _AWS_VIRTUAL_HOST.match(host)
    if hosted:
        return f"write it as 's3://{hosted.group('bucket')}/{segments}'."
    if _AWS_HOST.match(host) and segments:
        return f"write it as 's3://{segments}'."
    if segments:
        # A custom endpoint answers path-style: the first part of the path is the bucket.
        endpoint = f"{parts.scheme}://{parts.netloc}"
        return (f"write it as 's3://{segments}', with AWS_ENDPOINT_URL={endpoint} set for "
                "the endpoint.")
    return "write it as 's3://bucket/key'."


# S3 keys are at most 1,024 bytes of UTF-8.
MAX_KEY_BYTES = 1024


def _check_key(key: str, shown: str) -> None:
    """Refuse keys no S3 service can hold, before any request is sent.

    S3 keys are any UTF-8 text up to 1,024 bytes: control characters are
    allowed (AWS lists them as needing special handling, not as refused), and
    whoever can write to a bucket can make such keys, so they must stay
    readable by their real key. Refused: a NUL (SeaweedFS, MinIO and Ceph
    refuse it, and no R string can hold it), a lone surrogate (not UTF-8), a key
    over 1,024 bytes, and a leading ``/`` (botocore drops it in path-style
    requests, so ``bucket//key`` would silently read ``bucket/key``).
    """
    if key.startswith("/"):
        raise PathError("The key starts with '/' (a doubled '/' after the bucket?): write the "
                        "path as 'bucket/key'.", path=shown)
    if "\0" in key:
        raise PathError("A key cannot contain a NUL character (\\x00): most S3 services refuse "
                        "it. Pass the key without it.", path=shown)
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise PathError("The key is not valid text (it holds a lone surrogate).",
                        path=repr(shown)) from None
    if size > MAX_KEY_BYTES:
        raise PathError(f"The key is {size:,} bytes long in UTF-8; S3 allows at most "
                        f"{MAX_KEY_BYTES:,}.", path=shown[:80] + "...")


def parse_file(s3_path: object) -> S3Path:
    """A path that must name one object: a non-empty key that is not a folder."""
    path = parse(s3_path)
    if path.key == "":
        raise PathError(
            "The path names a bucket but no object: add the key, as in 'bucket/folder/file.csv'.",
            path=str(path),
        )
    if path.key.endswith("/"):
        raise PathError(
            "The path names a folder ('/' at the end) where a file is needed: "
            "give the full key of one object.",
            path=str(path),
        )
    return path


def parse_file_or_folder(s3_path: object) -> S3Path:
    """A path that names one object or a folder: a bucket alone is refused.

    ``"bucket/"`` (the whole bucket, as a folder) is taken; ``"bucket"`` is most
    often a path cut short, and reading or writing a whole bucket is too much to
    do by mistake.
    """
    path = parse(s3_path)
    if path.key == "" and isinstance(s3_path, str) and not s3_path.strip().endswith("/"):
        raise PathError(
            f"{s3_path.strip()} names a bucket alone: a file or a folder path is needed, "
            f"as in '{path.bucket}/data.csv', or '{path.bucket}/folder/' for a folder (ending "
            f"in '/'; '{path.bucket}/' for the whole bucket).",
            path=s3_path.strip(),
        )
    return path


def extension_of(key: str) -> str:
    """The last extension of a key, lower case, without the dot ('' if none)."""
    name = key.rsplit("/", 1)[-1]
    if "." not in name.lstrip("."):
        return ""
    return name.rsplit(".", 1)[-1].lower()
