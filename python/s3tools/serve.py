"""A local S3 server on 127.0.0.1, to try s3tools (R included) with no account: ``s3tools serve``.

moto's S3 application runs in this process, on a thread, listening on the
loopback address only, behind :class:`s3tools.serve_gate.Gate`: only S3
requests signed with the server's own keys are answered (no moto management
routes, no other AWS service, no CORS, no anonymous, presigned or form
requests). The keys are made at each start, at random, for an IAM user of
moto's whose checks are switched on before the server listens: each key works
on this server only, and only while it runs. :func:`start` can create a bucket
and fill it from a local folder (through s3tools itself, as ``s3tools cp
--recursive`` does), and can hand out read-only keys: a user allowed to list
and read, on a server that then refuses every write.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from . import config, errors, transport

HOST = "127.0.0.1"
REGION = "us-east-1"
# Variables that would override the lines printed.
_CLEARED = ("AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE")
_EVERYTHING = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
READ_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*",
                   "Action": ["s3:GetObject", "s3:ListBucket", "s3:ListAllMyBuckets",
                              "s3:GetBucketLocation"]}],
}
_POLICY_NAME = "s3tools-serve"

# moto's IAM checks are one switch for the whole process: on while any server runs.
_checks_lock = threading.Lock()
_checks: dict[str, Any] = {"servers": 0, "switch": None}


@dataclass
class LocalServer:
    """A running server: its endpoint, the keys to use it, and :meth:`stop`."""

    endpoint: str
    access_key: str
    secret_key: str
    read_only: bool
    _http: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _users: list[tuple[str, str]] = field(repr=False, default_factory=list)
    seeded: int = 0  # files uploaded from the seed folder
    _stopped: bool = field(repr=False, default=False)

    def __repr__(self) -> str:
        return f"LocalServer(endpoint={self.endpoint!r}, read_only={self.read_only})"

    def environment(self) -> dict[str, str]:
        """The variables that point s3tools (and boto3, the aws CLI, R) at this server."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key}

    def export_lines(self) -> list[str]:
        """Shell lines to paste into another terminal."""
        return [*(f"export {name}={value}" for name, value in self.environment().items()),
                f"unset {' '.join(_CLEARED)}"]

    def r_lines(self) -> list[str]:
        """The same settings as R calls, one call per line."""
        values = ", ".join(f"{name} = {json.dumps(value)}"
                           for name, value in self.environment().items())
        cleared = ", ".join(json.dumps(name) for name in _CLEARED)
        return [f"Sys.setenv({values})", f"Sys.unsetenv(c({cleared}))"]

    def stop(self) -> None:
        """Stop listening, and forget the server's users (their keys work nowhere after)."""
        if self._stopped:
            return
        self._stopped = True
        self._http.shutdown()
        self._thread.join()
        self._http.server_close()
        _remove_users(self._users)
        _iam_checks(on=False)


def _listen(port: int) -> socket.socket:
    # Bound here, not by werkzeug, which exits the process when a port is taken.
    try:
        return socket.create_server((HOST, port))
    except OSError as error:
        raise OSError(error.errno, f"Port {port} on {HOST} is taken ({error.strerror}): "
                                   "pass --port with another number, or leave it out for a "
                                   "free one") from None


def _use(environment: dict[str, str]) -> None:
    """Point this process's s3tools at the server, as exporting the variables would."""
    config.set_variables(endpoint_url=environment["AWS_ENDPOINT_URL"], region=REGION,
                         access_key_id=environment["AWS_ACCESS_KEY_ID"],
                         secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
                         session_token="", profile="")
    transport.refresh()


def _iam() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    return iam_backends[DEFAULT_ACCOUNT_ID]["aws"]


