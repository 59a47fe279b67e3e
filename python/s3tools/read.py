"""Reading: objects into memory, into data frames, into previews, onto disk."""

from __future__ import annotations

import collections
import io
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from . import clients, errors, formats, paths
from .paths import S3Path
from .tempfiles import temporary_path

# Objects larger than one part are fetched as parallel ranged GETs. Few large
# parts: on a 2-core machine serving S3 on loopback, 32 MiB x 4 matched or beat
# one GET, while 8 MiB x 8 ran at half its speed (bench/, scenario 1).
PART_SIZE = 32 * 1024 * 1024
_PARALLEL_PARTS = 4
_PREVIEW_FIRST_FETCH = 64 * 1024
_PARQUET_TAIL = 64 * 1024
_PREVIEW_COLUMN_BYTES = 1024 * 1024 + 64 * 1024


def _get_fast(path: S3Path, byte_range: tuple[int, int] | dict) -> tuple[Any, int] | None:
    """The bytes of a range and the object's size through obstore, or None to use boto3.

    Any failure returns None: the boto3 path then repeats the request and
    raises the error in s3tools' words (or succeeds, say for an empty object).
    """
    store = clients.object_store(path.bucket)
    if store is None:
        return None
    import obstore

    try:
        result = obstore.get(store, path.key, options={"range": byte_range})
        return result.bytes(), result.meta["size"]
    except Exception:  # noqa: BLE001 - see the docstring
        return None


def _get(path: S3Path, byte_range: str) -> tuple[bytes, int]:
    """The bytes of an HTTP Range of an object, and the object's whole size."""
    client = clients.s3_client()
    with clients.s3_errors(path):
        try:
            response = client.get_object(Bucket=path.bucket, Key=path.key, Range=byte_range)
        except client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != "InvalidRange":
                raise
            # An empty object has no byte 0 to ask for.
            response = client.get_object(Bucket=path.bucket, Key=path.key)
        body = response["Body"].read()
    content_range = response.get("ContentRange") or ""
    size = int(content_range.rsplit("/", 1)[-1]) if "/" in content_range else len(body)
    return body, size


def _get_part(path: S3Path, start: int, length: int) -> tuple[Any, int]:
    """A range as a bytes-like object (obstore's buffer when it can; no copy)."""
    fast = _get_fast(path, (start, start + length))
    if fast is not None:
        return fast
    return _get(path, f"bytes={start}-{start + length - 1}")


def _get_range(path: S3Path, start: int, length: int) -> tuple[bytes, int]:
    data, size = _get_part(path, start, length)
    return bytes(data), size


def _get_tail(path: S3Path, length: int) -> tuple[bytes, int]:
    fast = _get_fast(path, {"suffix": length})
    if fast is not None:
        return bytes(fast[0]), fast[1]
    return _get(path, f"bytes=-{length}")


def _workers(parts: int) -> int:
    return max(1, min(clients.settings().max_concurrency, _PARALLEL_PARTS, parts))


def _open_first_part(path: S3Path) -> tuple[int, Callable[[], Any]]:
    """The object's size, known once the first part's headers arrive, and a function
    that reads that part's body: the other parts are requested while it streams in."""
    store = clients.object_store(path.bucket)
    if store is not None:
        import obstore

        try:
            result = obstore.get(store, path.key, options={"range": (0, PART_SIZE)})
            size = result.meta["size"]
        except Exception:  # noqa: BLE001 - the boto3 path below reports it in s3tools' words
            result = None
        if result is not None:
            def body() -> Any:
                try:
                    return result.bytes()
                except Exception:  # noqa: BLE001 - cut short: boto3 retries or explains
                    return _get(path, f"bytes=0-{PART_SIZE - 1}")[0]

            return size, body
    data, size = _get(path, f"bytes=0-{PART_SIZE - 1}")
    return size, lambda: data


