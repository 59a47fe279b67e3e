"""Reading: objects into memory, into data frames, onto disk (previews: :mod:`.previews`)."""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from . import (datasets, errors, folder_data, format_options, formats, localfiles, memory,
               parquet_layout, paths, progress, r_types, transport)
from .paths import S3Path
from .tempfiles import open_private_file

# The end of a Parquet or Arrow file fetched first: its footer, usually whole.
PARQUET_TAIL = 64 * 1024
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


def parse(path: S3Path, data: Any, file_type: str | None, options: Mapping[str, Any],
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
        raise naming(error, path, fmt) from error.__cause__
    except errors.S3ToolsError:
        raise
    except Exception as error:  # noqa: BLE001 - parse_failure says whose failure it was
        raise errors.parse_failure(error, data, str(path), fmt.name,
                                   lambda error: _advice(fmt, error, head_of(data)))


def naming(error: errors.FormatError, path: S3Path, fmt: formats.Format,
            verb: str = "read") -> errors.FormatError:
    """``error`` as it is when it names its path, else said again with the path (a reader that
    does not know it said it: a zip of several files)."""
    if error.path is not None:
        return error
    return errors.format_error(str(path), fmt.name, error, verb=verb)


def head_of(data: Any) -> bytes:
    """The first bytes of what a reader was given, for the hints of a format error."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data[:_HINT_BYTES])
    return getattr(data, "head", b"")[:_HINT_BYTES]


def _advice(fmt: formats.Format, error: BaseException, head: bytes = b"") -> str:
    return formats.hint(fmt, error, head) or (
        "If the extension is wrong, set file_type=; for other layouts pass reader options "
        "or use read_using().")


def format_error(path: S3Path, fmt: formats.Format, error: BaseException, head: bytes = b"",
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
            return parse(path, transport.fetch(path, budget), file_type, options, fmt,
                          compression, budget)

        def parse_stream() -> pd.DataFrame:
            with transport.open_stream(path, budget=budget, part_size=fmt.part_size(),
                                       one_get=True) as stream:
                return parse(path, stream, file_type, options, fmt, compression)

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
            return parse(file.path, stream, file_type, options, fmt, compression)
        data = bytearray(file.version.size)
        stream.readinto(data)
    return parse(file.path, data, file_type, options, fmt, compression, share)


def _read_parquet_file(path: S3Path, options: Mapping[str, Any], fmt: formats.Format,
                       memory_check: bool) -> pd.DataFrame:
    """One Parquet file: its tail first (size, version, footer: the memory check needs no
    request of its own), then the rest in parallel parts, row groups decoded as they arrive.

    The file's bytes are let go once every column chunk has been handed to pyarrow: the
    frame is then built without the file in memory beside it.
    """
    with transport.open_file(path, PARQUET_TAIL, views=True) as source:
        footer = parquet_layout.parquet_footer(source)
        memory.check_parquet(source, footer, options.get("columns"), memory_check)
        whole = footer is not None and options.get("columns") is None
        source.fetch_rest(read_once=parquet_layout.column_chunk_ranges(footer) if whole else None)
        return parse(path, source, None, options, fmt)


def s3_path_to_full_df(s3_path: str, file_type: str | None = None, *,
                       memory_check: bool = True, **options: Any) -> pd.DataFrame:
    """The same as :func:`s3_path_to_df` (kept for existing scripts)."""
    return s3_path_to_df(s3_path, file_type, memory_check=memory_check, **options)


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
