"""The explorer in a Jupyter notebook: the widget where it can be shown, else the web page.

The widget (:mod:`.widget`) talks to Python over the kernel's own
connection, so it works wherever the notebook does. Without anywidget the
explorer is the web page in a frame, at an address the notebook's browser
can open: under JupyterHub with jupyter-server-proxy installed, the page
through the proxy (``/user/ann/proxy/PORT/?token=...``, the page's own
addresses being relative to it); elsewhere its ``127.0.0.1`` address, which
only a browser on the kernel's machine reaches. A one-line message says what
to install for the widget.
"""

from __future__ import annotations

import importlib.util

from .. import config, folders
from .server import Explorer

INSTALL = 'pip install "s3tools[jupyter]"'


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (JupyterLab, Notebook, VS Code's notebooks)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    # A Jupyter kernel's shell; the terminal IPython's cannot show a page.
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show(port: int, page_size: int = folders.PAGE_SIZE):
    """Show an explorer in the output cell and return it: the widget, or the web page.

    Returns:
        A :class:`.widget.NotebookExplorer`, or an :class:`Explorer` where the widget
        cannot be had (anywidget is missing).
    """
    from IPython.display import IFrame, display

    try:
        from .widget import NotebookExplorer
    except ImportError:
        pass
    else:
        explorer = NotebookExplorer(page_size)
        display(explorer.widget)
        return explorer
    explorer = Explorer(port, page_size)
    address, proxied = page_address(explorer)
    print(fallback_message(explorer, proxied))
    display(IFrame(address, width="100%", height=640))
    return explorer


def page_address(explorer: Explorer) -> tuple[str, bool]:
    """The address of the explorer's page for the notebook's browser, and whether it goes
    through jupyter-server-proxy (under JupyterHub, where the proxy is installed)."""
    prefix = config.value("jupyterhub_prefix")
    if prefix is not None and importlib.util.find_spec("jupyter_server_proxy") is not None:
        return f"{prefix}proxy/{explorer.port}/?token={explorer.token}", True
    return explorer.url, False


def fallback_message(explorer: Explorer, proxied: bool) -> str:
    """The one line said above the page: that it is not the widget, and what to install."""
    if proxied:
        return (f"s3tools: the notebook widget needs anywidget ({INSTALL}); meanwhile the "
                "explorer below is its web page, through jupyter-server-proxy.")
    hub = (" (or jupyter-server-proxy, for the page through JupyterHub)"
           if config.value("jupyterhub_prefix") is not None else "")
    return (f"s3tools: the notebook widget needs anywidget ({INSTALL}{hub}); meanwhile the "
            f"explorer below is its web page on 127.0.0.1:{explorer.port}, which only a "
            "browser on this machine can open.")
