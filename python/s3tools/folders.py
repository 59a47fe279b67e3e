"""Listings one folder level at a time, page by page: what ``s3tools ls`` shows.

Folders are the listing's common prefixes (keys that go on after a ``/``),
never guessed from names; objects come with their size and date. A page is
one request of at most 1,000 entries, so a folder of any size is shown as it
arrives and never fetched whole first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from . import transport
from .paths import S3Path

PAGE_SIZE = transport.LIST_PAGE_SIZE  # entries per listing request: S3's most


@dataclass(frozen=True)
class Entry:
    """A folder (``size`` and ``modified`` are None) or an object under a prefix."""

    key: str
    size: int | None = None
    modified: datetime.datetime | None = None

    @property
    def is_folder(self) -> bool:
        return self.size is None


def page(prefix: S3Path, recursive: bool = False, token: str | None = None,
         size: int = PAGE_SIZE) -> tuple[list[Entry], str | None]:
    """One page of what is under ``prefix`` and the token of the next page (None: the last).

    Without ``recursive``, keys that go on past the next ``/`` are grouped into
    folders; with it, every object is listed. ``size`` entries at most (S3
    gives 1,000 at most whatever is asked).
    """
    found = transport.list_page(prefix, delimiter=None if recursive else "/", token=token,
                                size=size)
    dates = transport.listed_times(found.modified).to_pydatetime()
    listed = [Entry(folder) for folder in found.folders]
    listed += [Entry(key, length, date)
               for key, length, date in zip(found.keys, found.sizes, dates)]
    return listed, found.next_token


def entries(prefix: S3Path, recursive: bool = False) -> Iterator[Entry]:
    """Every entry under ``prefix``, page after page."""
    token = None
    while True:
        found, token = page(prefix, recursive, token)
        yield from found
        if token is None:
            return
