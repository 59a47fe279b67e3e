"""Parsing of the S3 paths users type: ``bucket/key``, ``s3://bucket/key``, ``/bucket/key``.

Pure functions, no network. Results always show a path as ``bucket/key``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PathError

_SCHEMES = ("s3://", "s3a://", "s3n://")


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
    text = s3_path.strip()
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


# S3 keys are at most 1,024 bytes of UTF-8.
MAX_KEY_BYTES = 1024


def _check_key(key: str, shown: str) -> None:
    """Refuse keys no S3 service stores faithfully, before any request is sent.

    Control characters (newlines, tabs, NUL...) do not survive the XML of S3
    listings and are changed or refused by services; a lone surrogate is not
    text at all; botocore drops the leading ``/`` of a key in path-style
    requests, so ``bucket//key`` would silently read ``bucket/key``.
    """
    if key.startswith("/"):
        raise PathError("The key starts with '/' (a doubled '/' after the bucket?): write the "
                        "path as 'bucket/key'.", path=shown)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise PathError("A key cannot contain control characters (tabs, newlines...): "
                        "rename the object or pass the key without them.",
                        path=repr(shown))
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


def extension_of(key: str) -> str:
    """The last extension of a key, lower case, without the dot ('' if none)."""
    name = key.rsplit("/", 1)[-1]
    if "." not in name.lstrip("."):
        return ""
    return name.rsplit(".", 1)[-1].lower()
