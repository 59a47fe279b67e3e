"""A fault-injecting HTTP proxy on 127.0.0.1, between s3tools and the test S3 server.

s3tools is pointed at the proxy as its endpoint; the proxy forwards each
request unchanged (Host header included, so signatures still hold) and, when a
rule matches, breaks it on purpose: an error status instead of an answer
(its body repeating the request's headers, as some proxies do), a body reset
or cut short of its Content-Length, a body that stalls, an upload whose
request is cut mid-part, or an action (such as replacing the object)
run after an answer. Every request is counted here, at the wire, whatever
client sent it.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse
from xml.sax.saxutils import escape

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection",
               "te", "upgrade", "content-length"}
_CODES = {500: "InternalError", 502: "BadGateway", 503: "SlowDown", 504: "GatewayTimeout"}
PAUSE_LIMIT = 30  # seconds a "pause" waits for the test at most: a hang detector


@dataclass
class Rule:
    """Break the requests that ``matches`` accepts, ``times`` times (None: every time).

    ``fault`` is one of: ``"status"`` (answer ``status`` without forwarding),
    ``"echo"`` (the same, with S3 error ``code`` and a message and an element
    that repeat every header of the request, credentials included),
    ``"reset"`` / ``"cut"`` / ``"stall"`` (forward, then send half the body
    and reset the connection / close it / go silent; an error's answer is sent
    whole), ``"cut_request"`` (read half the request body, then reset),
    ``"after"`` (forward whole), ``"pause"`` (not a fault: send half the body,
    wait until the test sets ``release``, then send the rest; ``released`` says
    whether it was set or the wait gave up after ``PAUSE_LIMIT`` seconds).
    ``action`` is called once the request has been forwarded, before its answer
    is sent.
    """

    fault: str
    matches: Callable[[str, str], bool]
    times: int | None = 1
    status: int = 503
    code: str = ""  # the S3 error code of "status" and "echo" (default: one for the status)
    action: Callable[[], None] | None = None
    release: threading.Event = field(default_factory=threading.Event)
    released: bool | None = None
    hits: int = field(default=0)

    def take(self, method: str, target: str) -> bool:
        if not self.matches(method, target):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


def object_get(method: str, target: str) -> bool:
    """A GET of an object (not a listing)."""
    return method == "GET" and "?" not in target


def upload_part(method: str, target: str) -> bool:
    return method == "PUT" and "partNumber=" in target


def listing_page(method: str, target: str) -> bool:
    return method == "GET" and "list-type=2" in target


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a connection the proxy broke on purpose is not news


class FaultProxy:
    def __init__(self, upstream: str, stall_seconds: float = 3.0) -> None:
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname, parsed.port)
        self.rules: list[Rule] = []
        self.requests: list[tuple[str, str, str]] = []  # method, path?query, what happened
        self.stall_seconds = stall_seconds
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- use

    def add(self, fault: str, matches: Callable[[str, str], bool] = lambda m, t: True,
            times: int | None = 1, **options: object) -> Rule:
        rule = Rule(fault, matches, times, **options)  # type: ignore[arg-type]
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.requests.clear()

    def count(self, method: str | None = None) -> int:
        return sum(1 for m, _, _ in self.requests if method is None or m == method)

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------ serving

    def _rule_for(self, method: str, target: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.take(method, target):
                    return rule
        return None

    def _record(self, method: str, target: str, outcome: str) -> None:
        with self._lock:
            self.requests.append((method, target, outcome))

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method, target = handler.command, handler.path
        rule = self._rule_for(method, target)
        length = int(handler.headers.get("Content-Length") or 0)
        if rule is not None and rule.fault == "cut_request":
            handler.rfile.read(length // 2)
            self._record(method, target, "request cut")
            _reset(handler)
            return
        body = handler.rfile.read(length) if length else b""
        if rule is not None and rule.fault in ("status", "echo"):
            self._record(method, target, str(rule.status) if rule.fault == "status"
                         else f"{rule.status} echo")
            echoed = "".join(f"{name}: {value}\n" for name, value in handler.headers.items())
            _send_error(handler, rule.status, method, rule.code,
                        echoed if rule.fault == "echo" else "")
            return
        status, headers, answer = self._forward(method, target, handler.headers, body)
        self._record(method, target, str(status) if rule is None else f"{status} {rule.fault}")
        if rule is not None and rule.action is not None:
            rule.action()
        broken = rule is not None and rule.fault in ("reset", "cut", "stall", "pause") \
            and method != "HEAD" and len(answer) > 1 and 200 <= status < 300
        handler.send_response_only(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                handler.send_header(name, value)
        announced = {name.lower(): value for name, value in headers}.get("content-length", "0")
        handler.send_header("Content-Length",
                            announced if method == "HEAD" else str(len(answer)))
        handler.end_headers()
        if method == "HEAD":
            return
        if not broken:
            handler.wfile.write(answer)
            return
        handler.wfile.write(answer[: len(answer) // 2])
        handler.wfile.flush()
        if rule.fault == "pause":
            rule.released = rule.release.wait(PAUSE_LIMIT)
            handler.wfile.write(answer[len(answer) // 2:])
            return
        if rule.fault == "stall":
            self._stopping.wait(self.stall_seconds)
        if rule.fault in ("reset", "stall"):
            _reset(handler)
        else:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_WR)

    def _forward(self, method: str, target: str, headers, body: bytes):
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            forwarded = {name: value for name, value in headers.items()
                         if name.lower() not in _HOP_BY_HOP}
            forwarded["Content-Length"] = str(len(body))
            connection.request(method, target, body=body if body else None, headers=forwarded)
            response = connection.getresponse()
            answer = response.read()
            return response.status, response.getheaders(), answer
        finally:
            connection.close()


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with a TCP reset, as a failing network does."""
    handler.close_connection = True
    connection = handler.connection
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _send_error(handler: BaseHTTPRequestHandler, status: int, method: str, code: str = "",
                echoed: str = "") -> None:
    code = code or _CODES.get(status, "InternalError")
    message = f"injected fault; the request's headers were:\n{escape(echoed)}" if echoed \
        else "injected fault"
    extra = f"<RequestHeaders>{escape(echoed)}</RequestHeaders>" if echoed else ""
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message>{extra}<RequestId>FAULT0001</RequestId>"
            "</Error>").encode()
    handler.send_response_only(status)
    handler.send_header("x-amz-request-id", "FAULT0001")
    handler.send_header("Content-Type", "application/xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if method != "HEAD":
        handler.wfile.write(body)
