"""Larger than memory: a CSV, JSON Lines or Parquet file (or a folder of them) in chunks of rows.

Text files stream through :func:`s3tools.transport.open_stream` in parts
of :data:`CHUNKED_READ_PART` (a few parts in flight at once) into pandas' own chunked
readers, so each chunk has the values and types ``pandas.read_csv(...,
chunksize=)`` gives it (types are worked out per chunk, as pandas does).
Parquet files and datasets go through the same pruned scan as
``s3_path_to_df`` (``columns=`` and ``filters=`` pushed down), a row group at a
time. Memory stays bounded by the chunk and a few parts or row groups,
whatever the size of the data. Compressed text is decompressed here, in
bounded steps, and the text read to make one chunk is held to what the
memory check allows beside its frame: a row without end (a file without line
breaks) stops the read with ``TooLargeError``, not by running out of memory.

R cannot hold a Python iterator across calls, so it reads through a handle:
``chunks_open`` / ``chunks_next`` / ``chunks_close`` (:data:`R_HELPERS`). R's
chunks have R's types, one a column throughout (:mod:`s3tools.r_chunks`).
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

from . import datasets, errors, formats, memory, paths, r_chunks, r_codec, r_types, transport
from .compression import decompressed
from .paths import S3Path

# Text files are fetched in parts of this size, a few at a time, ahead of the parser.
CHUNKED_READ_PART = 2 * 1024 * 1024
# pandas' names for the compressions decompressed here (``compression=`` may name them).
_PANDAS_COMPRESSION = {"gz": "gzip", "bz2": "bz2", "xz": "xz", "zst": "zstd"}
# The most text read from the file at once, whatever pandas asks for.
_TEXT_STEP = 1024 * 1024
_CHUNKED = ("csv", "tsv", "jsonl", "parquet")


def s3_path_to_chunks(s3_path: str, chunk_size: int = 100000,
                      callback: Callable[[pd.DataFrame], Any] | None = None,
                      file_type: str | None = None,
                      **options: Any) -> Iterator[pd.DataFrame] | None:
    """Read a CSV, TSV, JSON Lines or Parquet file, or a folder of them, in chunks of rows.

    Memory stays bounded however large the data: for files larger than memory.

    Args:
        s3_path: a file, or a folder (``bucket/prefix/``): a Parquet dataset, or
            text files of one format read one after the other (a chunk never
            spans two text files).
        chunk_size: rows per chunk (the last one may have fewer).
        callback: called with each chunk as a data frame; returning ``False``
            stops the reading. Without it, an iterator of data frames is returned.
        file_type: a format name that overrides the extension.
        **options: for text, the pandas reader's options (``sep``, ``dtype``,
            ``usecols``...; ``columns`` means ``usecols``); for Parquet,
            ``columns=`` and ``filters=`` (pushed down as in ``s3_path_to_df``).

    Returns:
        An iterator of data frames, or ``None`` when ``callback`` is given.

    Raises:
        PathError, NotFoundError, AccessDeniedError, FormatError (a format that
        cannot be read in chunks), ObjectChangedError (replaced mid-read).

    Example: ``for chunk in s3_path_to_chunks("bucket/big.csv", 500_000): total += len(chunk)``.
    """
    size = _chunk_size(chunk_size)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function, not {type(callback).__name__}.")
    chunks = _chunks(paths.parse_file_or_folder(s3_path), size, file_type, dict(options))
    if callback is None:
        return chunks
    try:
        for chunk in chunks:
            if callback(chunk) is False:
                break
    finally:
        chunks.close()
    return None


def _chunk_size(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or number != value:
        raise ValueError(f"chunk_size must be a whole number of rows, 1 or more, not {value!r}.")
    return number


def _chunks(path: S3Path, size: int, file_type: str | None,
            options: dict[str, Any]) -> Iterator[pd.DataFrame]:
    """Checks the path and format now; the returned generator reads."""
    if not path.is_folder:
        fmt, compression = _chunked_format(path, file_type)
        if fmt.name == "parquet" and compression is None:
            return _parquet(path, None, size, options)
        return _text(path, fmt, compression, size, options)
    listing = datasets.list_dataset(path)
    if not listing.files and listing.schema_file is None:
        raise errors.not_found(str(path))
    if datasets.is_parquet(listing, file_type):
        return _parquet(path, listing, size, options)
    formats_found = {_chunked_format(file, file_type) for file, _ in listing.files}
    if len({fmt.name for fmt, _ in formats_found}) > 1:
        raise errors.FormatError(f"{path} holds files of several formats: read one format at "
                                 "a time, or pass a narrower folder.", path=str(path))
    return _files(listing.files, file_type, size, options)


def _files(files: list, file_type: str | None, size: int,
           options: dict[str, Any]) -> Iterator[pd.DataFrame]:
    for file, version in files:
        yield from _text(file, *_chunked_format(file, file_type), size, options, version)


def _chunked_format(path: S3Path, file_type: str | None) -> tuple[formats.Format, str | None]:
    fmt, compression = formats.resolve(path.key, file_type)
    if fmt.name not in _CHUNKED or compression == "zip" or \
            fmt.name == "parquet" and compression is not None:
        hint = ' If it holds one object per line, pass file_type="jsonl".' \
            if fmt.name == "json" else ""
        zipped = " in a .zip" if compression == "zip" else ""
        raise errors.FormatError(
            f"{path} cannot be read in chunks as {fmt.name}{zipped}"
            f": s3_path_to_chunks reads csv, tsv and jsonl (compressed with gz, bz2, xz or zst "
            f"too) and parquet.{hint} Use s3_path_to_df() to read it whole.", path=str(path))
    return fmt, compression


def _text(path: S3Path, fmt: formats.Format, compression: str | None, size: int,
          options: dict[str, Any],
          version: transport.Version | None = None) -> Iterator[pd.DataFrame]:
    """A text file in chunks; ``version``: the one a listing saw, which the read is pinned to."""
    if "filters" in options:
        raise ValueError("filters= works on Parquet files and datasets; for text files, "
                         "filter each chunk.")
    options = dict(options)
    if "columns" in options:
        options["usecols"] = options.pop("columns")
    compression = _decompressed_here(options, compression)
    budget = memory.frame_budget(path, fmt.name, options)
    stream = transport.open_stream(path, version, part_size=CHUNKED_READ_PART)
    try:
        with decompressed(stream, compression) as raw:
            text = _ChunkText(raw, budget)
            if r_types.wanted():  # R's types, one a column (see s3tools.r_chunks)
                reader = r_chunks.TextChunks(text, fmt, None, size, options)
            elif fmt.name == "jsonl":
                reader = pd.read_json(text, lines=True, chunksize=size, **options)
            else:
                options.setdefault("sep", "\t" if fmt.name == "tsv" else ",")
                reader = pd.read_csv(text, chunksize=size, **options)
            with reader:
                while True:
                    text.count = 0
                    try:
                        chunk = next(reader)
                    except StopIteration:
                        return
                    except (errors.S3ToolsError, TypeError):
                        raise
                    except Exception as error:  # noqa: BLE001 - parse_failure says whose
                        raise errors.parse_failure(error, stream, str(path), fmt.name,
                                                   lambda error: _advice(fmt, error, stream))
                    yield chunk
    finally:
        stream.close()


def _decompressed_here(options: dict[str, Any], compression: str | None) -> str | None:
    """The compression decompressed here (pandas then reads text): the extension's, or the
    one ``compression=`` names; None when it is left to pandas (other ``compression=``)."""
    given = options.pop("compression", "infer")
    named = {"infer": compression, None: None,
             **{pandas_name: name for name, pandas_name in _PANDAS_COMPRESSION.items()}}
    if isinstance(given, (str, type(None))) and given in named:
        options["compression"] = None
        return named[given]
    options["compression"] = given
    return None


class _ChunkText(io.RawIOBase):
    """A text file's bytes for pandas' chunked readers, read at most :data:`_TEXT_STEP` at a
    time and counted: past what ``budget`` (a ``memory.FrameBudget``, None: no check) allows
    for the text of one chunk, reading stops with its ``TooLargeError``. The reader sets
    :attr:`count` to 0 before each chunk."""

    def __init__(self, raw: Any, budget: memory.FrameBudget | None) -> None:
        super().__init__()
        self._raw, self._budget = raw, budget
        self._limit = None if budget is None else budget.decompressed_limit(0)
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        piece = self._raw.read(min(len(view), _TEXT_STEP))
        view[:len(piece)] = piece
        self.count += len(piece)
        if self._limit is not None and self.count > self._limit:
            raise self._budget.refuse_chunk()
        return len(piece)


def _advice(fmt: formats.Format, error: BaseException, stream: Any) -> str:
    return formats.hint(fmt, error, stream.head) or "Check the reader options (sep, encoding...)."


def _parquet(target: S3Path, listing: datasets.Listing | None, size: int,
             options: Mapping[str, Any]) -> Iterator[pd.DataFrame]:
    columns, filters = datasets.split_options(options, target)
    with datasets.arrow_errors(target):
        chosen = datasets.plan(target, listing, columns, filters)
    return _batches(target, chosen, size)


def _batches(target: S3Path, chosen: datasets.Plan, size: int) -> Iterator[pd.DataFrame]:
    """Chunks of exactly ``size`` rows (but the last), one row group read at a time."""
    scanner = chosen.dataset.scanner(columns=chosen.columns, filter=chosen.expression,
                                     batch_size=size, batch_readahead=1, fragment_readahead=1)
    held: list[pa.RecordBatch] = []
    count = 0
    with datasets.arrow_errors(target):
        for batch in scanner.to_batches():
            held.append(batch)
            count += batch.num_rows
            while count >= size:
                table = pa.Table.from_batches(held, scanner.projected_schema)
                yield datasets.to_frame(table.slice(0, size), chosen)
                rest = table.slice(size)
                held, count = rest.to_batches(), rest.num_rows
        if count:
            yield datasets.to_frame(pa.Table.from_batches(held, scanner.projected_schema),
                                    chosen)


# ------------------------------------------------------------------ for R

_open: dict[int, Iterator[r_codec.ForR]] = {}
_lock = threading.Lock()
_numbers = itertools.count(1)


def chunks_open(s3_path: str, chunk_size: int = 100000, file_type: str | None = None,
                **options: Any) -> int:
    """Start a chunked read for R, in R's types (:func:`s3tools.r_chunks.steady`);
    returns the handle ``chunks_next`` takes."""
    path = paths.parse_file_or_folder(s3_path)
    chunks = _chunks(path, _chunk_size(chunk_size), file_type, dict(options))
    with _lock:
        handle = next(_numbers)
        _open[handle] = r_chunks.steady(chunks, str(path))
    return handle


def chunks_next(handle: int) -> r_codec.ForR | None:
    """The next chunk (as R reads it), or ``None`` at the end (the read is then closed)."""
    chunks = _open.get(int(handle))
    if chunks is None:
        return None
    try:
        chunk = next(chunks, None)
    except BaseException:
        chunks_close(handle)
        raise
    if chunk is None:
        chunks_close(handle)
    return chunk


def chunks_close(handle: int) -> None:
    """Stop a chunked read (its streams and threads); closing twice is harmless."""
    with _lock:
        chunks = _open.pop(int(handle), None)
    if chunks is not None:
        chunks.close()


R_HELPERS = {"chunks_open": chunks_open, "chunks_next": chunks_next,
             "chunks_close": chunks_close}
