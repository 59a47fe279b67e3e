"""The explorer opened in a browser without its token on any command line.

A browser is started with the address to open as an argument, and every
local user can read a process's arguments (``ps``, ``/proc/<pid>/cmdline``).
The explorer's address holds its token, so the browser is given a local page
instead: private to the user (mode 0600, in the private temporary folder of
:mod:`s3tools.tempfiles`), it sends the browser on to the address. The page
is removed a minute later, or when the explorer stops if that comes first.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import pathlib
import threading

from .. import tempfiles

# Long enough for a browser that starts cold to read the page.
LINGER_SECONDS = 60.0


def _page(url: str) -> bytes:
    # The script goes on at once, the refresh where scripts are off, the link by hand; the
    # address never reaches another site as a referrer.
    shown = html.escape(url, quote=True)
    script = json.dumps(url).replace("<", "\\u003c")
    return (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<meta http-equiv=\"refresh\" content=\"0; url={shown}\">\n"
        "<title>s3tools file explorer</title>\n"
        f"<script>window.location.replace({script});</script>\n"
        f"</head><body><p><a href=\"{shown}\">Open the s3tools file explorer</a></p>"
        "</body></html>\n"
    ).encode()


class LaunchPage:
    """A private local page that leads a browser to ``url``; removed after ``linger``
    seconds or by :meth:`remove`.

    Attributes:
        path: the page's local path.
        uri: its ``file://`` address, the one to give a browser.
    """

    def __init__(self, url: str, linger: float = LINGER_SECONDS) -> None:
        self.path = tempfiles.new_private_file(".html", contents=_page(url))
        self.uri = pathlib.Path(self.path).as_uri()
        self._timer = threading.Timer(linger, self._delete)
        self._timer.daemon = True
        self._timer.start()

    def _delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)

    def remove(self) -> None:
        """Remove the page now (a second call does nothing)."""
        self._timer.cancel()
        if self._timer is not threading.current_thread():
            self._timer.join()
        self._delete()
