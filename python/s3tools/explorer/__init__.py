"""The file explorer: buckets, folders and files, for Python, R and the CLI.

One front end (``explorer.js``, ``explorer.css``: :mod:`.assets`) and one
set of answers (:mod:`.answers`), reached two ways. :class:`Explorer` (in
:mod:`.server`) serves them as a web page on 127.0.0.1 from a thread of its
own, so the notebook or the R console stays free; in a Jupyter notebook the
widget (:mod:`.widget`, :mod:`.notebook`) asks over the kernel's own
connection instead. :func:`file_explorer_s3` is Python's door; R's calls the
helpers in :data:`R_HELPERS`, which run the web page in a process of its
own (``python -m s3tools.explorer``: reticulate keeps Python's lock while R
runs), and shows the page itself (RStudio's Viewer pane); the command line's
is ``s3tools browse``.
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
from . import notebook
from .answers import code
from .server import Explorer

__all__ = ["Explorer", "file_explorer_s3"]


def file_explorer_s3(port: int = 0, show: bool = True) -> Any:
    """Browse the buckets you can use, preview files and get the code that reads them.

    Buckets with your access level, folders and files with sizes and dates,
    page after page, search by name, a preview of a data file's first rows,
    download, and on Select the ``s3tools.s3_path_to_df("bucket/key")`` call
    (and R's) to copy. It uses the endpoint and keys the other functions use.

    In a Jupyter notebook it is a widget in the output cell that talks to
    Python over the kernel's own connection (no port, no token: it works on a
    remote JupyterHub too); Download saves the file next to the notebook, and
    Select also puts the Python line in a new cell below. Without the widget's
    package (``pip install "s3tools[jupyter]"``) it is the web page below, as
    elsewhere: a small web server on 127.0.0.1 in a thread of its own, with a
    random token in its address (a request without it is refused), shown
    through jupyter-server-proxy under JupyterHub where that is installed.

    Args:
        port: the web page's port on 127.0.0.1; 0 picks a free one. Not used by
            the notebook widget.
        show: in a notebook, show the explorer in the output cell; elsewhere,
            print the page's address and open it in the default browser, through
            a private local page (:meth:`Explorer.launch_page`) so that the
            token is not on the browser's command line. ``False`` only starts
            the web page.

    Returns:
        The running explorer: ``.stop()`` ends it, ``.selected`` lists the
        paths chosen with Select; ``.url`` is the web page's address (``None``
        for the notebook widget).

    Raises:
        ConfigError: the settings are unusable (the message says which).
        OSError: the port is taken.

    Example:
        >>> explorer = s3tools.file_explorer_s3()
        >>> explorer.stop()
    """
    if show and notebook.in_notebook():
        return notebook.show(port)
    explorer = Explorer(port)
    if show:
        print(f"s3tools file explorer: {explorer.url}\n(explorer.stop() ends it)")
        webbrowser.open(explorer.launch_page())  # the token stays off the browser's command line
    return explorer


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
