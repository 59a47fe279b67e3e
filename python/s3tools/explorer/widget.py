"""The explorer as a notebook widget: the page's front end, talking to Python over the kernel.

An anywidget (``pip install "s3tools[jupyter]"``): its front end is
``explorer.js`` and ``explorer.css``, the web page's own, with
``widget.js``; each question it asks is a message on the widget's comm,
answered here by :class:`.answers.Answers` (the same answers the web page
gets) in a thread of its own, so that the kernel stays free for the
notebook's cells. Nothing listens on a port, so it works wherever the
notebook works: a JupyterLab on a remote server or behind JupyterHub
included. Download saves the file next to the notebook (the kernel's working
folder), which the browser then sees in JupyterLab's file browser.

Importing this module needs anywidget; :mod:`.notebook` falls back to the
web page where it is missing.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anywidget

from .. import folders, transport
from . import answers, assets

# Questions answered at once; a slow preview does not hold up a listing.
_WORKERS = 4
WITHOUT_WIDGETS = (
    "S3 file explorer: this front end shows no Jupyter widgets. Where Jupyter runs, "
    'pip install "s3tools[jupyter]" (anywidget), then run the cell again.')


class ExplorerWidget(anywidget.AnyWidget):
    """The widget itself; :class:`NotebookExplorer` is what the user holds."""

    _esm = assets.widget_module()
    _css = assets.stylesheet()

    def __init__(self, answering: answers.Answers) -> None:
        super().__init__()
        self._answers = answering
        self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="s3tools explorer")
        self.on_msg(self._heard)

    def _heard(self, widget: Any, content: Any, buffers: list) -> None:
        if isinstance(content, dict) and content.get("kind") == "s3tools-question":
            self._pool.submit(self._answer, content)

    def _answer(self, content: dict[str, Any]) -> None:
        question = str(content.get("question"))
        request = content.get("request")
        reply: dict[str, Any] = {"kind": "s3tools-answer", "id": content.get("id")}
        try:
            reply["answer"] = self._answers.ask(question, request if isinstance(request, dict)
                                                else {})
        except Exception as error:  # the widget gets a sentence, never a traceback
            reply["error"] = answers.failure(error, question)["error"]
        self.send(reply)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # What a front end without widgets (nbconvert, a plain console) shows instead.
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle[0]["text/plain"] = WITHOUT_WIDGETS
        return bundle

    def close(self) -> None:
        pool = getattr(self, "_pool", None)  # close() also runs when a half-made widget goes
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        super().close()


class NotebookExplorer:
    """A file explorer in the notebook: :attr:`widget` is shown in the output cell.

    Attributes:
        widget: the Jupyter widget (``display(explorer.widget)`` shows it again).
        url: ``None``: nothing listens on a port.
    """

    url = None

    def __init__(self, page_size: int = folders.PAGE_SIZE, downloads: str | None = None) -> None:
        transport.settings()  # a configuration error is said now, not in the widget
        self._answers = answers.Answers(page_size, downloads or os.getcwd())
        self.widget = ExplorerWidget(self._answers)

    @property
    def selected(self) -> list[str]:
        """The ``bucket/key`` paths chosen with Select, oldest first."""
        return self._answers.selected

    @property
    def running(self) -> bool:
        return self.widget.comm is not None

    def stop(self) -> None:
        """Close the widget: its views in the notebook go blank and it answers no more."""
        self.widget.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<s3tools file explorer in the notebook ({state}; .stop() ends it)>"
