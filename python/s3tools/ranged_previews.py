"""The first rows of workbooks and statistics files, read in ranges within the preview limit.

An xlsx workbook keeps its directory at the end: its preview reads the
directory, the shared strings and styles, then its sheet only as far as the
first rows. SPSS, Stata and SAS files keep their dictionary at the start,
then the rows in order: their previews read the header and the first rows.
What any of them claims, the preview limit (``S3TOOLS_PREVIEW_LIMIT``, see
:mod:`s3tools.bounded`) holds:

- the bytes fetched: every preview reads through a
  :class:`~s3tools.bounded.BoundedFile`, which fetches no more than the limit
  (a workbook's compressed parts, a header, the rows a reader asks for);
- a workbook's parts, decompressed: recorded sizes are checked before a part
  is inflated, and parts inflate in bounded steps (:mod:`s3tools.workbooks`);
- the rows decoded: an SPSS or SAS header says how wide a row is once
  decoded (SAS and zsav rows are compressed); the first rows at that width
  must fit in the limit. Stata rows are stored as they decode, and its reader
  asks for the rows (and its long strings) in reads the bounded file counts.

Small Stata and SPSS files are previewed as the first rows of their full read
(a later row decides a column's type: a missing value makes whole numbers
float), when all their rows fit in the limit as well.

Past the limit, a preview is a :class:`~s3tools.errors.FormatError` that names
the path and says how to raise the limit.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd

from . import bounded, config, r_types, savfiles, workbooks
from .listing import readable_size
from .paths import S3Path

# Stata and SPSS files up to this size are previewed as the first rows of their full read.
_WHOLE_PREVIEW_BYTES = 1024 * 1024

Parse = Callable[[bytes], pd.DataFrame]  # the full read of a file's bytes


def _file(path: S3Path, limit: int, from_start: bool = True,
          what: str = "reading its header and first rows takes") -> bounded.BoundedFile:
    """The preview's file, whose refusal says ``what`` passes the limit."""
    return bounded.BoundedFile(path, limit, lambda: bounded.refusal(path, what, limit),
                               from_start=from_start)


@contextmanager
def _refusals(*bounds: Any) -> Iterator[None]:
    """A reader's failure, when a bounded file or archive under it refused, is that refusal
    (pyreadstat turns it into a read error of its own; openpyxl wraps it)."""
    try:
        yield
    except Exception:
        refused = next((bound.refused for bound in bounds if bound.refused is not None), None)
        if refused is not None:
            raise refused from None
        raise


def _refuse_rows(path: S3Path, rows: int, width: int, limit: int) -> None:
    """Refuse ``rows`` rows of ``width`` bytes each once decoded when they pass the limit."""
    if rows * width > limit:
        raise bounded.refusal(path, f"its first {rows} rows of {readable_size(width)} each "
                                    "decode to", limit)


def preview_excel(path: S3Path, n: int, options: Mapping[str, Any],
                  parse: Parse | None = None) -> pd.DataFrame:
    """The first rows of a workbook's sheet, its parts read through a bounded archive (an
    xls file named .xlsx is read by pandas, through the bounded file alone), typed as the
    whole read types them."""
    options, nullable = r_types.excel_options(options)
    return r_types.excel_frame(_first_sheet_rows(path, n, options), nullable)


def _first_sheet_rows(path: S3Path, n: int, options: dict[str, Any]) -> pd.DataFrame:
    """The first ``n`` rows of the sheet ``options`` choose, as pandas reads them."""
    limit = config.value("preview_limit")
    source = _file(path, limit, from_start=False,
                   what="reading the compressed parts its first rows need takes")
    with _refusals(source):
        if not zipfile.is_zipfile(source):
            return _first_rows(n, lambda rows: pd.read_excel(
                _rewound(source), **{**options, "nrows": rows}))
        book, archive = workbooks.open_workbook(
            source, limit, lambda at_least: bounded.refusal(
                path, "the parts of the workbook its first rows need decompress to", limit),
            whole_sheets=False, **(options.get("engine_kwargs") or {}))
        with _refusals(archive), pd.ExcelFile(book, engine="openpyxl") as excel:
            chosen = workbooks.sheet_options(dict(options))
            return _first_rows(n, lambda rows: pd.read_excel(excel, **{**chosen, "nrows": rows}))