def _add_user(role: str, policy: dict[str, Any]) -> tuple[str, str, str]:
    """A new IAM user of moto's with ``policy``: its name, access key and secret key.

    Made in this process (moto's IAM is not served): no request is answered
    before its checks are on.
    """
    iam = _iam()
    name = f"s3tools-{role}-{secrets.token_hex(4)}"
    iam.create_user(REGION, name)
    iam.put_user_policy(name, _POLICY_NAME, json.dumps(policy))
    key = iam.create_access_key(name)
    # moto's own secret comes from a random generator that can be seeded: a new one
    # from the system's source of secrets.
    key.secret_access_key = secrets.token_urlsafe(30)
    return name, key.access_key_id, key.secret_access_key


def _remove_users(users: list[tuple[str, str]]) -> None:
    iam = _iam()
    for name, access_key in users:
        iam.delete_access_key(access_key, name)
        iam.delete_user_policy(name, _POLICY_NAME)
        iam.delete_user(name)


def _iam_checks(on: bool) -> None:
    """moto checks every request's signature and its user's policy while a server runs."""
    from moto.core import enable_iam_authentication

    with _checks_lock:
        if on:
            _checks["servers"] += 1
            if _checks["servers"] == 1:
                _checks["switch"] = enable_iam_authentication()
                _checks["switch"].__enter__()
        else:
            _checks["servers"] -= 1
            if _checks["servers"] == 0:
                _checks.pop("switch").__exit__(None, None, None)


def _serve(listener: socket.socket, gate: Any) -> tuple[Any, threading.Thread]:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    host, port = listener.getsockname()[:2]
    http = make_server(host, port, gate, threaded=True, request_handler=MotoRequestHandler,
                       fd=listener.fileno())
    listener.close()  # werkzeug holds its own copy of the socket
    thread = threading.Thread(target=http.serve_forever, name="s3tools-serve", daemon=True)
    thread.start()
    return http, thread


def start(port: int = 0, bucket: str | None = None, seed: str | None = None,
          read_only: bool = False) -> LocalServer:
    """Start the server and point this process's s3tools at it.

    Args:
        port: the port on 127.0.0.1 (0: a free one, chosen by the system).
        bucket: a bucket to create.
        seed: a local folder whose files are uploaded into ``bucket``.
        read_only: hand out keys that may only list and read (writes are refused).

    Returns:
        The running server; call :meth:`LocalServer.stop` when done.

    Raises:
        OSError: the port is taken. NotFoundError: no such folder to seed from.
    """
    try:
        from moto.moto_server.werkzeug_app import create_backend_app
    except ImportError:
        raise errors.ConfigError("s3tools serve needs moto's server: pip install "
                                 "'moto[server]' (or 's3tools[serve]'; make venv has it)."
                                 ) from None

    from .cli import cp
    from .cli.common import UsageError
    from .serve_gate import Gate

    if seed is not None and bucket is None:
        raise UsageError("--seed needs --bucket NAME: the bucket to put the files in")
    listener = _listen(port)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    users: list[tuple[str, str]] = []
    _iam_checks(on=True)
    try:
        writer, access_key, secret_key = _add_user("writer", _EVERYTHING)
        users.append((writer, access_key))
        gate = Gate(create_backend_app("s3"))
        http, thread = _serve(listener, gate)
    except BaseException:
        listener.close()
        _remove_users(users)
        _iam_checks(on=False)
        raise
    server = LocalServer(f"http://{HOST}:{http.port}", access_key, secret_key, False, http,
                         thread, users)
    try:
        _use(server.environment())
        if bucket is not None:
            transport.request("create_bucket", bucket, writing=True, Bucket=bucket)
        if seed is not None:
            server.seeded = len(cp.copy(seed, f"s3://{bucket}/", recursive=True,
                                        overwrite=True, quiet=True))
        if read_only:
            gate.read_only = server.read_only = True
            reader, server.access_key, server.secret_key = _add_user("reader", READ_ONLY_POLICY)
            users.append((reader, server.access_key))
            _remove_users([users.pop(0)])  # the writer's keys were for the seed only
            _use(server.environment())
    except BaseException:
        server.stop()
        raise
    return server
