"""What reaches moto in ``s3tools serve``: signed S3 requests, and nothing else.

moto's server is made for tests. Left as it is, it answers its management
API (``/moto-api/...``: every user's secret key, and a switch that turns
authentication off) to anyone, simulates every other AWS service, puts the
caller's ``Origin`` in ``Access-Control-Allow-Origin``, and serves unsigned
requests (anonymous listings and GETs, presigned URLs whose signature it
never checks, browser form uploads). Any other local user, or any web page
the user visits, could then read and change the served files.

:class:`Gate` is a WSGI application in front of moto's S3 application alone
(no other service, no management routes). It refuses, with S3's
``AccessDenied``:

- every request without a Signature Version 4 ``Authorization`` header for
  the ``s3`` service (anonymous requests, presigned URLs, browser forms);
  moto then checks the signature against its IAM users, whose checks
  :mod:`s3tools.serve` switches on;
- ``OPTIONS`` (a browser's CORS preflight) and form uploads
  (``multipart/form-data`` POSTs);
- anything but ``GET`` and ``HEAD`` once :attr:`Gate.read_only` is set.

Every ``Access-Control-*`` header is taken out of the answers, so no page of
another origin may read one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.wsgi import get_input_stream

# AWS4-HMAC-SHA256 Credential=KEY/20260101/us-east-1/s3/aws4_request, SignedHeaders=a;b,
# Signature=<64 hex digits>
_SIGNED_FOR_S3 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=[^/,\s]+/\d{8}/[^/,\s]+/s3/aws4_request,\s*"
    r"SignedHeaders=[^,\s]+,\s*Signature=[0-9a-f]{64}")
_READS = frozenset({"GET", "HEAD"})
# A refused request's body is read (and dropped) before the answer, up to this
# much: closing a connection with unread bytes resets it, and the client would
# see a broken connection instead of the refusal.
_DRAINED = 64 * 1024 * 1024

StartResponse = Callable[..., Any]


class Gate:
    """A WSGI application that lets only signed S3 requests through to ``app``."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.read_only = False  # set once the server's own writes (the seed) are done

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        reason = self.refusal(environ)
        if reason is not None:
            return _refuse(environ, start_response, reason)

        def start_without_cors(status: str, headers: list[tuple[str, str]],
                               exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers
                    if not name.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info)

        return self.app(environ, start_without_cors)

    def refusal(self, environ: dict[str, Any]) -> str | None:
        """Why this request is refused, or None when it may reach moto."""
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api"):
            return "moto's management API is not served"
        if method == "OPTIONS":
            return "no cross-origin (CORS) access is served"
        if not _SIGNED_FOR_S3.fullmatch(environ.get("HTTP_AUTHORIZATION", "").strip()):
            return ("only S3 requests signed in the Authorization header (Signature Version 4) "
                    "with this server's keys are answered: no anonymous requests, presigned "
                    "URLs or other AWS services")
        if method == "POST" and environ.get("CONTENT_TYPE", "").lower().startswith(
                "multipart/form-data"):
            return "browser form uploads are not accepted"
        if self.read_only and method not in _READS:
            return "this server is read-only: every write is refused"
        return None


def _refuse(environ: dict[str, Any], start_response: StartResponse, reason: str
            ) -> list[bytes]:
    stream = get_input_stream(environ)
    drained = 0
    while drained < _DRAINED:
        chunk = stream.read(1024 * 1024)
        if not chunk:
            break
        drained += len(chunk)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            f"<Message>Access Denied: {escape(reason)}.</Message></Error>").encode()
    start_response("403 Forbidden", [("Content-Type", "application/xml"),
                                     ("Content-Length", str(len(body)))])
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
