"""The first rows of a data file (:func:`s3_path_to_preview_df`), fetching as little as
the format allows and never more than the preview limit (:mod:`s3tools.bounded`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from . import (bounded, config, errors, format_io, format_options, formats, parquet_footers,
               parquet_layout, paths, r_types, ranged_previews, read, transport)
from .compression import decompressed
from .paths import S3Path

_PREVIEW_FIRST_FETCH = 64 * 1024
_PREVIEW_COLUMN_BYTES = 1024 * 1024 + 64 * 1024


def _preview_text(path: S3Path, n: int, fmt: formats.Format, compression: str | None,
                  options: Mapping[str, Any]) -> pd.DataFrame:
    """The start of a line-based file, decompressed in growing steps until it holds ``n``
    rows, and never more than the preview limit (see :mod:`s3tools.bounded`)."""
    limit = config.value("preview_limit")
    source: Any = _from_the_start(path)
    if compression is not None:
        # Compressed data is no larger than its text, but for a stream that yields none.
        source = bounded.LimitedReader(source, 2 * limit, lambda: bounded.refusal(
            path, "the compressed bytes of its first rows take", 2 * limit))
    with decompressed(source, compression) as stream:
        text = bytearray()
        step = _PREVIEW_FIRST_FETCH
        while True:
            piece = stream.read(min(step, limit + 1 - len(text)))
            text += piece
            finished, over = not piece, len(text) > limit
            if finished or over or text.count(b"\n") > n + 1:
                frame = _first_rows(path, n, fmt, text, finished, over, options)
                if frame is not None:
                    return frame
                if over:
                    raise bounded.refusal(path, "its first rows take", limit)
            step *= 2


def _first_rows(path: S3Path, n: int, fmt: formats.Format, text: bytearray, finished: bool,
                over: bool, options: Mapping[str, Any]) -> pd.DataFrame | None:
    """The first ``n`` rows of the whole lines of ``text``, or None to read on. At the
    limit (``over``), the rows found, if one at least."""
    whole_lines = bytes(text) if finished else bytes(text[: text.rfind(b"\n") + 1])
    try:
        # Only the first n rows: types must not depend on how much was fetched.
        frame = fmt.read(whole_lines, **{"nrows": n, **options})
    except Exception as error:
        if finished:
            raise read.format_error(path, fmt, error, read.head_of(text),
                                "preview") from error
        return None  # a quoted field may span the cut: read more
    if len(frame) >= n or finished or (over and len(frame) > 0):
        return frame.head(n)
    return None


def _first_pages(metadata: Any, columns: list[str] | None) -> list[tuple[int, int]]:
    """Where the first pages of the first row group's columns are likely to be.

    A range per column, from its first page, capped at about one default page:
    fetched together they replace a series of small reads one after another.
    """
    if metadata.num_row_groups == 0:
        return []
    group = metadata.row_group(0)
    ranges = []
    for index in range(group.num_columns):
        column = group.column(index)
        if columns is not None and column.path_in_schema.split(".")[0] not in columns:
            continue
        start, length = parquet_layout.column_chunk_range(column)
        ranges.append((start, min(length, _PREVIEW_COLUMN_BYTES)))
    return ranges


def _preview_columnar(path: S3Path, n: int, fmt: formats.Format,
                      options: Mapping[str, Any]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.ipc
    import pyarrow.parquet

    source = transport.open_file(path, read.PARQUET_TAIL)
    if fmt.name == "parquet":
        parquet_footers.refuse_unsafe(source, str(path))  # before any column's metadata
        # Unbuffered column reads fetch only the first pages, not whole row groups.
        parquet = pyarrow.parquet.ParquetFile(source, buffer_size=256 * 1024, pre_buffer=False)
        columns = options.get("columns")
        source.prefetch(_first_pages(parquet.metadata, columns))
        table = bounded.parquet_first_rows(parquet, source, n, columns, path)
        return _with_whole_file_types(r_types.table_to_frame(table).head(n), parquet.metadata)
    reader = pyarrow.ipc.open_file(pa.PythonFile(source, mode="r"))
    if reader.num_record_batches == 0:
        return r_types.table_to_frame(reader.schema.empty_table())
    bounded.check_ipc_first_batch(source, path)
    batch = reader.get_batch(0)
    format_io.validate_arrow(batch)
    return r_types.table_to_frame(pa.Table.from_batches([batch])).head(n)


def _with_whole_file_types(frame: pd.DataFrame, metadata: Any) -> pd.DataFrame:
    """Integer and boolean columns typed as the full read types them.

    pandas makes a column with missing values float (integers) or object
    (booleans), a read for R nullable (:func:`s3tools.r_types.holding_missing`);
    where the footer's statistics say the file has missing values in a column
    that the first rows do not, the preview follows the file.
    """
    leaves = {metadata.schema.column(index).path: index
              for index in range(metadata.num_columns)}
    for name, column in frame.items():
        if column.dtype.kind not in "iub" or name not in leaves \
                or not _has_missing(metadata, leaves[name]):
            continue
        frame[name] = r_types.holding_missing(column)
    return frame


def _has_missing(metadata: Any, index: int) -> bool:
    """Whether the statistics of leaf column ``index`` count a missing value in any row
    group (only that column's statistics are made: a 1 GB file's 60 row groups x 8
    columns took 2.5 ms)."""
    for group in range(metadata.num_row_groups):
        statistics = metadata.row_group(group).column(index).statistics
        if statistics is not None and statistics.has_null_count and statistics.null_count > 0:
            return True
    return False


def _from_the_start(path: S3Path) -> transport.ObjectFile:
    """A file read from its start in growing ranges (a text file's first lines)."""
    return transport.open_file(path, head_length=_PREVIEW_FIRST_FETCH,
                               readahead=_PREVIEW_FIRST_FETCH)


def s3_path_to_preview_df(s3_path: str, n: int = 5, file_type: str | None = None,
                          **options: Any) -> pd.DataFrame:
    """The first ``n`` rows of a data file, fetching as little of it as the format allows.

    Text formats (csv, tsv, jsonl, compressed or not) are read with HTTP Range
    requests that grow until ``n`` rows are in; Parquet and Arrow read the
    footer and the first pages only; xlsx the zip directory, the shared strings
    and the start of the sheet; SPSS, Stata and SAS files their header and
    first rows. Other formats (json, xls, and compressed files of formats other
    than text) are read whole: their layout has no first rows without the rest.

    A preview holds at most ``S3TOOLS_PREVIEW_LIMIT`` (64 MiB unless set) of
    decompressed text or decoded values, whatever the file claims: text stops
    there with the rows found by then, and what cannot be previewed within it
    is a :class:`~s3tools.errors.FormatError` saying how to raise the limit.

    Raises:
        PathError, NotFoundError, AccessDeniedError, FormatError.
    """
    path = paths.parse_file(s3_path)
    n = _count(n, "n")
    fmt, compression = formats.resolve(path.key, file_type)
    format_options.check(fmt, options, path)
    try:
        if fmt.text:
            return transport.restarting(
                path, lambda: _preview_text(path, n, fmt, compression, options))
        if fmt.name in ("parquet", "feather") and compression is None:
            return transport.restarting(path, lambda: _preview_columnar(path, n, fmt, options))
        reader = ranged_previews.PREVIEWS.get(fmt.name)
        if reader is not None and compression is None and path.suffix.lower() != ".xls":
            def whole(data: Any) -> pd.DataFrame:
                return read.parse(path, data, None, options, fmt)

            return transport.restarting(path, lambda: reader(path, n, options, whole))
    except errors.FormatError as error:
        raise read.naming(error, path, fmt, verb="preview") from error.__cause__
    except errors.S3ToolsError:
        raise
    except Exception as error:
        raise read.format_error(path, fmt, error, verb="preview") from error
    allowance = bounded.PreviewAllowance(path, fmt.name)
    return read.parse(path, transport.fetch(path, allowance), file_type, options, fmt, compression,
                  allowance).head(n)


def _count(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or number != value:
        raise ValueError(f"{name} must be a whole number of 0 or more, not {value!r}.")
    return number


__all__ = ["s3_path_to_preview_df"]
