"""A GET of object bytes through either client (botocore or obstore), as one kind of answer.

The client is the one chosen for the settings (:func:`.clients.get_client_name`),
except for keys that obstore's path rules refuse (:func:`sender`), which go
through botocore, decided before any request is sent. Neither client retries:
the sender does, under the one policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from .. import errors
from ..paths import S3Path
from . import clients, sizes


@dataclass(frozen=True)
class Version:
    """What a read is pinned to: the object's size and ETag as its first answer gave them."""

    size: int
    etag: str | None


@dataclass
class Answer:
    """A successful GET, whichever client sent it: what it says and its body's chunks."""

    size: int  # the whole object's
    etag: str | None
    start: int  # where this body starts in the object
    length: int  # how many bytes this body announces
    chunks: Iterator[Any]
    close: Callable[[], None]


Send = Callable[[S3Path, int, "int | None", "int | None", "str | None"], Answer]


def http_range(start: int, end: int | None, suffix: int | None) -> str:
    """The HTTP Range header for bytes ``[start, end)`` (to the end if None), or the last
    ``suffix`` bytes."""
    return f"bytes=-{suffix}" if suffix is not None else \
        f"bytes={start}-{'' if end is None else end - 1}"


def _ranged(response: dict, start: int) -> tuple[int, int]:
    """The object's size and where the body starts, from a botocore response."""
    content_range = response.get("ContentRange") or ""
    if "/" in content_range:
        first = content_range.split(" ", 1)[-1].split("-", 1)[0]
        return int(content_range.rsplit("/", 1)[-1]), int(first) if first.isdigit() else start
    if start == 0:
        return int(response["ContentLength"]), 0  # the server sent the whole object
    raise errors.S3ToolsError("The S3 service ignored a byte range request; s3tools cannot "
                              "read this object in parts.")


def _get_botocore(path: S3Path, start: int, end: int | None, suffix: int | None,
                  etag: str | None) -> Answer:
    parameters: dict[str, Any] = {"Bucket": path.bucket, "Key": path.key,
                                  "Range": http_range(start, end, suffix)}
    if etag:
        parameters["IfMatch"] = etag
    response = clients.client().get_object(**parameters)
    size, first = _ranged(response, start if suffix is None else 0)
    body = response["Body"]

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                chunk = body.read(sizes.CHUNK)
                if not chunk:
                    return
                yield chunk
        except botocore.exceptions.IncompleteReadError:
            return  # counted as short by the sender

    return Answer(size, response.get("ETag"), first, int(response["ContentLength"]),
                  chunks(), body.close)


def _get_obstore(path: S3Path, start: int, end: int | None, suffix: int | None,
                 etag: str | None) -> Answer:
    import obstore

    options: dict[str, Any] = {
        "range": {"suffix": suffix} if suffix is not None else
        {"offset": start} if end is None else (start, end)}
    if etag:
        options["if_match"] = etag
    result = obstore.get(clients.object_store(path.bucket, sizes.PART_SIZE), path.key,
                         options=options)
    first, stop = result.range
    # A small body in one piece (no stream machinery); a large one in chunks, so that
    # a cut can be resumed where it stopped.
    chunks = iter((result.bytes(),)) if stop - first <= sizes.CHUNK else \
        iter(result.stream(min_chunk_size=sizes.CHUNK))
    meta = result.meta
    return Answer(meta["size"], meta.get("e_tag"), first, stop - first, chunks, _nothing)


def _nothing() -> None:
    """Closing an obstore answer: its body closes itself once read or dropped."""


_CLIENTS: dict[str, Send] = {"botocore": _get_botocore, "obstore": _get_obstore}
_REFUSED_SEGMENTS = frozenset(("", ".", ".."))  # by obstore's path rules
# obstore refuses a path holding an ASCII control character (C0 or DEL); S3 keys may.
_REFUSED_CHARACTERS = re.compile("[\x00-\x1f\x7f]")


def _obstore_takes(key: str) -> bool:
    """Whether obstore's path rules accept ``key``: no empty, ``.`` or ``..`` segment and no
    ASCII control character. Keys it refuses are still S3 keys, and readable by botocore."""
    return _REFUSED_SEGMENTS.isdisjoint(key.split("/")) and \
        _REFUSED_CHARACTERS.search(key) is None


def sender(key: str) -> Send:
    """The client for a GET of this key: the one chosen for the settings, unless it is
    obstore and the key is one obstore refuses (:func:`_obstore_takes`): then botocore,
    decided before any request is sent."""
    chosen = clients.get_client_name()
    if chosen == "obstore" and not _obstore_takes(key):
        return _get_botocore
    return _CLIENTS[chosen]
