"""What in a folder is data: the folder listed once, its objects sorted by one rule.

Every reader of a folder (``s3_path_to_df``, ``s3_path_to_chunks``, the
memory check, Parquet datasets, ``s3_path_to_ddf``) works from one
:class:`Folder`, so they all read the same files, and a folder read is one
listing (page after page) followed by the reads of the files it names.

Not data, wherever they are below the folder:

- anything under a name starting with ``_`` or ``.``, at any level
  (``_SUCCESS``, ``_common_metadata``, Spark's uncommitted ``_temporary/``,
  ``.hidden/``, s3tools' own staging folders and schema file);
- folder markers (keys ending in ``/``) and EMR's ``name_$folder$`` markers;
- empty objects (no rows to read; an empty CSV is not even a header).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import transport
from .listing import list_objects
from .paths import S3Path

FOLDER_MARKER_SUFFIX = "$folder$"  # EMR's empty "name_$folder$" objects


class DataFile(NamedTuple):
    """A data file of a folder, with the version the listing saw (its size and ETag):
    reads are pinned to it, so a file replaced after the listing is never read unchecked."""

    path: S3Path
    version: transport.Version


@dataclass
class Folder:
    """A folder as one listing saw it, sorted by key."""

    root: S3Path
    files: list[DataFile] = field(default_factory=list)  # the data files
    objects: list[dict] = field(default_factory=list)  # every object, as listed

    def relative(self, path: S3Path) -> str:
        """The key of ``path`` below the folder (``year=2024/part-0.parquet``)."""
        return path.key[len(self.root.key):]


def is_data(relative: str, size: int) -> bool:
    """Whether an object is data, from its key below the folder and its size (see the module).

    Args:
        relative: the key with the folder's prefix taken off.
        size: the object's size in bytes.
    """
    if not relative or relative.endswith(("/", FOLDER_MARKER_SUFFIX)) or size <= 0:
        return False
    return not any(part.startswith(("_", ".")) for part in relative.split("/"))


def list_folder(root: S3Path) -> Folder:
    """Every object under ``root`` (one listing, page after page), and which are data.

    Args:
        root: a folder path (``bucket/prefix/``, or ``bucket/`` for a whole bucket).

    Returns:
        The :class:`Folder`: its data files in key order, and every object as listed.

    Raises:
        NotFoundError (no such bucket), AccessDeniedError, S3ConnectionError.
    """
    found = Folder(root)
    for item in list_objects(root):
        found.objects.append(item)
        size = int(item["Size"])
        if is_data(item["Key"][len(root.key):], size):
            found.files.append(DataFile(root.child(item["Key"]),
                                        transport.Version(size, item.get("ETag"))))
    return found


def restarting(first: Folder, read: Callable[[Folder], Any]) -> Any:
    """``read(first)``; if a file was replaced after the listing (a read pinned to the
    listed version failed), the folder is listed again and read again, once.

    Raises:
        ObjectChangedError: the folder changed again under the second read.
    """
    listings = [first]
    return transport.restarting(
        first.root, lambda: read(listings.pop() if listings else list_folder(first.root)))