def _rewound(source: bounded.BoundedFile) -> bounded.BoundedFile:
    """``source``, read again from its start (each reader reads from where it is)."""
    source.seek(0)
    return source


def _first_rows(n: int, parse: Callable[[int], pd.DataFrame]) -> pd.DataFrame:
    """The first ``n`` rows of a sheet: ``parse(rows)`` reads its first ``rows`` rows."""
    rows, last = max(n, 1), -1
    while True:
        # nrows counts the sheet's rows, blank ones too: ask for more until n are in, or
        # until asking for more brings no more (the sheet's end).
        frame = parse(rows)
        if len(frame) >= n or len(frame) == last:
            return frame.head(n)
        last, rows = len(frame), rows * 4


def _whole(source: bounded.BoundedFile, n: int, parse: Parse) -> pd.DataFrame:
    """The first ``n`` rows of the full read of a small file."""
    return parse(_rewound(source).read()).head(n)


def preview_stata(path: S3Path, n: int, options: Mapping[str, Any],
                  parse: Parse) -> pd.DataFrame:
    limit = config.value("preview_limit")
    source = _file(path, limit)
    with _refusals(source):
        if source.size <= min(_WHOLE_PREVIEW_BYTES, limit):  # its rows as stored
            return _whole(source, n, parse)
        with pd.read_stata(source, iterator=True, **options) as reader:
            return reader.read(nrows=n)


def preview_sas(path: S3Path, n: int, options: Mapping[str, Any],
                parse: Parse | None = None) -> pd.DataFrame:
    limit = config.value("preview_limit")
    source = _file(path, limit)
    options = {"encoding": "infer", **options}  # as the full read
    with _refusals(source), pd.read_sas(source, format="sas7bdat", iterator=True,
                                        **options) as reader:
        # Compressed rows each decompress to the row length the header declares.
        _refuse_rows(path, min(n, max(reader.row_count, 0)), reader.row_length, limit)
        return reader.read(n)


def preview_spss(path: S3Path, n: int, options: Mapping[str, Any],
                 parse: Parse) -> pd.DataFrame:
    import pyreadstat

    limit = config.value("preview_limit")
    source = _file(path, limit)
    rows = max(n, 1)  # pyreadstat reads every row when its row_limit is 0
    with _refusals(source):
        # Before ReadStat sees the dictionary: some value labels end its process.
        savfiles.refuse_unsafe(source, str(path), options.get("encoding"))
        # The dictionary (a zsav's rows are compressed twice): the declared widths. Its value
        # labels are converted as the read converts them (the checked encoding).
        _, metadata = pyreadstat.read_sav(_rewound(source), metadataonly=True,
                                          encoding=options.get("encoding"))
        declared = metadata.number_rows
        width = sum(metadata.variable_storage_width.values())
        known = declared is not None and declared >= 0
        if known and source.size <= min(_WHOLE_PREVIEW_BYTES, limit) \
                and declared * width <= limit:
            return _whole(source, n, parse)
        _refuse_rows(path, min(rows, declared) if known else rows, width, limit)
        # pandas hands the file object and the row limit to pyreadstat, which reads the
        # dictionary (at hand now) and then rows in order.
        return pd.read_spss(_rewound(source), row_limit=rows, **options).head(n)


# Each takes the path, n, the reader's options and the full read of a small file's bytes.
PREVIEWS: dict[str, Callable[[S3Path, int, Mapping[str, Any], Parse], pd.DataFrame]] = {
    "excel": preview_excel, "stata": preview_stata, "sas": preview_sas, "spss": preview_spss}
