"""Reading: objects into memory, into data frames, into previews, onto disk."""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from . import (bounded, config, datasets, errors, folder_data, format_io,
               format_options, formats, localfiles, memory, parquet_footers, parquet_layout,
               paths, progress, r_types, ranged_previews, transport)
from .compression import decompressed
from .paths import S3Path
from .tempfiles import open_private_file

_PREVIEW_FIRST_FETCH = 64 * 1024
_PARQUET_TAIL = 64 * 1024
_PREVIEW_COLUMN_BYTES = 1024 * 1024 + 64 * 1024
_HINT_BYTES = 4096


def read_file_from_s3(s3_path: str, encoding: str | None = None,
                      memory_check: bool = True) -> bytes | str:
    """An object's contents in memory, as bytes, or as text when ``encoding`` is given.

    Nothing touches the disk:
    ``pydicom.dcmread(io.BytesIO(read_file_from_s3("bucket/scan.dcm")))``.
    ``memory_check=False`` reads it even when it would not fit in memory
    (see :mod:`s3tools.memory`).

    Raises:
        PathError, NotFoundError, AccessDeniedError, S3ConnectionError, TooLargeError.
    """
    path = paths.parse_file(s3_path)
    data = transport.fetch(path, memory.budget(str(path), 1, memory_check))
    return data.decode(encoding) if encoding else bytes(data)


def _expand(paths_or_prefix: str | Iterable[str]) -> tuple[list[S3Path], list[int] | None]:
    """The objects to read, and their sizes when a listing gave them."""
    if isinstance(paths_or_prefix, (str, S3Path)):
        path = paths.parse_file_or_folder(paths_or_prefix)
        if not path.is_folder:
            return [path], None
        from .listing import list_keys

        listed = list(list_keys(path))
        return [path.child(key) for key, _ in listed], [size for _, size in listed]
    return [paths.parse_file(item) for item in paths_or_prefix], None


def read_files_from_s3(paths_or_prefix: str | Iterable[str],
                       max_concurrency: int | None = None,
                       memory_check: bool = True) -> dict[str, bytes]:
    """Many objects into memory at once, fetched concurrently.

    Args:
        paths_or_prefix: a list of paths, or a folder (``bucket/folder/``) whose
            every object is read.
        max_concurrency: how many requests run at once (default:
            ``S3TOOLS_MAX_CONCURRENCY``, 16).
        memory_check: ``False`` reads them even when they would not fit in
            memory (see :mod:`s3tools.memory`).

    Returns:
        A dict from ``bucket/key`` to the object's bytes, in the order given
        (listing order for a folder).
    """
    workers = int(max_concurrency or transport.settings().max_concurrency)
    if workers < 1:
        raise errors.ConfigError("max_concurrency must be 1 or more.")
    targets, sizes = _expand(paths_or_prefix)
    if not targets:
        return {}
    shown = str(targets[0]) if len(targets) == 1 else f"{len(targets)} objects"
    budget = None
    if sizes is not None:
        memory.check_sizes(shown, sizes, memory_check)  # before any GET
    else:
        budget = memory.budget(shown, min(workers, len(targets)), memory_check)
    with ThreadPoolExecutor(max_workers=min(workers, len(targets))) as pool:
        contents = list(pool.map(lambda path: bytes(transport.fetch(path, budget)), targets))
    return {str(path): data for path, data in zip(targets, contents)}


def _parse(path: S3Path, data: Any, file_type: str | None, options: Mapping[str, Any],
           fmt: formats.Format | None = None, compression: str | None = None,
           budget: Any = None) -> pd.DataFrame:
    """Parse bytes (or a transport file) with the format's reader.

    A failure of the parser is a format error, unless the file under it
    failed first: then that failure (a connection error, a replaced object)
    is the one reported (:func:`s3tools.errors.parse_failure`). ``budget`` (a
    ``memory.FrameBudget`` or a ``bounded.PreviewAllowance``) says how much
    compressed data (or a workbook's parts) may decompress to, and what passing it
    raises.
    """
    if fmt is None:
        fmt, compression = formats.resolve(path.key, file_type)
    limit = budget.decompressed_limit(len(data)) if budget and (compression or fmt.inflates) \
        else None
    try:
        return formats.parse(fmt, data, compression, limit, dict(options))
    except formats.DecompressedTooLarge as error:
        raise budget.refuse_decompressed(len(data), error.at_least) from None
    except errors.FormatError as error:
        raise _naming(error, path, fmt) from error.__cause__
    except errors.S3ToolsError:
        raise
    except Exception as error:  # noqa: BLE001 - parse_failure says whose failure it was
        raise errors.parse_failure(error, data, str(path), fmt.name,
                                   lambda error: _advice(fmt, error, _head(data)))


def _naming(error: errors.FormatError, path: S3Path, fmt: formats.Format,
            verb: str = "read") -> errors.FormatError:
    """``error`` as it is when it names its path, else said again with the path (a reader that
    does not know it said it: a zip of several files)."""
    if error.path is not None:
        return error
    return errors.format_error(str(path), fmt.name, error, verb=verb)


