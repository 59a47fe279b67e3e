"""New local files: created exclusively, never through a link, whole or not at all.

Every file s3tools creates on the local disk is opened by :func:`create`, with
``O_CREAT | O_EXCL | O_NOFOLLOW`` under a name nobody can guess. On a shared
machine another user may plant a file or a link at a name s3tools could pick
(beside a download's target, in a shared temporary folder): such a name
makes the open fail and another one is tried, so s3tools never writes
through a link into a file it did not create. A file that must appear at a
given path (a download) is written under such a name beside it, then renamed
into place by :func:`replacing`; on any error or interrupt the partial file
is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from typing import BinaryIO

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_ATTEMPTS = 100
# The part of a target's name kept in its partial file's name: names stop at 255 bytes.
_NAME_KEPT = 100
PARTIAL_SUFFIX = ".s3tools-partial"


def _random_name() -> str:
    return secrets.token_hex(8)


def create(folder: str, prefix: str = "", suffix: str = "",
           mode: int = 0o600) -> tuple[BinaryIO, str]:
    """A new empty file in ``folder`` with a random name, open for reading and writing.

    Args:
        folder: where the file is made.
        prefix: the start of its name, before the random part.
        suffix: the end of its name (an extension, say).
        mode: its permissions (the umask applies too): 0600 for a private file.

    Returns:
        The open file and its path.

    Raises:
        OSError: the folder is missing or not writable, or (FileExistsError) every
            name tried was taken.
    """
    for _ in range(_ATTEMPTS):
        path = os.path.join(folder, f"{prefix}{_random_name()}{suffix}")
        try:
            descriptor = os.open(path, _FLAGS, mode)
        except FileExistsError:
            continue  # taken, maybe by a planted link: never opened through
        return os.fdopen(descriptor, "w+b"), path
    raise FileExistsError(errno.EEXIST, f"No free name for a new file after {_ATTEMPTS} tries",
                          folder)


@contextlib.contextmanager
def replacing(target: str, overwrite: bool) -> Iterator[BinaryIO]:
    """A new file to write in the block; when the block ends it appears at ``target`` whole.

    The file is written beside ``target`` under a name nobody can guess, with
    the mode any new file of the user gets (the umask's), then renamed into
    place: a link at ``target`` is replaced, never written through. On an
    error or interrupt in the block the partial file is removed and
    ``target`` is left as it was.

    Args:
        target: the path the file appears at; its folder must exist.
        overwrite: replace an existing ``target``. Without it an existing
            ``target`` (a link included) is refused at the moment of placing,
            with no window in between where the file system has hard links;
            on one without them (some network and FAT file systems) the check
            and the rename are two steps, so a file made at ``target`` between
            them is replaced.

    Raises:
        FileExistsError: ``target`` exists and ``overwrite`` is false.
    """
    folder, name = os.path.split(os.path.abspath(target))
    handle, partial = create(folder, f".{name[:_NAME_KEPT]}.", PARTIAL_SUFFIX, 0o666)
    try:
        with handle:
            yield handle
        _place(partial, target, overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        raise


def _place(partial: str, target: str, overwrite: bool) -> None:
    if overwrite:
        os.replace(partial, target)
        return
    try:
        os.link(partial, target)  # fails if anything, a link included, is at target
    except FileExistsError:
        raise _exists(target) from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
            raise
        if os.path.lexists(target):
            raise _exists(target) from None
        os.rename(partial, target)
        return
    os.remove(partial)


def _exists(target: str) -> FileExistsError:
    return FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), target)
