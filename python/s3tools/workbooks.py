"""Excel workbooks (xlsx, xlsm) read within a bound on what their parts decompress to.

An xlsx file is a zip of XML parts; a part of a few kilobytes can inflate to
gigabytes, and the size the zip directory records for it is the writer's
word. :class:`BoundedArchive` checks that recorded size before a part is
inflated, then inflates it in steps of at most 1 MiB, whatever the part
holds (``zipfile`` alone inflates a part read whole in one step, and stops
it at its recorded size only afterwards), and stops once the parts read
pass the limit. openpyxl, pandas' reader for these files, reads every part
through it (:func:`read_excel`, :func:`open_workbook`).

A whole read reads every part whole; a preview reads the shared strings, the
styles and the workbook's other small parts whole, and a sheet only as far
as its first rows: a sheet's recorded size is not held against a preview,
what is inflated of it is.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable
from typing import Any

import pandas as pd

# The most inflated at once for a reader, whatever it asks for.
STEP = 1024 * 1024
_ZIP_START = b"PK\x03\x04"
# The parts a preview reads only as far as its first rows (every writer puts them here).
_SHEETS = "worksheets/"
# pandas reads these workbooks with openpyxl; these options are for opening one.
_OPENING_OPTIONS = ("engine", "engine_kwargs", "storage_options")

Refuse = Callable[[int], Exception]


def is_workbook_zip(data: Any) -> bool:
    """Whether ``data`` (bytes) is a zip: an xlsx or xlsm workbook, not an xls one."""
    return bytes(memoryview(data)[:4]) == _ZIP_START


class BoundedArchive(zipfile.ZipFile):
    """A zip read in bounded steps: no more than ``limit`` bytes of its parts are inflated.

    Each part counts once, at the most read of it through one opening (a sheet read
    again from its start counts once).

    Args:
        file: a readable, seekable binary file.
        limit: the most the parts read may decompress to, together.
        refuse: makes the error raised past the limit, from the bytes found or recorded.
        whole_sheets: sheets are read whole (their recorded sizes count before inflating).
    """

    def __init__(self, file: Any, limit: int, refuse: Refuse, whole_sheets: bool) -> None:
        super().__init__(file)
        self.limit, self._refuse, self._whole_sheets = limit, refuse, whole_sheets
        self._taken: dict[str, int] = {}
        # openpyxl turns a ValueError (a preview's FormatError) into one of its own.
        self.refused: Exception | None = None

    def open(self, name: Any, mode: str = "r", pwd: bytes | None = None, *,
             force_zip64: bool = False) -> Any:
        if mode != "r":
            raise ValueError("A workbook is read here, not written.")
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # bzip2 and lzma inflate a whole read at once: no bound holds; no writer uses them.
            raise zipfile.BadZipFile(f"its part {info.filename} is compressed in a way "
                                     "workbooks are not (only deflate is)")
        if self._whole_sheets or _SHEETS not in info.filename:
            self._count(info.filename, info.file_size)
        return _Part(super().open(info, mode, pwd), self, info.filename)

    def _count(self, name: str, size: int) -> None:
        """Count ``size`` bytes of part ``name`` (the most of it read, or recorded)."""
        self._taken[name] = max(self._taken.get(name, 0), size)
        total = sum(self._taken.values())
        if total > self.limit:
            self.refused = self._refuse(total)
            raise self.refused


class _Part(io.BufferedIOBase):
    """One part, inflated at most :data:`STEP` bytes at a time and counted as it comes."""

    def __init__(self, part: Any, archive: BoundedArchive, name: str) -> None:
        super().__init__()
        self._part, self._archive, self._name = part, archive, name
        self._read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        wanted = sys.maxsize if size is None or size < 0 else size
        pieces, count = [], 0
        while count < wanted:
            piece = self._part.read(min(STEP, wanted - count))
            if not piece:
                break
            pieces.append(piece)
            count += len(piece)
            self._read += len(piece)
            self._archive._count(self._name, self._read)
        return b"".join(pieces)

    def read1(self, size: int = -1) -> bytes:
        return self.read(STEP if size is None or size < 0 else min(size, STEP))

    def close(self) -> None:
        self._part.close()
        super().close()


def open_workbook(file: Any, limit: int, refuse: Refuse, *, whole_sheets: bool,
                  **engine_kwargs: Any) -> tuple[Any, BoundedArchive]:
    """An openpyxl workbook (read-only, values only, as pandas opens one) whose every part is
    read through a :class:`BoundedArchive`, and that archive (whose :attr:`refused` is the
    error when a reader wraps it in its own); the caller closes the workbook.

    Raises:
        what ``refuse`` makes: the parts read pass ``limit``; openpyxl's and zipfile's
        errors for files that are not workbooks.
    """
    from openpyxl.reader.excel import ExcelReader

    archive = BoundedArchive(file, limit, refuse, whole_sheets)
    options = {"read_only": True, "data_only": True, "keep_links": False, **engine_kwargs}
    reader = ExcelReader(file, **options)
    # openpyxl opens a plain ZipFile of its own; every part below is read through ours.
    reader.archive.close()
    reader.archive, reader.valid_files = archive, archive.namelist()
    try:
        reader.read()
    except BaseException:
        archive.close()
        if archive.refused is not None:
            raise archive.refused from None
        raise
    return reader.wb, archive


def read_excel(file: Any, limit: int, refuse: Refuse, **options: Any) -> pd.DataFrame:
    """``pandas.read_excel`` of a workbook whose parts, together, decompress to no more
    than ``limit`` bytes (a whole read). Another ``engine=`` than openpyxl reads as it would.

    Raises:
        what ``refuse`` makes, past ``limit``.
    """
    if options.get("engine") not in (None, "openpyxl"):
        return pd.read_excel(file, **options)
    book, _ = open_workbook(file, limit, refuse, whole_sheets=True,
                            **(options.get("engine_kwargs") or {}))
    with pd.ExcelFile(book, engine="openpyxl") as excel:
        return pd.read_excel(excel, **sheet_options(options))


def sheet_options(options: dict[str, Any]) -> dict[str, Any]:
    """``read_excel`` options without those that open the file (for a ``pandas.ExcelFile``
    opened already)."""
    return {name: value for name, value in options.items() if name not in _OPENING_OPTIONS}
