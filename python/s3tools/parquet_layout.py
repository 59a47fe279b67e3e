"""Where a Parquet file's column chunks are, read from its footer.

Every footer is looked at by :mod:`s3tools.parquet_footers` before pyarrow's
objects over it are made: an encrypted or damaged one would end the process.
"""

from __future__ import annotations

from typing import Any

from . import parquet_footers
from .errors import S3ToolsError


def parquet_footer(source: Any) -> Any:
    """A Parquet file's footer (``pyarrow.parquet.FileMetaData``), or None when ``source``
    is not a readable Parquet file (its reader will say why).

    ``source``: a file over the object with its ``path`` (:func:`s3tools.transport.open_file`).

    Raises:
        FormatError: the file is encrypted, or its footer is damaged (see
            :mod:`s3tools.parquet_footers`: its columns' metadata would end the process).
    """
    import pyarrow
    import pyarrow.parquet

    parquet_footers.refuse_unsafe(source, str(source.path))
    try:
        return pyarrow.parquet.ParquetFile(source).metadata
    except S3ToolsError:
        raise  # not found, denied, the network (some are OSErrors too)
    except (pyarrow.ArrowException, OSError, UnicodeDecodeError):  # column names not UTF-8
        return None


def column_chunk_range(column: Any) -> tuple[int, int]:
    """Where a Parquet column chunk's bytes are, from its footer entry: (start, length)."""
    start = column.data_page_offset
    if column.has_dictionary_page and column.dictionary_page_offset:
        start = min(start, column.dictionary_page_offset)
    return start, column.total_compressed_size


def column_chunk_ranges(footer: Any) -> list[tuple[int, int]]:
    """Every column chunk of every row group: what a read of all columns reads, once each."""
    return [column_chunk_range(group.column(index))
            for group in (footer.row_group(n) for n in range(footer.num_row_groups))
            for index in range(group.num_columns)]