def fetch(path: S3Path) -> bytes:
    """A whole object in memory: one GET if small, parallel ranged GETs if large."""
    size, first_body = _open_first_part(path)
    if size <= PART_SIZE:
        return bytes(first_body())
    starts = range(PART_SIZE, size, PART_SIZE)
    with ThreadPoolExecutor(max_workers=_workers(len(starts))) as pool:
        pending = [pool.submit(_get_part, path, start, PART_SIZE) for start in starts]
        first = first_body()
        parts = [future.result()[0] for future in pending]
    return b"".join([first, *parts])


class ObjectStream(io.RawIOBase):
    """The object's bytes in order, read while later parts are still being fetched.

    Parts are fetched in parallel a bounded window ahead of the reader and
    dropped once read, so a parser can start on the first megabytes while the
    rest is on its way, and the whole object never sits in memory at once.
    """

    def __init__(self, path: S3Path) -> None:
        super().__init__()
        self.path = path
        # Errors (not found, denied...) show here, before any parser sees the stream.
        self.size, self._first_body = _open_first_part(path)
        self._current = memoryview(b"")
        self._offset = 0
        self._starts = iter(range(PART_SIZE, self.size, PART_SIZE))
        self._window = _workers((self.size + PART_SIZE - 1) // PART_SIZE)
        self._pool = ThreadPoolExecutor(max_workers=self._window)
        self._pending: collections.deque = collections.deque()
        self._fill()

    def _fill(self) -> None:
        while len(self._pending) < self._window + 1:
            start = next(self._starts, None)
            if start is None:
                return
            self._pending.append(self._pool.submit(_get_part, self.path, start, PART_SIZE))

    def reopen(self) -> ObjectStream:
        """A new stream from the start of the object (for a second parser)."""
        self.close()
        return ObjectStream(self.path)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        written = 0
        while written < len(view):
            if self._offset >= len(self._current):
                if self._first_body is not None:
                    part, self._first_body = self._first_body(), None
                elif self._pending:
                    part = self._pending.popleft().result()[0]
                else:
                    break
                self._current, self._offset = memoryview(part).cast("B"), 0
                self._fill()
                continue
            count = min(len(view) - written, len(self._current) - self._offset)
            view[written:written + count] = self._current[self._offset:self._offset + count]
            written += count
            self._offset += count
        return written

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        buffer = bytearray(size)
        return bytes(memoryview(buffer)[:self.readinto(buffer)])

    def close(self) -> None:
        if not self.closed:
            for future in self._pending:
                future.cancel()
            self._pending.clear()
            self._pool.shutdown(wait=False)
        super().close()


class RangedFile(io.RawIOBase):
    """A read-only, seekable file over an S3 object that fetches only the bytes read.

    The object's tail is fetched first (it also tells the size): Parquet and
    Arrow files keep their metadata there.
    """

    def __init__(self, path: S3Path, tail_length: int = _PARQUET_TAIL) -> None:
        super().__init__()
        self.path = path
        self._tail, self.size = _get_tail(path, tail_length)
        self._tail_start = self.size - len(self._tail)
        self._position = 0
        self._segments: list[tuple[int, Any]] = []

    def prefetch(self, ranges: list[tuple[int, int]]) -> None:
        """Fetch ``(start, length)`` ranges in parallel now; reads inside them need no request."""
        ranges = [(start, length) for start, length in ranges
                  if length > 0 and start < self._tail_start]
        if not ranges:
            return
        with ThreadPoolExecutor(max_workers=_workers(len(ranges))) as pool:
            parts = list(pool.map(lambda r: _get_part(self.path, r[0], r[1])[0], ranges))
        self._segments.extend((start, part) for (start, _), part in zip(ranges, parts))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        length = min(len(view), self.size - self._position)
        if length <= 0:
            return 0
        start = self._position
        if start >= self._tail_start:
            offset = start - self._tail_start
            data = self._tail[offset:offset + length]
        else:
            data = next((memoryview(part)[start - first:start - first + length]
                         for first, part in self._segments
                         if first <= start and start + length <= first + len(part)), None)
            if data is None:
                data, _ = _get_range(self.path, start, length)
        view[:len(data)] = data
        self._position += len(data)
        return len(data)


def read_file_from_s3(s3_path: str, encoding: str | None = None) -> bytes | str:
    """An object's contents in memory, as bytes, or as text when ``encoding`` is given.

    Nothing touches the disk:
    ``pydicom.dcmread(io.BytesIO(read_file_from_s3("bucket/scan.dcm")))``.

    Raises:
        PathError, NotFoundError, AccessDeniedError, S3ConnectionError.
    """
    path = paths.parse_file(s3_path)
    data = fetch(path)
    return data.decode(encoding) if encoding else data


def _expand(paths_or_prefix: str | Iterable[str]) -> list[S3Path]:
    if isinstance(paths_or_prefix, (str, S3Path)):
        path = paths.parse(paths_or_prefix)
        if not path.is_folder:
            return [path]
        from .listing import list_keys

        return [path.child(key) for key, _ in list_keys(path)]
    return [paths.parse_file(item) for item in paths_or_prefix]


def read_files_from_s3(paths_or_prefix: str | Iterable[str],
                       max_concurrency: int | None = None) -> dict[str, bytes]:
    """Many objects into memory at once, fetched concurrently.

    Args:
        paths_or_prefix: a list of paths, or a folder (``bucket/folder/``) whose
            every object is read.
        max_concurrency: how many requests run at once (default:
            ``S3TOOLS_MAX_CONCURRENCY``, 16).

    Returns:
        A dict from ``bucket/key`` to the object's bytes, in the order given
        (listing order for a folder).
    """
    targets = _expand(paths_or_prefix)
    workers = int(max_concurrency or clients.settings().max_concurrency)
    if workers < 1:
        raise errors.ConfigError("max_concurrency must be 1 or more.")
    if not targets:
        return {}
    with ThreadPoolExecutor(max_workers=min(workers, len(targets))) as pool:
        contents = list(pool.map(fetch, targets))
    return {str(path): data for path, data in zip(targets, contents)}


def _parse(path: S3Path, data: bytes, file_type: str | None, options: Mapping[str, Any],
           fmt: formats.Format | None = None, compression: str | None = None) -> pd.DataFrame:
    if fmt is None:
        fmt, compression = formats.resolve(path.key, file_type)
    try:
        return fmt.read(formats.decompress(data, compression), **options)
    except errors.S3ToolsError:
        raise
    except TypeError:
        raise
    except Exception as error:
        raise errors.FormatError(
            f"Could not read {path} as {fmt.name}: {error}. If the extension is wrong, set "
            "file_type=; for other layouts pass reader options or use read_using().",
            path=str(path),
        ) from error


def _data_files(prefix: S3Path) -> list[S3Path]:
    """The data files under a prefix, without folder markers and hidden or _SUCCESS files."""
    from .listing import list_keys

    found = []
    for key, size in list_keys(prefix):
        name = key.rsplit("/", 1)[-1]
        if key.endswith("/") or name.startswith((".", "_")) or size == 0 and not name:
            continue
        found.append(prefix.child(key))
    return found


def _read_parquet_direct(path: S3Path, options: Mapping[str, Any]) -> pd.DataFrame | None:
    """A Parquet object read by pyarrow's own S3 reader, or None to use the usual path.

    pyarrow fetches the column chunks in parallel and decodes them as they
    arrive, instead of after the whole object is in memory. The frame is the
    one ``pd.read_parquet`` gives for the object's bytes. Any failure returns
    None: the usual path then repeats the read and reports the error in
    s3tools' words (not found, denied, not Parquet...).
    """
    if options.get("engine", "auto") not in ("auto", "pyarrow") or "filesystem" in options \
            or "storage_options" in options:
        return None
    key = path.key
    if not key or key.startswith("/") or "//" in key:
        return None  # keys pyarrow's path rules would change
    filesystem = clients.arrow_filesystem()
    if filesystem is None:
        return None
    try:
        return pd.read_parquet(f"{path.bucket}/{key}", filesystem=filesystem, **options)
    except Exception:  # noqa: BLE001 - see the docstring
        return None


def s3_path_to_df(s3_path: str, file_type: str | None = None, **options: Any) -> pd.DataFrame:
    """Read a data file (or every file of one format under a folder) into a data frame.

    The reader is chosen from the extension, case-insensitive, looking through
    ``.gz``, ``.bz2``, ``.xz``, ``.zst`` and ``.zip``: csv, tsv/tab, parquet,
    feather/arrow, json, jsonl/ndjson, xlsx/xls, sav, dta, sas7bdat.

    Args:
        s3_path: ``bucket/key``, ``s3://bucket/key`` or ``/bucket/key``; a path
            ending in ``/`` reads every file under it into one frame.
        file_type: a format name or extension that overrides the key's.
        **options: passed to the pandas reader (``sep``, ``usecols``, ``sheet_name``...).

    Raises:
        PathError, NotFoundError, AccessDeniedError, FormatError.
    """
    path = paths.parse(s3_path)
    if not path.is_folder:
        # An unsupported type is reported before the object is downloaded.
        fmt, compression = formats.resolve(path.key, file_type)
        if fmt.name == "parquet" and compression is None:
            frame = _read_parquet_direct(path, options)
            if frame is not None:
                return frame
        if not (fmt.streams and compression is None):
            return _parse(path, fetch(path), file_type, options, fmt, compression)
        with ObjectStream(path) as stream:
            return _parse(path, stream, file_type, options, fmt, compression)
    files = _data_files(path)
    if not files:
        raise errors.not_found(str(path))
    kinds = {formats.resolve(f.key, file_type)[0].name for f in files}
    if len(kinds) > 1:
        raise errors.FormatError(
            f"{path} holds files of several formats ({', '.join(sorted(kinds))}): read one "
            "format at a time, or pass a narrower folder.",
            path=str(path),
        )
    contents = read_files_from_s3([str(f) for f in files])
    frames = [_parse(f, contents[str(f)], file_type, options) for f in files]
    return pd.concat(frames, ignore_index=True)


def s3_path_to_full_df(s3_path: str, file_type: str | None = None,
                       **options: Any) -> pd.DataFrame:
    """The same as :func:`s3_path_to_df` (kept for existing scripts)."""
    return s3_path_to_df(s3_path, file_type, **options)


def _preview_text(path: S3Path, n: int, fmt: formats.Format, compression: str | None,
                  options: Mapping[str, Any]) -> pd.DataFrame:
    """Fetch the start of a line-based file, growing the range until it holds ``n`` rows."""
    decompressor = formats.decompressor(compression)
    text = bytearray()
    start, length, size = 0, _PREVIEW_FIRST_FETCH, None
    while True:
        piece, size = _get_range(path, start, length)
        start += len(piece)
        text += decompressor.decompress(piece) if decompressor else piece
        finished = start >= size or not piece
        if finished or text.count(b"\n") > n + 1:
            whole_lines = bytes(text) if finished else bytes(text[: text.rfind(b"\n") + 1])
            try:
                # Only the first n rows: types must not depend on how much was fetched.
                frame = fmt.read(whole_lines, **{"nrows": n, **options})
            except Exception:
                if finished:
                    raise
                frame = None  # a quoted field may span the cut: fetch more
            if frame is not None and (len(frame) >= n or finished):
                return frame.head(n)
        length *= 2


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
        start = column.data_page_offset
        if column.has_dictionary_page and column.dictionary_page_offset:
            start = min(start, column.dictionary_page_offset)
        ranges.append((start, min(column.total_compressed_size, _PREVIEW_COLUMN_BYTES)))
    return ranges


def _preview_columnar(path: S3Path, n: int, fmt: formats.Format,
                      options: Mapping[str, Any]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.ipc
    import pyarrow.parquet

    source = RangedFile(path)
    if fmt.name == "parquet":
        # Unbuffered column reads fetch only the first pages, not whole row groups.
        parquet = pyarrow.parquet.ParquetFile(source, buffer_size=256 * 1024, pre_buffer=False)
        columns = options.get("columns")
        source.prefetch(_first_pages(parquet.metadata, columns))
        batches = parquet.iter_batches(batch_size=max(n, 1), columns=columns)
        first = next(batches, None)
        table = pa.Table.from_batches([first]) if first is not None else \
            parquet.schema_arrow.empty_table()
        return table.to_pandas().head(n)
    reader = pyarrow.ipc.open_file(pa.PythonFile(source, mode="r"))
    if reader.num_record_batches == 0:
        return reader.schema.empty_table().to_pandas()
    return pa.Table.from_batches([reader.get_batch(0)]).to_pandas().head(n)


def s3_path_to_preview_df(s3_path: str, n: int = 5, file_type: str | None = None,
                          **options: Any) -> pd.DataFrame:
    """The first ``n`` rows of a data file, fetching as little of it as the format allows.

    Text formats (csv, tsv, jsonl, compressed or not) are read with HTTP Range
    requests that grow until ``n`` rows are in; Parquet and Arrow read the
    footer and the first pages only. Other formats are read whole.
    """
    path = paths.parse_file(s3_path)
    n = _count(n, "n")
    fmt, compression = formats.resolve(path.key, file_type)
    try:
        if fmt.text and compression != "zip":
            return _preview_text(path, n, fmt, compression, options)
        if fmt.name in ("parquet", "feather") and compression is None:
            return _preview_columnar(path, n, fmt, options)
    except errors.S3ToolsError:
        raise
    except Exception as error:
        raise errors.FormatError(
            f"Could not preview {path} as {fmt.name}: {error}. If the extension is wrong, "
            "set file_type=.",
            path=str(path),
        ) from error
    return _parse(path, fetch(path), file_type, options, fmt, compression).head(n)


def _count(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or number != value:
        raise ValueError(f"{name} must be a whole number of 0 or more, not {value!r}.")
    return number


def _download_to(path: S3Path, local_path: str) -> None:
    from boto3.s3.transfer import TransferConfig

    client = clients.s3_client()
    settings = clients.settings()
    transfer = TransferConfig(multipart_chunksize=PART_SIZE, max_concurrency=min(
        settings.max_concurrency, 10))
    with clients.s3_errors(path):
        client.download_file(path.bucket, path.key, local_path, Config=transfer)


def download_file_from_s3(s3_path: str, local_path: str, overwrite: bool = False) -> str:
    """Save an object to a local file, which appears whole or not at all.

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
    if os.path.exists(local_path) and not overwrite:
        raise errors.local_exists(local_path)
    folder = os.path.dirname(os.path.abspath(local_path))
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, f".{os.path.basename(local_path)}.s3tools-partial")
    try:
        _download_to(path, partial)
        os.replace(partial, local_path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return local_path


def read_using(fun: Callable[..., Any], s3_path: str, **options: Any) -> Any:
    """Call ``fun(local_path, **options)`` on a temporary copy of the object.

    The copy keeps the object's extension and is deleted afterwards, also when
    ``fun`` fails. Example: ``read_using(pd.read_excel, "bucket/book.xlsx", sheet_name=1)``.
    """
    path = paths.parse_file(s3_path)
    if not callable(fun):
        raise TypeError(f"read_using needs a function as its first argument, not {fun!r}.")
    suffix = "." + path.name.rsplit(".", 1)[-1] if "." in path.name else ""
    with temporary_path(suffix) as local_path:
        _download_to(path, local_path)
        # The download replaces the private file with one made under the umask.
        os.chmod(local_path, 0o600)
        return fun(local_path, **options)
