"""The file explorer: buckets, folders and files in a local web page, for Python, R and the CLI.

One implementation for the three: :class:`Explorer` (in :mod:`.server`)
serves the page (``page.html``) and its answers (:mod:`.answers`) on
127.0.0.1 from a thread of its own, so the notebook or the R console stays
free. :func:`file_explorer_s3` is Python's door; R's calls the helpers in
:data:`R_HELPERS`, which run it in a process of its own (``python -m
s3tools.explorer``: reticulate keeps Python's lock while R runs), and shows
the page itself (RStudio's Viewer pane); the command line's is ``s3tools
browse``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import webbrowser
from typing import Any

from .. import errors
from .answers import code
from .server import Explorer

__all__ = ["Explorer", "file_explorer_s3"]


def file_explorer_s3(port: int = 0, show: bool = True) -> Explorer:
    """Browse the buckets you can use, preview files and get the code that reads them.

    Starts a small web page on 127.0.0.1 (with a random token in its address;
    a request without it is refused) in a thread of its own: buckets with your
    access level, folders and files with sizes and dates, page after page,
    search by name, a preview of a data file's first rows, download, and on
    Select the ``s3tools.s3_path_to_df("bucket/key")`` call (and R's) to copy.
    It uses the endpoint and keys the other functions use.

    Args:
        port: the port on 127.0.0.1; 0 picks a free one.
        show: in a notebook, show the page in the output cell (the address
            kept there opens nothing once the explorer stops); elsewhere,
            print its address and open it in the default browser, through a
            private local page (:meth:`Explorer.launch_page`) so that the
            token is not on the browser's command line. ``False`` only starts it.

    Returns:
        The running explorer: ``.url`` is its address, ``.stop()`` ends it,
        ``.selected`` lists the paths chosen with Select.

    Raises:
        ConfigError: the settings are unusable (the message says which).
        OSError: the port is taken.

    Example:
        >>> explorer = s3tools.file_explorer_s3()
        >>> explorer.stop()
    """
    explorer = Explorer(port)
    if show:
        _show(explorer)
    return explorer


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    # A Jupyter kernel's shell; the terminal IPython's cannot show a page.
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _show(explorer: Explorer) -> None:
    if _in_notebook():
        from IPython.display import IFrame, display

        display(IFrame(explorer.url, width="100%", height=640))
        return
    print(f"s3tools file explorer: {explorer.url}\n(explorer.stop() ends it)")
    webbrowser.open(explorer.launch_page())  # the token stays off the browser's command line


# --------------------------------------------------------------- R's door

class _Process:
    """An explorer in a process of its own (``python -m s3tools.explorer``), as R runs it."""

    def __init__(self, port: int, launch: bool = False) -> None:
        # R puts its own libraries first on LD_LIBRARY_PATH, which can make a Python
        # started from it load the wrong libpython; the settings R sent are in os.environ.
        environment = {name: value for name, value in os.environ.items()
                       if name != "LD_LIBRARY_PATH"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "s3tools.explorer", str(int(port)),
             *(["launch"] if launch else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment, text=True)
        first = self.process.stdout.readline()
        answer = json.loads(first) if first.startswith("{") else {"error": first, "kind": ""}
        if "url" not in answer:
            self.process.wait()
            kinds = {kind.kind: kind for kind in errors.ERROR_CLASSES}
            raise kinds.get(answer["kind"], OSError)(
                answer["error"] or "The file explorer's process did not start.")
        self.url = answer["url"]
        self.launch = answer.get("launch")
        self.delivered = 0

    def selected(self) -> list[str]:
        address = self.url.replace("/?token=", "/api/selected?token=")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(address, timeout=10) as answer:
            return json.load(answer)["selected"]

    def stop(self) -> None:
        self.process.stdin.close()  # the process stops when its standard input ends
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


_running: dict[str, _Process] = {}


def explorer_start(port: int = 0, launch: bool = False) -> dict[str, Any]:
    """Start an explorer for R in a process of its own; R keeps its address and shows it.

    With ``launch``, ``"launch"`` is the private local page for a browser (see
    :meth:`Explorer.launch_page`): the address holds the token, which a browser's
    command line would show to every local user.
    """
    explorer = _Process(int(port), bool(launch))
    _running[explorer.url] = explorer
    return {"url": explorer.url, "launch": explorer.launch}


def explorer_selections(url: str, deliver: bool = True) -> dict[str, Any]:
    """R's calls for the files chosen: ``all`` of them, and the ``new`` ones since the last
    call that would ``deliver`` them; and whether the explorer still runs."""
    explorer = _running.get(url)
    if explorer is None or explorer.process.poll() is not None:
        return {"running": False, "new": [], "all": []}
    chosen = [code(path)["r"] for path in explorer.selected()]
    fresh = chosen[explorer.delivered:]
    if deliver:
        explorer.delivered = len(chosen)
    return {"running": True, "new": fresh, "all": chosen}


def explorer_stop(url: str) -> bool:
    """Stop the explorer at ``url``; ``False`` if it was not running."""
    explorer = _running.pop(url, None)
    if explorer is None:
        return False
    explorer.stop()
    return True


R_HELPERS = {"explorer_start": explorer_start, "explorer_selections": explorer_selections,
             "explorer_stop": explorer_stop}
