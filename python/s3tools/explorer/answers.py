"""What the explorer's page asks for, answered through s3tools' own functions.

No HTTP here: each answer is a plain dict that :mod:`.server` sends as JSON.
Every S3 request goes through the functions the user calls (listing,
preview) or the transport under them, so the explorer sees the endpoint,
keys and proxy the functions see.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .. import folders, formats, paths
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
    return {"buckets": frame.to_dict("records")}


def listing(path: str, after: str | None = None, search: str = "",
            page_size: int = folders.PAGE_SIZE) -> dict[str, Any]:
    """One page of the folders and files under ``bucket/prefix/``, and the token of the next.

    With ``search``, the files under the prefix at any depth whose name holds
    that text (any case), read page by page in the same way.
    """
    prefix = paths.parse(path)
    if not prefix.is_folder:
        prefix = prefix.child(prefix.key + "/")
    if not search:
        entries, following = folders.page(prefix, token=after, size=page_size)
        return {"entries": [_entry(entry, prefix) for entry in entries], "next": following}
    wanted = search.lower()
    found: list[dict[str, Any]] = []
    for _ in range(SEARCH_PAGES):
        entries, after = folders.page(prefix, recursive=True, token=after, size=page_size)
        found += [_entry(entry, prefix) for entry in entries
                  if wanted in entry.key.rsplit("/", 1)[-1].lower()]
        if found or after is None:
            break
    return {"entries": found, "next": after}


def _entry(entry: folders.Entry, prefix: paths.S3Path) -> dict[str, Any]:
    name = entry.key[len(prefix.key):]
    if entry.is_folder:
        return {"name": name, "path": f"{prefix.bucket}/{entry.key}", "folder": True}
    return {"name": name, "path": f"{prefix.bucket}/{entry.key}", "folder": False,
            "size": entry.size, "size_readable": readable_size(entry.size),
            "modified": entry.modified.isoformat() if entry.modified else None}


def preview(path: str, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The first rows of a data file as text cells (missing values as empty cells)."""
    frame = s3_path_to_preview_df(path, n=rows)
    return {"columns": [str(name) for name in frame.columns],
            "rows": [[_cell(value) for value in row]
                     for row in frame.itertuples(index=False, name=None)]}


def _cell(value: Any) -> str:
    # None, NaN, NaT and pandas' NA are all missing; a list in a cell is not.
    return "" if pd.api.types.is_scalar(value) and pd.isna(value) else str(value)


def code(path: str) -> dict[str, str]:
    """The calls that read the file, in R and in Python: ``s3_path_to_df`` for a data file,
    ``download_file_from_s3`` to a local file of the same name for any other."""
    target = paths.parse_file(path)
    # JSON's string syntax is also R's and Python's (quotes and backslashes escaped).
    quoted = json.dumps(str(target), ensure_ascii=False)
    try:
        formats.resolve(target.key)
    except FormatError:
        local = json.dumps(target.name, ensure_ascii=False)
        call = f"download_file_from_s3({quoted}, {local})"
    else:
        call = f"s3_path_to_df({quoted})"
    return {"path": str(target), "r": call, "python": f"s3tools.{call}"}
