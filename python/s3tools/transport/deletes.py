"""Deleting objects: many keys per DeleteObjects request, except keys its XML cannot carry.

DeleteObjects names its keys in an XML body. XML 1.0 cannot hold most ASCII
control characters at all, and its parsers read a carriage return as a
newline, so a key holding one would be refused or, worse, another key
deleted. Such a key, which anyone who can write to the bucket can make, is
deleted on its own (DeleteObject), its key in the URL, where any character
travels percent-encoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..paths import S3Path
from .policy import request

BATCH = 1000  # keys per DeleteObjects request: S3's most
# The characters an XML 1.0 body does not carry as they are (C0 controls, tab and
# newline included, to be safe; U+FFFE and U+FFFF are not XML characters either).
_NOT_IN_XML = re.compile("[\x00-\x1f\ufffe\uffff]")


def delete(root: S3Path, keys: Iterable[str]) -> list[dict[str, Any]]:
    """Delete ``keys`` from ``root``'s bucket, under the retry policy.

    Args:
        root: the folder the keys are under (named in errors; its bucket is used).
        keys: the keys to delete.

    Returns:
        What the service could not delete, as DeleteObjects reports it
        (``{"Key", "Code", "Message"}``); empty when every key went.

    Raises:
        The s3tools errors of the requests (denied, the network...).
    """
    alone: list[str] = []
    together: list[str] = []
    for key in keys:
        (alone if _NOT_IN_XML.search(key) else together).append(key)
    for key in alone:
        request("delete_object", f"{root.bucket}/{key}", writing=True, Bucket=root.bucket,
                Key=key)
    failed: list[dict[str, Any]] = []
    for start in range(0, len(together), BATCH):
        batch = together[start:start + BATCH]
        answer = request("delete_objects", str(root), writing=True, Bucket=root.bucket,
                         Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True})
        failed.extend(answer.get("Errors") or [])
    return failed
