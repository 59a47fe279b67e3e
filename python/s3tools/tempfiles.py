"""Private temporary files for tools that need a local path.

A RAM-backed ``/run/user/<uid>`` is used when it exists and has room (fast,
and nothing reaches a disk); otherwise a folder readable only by the user
under the system temp dir, after checking there is space. Files are deleted
when the ``with`` block ends, also on error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

from . import config
from .errors import S3ToolsError

# Room to leave free beside the file, so that a temporary copy never fills a disk.
_HEADROOM = 64 * 1024 * 1024


def _free_bytes(folder: str) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _private_folder(parent: str) -> str:
    folder = os.path.join(parent, f"s3tools-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def temporary_folder(size_hint: int = 0) -> str:
    """The folder for a temporary file of about ``size_hint`` bytes."""
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


def new_private_file(suffix: str = "", size_hint: int = 0) -> str:
    """A new empty file (mode 0600) ending in ``suffix``, in :func:`temporary_folder`."""
    handle, path = tempfile.mkstemp(suffix=suffix, dir=temporary_folder(size_hint))
    os.close(handle)
    return path


@contextlib.contextmanager
def temporary_path(suffix: str = "", size_hint: int = 0) -> Iterator[str]:
    """A new empty file (mode 0600) ending in ``suffix``; deleted when the block ends."""
    path = new_private_file(suffix, size_hint)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
