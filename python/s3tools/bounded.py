"""Bounded work for untrusted bytes: what a preview may decompress and decode.

A file's bytes, and the sizes it claims, are chosen by whoever can write to
the bucket. A preview holds no more than the preview limit
(``S3TOOLS_PREVIEW_LIMIT``, 64 MiB unless set; the ``preview_limit`` setting of
:mod:`s3tools.config`) of decompressed text or decoded values, whatever the
file claims:

- text (csv, tsv, jsonl, compressed or not) is decompressed in growing steps
  and stopped at the limit (``previews._preview_text``): the rows whole by then
  are the answer, or, when not one is, a :class:`~s3tools.errors.FormatError`
  that says how to raise the limit. The compressed bytes read count too;
- a format that a preview reads whole (json, xls, compressed Parquet...) is
  refused once the object, or its decompressed data, passes the limit
  (:class:`PreviewAllowance`);
- Parquet: the headers of the pages the first rows are in say how large each
  is once decompressed (the reader allocates that much, no more); more than the
  limit is refused before any page is decoded, and the rows are decoded in
  batches small enough that their values stay within it (:func:`parquet_first_rows`);
- Arrow IPC: the footer and the first batch's header say how large its
  buffers are (compressed ones record their decompressed length); more than the
  limit is refused before decoding (:func:`check_ipc_first_batch`);
- xlsx, SPSS, Stata and SAS files are read through a :class:`BoundedFile`, which
  fetches no more than the limit, with the checks of :mod:`s3tools.ranged_previews`
  (a workbook's parts, the width of the rows a header declares).

The frame made of what was decoded comes on top (about its size again).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from . import config, errors, parquet_layout, recorded_sizes, transport
from .listing import readable_size
from .paths import S3Path

# How many bytes of a page header are read first (statistics make some longer), and the
# most read for one before its column is taken at its footer's word.
_HEADER_FIRST = 256
_HEADER_MOST = 1024 * 1024
# Pages walked per column, at most, before its footer's total is taken instead.
_PAGES_MOST = 256
# What a bounded file's first request asks for (its header, or its directory), at most.
_FIRST_FETCH = 64 * 1024


def refusal(path: S3Path | str, what: str, limit: int) -> errors.FormatError:
    """The preview's format error: ``what`` (``"its first rows take"``) passes ``limit``."""
    return errors.preview_too_large(str(path), what, readable_size(limit))


class PreviewAllowance:
    """The preview limit where a whole read asks its memory budget: at the object's first
    answer (``admit``, for :func:`s3tools.transport.fetch`) and when decompressing it
    (``decompressed_limit``, ``refuse_decompressed``), for the formats a preview reads whole.
    """

    def __init__(self, path: S3Path, format_name: str) -> None:
        self.path = path
        self.limit = config.value("preview_limit")
        self.first_part = max(1, self.limit)  # the reader asks for a part at most
        self._format = format_name

    def admit(self, path: S3Path, size: int) -> None:
        if size > self.limit:
            raise refusal(path, f"a preview of {self._format} reads the whole file, which "
                                "takes", self.limit)

    def decompressed_limit(self, size: int) -> int:
        return self.limit

    def refuse_decompressed(self, size: int, at_least: int) -> errors.FormatError:
        return refusal(self.path, f"a preview of {self._format} reads the whole file, which "
                                  "decompresses to", self.limit)


class LimitedReader(io.RawIOBase):
    """A file that refuses to hand out more than ``limit`` bytes of the one under it (the
    compressed bytes of a preview: a stream of empty blocks yields no text, but costs)."""

    def __init__(self, raw: Any, limit: int, refuse: Callable[[], Exception]) -> None:
        super().__init__()
        self._raw, self._limit, self._refuse = raw, limit, refuse
        self.handed_out = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)
        self.handed_out += count
        if self.handed_out > self._limit:
            raise self._refuse()
        return count


