"""The explorer's front end, one for the web page and the notebook widget.

``explorer.css`` (its look) and ``explorer.js`` (its behaviour: folders, pages,
search, preview, Select, Download) are shared; ``page.html`` wraps them into
the web page that :mod:`.server` sends, and ``widget.js`` into the ES module
that the notebook widget (:mod:`.widget`) runs in JupyterLab.
"""

from __future__ import annotations

import functools
from importlib import resources

# Where each shared file goes in page.html, and the closing tag that must not appear in it
# (inside <style> and <script>, only that tag ends them).
_MARKS = {"explorer.css": ("/* explorer.css */", "</style"),
          "explorer.js": ("/* explorer.js */", "</script")}


def _text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def page() -> bytes:
    """The web page, with the shared stylesheet and script in it (one request loads it all)."""
    text = _text("page.html")
    for name, (mark, closing) in _MARKS.items():
        shared = _text(name)
        if closing in shared.lower():
            raise RuntimeError(f"{name} must not hold {closing}: it is put inside page.html")
        text = text.replace(mark, shared, 1)
    return text.encode("utf-8")


def stylesheet() -> str:
    """The explorer's look (every rule under ``.s3tools-explorer``)."""
    return _text("explorer.css")


def widget_module() -> str:
    """The widget's ES module: the shared script, then the widget's part (``export default``)."""
    return _text("explorer.js") + "\n" + _text("widget.js")