def _head(data: Any) -> bytes:
    """The first bytes of what a reader was given, for the hints of a format error."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data[:_HINT_BYTES])
    return getattr(data, "head", b"")[:_HINT_BYTES]


def _advice(fmt: formats.Format, error: BaseException, head: bytes = b"") -> str:
    return formats.hint(fmt, error, head) or (
        "If the extension is wrong, set file_type=; for other layouts pass reader options "
        "or use read_using().")


def _format_error(path: S3Path, fmt: formats.Format, error: BaseException, head: bytes = b"",
                  verb: str = "read") -> errors.FormatError:
    return errors.format_error(str(path), fmt.name, error, _advice(fmt, error, head), verb)


def s3_path_to_df(s3_path: str, file_type: str | None = None, *, memory_check: bool = True,
                  **options: Any) -> pd.DataFrame:
    """Read a data file (or every file of one format under a folder) into a data frame.

    The reader is chosen from the extension, case-insensitive, looking through
    ``.gz``, ``.bz2``, ``.xz``, ``.zst`` and ``.zip``: csv, tsv/tab, parquet,
    feather/arrow, json, jsonl/ndjson, xlsx/xls, sav, dta, sas7bdat.

    Args:
        s3_path: ``bucket/key``, ``s3://bucket/key`` or ``/bucket/key``; a path
            ending in ``/`` reads every data file under it into one frame (not
            names starting with ``_`` or ``.`` at any level, markers or empty
            objects: see :mod:`s3tools.folder_data`).
        file_type: a format name or extension that overrides the key's.
        memory_check: ``False`` reads it even when it would not fit in memory
            (see :mod:`s3tools.memory`).
        **options: passed to the pandas reader (``sep``, ``usecols``, ``sheet_name``...).

    Raises:
        PathError, NotFoundError, AccessDeniedError, FormatError, TooLargeError;
        ArgumentError: an option the format's reader does not take (before any request).
    """
    path = paths.parse_file_or_folder(s3_path)
    # Parquet files read with columns= / filters=: only what is needed.
    pushed = datasets.read_pushdown(path, file_type, options, memory_check)
    if pushed is not None:
        return pushed
    if not path.is_folder:
        # An unsupported type or option is reported before any request.
        fmt, compression = formats.resolve(path.key, file_type)
        format_options.check(fmt, options, path)
        if fmt.name == "parquet" and compression is None:
            return transport.restarting(
                path, lambda: _read_parquet_file(path, options, fmt, memory_check))
        # The read's first answer tells the size: the memory check needs no request of its own.
        budget = memory.frame_budget(path, file_type, options, memory_check)
        if not (fmt.streams and compression is None):
            return _parse(path, transport.fetch(path, budget), file_type, options, fmt,
                          compression, budget)

        def parse_stream() -> pd.DataFrame:
            with transport.open_stream(path, budget=budget, part_size=fmt.part_size(),
                                       one_get=True) as stream:
                return _parse(path, stream, file_type, options, fmt, compression)

        return transport.restarting(path, parse_stream)
    return _read_folder(path, file_type, options, memory_check)


def _read_folder(path: S3Path, file_type: str | None, options: Mapping[str, Any],
                 memory_check: bool) -> pd.DataFrame:
    """A folder's data files as one frame: one listing, then the reads of what it names.

    A Parquet dataset goes to :mod:`s3tools.datasets` (partitions, pushdown);
    other files must be of one format.
    """
    folder = folder_data.list_folder(path)
    dataset = datasets.read_dataset(folder, file_type, options, memory_check)
    if dataset is not None:
        return dataset
    return folder_data.restarting(
        folder, lambda listed: _read_data_files(listed, file_type, options, memory_check))


def _read_data_files(folder: folder_data.Folder, file_type: str | None,
                     options: Mapping[str, Any], memory_check: bool) -> pd.DataFrame:
    """The listed files, each pinned to its listed version, concatenated in key order."""
    if not folder.files:
        raise errors.not_found(str(folder.root))
    resolved = [formats.resolve(file.path.key, file_type) for file in folder.files]
    kinds = {fmt.name for fmt, _ in resolved}
    if len(kinds) > 1:
        raise errors.FormatError(
            f"{folder.root} holds files of several formats ({', '.join(sorted(kinds))}): read "
            "one format at a time, or pass a narrower folder.",
            path=str(folder.root),
        )
    format_options.check(resolved[0][0], options, folder.root)
    memory.check_folder(folder, file_type, options, memory_check)  # before any GET
    shares = memory.folder_shares(folder, file_type, options, memory_check)
    workers = min(int(transport.settings().max_concurrency), len(folder.files))
    pool = ThreadPoolExecutor(max_workers=workers)
    caller = contextvars.copy_context()  # a read made for R is one in every thread
    try:
        frames = list(pool.map(
            lambda item: caller.copy().run(_read_data_file, item[0], *item[1], file_type,
                                           options, shares.get(item[0].path)),
            zip(folder.files, resolved)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if r_types.wanted():
        frames = r_types.alike(frames)
    return pd.concat(frames, ignore_index=True)


def _read_data_file(file: folder_data.DataFile, fmt: formats.Format, compression: str | None,
                    file_type: str | None, options: Mapping[str, Any],
                    share: memory.FolderShare | None) -> pd.DataFrame:
    """One listed file, parsed while it arrives where the format allows (``share``: what a
    compressed one may decompress to)."""
    parsed = fmt.streams and compression is None  # while it arrives, in one GET
    with transport.open_stream(file.path, file.version, part_size=fmt.part_size(),
                               one_get=parsed) as stream:
        if parsed:
            return _parse(file.path, stream, file_type, options, fmt, compression)
        data = bytearray(file.version.size)
        stream.readinto(data)
    return _parse(file.path, data, file_type, options, fmt, compression, share)


def _read_parquet_file(path: S3Path, options: Mapping[str, Any], fmt: formats.Format,
                       memory_check: bool) -> pd.DataFrame:
    """One Parquet file: its tail first (size, version, footer: the memory check needs no
    request of its own), then the rest in parallel parts, row groups decoded as they arrive.

    The file's bytes are let go once every column chunk has been handed to pyarrow: the
    frame is then built without the file in memory beside it.
    """
    with transport.open_file(path, _PARQUET_TAIL, views=True) as source:
        footer = parquet_layout.parquet_footer(source)
        memory.check_parquet(source, footer, options.get("columns"), memory_check)
        whole = footer is not None and options.get("columns") is None
        source.fetch_rest(read_once=parquet_layout.column_chunk_ranges(footer) if whole else None)
        return _parse(path, source, None, options, fmt)


def s3_path_to_full_df(s3_path: str, file_type: str | None = None, *,
                       memory_check: bool = True, **options: Any) -> pd.DataFrame:
    """The same as :func:`s3_path_to_df` (kept for existing scripts)."""
    return s3_path_to_df(s3_path, file_type, memory_check=memory_check, **options)


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
            raise _format_error(path, fmt, error, bytes(text[:_HINT_BYTES]),
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

    source = transport.open_file(path, _PARQUET_TAIL)
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
                return _parse(path, data, None, options, fmt)

            return transport.restarting(path, lambda: reader(path, n, options, whole))
    except errors.FormatError as error:
        raise _naming(error, path, fmt, verb="preview") from error.__cause__
    except errors.S3ToolsError:
        raise
    except Exception as error:
        raise _format_error(path, fmt, error, verb="preview") from error
    allowance = bounded.PreviewAllowance(path, fmt.name)
    return _parse(path, transport.fetch(path, allowance), file_type, options, fmt, compression,
                  allowance).head(n)


def _count(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or number != value:
        raise ValueError(f"{name} must be a whole number of 0 or more, not {value!r}.")
    return number


def download_file_from_s3(s3_path: str, local_path: str, overwrite: bool = False) -> str:
    """Save an object to a local file, which appears whole or not at all.

    The object is written beside the file under a name nobody can guess, never
    through a link (see :func:`s3tools.localfiles.replacing`), then renamed into place.

    Args:
        s3_path: the object.
        local_path: the file to write; an existing folder receives the object
            under its own name. Missing parent folders are created.
        overwrite: replace an existing local file.

    Returns:
        The local path written.

    Raises:
        AlreadyExistsError: the local file exists and ``overwrite`` is false.
    """
    path = paths.parse_file(s3_path)
    local_path = os.path.expanduser(str(local_path))
    if os.path.isdir(local_path):
        local_path = os.path.join(local_path, path.name)
    if os.path.lexists(local_path) and not overwrite:
        raise errors.local_exists(local_path)  # before any byte moves; placing checks again
    os.makedirs(os.path.dirname(os.path.abspath(local_path)), exist_ok=True)
    try:
        with localfiles.replacing(local_path, overwrite) as target, \
                progress.transfer(path.name) as advance:
            transport.download(path, target, advance)
    except FileExistsError as error:
        if error.filename != local_path:
            raise
        raise errors.local_exists(local_path) from None
    return local_path


def temporary_copy(s3_path: str) -> str:
    """Download an object to a new private (0600) temporary file that keeps its extension.

    The caller deletes the file (``read_using`` in Python and in R); a failed
    download leaves nothing behind.
    """
    path = paths.parse_file(s3_path)
    target, local_path = open_private_file(path.suffix)
    try:
        with target:
            transport.download(path, target)
    except BaseException:
        os.remove(local_path)
        raise
    return local_path


def read_using(fun: Callable[..., Any], s3_path: str, **options: Any) -> Any:
    """Call ``fun(local_path, **options)`` on a temporary copy of the object.

    The copy keeps the object's extension and is deleted afterwards, also when
    ``fun`` fails. Example: ``read_using(pd.read_excel, "bucket/book.xlsx", sheet_name=1)``.
    """
    paths.parse_file(s3_path)
    if not callable(fun):
        raise TypeError(f"read_using needs a function as its first argument, not {fun!r}.")
    local_path = temporary_copy(s3_path)
    try:
        return fun(local_path, **options)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(local_path)
