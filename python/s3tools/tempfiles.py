"""Private temporary files for tools that need a local path.

A RAM-backed ``/run/user/<uid>`` is used when it exists and has room (fast,
and nothing reaches a disk); otherwise the system temp dir, after checking
there is space. In either, the folder ``s3tools-<uid>`` is used only if it is
a real folder (not a link) of this user with mode 0700: one made by another
user, or left open to others, could let them swap the file a reader is
handed. Otherwise a fresh private folder is made for this process (and
removed when it exits). Files are created by :func:`s3tools.localfiles.create`
(mode 0600, never through a link) and deleted when the ``with`` block ends,
also on error.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from typing import BinaryIO

from . import config, localfiles
from .errors import S3ToolsError

# Room to leave free beside the file, so that a temporary copy never fills a disk.
_HEADROOM = 64 * 1024 * 1024

# Parent folder -> the fresh private folder made in it when s3tools-<uid> could not be used.
_fresh: dict[str, str] = {}
_fresh_lock = threading.Lock()


def _free_bytes(folder: str) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _is_private(folder: str, made_now: bool = False) -> bool:
    """Whether ``folder`` is a real folder (not a link) of this user, mode 0700.

    One this call has just made gets mode 0700 whatever the umask gave it.
    """
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False  # a link, a file, or gone
    try:
        if os.fstat(descriptor).st_uid != os.getuid():
            return False
        if made_now:
            os.fchmod(descriptor, 0o700)
        return stat.S_IMODE(os.fstat(descriptor).st_mode) == 0o700
    finally:
        os.close(descriptor)


def _private_folder(parent: str) -> str:
    folder = os.path.join(parent, f"s3tools-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
        made_now = True
    except FileExistsError:
        made_now = False
    if _is_private(folder, made_now):
        return folder
    with _fresh_lock:
        fresh = _fresh.get(parent)
        if fresh is None or not _is_private(fresh):
            fresh = tempfile.mkdtemp(prefix=f"s3tools-{os.getuid()}-", dir=parent)
            _fresh[parent] = fresh
            atexit.register(shutil.rmtree, fresh, ignore_errors=True)
    return fresh


def temporary_folder(size_hint: int = 0) -> str:
    """The private folder for a temporary file of about ``size_hint`` bytes.

    Raises:
        S3ToolsError: no folder has room for it.
    """
    needed = size_hint + _HEADROOM
    ram_folder = config.value("ram_folder")
    usable = os.path.isdir(ram_folder) and os.access(ram_folder, os.W_OK)
    if usable and _free_bytes(ram_folder) >= needed:
        return _private_folder(ram_folder)
    disk_folder = tempfile.gettempdir()
    free = _free_bytes(disk_folder)
    if free < needed:
        raise S3ToolsError(
            f"Not enough space for a temporary copy of {size_hint:,} bytes: {disk_folder} has "
            f"{free:,} bytes free. Free some space or set TMPDIR to a larger folder."
        )
    return _private_folder(disk_folder)


def open_private_file(suffix: str = "", size_hint: int = 0) -> tuple[BinaryIO, str]:
    """A new empty file (mode 0600) ending in ``suffix``, open for reading and writing.

    Returns:
        The open file and its path, in :func:`temporary_folder`.
    """
    return localfiles.create(temporary_folder(size_hint), "tmp", suffix)


def new_private_file(suffix: str = "", size_hint: int = 0, contents: bytes = b"") -> str:
    """A new file (mode 0600) ending in ``suffix`` and holding ``contents``; its path.

    The caller deletes it; if writing ``contents`` fails, nothing is left.
    """
    handle, path = open_private_file(suffix, size_hint or len(contents))
    try:
        with handle:
            handle.write(contents)
    except BaseException:
        os.remove(path)
        raise
    return path


@contextlib.contextmanager
def temporary_path(suffix: str = "", size_hint: int = 0, contents: bytes = b"") -> Iterator[str]:
    """A new file (mode 0600) ending in ``suffix`` and holding ``contents``; deleted when
    the block ends."""
    path = new_private_file(suffix, size_hint, contents)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
