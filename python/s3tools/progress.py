"""Progress bars for transfers longer than a moment, on a terminal or in a notebook only.

A bar appears once a transfer has run for :data:`DELAY` seconds: on standard
error when it is a terminal, or in a Jupyter notebook (a widget when
ipywidgets is installed, text otherwise); never in a pipe, a log file, R's
console or the tests' captured output. ``S3TOOLS_PROGRESS=false`` (or
``s3tools.configure(progress=False)``, or the command line's ``--quiet``)
turns them off. tqdm draws them: it has no dependencies of its own and draws
the same bar in terminals and notebooks.

The command line draws one bar for a whole command (files and bytes) with
:func:`one_bar`; the functions it calls report into that bar instead of
drawing their own.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from . import config
from .display import visible

DELAY = 0.5  # seconds a transfer runs before its bar appears


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def wanted() -> bool:
    """Whether bars are shown here: not switched off, and a terminal or a notebook to draw on.

    Raises:
        ConfigError: ``S3TOOLS_PROGRESS`` is neither true nor false.
    """
    if not config.value("progress"):
        return False
    if _in_notebook():
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class _Bar:
    """One tqdm bar for one or more transfers, fed from several threads."""

    def __init__(self, label: str, files: int, size: int | None) -> None:
        if _in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
            from tqdm.notebook import tqdm
        else:
            from tqdm import tqdm
        self._lock = threading.Lock()
        self._label, self._files, self._done = visible(label), files, 0  # a file's name
        self._bar: Any = tqdm(total=size or None, desc=self._description(), unit="B",
                              unit_scale=True, unit_divisor=1024, delay=DELAY, leave=False,
                              file=sys.stderr, dynamic_ncols=True)

    def _description(self) -> str:
        if self._files == 1:
            return self._label
        return f"{self._label} {self._done}/{self._files} files"

    def add(self, moved: int, size: int) -> None:
        with self._lock:
            if self._files == 1 and self._bar.total is None and size:
                self._bar.total = size  # a download learns its size from the first answer
            self._bar.update(moved)

    def file_done(self) -> None:
        with self._lock:
            self._done += 1
            if self._files > 1:
                self._bar.set_description_str(self._description(), refresh=False)

    def close(self) -> None:
        self._bar.close()


class _Silent:
    """Takes the reports of transfers that must draw nothing."""

    def add(self, moved: int, size: int) -> None:
        pass

    def file_done(self) -> None:
        pass

    def close(self) -> None:
        pass


_enclosing: _Bar | _Silent | None = None  # the command line's bar, while one is open


@contextlib.contextmanager
def one_bar(label: str, files: int, size: int | None,
            enabled: bool = True) -> Iterator[_Bar | _Silent]:
    """One bar for ``files`` transfers of ``size`` bytes in all (None: learnt from the
    transfer, for one file); every :func:`transfer` inside reports into it."""
    global _enclosing
    bar: _Bar | _Silent = _Bar(label, files, size) if enabled and wanted() else _Silent()
    previous, _enclosing = _enclosing, bar
    try:
        yield bar
    finally:
        _enclosing = previous
        bar.close()


@contextlib.contextmanager
def transfer(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """The progress callback for one transfer (``moved, size``), or None when nothing is drawn."""
    if _enclosing is not None:
        try:
            yield _enclosing.add
        finally:
            _enclosing.file_done()
        return
    if not wanted():
        yield None
        return
    bar = _Bar(label, 1, None)
    try:
        yield bar.add
    finally:
        bar.close()
