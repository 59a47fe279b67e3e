"""Will it fit: a whole read is refused before the download when it would not fit in memory.

Before ``read_file_from_s3``, ``read_files_from_s3`` and ``s3_path_to_df``
read whole objects into memory, the memory the read needs at its peak is
compared with what this process may still use; too much is a
:class:`~s3tools.errors.TooLargeError` and nothing is downloaded. Downloads and
``read_using`` are not checked: they hold little in memory. Previews have a
limit of their own (``S3TOOLS_PREVIEW_LIMIT``, see :mod:`s3tools.bounded`).

What a read needs, from the object's size and its format. The size comes
from the listing for a folder, from the footer for Parquet, and otherwise from
the answer to the read's own first GET, which asks for no more than a share
of what is left (see :class:`Budget`): no request of its own, so a missing or
denied object is still exactly one request, and reading thousands of small
objects stays one GET each.

- bytes: twice the objects' size (the download buffer, and the copy handed back);
- a data frame: the downloaded bytes (not for uncompressed csv/tsv, which are
  parsed while they arrive), the decompressed data of a compressed file
  (assumed :data:`COMPRESSION_RATIO` times its size), and the frame itself,
  :data:`FRAME_FACTORS` times the uncompressed data. A compressed file is then
  decompressed in bounded steps: one that holds, or records that it holds
  (gzip's trailer, a zstd frame's header, a zip's directory), more than what
  is left allows is stopped there with a :class:`~s3tools.errors.TooLargeError`
  (see :meth:`FrameBudget.decompressed_limit`; a folder's compressed files share
  it, :func:`folder_shares`), whatever its ratio;
- Parquet: the file plus twice the uncompressed size of its data (only the
  ``columns`` asked for), exactly as its footer records it: pyarrow's table
  and the pandas frame exist together while converting. Only the footer is
  fetched for this (the object's last bytes), never its data; a dataset read
  that reads every byte of its files asks for their data with their footers
  when the files come to at most :func:`early_share` (see ``datasets.plan``). It is an upper
  bound: a whole file's bytes are let go once pyarrow has read them, before
  the frame is built (200 MB file: 750 MB at the peak, 940 MB before).

What the process may still use: ``S3TOOLS_MEMORY_LIMIT`` (bytes, or with a
unit: ``500MB``, ``12GB``) when set; otherwise the least of the machine's
``MemAvailable`` (``/proc/meminfo``) and, for every cgroup (v2 or v1) this
process is in that sets a memory limit, that limit minus what is in use
(page cache the kernel can drop not counted). Where none can be read there
is no check. ``S3TOOLS_MEMORY_CHECK=false`` or ``memory_check=False`` skips
the check. Both variables are read at each call.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import config, errors, formats, parquet_layout, transport
from .folder_data import Folder
from .listing import readable_size
from .paths import S3Path

COMPRESSION_RATIO = 5
# Memory of the pandas frame per byte of uncompressed data, by format: numbers
# and short strings take about twice their text; JSON and spreadsheet cells
# pass through a Python object each.
FRAME_FACTORS = {"csv": 2, "tsv": 2, "jsonl": 3, "json": 4, "excel": 10, "spss": 2,
                 "stata": 2, "sas": 2, "feather": 2, "parquet": 2}
PARQUET_FOOTER = 64 * 1024
_UNLIMITED = 2 ** 60  # cgroup v1 writes a huge number for "no limit"


def enabled(memory_check: bool) -> bool:
    """Whether to check: the setting ``S3TOOLS_MEMORY_CHECK`` (default true), and the argument.

    Raises:
        ConfigError: ``S3TOOLS_MEMORY_CHECK`` is neither true nor false.
    """
    return config.value("memory_check") and bool(memory_check)


def check_sizes(shown: str, sizes: list[int], memory_check: bool = True) -> None:
    """Refuse to read objects of known sizes (from a listing) into memory as bytes.

    Raises:
        TooLargeError: nothing was downloaded.
    """
    if enabled(memory_check):
        _compare(shown, 2 * sum(sizes), frame=False)


class Budget:
    """Objects of unknown sizes read into memory as bytes, admitted while they fit.

    A read of a whole object starts with one GET of its first part; that
    answer tells the object's size, and :meth:`admit` refuses before the rest
    is fetched when the objects admitted so far would not fit. The first GET
    asks for no more than :attr:`first_part`, a share of what is left, so
    even a refused read has not filled the memory: the check costs no request
    of its own (thousands of small objects are one GET each).
    """

    frame = False  # what the refusal suggests: reading less of a frame, or fewer objects

    def __init__(self, shown: str, left: tuple[int, str], readers: int) -> None:
        self.shown = shown
        self._left = left
        self._sizes: dict[str, int] = {}
        self._total = 0  # of the sizes: a thousand objects are not summed a thousand times
        self._lock = threading.Lock()
        self.first_part = max(1, left[0] // (2 * max(readers, 1)))

    def needs(self, path: S3Path, size: int) -> int:
        """The memory the objects admitted so far (``path``, of ``size``, the last) need."""
        return 2 * self._total

    def admit(self, path: S3Path, size: int) -> None:
        with self._lock:
            key = str(path)
            self._total += size - self._sizes.get(key, 0)  # a read started again counts once
            self._sizes[key] = size
            needed = self.needs(path, size)
        if needed > self._left[0]:
            raise errors.too_large(self.shown, readable_size(needed),
                                   f"{readable_size(max(self._left[0], 0))} left "
                                   f"({self._left[1]})", frame=self.frame, started=True)


class FrameBudget(Budget):
    """One data file read into a data frame: admitted once its first answer tells its size."""

    frame = True

    def __init__(self, path: S3Path, file_type: str | None, options: Mapping[str, Any],
                 left: tuple[int, str]) -> None:
        super().__init__(str(path), left, readers=2)
        self._file_type, self._options = file_type, options
        self._factor = FRAME_FACTORS.get(formats.resolve(path.key, file_type)[0].name, 2)

    def needs(self, path: S3Path, size: int) -> int:
        return _frame_bytes(path, size, self._file_type, self._options)

    def decompressed_limit(self, size: int) -> int:
        """The most decompressed data a compressed file of ``size`` bytes may hold for its
        read to fit in what is left (the file, the data, and the frame made of it): what
        the check allows, whatever :data:`COMPRESSION_RATIO` assumed."""
        return max(0, (self._left[0] - size) // (1 + self._factor))

    def refuse_decompressed(self, size: int, at_least: int) -> errors.TooLargeError:
        """The error for a compressed file of ``size`` bytes found (or recorded) to hold at
        least ``at_least`` bytes once decompressed, more than :meth:`decompressed_limit`."""
        return _decompressed_too_large(self.shown, self._left, self._factor, size, at_least)

    def refuse_chunk(self) -> errors.TooLargeError:
        """The error for a chunked read of the file whose one chunk's text passes
        ``decompressed_limit(0)`` (the text, and the chunk's frame made of it)."""
        return errors.chunk_too_large(self.shown, readable_size(self.decompressed_limit(0)),
                                      f"{readable_size(max(self._left[0], 0))} left "
                                      f"({self._left[1]})")


class FolderShare:
    """One compressed file of a folder read: its share of the decompressed data the read
    may hold (see :func:`folder_shares`)."""

    def __init__(self, path: S3Path, left: tuple[int, str], factor: int, limit: int) -> None:
        self.shown, self._left, self._factor, self._limit = str(path), left, factor, limit

    def decompressed_limit(self, size: int) -> int:
        return self._limit

    def refuse_decompressed(self, size: int, at_least: int) -> errors.TooLargeError:
        return _decompressed_too_large(self.shown, self._left, self._factor, size, at_least)


def _decompressed_too_large(shown: str, left: tuple[int, str], factor: int, size: int,
                            at_least: int) -> errors.TooLargeError:
    needed = size + (1 + factor) * at_least
    return errors.too_large(shown, readable_size(needed),
                            f"{readable_size(max(left[0], 0))} left ({left[1]})", frame=True,
                            decompressed=readable_size(at_least))


def budget(shown: str, readers: int, memory_check: bool = True) -> Budget | None:
    """A :class:`Budget` for reading objects whose sizes are not known yet (None: no check)."""
    if not enabled(memory_check):
        return None
    left = available()
    return None if left is None else Budget(shown, left, readers)


def frame_budget(path: S3Path, file_type: str | None, options: Mapping[str, Any],
                 memory_check: bool = True) -> FrameBudget | None:
    """A :class:`FrameBudget` for a data frame read of one (non-Parquet) file (None: no check)."""
    if not enabled(memory_check):
        return None
    left = available()
    return None if left is None else FrameBudget(path, file_type, options, left)


def check_folder(folder: Folder, file_type: str | None, options: Mapping[str, Any],
                 memory_check: bool = True) -> None:
    """Refuse to read a folder's data files into one frame when it would not fit.

    Args:
        folder: the folder's :class:`~s3tools.folder_data.Folder` (its listing): the
            sizes come from it, a Parquet file's data from its footer; nothing is
            listed again.

    Raises:
        TooLargeError: nothing was downloaded (but Parquet footers).
        FormatError: an unsupported type, before any data is fetched.
    """
    if not enabled(memory_check):
        return
    needed = _each(lambda file: _frame_bytes(file.path, file.version.size, file_type, options),
                   folder.files)
    _compare(str(folder.root), sum(needed), frame=True)


def folder_shares(folder: Folder, file_type: str | None, options: Mapping[str, Any],
                  memory_check: bool = True) -> dict[S3Path, FolderShare]:
    """Each compressed file's (or workbook's) share of the decompressed data a folder read
    may hold: what :func:`check_folder` allows for it once the other files are counted,
    shared out by compressed size, so that the files decompressed side by side stay within
    it together (empty when there is no check).
    """
    left = available() if enabled(memory_check) else None
    packed = [file for file in folder.files if _decompresses(file.path, file_type)]
    if left is None or not packed:
        return {}
    plain = sum(_frame_bytes(file.path, file.version.size, file_type, options)
                for file in folder.files if file not in packed)
    packed_size = sum(file.version.size for file in packed)
    factor = FRAME_FACTORS.get(formats.resolve(packed[0].path.key, file_type)[0].name, 2)
    allowance = max(0, (left[0] - plain - packed_size) // (1 + factor))
    return {file.path: FolderShare(file.path, left, factor,
                                   allowance * file.version.size // max(packed_size, 1))
            for file in packed}


def _decompresses(path: S3Path, file_type: str | None) -> bool:
    """Whether reading the file decompresses it (a compressed file, or a workbook's parts)."""
    fmt, compression = formats.resolve(path.key, file_type)
    return compression is not None or fmt.inflates


def check_needed(shown: str, needed: int, memory_check: bool = True) -> None:
    """Refuse a data frame read that needs ``needed`` bytes at its peak when they would not
    fit (for readers that work the figure out themselves, as dataset reads do).

    Raises:
        TooLargeError: nothing but metadata was fetched, or no more than
            :func:`early_share` of data asked for with it.
    """
    if enabled(memory_check):
        _compare(shown, needed, frame=True)


def early_share(memory_check: bool = True) -> int:
    """The bytes a read may ask for before its check, with the metadata the check needs:
    half of what is left, as a whole read's first GET asks for at most a share of it
    (unbounded when there is no check)."""
    left = available() if enabled(memory_check) else None
    return _UNLIMITED if left is None else max(0, left[0] // 2)


def _each(function: Any, items: list) -> list:
    if len(items) <= 1:
        return [function(item) for item in items]
    workers = min(transport.settings().max_concurrency, len(items))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def _frame_bytes(path: S3Path, size: int, file_type: str | None,
                 options: Mapping[str, Any]) -> int:
    """The memory a data frame read of one file needs at its peak (see the module)."""
    fmt, compression = formats.resolve(path.key, file_type)
    if fmt.name == "parquet" and compression is None:
        return transport.restarting(path, lambda: _parquet_bytes(path, options.get("columns")))
    data = size * COMPRESSION_RATIO if compression else size
    held = 0 if fmt.streams and compression is None else size + (data if compression else 0)
    return held + FRAME_FACTORS.get(fmt.name, 2) * data


def check_parquet(source: Any, footer: Any, columns: Iterable[str] | None,
                  memory_check: bool = True) -> None:
    """Refuse to read a Parquet file whole when it would not fit, from its footer alone.

    ``source``: a file over the object whose footer is at hand (a
    :func:`~s3tools.transport.open_file` before its rest is fetched);
    ``footer``: what :func:`~s3tools.parquet_layout.parquet_footer` made of it.
    """
    if enabled(memory_check):
        _compare(str(source.path), parquet_bytes(source.size, footer, columns), frame=True)


def _parquet_bytes(path: S3Path, columns: Iterable[str] | None) -> int:
    source = transport.open_file(path, PARQUET_FOOTER)
    return parquet_bytes(source.size, parquet_layout.parquet_footer(source), columns)


def parquet_bytes(size: int, footer: Any, columns: Iterable[str] | None) -> int:
    """The memory a read of a Parquet file of ``size`` bytes needs (see the module), from its
    footer (None: not Parquet, or damaged; the reader will say so)."""
    if footer is None:
        return 2 * size
    wanted = None if columns is None else set(columns)
    data = 0
    for number in range(footer.num_row_groups):
        group = footer.row_group(number)
        if wanted is None:
            data += group.total_byte_size
            continue
        data += sum(group.column(index).total_uncompressed_size
                    for index in range(group.num_columns)
                    if group.column(index).path_in_schema.split(".")[0] in wanted)
    return size + 2 * data


def _compare(shown: str, needed: int, frame: bool) -> None:
    left = available()
    if left is not None and needed > left[0]:
        raise errors.too_large(shown, readable_size(needed),
                               f"{readable_size(max(left[0], 0))} left ({left[1]})", frame)


# ------------------------------------------------------------------ what is left

def available() -> tuple[int, str] | None:
    """The memory this process may still use, and where that figure comes from."""
    limit = config.value("memory_limit")
    if limit is not None:
        return limit, "S3TOOLS_MEMORY_LIMIT"
    found = []
    machine = _meminfo_available()
    if machine is not None:
        found.append((machine, "available on this machine"))
    session = _cgroup_left()
    if session is not None:
        found.append((session, "under this session's memory limit"))
    return min(found) if found else None


def _meminfo_available() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemAvailable:\s+(\d+) kB", text, re.MULTILINE)
    return int(match[1]) * 1024 if match else None


# Per cgroup version: where its folders are, and its limit, usage and stat files.
_CGROUP_FILES = {
    "v2": ("/sys/fs/cgroup", "memory.max", "memory.current", "inactive_file"),
    "v1": ("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes",
           "total_inactive_file"),
}


def _cgroup_left() -> int | None:
    """The least memory left under any limit of this process's cgroups and their parents."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    found = []
    for line in lines:
        number, controllers, where = (line.split(":", 2) + ["", ""])[:3]
        version = "v2" if number == "0" and not controllers else \
            "v1" if "memory" in controllers.split(",") else None
        if version is None:
            continue
        root, limit_file, usage_file, cache_field = _CGROUP_FILES[version]
        folder = Path(root + where.rstrip("/"))
        for candidate in [folder, *folder.parents]:
            if len(candidate.parts) < len(Path(root).parts):
                break
            left = _left_in(candidate, limit_file, usage_file, cache_field)
            if left is not None:
                found.append(left)
    return min(found) if found else None


def _left_in(folder: Path, limit_file: str, usage_file: str, cache_field: str) -> int | None:
    try:
        limit_text = (folder / limit_file).read_text().strip()
        usage = int((folder / usage_file).read_text())
        stat = (folder / "memory.stat").read_text()
    except (OSError, ValueError):
        return None
    if not limit_text.isdigit() or int(limit_text) >= _UNLIMITED:
        return None
    cache = re.search(rf"^{cache_field} (\d+)$", stat, re.MULTILINE)
    return int(limit_text) - usage + (int(cache[1]) if cache else 0)
