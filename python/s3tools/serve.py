"""A local S3 server on 127.0.0.1, to try s3tools (R included) with no account: ``s3tools serve``.

moto's S3 server runs in this process, on a thread, listening on the loopback
address only. :func:`start` can create a bucket and fill it from a local
folder (through s3tools itself, as ``s3tools cp --recursive`` does), and can
make the keys it hands out read-only: an IAM user allowed to list and read,
with moto's IAM checks switched on, so every write is refused as it would be
on a read-only platform. The keys are for this throwaway server only.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from . import config, errors, transport

HOST = "127.0.0.1"
REGION = "us-east-1"
# moto accepts any keys until its IAM checks are on; these only name the local server's.
ACCESS_KEY = "s3tools-local"
SECRET_KEY = "s3tools-local-secret"
READ_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*",
                   "Action": ["s3:GetObject", "s3:ListBucket", "s3:ListAllMyBuckets",
                              "s3:GetBucketLocation"]}],
}


@dataclass
class LocalServer:
    """A running server: its endpoint, the keys to use it, and :meth:`stop`."""

    endpoint: str
    access_key: str
    secret_key: str
    read_only: bool
    _moto: Any = field(repr=False)
    seeded: int = 0  # files uploaded from the seed folder

    def __repr__(self) -> str:
        return f"LocalServer(endpoint={self.endpoint!r}, read_only={self.read_only})"

    def environment(self) -> dict[str, str]:
        """The variables that point s3tools (and boto3, the aws CLI, R) at this server."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key}

    def export_lines(self) -> list[str]:
        """Shell lines to paste into another terminal (R: the same in ``Sys.setenv()``)."""
        return [*(f"export {name}={value}" for name, value in self.environment().items()),
                "unset AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN AWS_PROFILE"]

    def stop(self) -> None:
        self._moto.stop()


def _check_port(port: int) -> None:
    # moto's server thread would wait forever on a port it cannot bind: ask first.
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise OSError(error.errno, f"Port {port} on {HOST} is taken ({error.strerror}): "
                                       "pass --port with another number (0 picks a free one)"
                          ) from None


def _use(environment: dict[str, str]) -> None:
    """Point this process's s3tools at the server, as exporting the variables would."""
    config.set_variables(endpoint_url=environment["AWS_ENDPOINT_URL"], region=REGION,
                         access_key_id=environment["AWS_ACCESS_KEY_ID"],
                         secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
                         session_token="", profile="")
    transport.refresh()


def _read_only_key(endpoint: str) -> dict[str, str]:
    """Create an IAM user that may only list and read, and switch moto's IAM checks on."""
    import boto3
    import botocore.config

    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION,
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                       config=botocore.config.Config(proxies={}))
    iam.create_user(UserName="reader")
    policy = iam.create_policy(PolicyName="read-only", PolicyDocument=json.dumps(READ_ONLY_POLICY))
    iam.attach_user_policy(UserName="reader", PolicyArn=policy["Policy"]["Arn"])
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0",
                                     method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request).read()
    return key


def start(port: int = 0, bucket: str | None = None, seed: str | None = None,
          read_only: bool = False) -> LocalServer:
    """Start the server and point this process's s3tools at it.

    Args:
        port: the port on 127.0.0.1 (0: a free one).
        bucket: a bucket to create.
        seed: a local folder whose files are uploaded into ``bucket``.
        read_only: hand out keys that may only list and read (writes are refused).

    Returns:
        The running server; call :meth:`LocalServer.stop` when done.

    Raises:
        OSError: the port is taken. NotFoundError: no such folder to seed from.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise errors.ConfigError("s3tools serve needs moto's server: pip install "
                                 "'moto[server]' (or 's3tools[serve]'; make venv has it)."
                                 ) from None

    from .cli import cp
    from .cli.common import UsageError

    if seed is not None and bucket is None:
        raise UsageError("--seed needs --bucket NAME: the bucket to put the files in")
    _check_port(port)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    moto = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    moto.start()
    host, bound = moto.get_host_and_port()
    server = LocalServer(f"http://{host}:{bound}", ACCESS_KEY, SECRET_KEY, False, moto)
    try:
        _use(server.environment())
        if bucket is not None:
            transport.request("create_bucket", bucket, writing=True, Bucket=bucket)
        if seed is not None:
            server.seeded = len(cp.copy(seed, f"s3://{bucket}/", recursive=True,
                                        overwrite=True, quiet=True))
        if read_only:
            key = _read_only_key(server.endpoint)
            server.access_key, server.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
            server.read_only = True
            _use(server.environment())
    except BaseException:
        moto.stop()
        raise
    return server
