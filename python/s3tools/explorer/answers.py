"""What the explorer asks for, answered through s3tools' own functions.

One module answers both front ends: the web page (:mod:`.server` sends each
answer as JSON over HTTP) and the notebook widget (:mod:`.widget` sends it
over the kernel's connection). No transport here: :class:`Answers` takes a
question's name and its fields and returns a plain dict. Every S3 request
goes through the functions the user calls (listing, preview, download) or
the transport under them, so the explorer sees the endpoint, keys and proxy
the functions see.

Names come twice: as they are (``name``, ``path``: what every action sends
back) and as the page shows them (``shown``: :func:`s3tools.display.pieces`,
text and escapes alternately, so that the page marks the escapes). Preview
cells and messages come escaped (:func:`s3tools.display.visible`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .. import errors, folders, formats, localfiles, paths, redaction, transport
from ..display import pieces, python_string, r_string, visible
from ..errors import FormatError
from ..listing import accessible_buckets, readable_size
from ..previews import s3_path_to_preview_df

log = logging.getLogger("s3tools.explorer")

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


# A downloaded file's local name: at most this many characters of the key's last part.
_NAME_KEPT = 120
# Names tried for a download before giving up: people.csv, people (1).csv, ...
_DOWNLOAD_NAMES = 100


def save(path: str, folder: str) -> dict[str, str]:
    """Download a file into ``folder`` under its own name, or ``name (1).ext`` and so on if
    that is taken: created exclusively, never through a link, whole or not at all
    (:func:`s3tools.localfiles.replacing`); an existing file is never replaced.

    The name is the key's last part as shown (control and bidi characters as
    escapes, no leading dot, at most 120 characters), so a key cannot name a
    hidden file or reach outside ``folder``.

    Returns:
        ``local``: the path written; ``message``: the sentence to show.

    Raises:
        NotFoundError, AccessDeniedError: as for any read.
        OSError: ``folder`` cannot be written.
    """
    target = paths.parse_file(path)
    stem, extension = _local_name(target.name)
    for attempt in range(_DOWNLOAD_NAMES):
        name = f"{stem} ({attempt}){extension}" if attempt else stem + extension
        local = os.path.join(folder, name)
        if os.path.lexists(local):
            continue
        try:
            with localfiles.replacing(local, overwrite=False) as handle:
                transport.download(target, handle)
        except FileExistsError as error:
            if error.filename != local:
                raise
            continue  # made there meanwhile: the next name
        shown = visible(os.path.abspath(local))
        return {"local": local, "message": f"Saved as {shown}."}
    shown = visible(os.path.join(os.path.abspath(folder), stem + extension))
    raise errors.AlreadyExistsError(
        f"The local file {shown} and {_DOWNLOAD_NAMES - 1} numbered ones beside it already "
        "exist: nothing was downloaded. Move some of them away and download again.", path=shown)


def _local_name(name: str) -> tuple[str, str]:
    name = visible(name).replace("\\", "_").lstrip(".") or "download"
    stem, dot, extension = name[:_NAME_KEPT].rpartition(".")
    if not dot or not stem:
        return name[:_NAME_KEPT], ""
    return stem, "." + extension


def failure(error: BaseException, question: str) -> dict[str, str]:
    """An error as the explorer shows it: s3tools' message and kind, anything unexpected as
    one sentence with its secrets redacted (the full story at debug level), never a traceback.
    """
    if isinstance(error, errors.S3ToolsError):
        return {"error": error.message, "kind": error.kind}
    log.debug("explorer: %s failed", question, exc_info=error)
    message = f"s3tools failed unexpectedly ({type(error).__name__}: {error})."
    return {"error": visible(redaction.redact(message)), "kind": "error"}


class Answers:
    """The answers to one explorer's questions, and the files chosen in it with Select.

    Args:
        page_size: entries per page of a folder.
        downloads: the folder where Download saves files (the widget's: next to the
            notebook); ``None`` where the browser downloads them itself (the web page).
    """

    def __init__(self, page_size: int = folders.PAGE_SIZE, downloads: str | None = None) -> None:
        self.page_size = page_size
        self.downloads = downloads
        self._selected: list[str] = []
        self._lock = threading.Lock()

    @property
    def selected(self) -> list[str]:
        """The ``bucket/key`` paths chosen with Select, oldest first."""
        with self._lock:
            return list(self._selected)

    def ask(self, question: str, request: Mapping[str, str]) -> dict[str, Any]:
        """The answer to ``question`` (``buckets``, ``list``, ``preview``, ``select``, and
        ``download`` where files are saved here), given its fields.

        Raises:
            KeyError: no such question.
            S3ToolsError: S3 or the path said no (see :func:`failure`).
        """
        path = str(request.get("path", ""))
        if question == "buckets":
            return buckets()
        if question == "list":
            return listing(path, request.get("after") or None, str(request.get("search", "")),
                           self.page_size)
        if question == "preview":
            return preview(path)
        if question == "select":
            return self.select(path)
        if question == "download" and self.downloads is not None:
            return save(path, self.downloads)
        raise KeyError(question)

    def select(self, path: str) -> dict[str, str]:
        """The code that reads ``path`` (:func:`code`); the path joins :attr:`selected`."""
        chosen = code(path)
        with self._lock:
            self._selected.append(chosen["path"])
        return chosen
