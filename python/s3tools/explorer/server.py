"""The explorer's web server: the standard library's, on 127.0.0.1, in a thread of its own.

Every request must carry the explorer's token (``?token=...``, as in the URL
it prints); one without it gets 403 and nothing else. Errors reach the page
as s3tools' own messages, never as a traceback; requests are logged to the
``s3tools.explorer`` logger without their query (so without the token).
"""

from __future__ import annotations

import hmac
import http.server
import json
import logging
import secrets
import shutil
import threading
import urllib.parse
from typing import Any, Callable

from .. import errors, folders, paths, transport
from . import answers, assets
from .launch import LaunchPage

HOST = "127.0.0.1"
log = logging.getLogger("s3tools.explorer")

REFUSED = ("This file explorer only answers requests that carry its token: open the "
           "address that file_explorer_s3() or s3tools browse printed, in full.\n")
# The HTTP status for each kind of s3tools error ("error": not s3tools' own); other kinds
# are 502 (S3 failed us).
_STATUS = {"path": 400, "argument": 400, "format": 422, "config": 400, "not_found": 404,
           "access_denied": 403, "too_large": 413, "error": 500}


class Explorer:
    """A running file explorer: open :attr:`url` in a browser; :meth:`stop` ends it.

    Attributes:
        url: the page's address, token included.
        selected: the ``bucket/key`` paths chosen with Select, oldest first.
    """

    def __init__(self, port: int = 0, page_size: int = folders.PAGE_SIZE) -> None:
        transport.settings()  # a configuration error is said now, not in the page
        try:
            self._server = _Server((HOST, port), _Handler)
        except OSError as error:
            raise OSError(f"Port {port} on {HOST} is taken ({error.strerror}): choose "
                          "another port (0 picks a free one)") from None
        self._server.explorer = self
        self.token = secrets.token_urlsafe(24)
        self.answers = answers.Answers(page_size)
        self.port = self._server.server_port
        self.url = f"http://{HOST}:{self.port}/?token={self.token}"
        self._launch_pages: list[LaunchPage] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"s3tools explorer on port {self.port}", daemon=True)
        self._thread.start()

    @property
    def selected(self) -> list[str]:
        return self.answers.selected

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def launch_page(self) -> str:
        """The address to give a browser: a private local page (mode 0600) that leads to
        :attr:`url`, which holds the token and so must not be on a command line.

        The page is removed a minute later, or when the explorer stops.
        """
        page = LaunchPage(self.url)
        with self._lock:
            self._launch_pages.append(page)
        return page.uri

    def stop(self) -> None:
        """Stop serving: waits for the requests in flight, then closes the port. The token
        opens nothing afterwards (a new explorer has a new one)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()  # joins the threads of the requests in flight
        with self._lock:
            pages, self._launch_pages = self._launch_pages, []
        for page in pages:
            page.remove()

    def select(self, path: str) -> dict[str, str]:
        return self.answers.select(path)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<s3tools file explorer at {self.url} ({state}; .stop() ends it)>"


class _Server(http.server.ThreadingHTTPServer):
    # Each request in a thread of its own, joined when the server closes.
    daemon_threads = False
    explorer: Explorer


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    # One request per connection: no idle keep-alive thread outlives a page load.
    protocol_version = "HTTP/1.0"
    timeout = 60

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.command, urllib.parse.urlsplit(self.path).path)

    def _answer(self, method: str) -> None:
        address = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(address.query))
        given = query.pop("token", "").encode()
        if not hmac.compare_digest(given, self.server.explorer.token.encode()):
            self._send(403, REFUSED.encode(), "text/plain; charset=utf-8")
            return
        route = _ROUTES.get((method, address.path))
        if route is None:
            self._send(404, b"No such page.\n", "text/plain; charset=utf-8")
            return
        try:
            route(self, query)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as error:  # the page gets a sentence, never a traceback
            said = answers.failure(error, address.path)
            self._json(said, _STATUS.get(said["kind"], 502))

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value: Any, status: int = 200) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    # ------------------------------------------------------------ the routes

    def page(self, query: dict[str, str]) -> None:
        body = assets.page()
        # The page may only talk to this server, and only this server may frame it.
        self._send(200, body, "text/html; charset=utf-8", {
            "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                       "script-src 'self' 'unsafe-inline'; img-src 'self' data:",
            "Referrer-Policy": "no-referrer"})

    def question(self, query: dict[str, str]) -> None:
        asked = urllib.parse.urlsplit(self.path).path.removeprefix("/api/")
        self._json(self.server.explorer.answers.ask(asked, query))

    def selected(self, query: dict[str, str]) -> None:
        self._json({"selected": self.server.explorer.selected})

    def download(self, query: dict[str, str]) -> None:
        # The browser shows this answer as a page of its own: errors in plain words.
        try:
            path = paths.parse_file(query.get("path", ""))
            stream = transport.open_stream(path)
        except errors.S3ToolsError as error:
            self._send(_STATUS.get(error.kind, 502), f"{error.message}\n".encode(),
                       "text/plain; charset=utf-8")
            return
        with stream:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(stream.size))
            self.send_header("Content-Disposition",
                             f"attachment; filename*=UTF-8''{urllib.parse.quote(path.name)}")
            self.end_headers()
            try:
                shutil.copyfileobj(stream, self.wfile, 1024 * 1024)
            except errors.S3ToolsError as error:
                # The headers are gone: the browser sees a download cut short.
                log.warning("explorer: the download of %s stopped: %s", path, error)


_ROUTES: dict[tuple[str, str], Callable[[_Handler, dict[str, str]], None]] = {
    ("GET", "/"): _Handler.page,
    ("GET", "/api/buckets"): _Handler.question,
    ("GET", "/api/list"): _Handler.question,
    ("GET", "/api/preview"): _Handler.question,
    ("POST", "/api/select"): _Handler.question,
    ("GET", "/api/selected"): _Handler.selected,
    ("GET", "/api/download"): _Handler.download,
}
