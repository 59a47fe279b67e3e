"""A read-only pyarrow filesystem whose every request goes through :mod:`s3tools.transport`.

pyarrow's dataset reader (partition pruning, row groups skipped by their
statistics, only the wanted columns' byte ranges) asks this filesystem for
files; each file is a :func:`s3tools.transport.open_file`: ranged GETs,
pinned to one version of the object, under s3tools' retry policy and request
log. A file seen in the dataset's listing is opened without a request (its
size and ETag are known) and pinned to the ETag the listing gave, so a file
replaced after the listing is read again or refused, never mixed. A file
opened again (its footer read first, its data later) reuses the tail fetched
the first time. Files the reader will read whole can be asked for before pyarrow
opens them (:meth:`S3ToolsHandler.fetch_early`): their footers and data then
come in together.
"""

from __future__ import annotations

import collections
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from . import transport
from .paths import S3Path

# Parquet readers fetch the last 64 KiB first (footer and metadata).
FOOTER_BYTES = 64 * 1024
# Tails kept for files opened again: at most this many (64 KiB each).
_KEPT_TAILS = 256


class S3ToolsHandler(pafs.FileSystemHandler):
    """Paths are ``bucket/key``; ``known`` maps the paths of a listing to their versions."""

    def __init__(self, known: dict[str, transport.Version] | None = None) -> None:
        self.known = dict(known or {})
        # Byte ranges to fetch in parallel as soon as a file is opened (see read_ahead).
        self.ranges: dict[str, tuple[list[tuple[int, int]], int, int]] = {}
        # Whole files under way (see fetch_early).
        self._early: dict[str, transport.ObjectReader] = {}
        self._early_pool: ThreadPoolExecutor | None = None
        self._opened: collections.OrderedDict[str, transport.ObjectFile] = \
            collections.OrderedDict()
        self._lock = threading.Lock()

    def open_input_file(self, path: str) -> Any:
        bucket, _, key = path.partition("/")
        version = self.known.get(path)
        if version is not None:
            with self._lock:
                earlier = self._opened.pop(path, None)
            source = transport.open_file(S3Path(bucket, key), FOOTER_BYTES, version=version,
                                         tail=earlier.tail if earlier is not None else None,
                                         views=True, shared=self._early.get(path))
        else:
            # Not listed (one file): the first request fetches the tail and pins the version.
            source = transport.open_file(S3Path(bucket, key), FOOTER_BYTES, views=True)
            self.known[path] = source.version
        with self._lock:
            self._opened[path] = source
            while len(self._opened) > _KEPT_TAILS:
                self._opened.popitem(last=False)
            planned = self.ranges.pop(path, None)
        if planned:
            ranges, piece, hole = planned
            source.prefetch_in_background(ranges, piece, hole=hole)
        return pa.PythonFile(source, mode="r")

    def read_ahead(self, path: str, ranges: list[tuple[int, int]], piece: int,
                   hole: int) -> None:
        """Fetch these ``(start, length)`` ranges, in pieces of at most ``piece`` bytes, in
        parallel when ``path`` is next opened: pyarrow's own reads of a Python file come
        one after another (see ``ObjectFile.prefetch_in_background``). For a file already
        under way whole, they are the ranges read once, which let it go."""
        with self._lock:
            early = self._early.get(path)
            if early is None:
                self.ranges[path] = (ranges, piece, hole)
        if early is not None:
            early.read_once(ranges)

    def fetch_early(self, paths: list[str], piece: int) -> None:
        """Start fetching these listed files whole, in pieces of at most ``piece`` bytes:
        every file's last :data:`FOOTER_BYTES` (its footer) first, then the rest in order,
        several at a time. pyarrow's reads of them, footer included, wait only for their
        pieces; :meth:`stop` ends what is under way."""
        early = {path: self._whole(path, piece) for path in paths
                 if self.known[path].size > 0}
        if not early:
            return
        pieces = sum(reader.pieces for reader in early.values())
        pool = ThreadPoolExecutor(max_workers=max(1, min(
            transport.settings().max_concurrency,
            (transport.PARALLEL_PARTS + 1) * len(early), pieces)))
        with self._lock:
            self._early.update(early)
            self._early_pool = pool
        for reader in early.values():
            reader.use_pool(pool)
            reader.send(count=1)
        for reader in early.values():
            reader.send()

    def _whole(self, path: str, piece: int) -> transport.ObjectReader:
        """A reader of a listed file whole, planned: its footer first, then the rest."""
        version = self.known[path]
        reader = transport.ObjectReader(S3Path(*path.split("/", 1)), version)
        reader.plan([(0, version.size, None)], piece, tail=min(FOOTER_BYTES, version.size))
        return reader

    def stop(self) -> None:
        """End the whole-file fetches: what has not been asked for is not, what has is
        waited for, and every buffer is let go."""
        with self._lock:
            early, self._early = self._early, {}
            pool, self._early_pool = self._early_pool, None
        for reader in early.values():
            reader.stop()
        if pool is not None:
            pool.shutdown(wait=False)

    def open_input_stream(self, path: str) -> Any:
        return self.open_input_file(path)

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return [pafs.FileInfo(path, pafs.FileType.File, size=self.known[path].size)
                if path in self.known else pafs.FileInfo(path, pafs.FileType.Unknown)
                for path in paths]

    def get_type_name(self) -> str:
        return "s3tools"

    def normalize_path(self, path: str) -> str:
        return path

    def equals(self, other: Any) -> bool:
        return self is other

    # Everything else is refused: datasets are listed and written by s3tools itself.
    def _refuse(self, *_: Any) -> Any:
        raise NotImplementedError("s3tools' pyarrow filesystem only reads files")

    get_file_info_selector = create_dir = delete_dir = delete_dir_contents = _refuse
    delete_root_dir_contents = delete_file = move = copy_file = _refuse
    open_output_stream = open_append_stream = _refuse


def filesystem(known: dict[str, transport.Version] | None = None) -> pafs.PyFileSystem:
    """A pyarrow filesystem over s3tools' transport (see the module); its ``handler`` is
    the :class:`S3ToolsHandler`."""
    return pafs.PyFileSystem(S3ToolsHandler(known))