class BoundedFile(io.RawIOBase):
    """A read-only, seekable file over an object that fetches no more than ``limit`` bytes of
    it in all, whatever its header claims: a preview's file for the formats read from their
    start (SPSS, Stata, SAS: ``from_start``) or from their directory at the end (xlsx).

    What the first request brings is at hand; a read outside it fetches ahead, in steps
    that double from the first request's size up to an eighth of the limit, never past
    the limit, and a read that needs more than is left is refused before anything is
    fetched for it (a reader that asks for its header's row width times the rows, or
    for a length its header declares, is stopped there). A reader that swallows the
    error (pyreadstat's C reader turns it into its own) finds it in :attr:`refused`, and
    the file ended.
    """

    def __init__(self, path: S3Path, limit: int, refuse: Callable[[], Exception], *,
                 from_start: bool) -> None:
        super().__init__()
        self._limit, self._refuse = limit, refuse
        self.refused: Exception | None = None
        self._step = max(1, min(_FIRST_FETCH, limit))
        self._most_step = max(self._step, limit // 8)
        # What the first request brought: the start (then no tail), or the tail.
        if from_start:
            self._source = transport.open_file(path, head_length=self._step)
            self._tail_start = self._source.size
            self._held = [(0, min(self._step, self._source.size))]
        else:
            self._source = transport.open_file(path, self._step)
            self._tail_start = max(0, self._source.size - self._step)
            self._held = []
        self.size = self._source.size
        self.fetched = min(self._step, self.size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._source.seek(offset, whence)

    def tell(self) -> int:
        return self._source.tell()

    def read(self, size: int | None = -1) -> bytes:
        start = self._source.tell()
        end = self.size if size is None or size < 0 else min(self.size, start + size)
        if end <= start or self.refused is not None:
            return b""  # refused once, the file reads as ended (pyreadstat reads again)
        self._fetch(start, end)
        return self._source.read(end - start)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[:len(data)] = data
        return len(data)

    def _fetch(self, start: int, end: int) -> None:
        """Have ``[start, end)`` at hand in one piece (the file under this one finds it so)."""
        if start >= self._tail_start or any(first <= start and end <= last
                                      for first, last in self._held):
            return
        left = self._limit - self.fetched
        if end - start > left:
            self.refused = self._refuse()
            raise self.refused
        length = min(max(end - start, self._step), left, self.size - start)
        self._step = min(2 * self._step, self._most_step)
        self._source.prefetch([(start, length)])
        self._held.append((start, start + length))
        self.fetched += length


# ----------------------------------------------------------------- Parquet

def _read_at(source: Any, start: int, length: int) -> bytes:
    source.seek(start)
    return bytes(source.read(length))


def _page_header(source: Any, start: int, end: int) -> recorded_sizes.PageHeader:
    length = _HEADER_FIRST
    while True:
        data = _read_at(source, start, min(length, end - start))
        try:
            return recorded_sizes.page_header(data)
        except recorded_sizes.Unreadable:
            if len(data) < min(length, end - start) or length >= min(_HEADER_MOST,
                                                                      end - start):
                raise
            length *= 4


def _first_pages(source: Any, column: Any, rows: int, repeated: bool) -> tuple[int, int]:
    """What decoding a column chunk's first ``rows`` rows decompresses: the sizes of the
    pages they are in (its dictionary's included), and the largest of them (no value is
    larger). A repeated column's rows are counted one per page (a page holds at least
    the start of one; how many more, its levels say, which are not read here)."""
    start, length = parquet_layout.column_chunk_range(column)
    position, end = start, start + length
    needed = largest = counted = pages = 0
    while position < end and counted < rows:
        pages += 1
        if pages > _PAGES_MOST:
            raise recorded_sizes.Unreadable("too many pages before the first rows")
        page = _page_header(source, position, end)
        if page.kind != recorded_sizes.INDEX_PAGE:
            needed += page.uncompressed_size
            largest = max(largest, page.uncompressed_size)
        if page.kind == recorded_sizes.DATA_PAGE:
            counted += 1 if repeated else page.values
        elif page.kind == recorded_sizes.DATA_PAGE_V2:
            counted += page.rows if page.rows is not None else 1
        position += page.length + page.compressed_size
    return needed, largest


def _leaves(kind: Any) -> int:
    """How many Parquet leaf columns an Arrow type is stored in."""
    import pyarrow as pa

    if isinstance(kind, pa.ExtensionType):
        return _leaves(kind.storage_type)
    if pa.types.is_struct(kind):
        return sum(_leaves(kind.field(index).type) for index in range(kind.num_fields))
    if pa.types.is_map(kind):
        return _leaves(kind.key_type) + _leaves(kind.item_type)
    if hasattr(kind, "value_type") and not pa.types.is_dictionary(kind):
        return _leaves(kind.value_type)  # the list types
    return 1


def _owners(parquet: Any) -> list[str]:
    """The top-level column each leaf column belongs to, in the file's order (names may
    hold dots: R writes ``first.name``)."""
    metadata = parquet.metadata
    owners = [field.name for field in parquet.schema_arrow
              for _ in range(_leaves(field.type))]
    if len(owners) != metadata.num_columns:  # a schema this count does not follow
        owners = [metadata.schema.column(index).path.split(".")[0]
                  for index in range(metadata.num_columns)]
    return owners


def _wanted(owner: str, path: str, columns: list[str] | None) -> bool:
    """Whether a leaf column is read for ``columns`` (top-level names or dotted paths)."""
    return columns is None or owner in columns or any(
        path == name or path.startswith(name + ".") for name in columns)


def _column_costs(parquet: Any, source: Any, columns: list[str] | None,
                  rows: int) -> dict[str, list[int]]:
    """Per top-level column read, in the file's order: [what its first rows' pages take
    decompressed, the largest of those pages]."""
    metadata = parquet.metadata
    group = metadata.row_group(0)
    costs: dict[str, list[int]] = {}
    for index, owner in enumerate(_owners(parquet)):
        column = group.column(index)
        if not _wanted(owner, column.path_in_schema, columns):
            continue
        repeated = metadata.schema.column(index).max_repetition_level > 0
        try:
            needed, largest = _first_pages(source, column, rows, repeated)
        except recorded_sizes.Unreadable:
            # Not pages this reader can follow (damaged, encrypted...): the footer's word for
            # the whole chunk; pyarrow's own reader says what is wrong with it.
            needed = largest = max(column.total_uncompressed_size, 0)
        cost = costs.setdefault(owner, [0, 0])
        cost[0] += needed
        cost[1] += largest
    return costs


def _runs(costs: dict[str, list[int]], limit: int) -> list[list[str]]:
    """Columns in the file's order, in runs whose pages fit in the limit together: a wide
    file's first rows are decoded a run at a time."""
    runs: list[list[str]] = []
    total = limit + 1
    for name, (needed, _) in costs.items():
        if total + needed > limit:
            runs.append([])
            total = 0
        runs[-1].append(name)
        total += needed
    return runs


def parquet_first_rows(parquet: Any, source: Any, n: int, columns: list[str] | None,
                       path: S3Path) -> Any:
    """The first ``n`` rows (at least one, if there is one) of a Parquet file's first row
    group, as a ``pyarrow.Table``, decoded within the preview limit.

    Args:
        parquet: a ``pyarrow.parquet.ParquetFile`` over ``source``.
        source: the file (a :func:`~s3tools.transport.open_file`): page headers are
            read from it, mostly from the first pages already fetched.
        columns: the columns asked for (None: all).

    Raises:
        FormatError: the pages of the first rows, or their values, pass the limit.
    """
    import pyarrow as pa

    limit, rows = config.value("preview_limit"), max(n, 1)
    if parquet.metadata.num_row_groups == 0:
        return parquet.schema_arrow.empty_table()
    costs = _column_costs(parquet, source, columns, rows)
    runs = _runs(costs, limit)
    if len(runs) > 1 and (columns is not None or len(costs) != len(parquet.schema_arrow)):
        runs = [list(costs)]  # the columns asked for (or names used twice), read together
    for run in runs:
        needed = sum(costs[name][0] for name in run)
        if needed > limit:
            shown = f"its column {run[0]!r}" if len(run) == 1 else "the columns asked for"
            raise refusal(path, f"decoding the first rows of {shown} takes "
                                f"{readable_size(needed)},", limit)
    held, tables = 0, []
    for run in runs or [[]]:
        largest_row = sum(costs[name][1] for name in run)
        batches, held = _batches(parquet, columns if len(runs) <= 1 else run, rows,
                                 largest_row, held, limit, path)
        if not batches:
            return parquet.schema_arrow.empty_table()
        tables.append(pa.Table.from_batches(batches))
    if len(tables) == 1:
        return tables[0]
    count = min(table.num_rows for table in tables)
    fields = [field for table in tables for field in table.schema]
    return pa.Table.from_arrays([column.slice(0, count) for table in tables
                                 for column in table.columns],
                                schema=pa.schema(fields, metadata=tables[0].schema.metadata))


def _batches(parquet: Any, columns: list[str] | None, rows: int, largest_row: int,
             held: int, limit: int, path: S3Path) -> tuple[list[Any], int]:
    """Batches of the first row group until ``rows`` rows are in. No row's values are
    larger than ``largest_row`` (its columns' largest pages), so a batch of
    ``limit // largest_row`` rows stays within the limit, whatever its dictionary repeats."""
    size = max(1, min(rows, limit // max(largest_row, 1)))
    found, count = [], 0
    for batch in parquet.iter_batches(batch_size=size, row_groups=[0], columns=columns):
        held += batch.nbytes
        if held > limit:
            raise refusal(path, "its first rows decode to", limit)
        found.append(batch)
        count += batch.num_rows
        if count >= rows:
            break
    return found, held


# ------------------------------------------------------------- Arrow IPC

def check_ipc_first_batch(source: Any, path: S3Path) -> None:
    """Refuse an Arrow IPC file whose dictionaries and first record batch take more than the
    preview limit, from its footer and their headers, before anything is decoded (what
    is read is fetched once: the reader then finds it at hand).

    Raises:
        FormatError: over the limit, or metadata that does not say.
    """
    limit = config.value("preview_limit")
    try:
        dictionaries, batches = recorded_sizes.ipc_blocks(_ipc_footer(source))
        blocks = dictionaries + batches[:1]
        if any(block.offset < 0 or block.metadata_length <= 0 or block.body_length < 0
               or block.offset + block.metadata_length + block.body_length > source.size
               for block in blocks):
            raise recorded_sizes.Unreadable("a batch outside the file")
        held = sum(block.metadata_length + block.body_length for block in blocks)
        if held > limit:
            raise refusal(path, "its first batch takes", limit)
        source.prefetch([(block.offset, block.metadata_length + block.body_length)
                         for block in blocks])
        decoded = sum(_decoded(source, block) for block in blocks)
    except recorded_sizes.Unreadable as error:
        raise errors.FormatError(f"Could not preview {path} as feather: its metadata does "
                                 f"not say how large its first batch is ({error}).",
                                 path=str(path)) from None
    if decoded > limit:
        raise refusal(path, f"its first batch decodes to {readable_size(decoded)},", limit)


def _ipc_footer(source: Any) -> bytes:
    end = _read_at(source, source.size - 10, 10)
    length = recorded_sizes.ipc_footer_length(end)
    if not 0 < length <= source.size - 10:
        raise recorded_sizes.Unreadable("a footer longer than the file")
    return _read_at(source, source.size - 10 - length, length)


def _decoded(source: Any, block: recorded_sizes.Block) -> int:
    batch = recorded_sizes.ipc_batch(_read_at(source, block.offset, block.metadata_length))
    body = block.offset + block.metadata_length
    return recorded_sizes.decoded_size(batch, lambda offset: _read_at(source, body + offset, 8))
