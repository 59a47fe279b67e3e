"""What the explorer's page asks for, answered through s3tools' own functions.

No HTTP here: each answer is a plain dict that :mod:`.server` sends as JSON.
Every S3 request goes through the functions the user calls (listing,
preview) or the transport under them, so the explorer sees the endpoint,
keys and proxy the functions see.

Names come twice: as they are (``name``, ``path``: what every action sends
back) and as the page shows them (``shown``: :func:`s3tools.display.pieces`,
text and escapes alternately, so that the page marks the escapes). Preview
cells and messages come escaped (:func:`s3tools.display.visible`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import folders, formats, paths
from ..display import pieces, python_string, r_string, visible
from ..errors import FormatError
from ..listing import accessible_buckets, readable_size
from ..read import s3_path_to_preview_df

PREVIEW_ROWS = 10
# A search reads listing pages until something matches or this many pages were
# read, then answers (with the token to read on): a huge folder never holds it up.
SEARCH_PAGES = 10


def buckets() -> dict[str, Any]:
    """Every bucket these credentials can use, with its access level and where that came from."""
    frame = accessible_buckets(access=True)
    return {"buckets": [{**row, "shown": pieces(row["bucket"])}
                        for row in frame.to_dict("records")]}


def listing(path: str, after: str | None = None, search: str = "",
            page_size: int = folders.PAGE_SIZE) -> dict[str, Any]:
    """One page of the folders and files under ``bucket/prefix/``, the token of the next,
    and the folders of the prefix as shown (``where``: the bucket first).

    With ``search``, the files under the prefix at any depth whose name holds
    that text (any case), read page by page in the same way.
    """
    prefix = paths.parse(path)
    if not prefix.is_folder:
        prefix = prefix.child(prefix.key + "/")
    where = [pieces(part) for part in str(prefix).split("/") if part]
    if not search:
        entries, following = folders.page(prefix, token=after, size=page_size)
        return {"entries": [_entry(entry, prefix) for entry in entries], "next": following,
                "where": where}
    wanted = search.lower()
    found: list[dict[str, Any]] = []
    for _ in range(SEARCH_PAGES):
        entries, after = folders.page(prefix, recursive=True, token=after, size=page_size)
        found += [_entry(entry, prefix) for entry in entries
                  if wanted in entry.key.rsplit("/", 1)[-1].lower()]
        if found or after is None:
            break
    return {"entries": found, "next": after, "where": where}


def _entry(entry: folders.Entry, prefix: paths.S3Path) -> dict[str, Any]:
    name = entry.key[len(prefix.key):]
    named = {"name": name, "shown": pieces(name), "path": f"{prefix.bucket}/{entry.key}"}
    if entry.is_folder:
        return {**named, "folder": True}
    return {**named, "folder": False,
            "size": entry.size, "size_readable": readable_size(entry.size),
            "modified": entry.modified.isoformat() if entry.modified else None}


def preview(path: str, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The first rows of a data file as text cells (missing values as empty cells)."""
    frame = s3_path_to_preview_df(path, n=rows)
    return {"columns": [visible(str(name)) for name in frame.columns],
            "rows": [[_cell(value) for value in row]
                     for row in frame.itertuples(index=False, name=None)]}


def _cell(value: Any) -> str:
    # None, NaN, NaT and pandas' NA are all missing; a list in a cell is not.
    return "" if pd.api.types.is_scalar(value) and pd.isna(value) else visible(str(value))


def code(path: str) -> dict[str, str]:
    """The calls that read the file, in R and in Python: ``s3_path_to_df`` for a data file,
    ``download_file_from_s3`` to a local file of the same name for any other. Each parses
    in its language and names the exact key, whatever characters it holds, and shows
    them all (control and bidi characters as escapes)."""
    target = paths.parse_file(path)
    try:
        formats.resolve(target.key)
    except FormatError:
        function, arguments = "download_file_from_s3", (str(target), target.name)
    else:
        function, arguments = "s3_path_to_df", (str(target),)
    r_arguments = ", ".join(r_string(argument) for argument in arguments)
    python_arguments = ", ".join(python_string(argument) for argument in arguments)
    return {"path": str(target), "r": f"{function}({r_arguments})",
            "python": f"s3tools.{function}({python_arguments})"}
