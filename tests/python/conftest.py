"""A real S3 server for the tests: moto's HTTP server on 127.0.0.1, one per session.

Every test starts from an empty server with one bucket, ``test-bucket``; the
bucket is seeded with a plain boto3 client, never with the code under test.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import boto3
import botocore.config
import pytest

# The fault tests upload in parts of 256 KiB (AWS and moto want 5 MiB but for the
# last): moto reads this when it is imported.
os.environ.setdefault("S3_UPLOAD_PART_MIN_SIZE", str(256 * 1024))
from moto.server import ThreadedMotoServer

import s3tools.transport

# The shared cases' helpers: one definition of the keys, IAM switch and read-only user.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cases"))
from case_support import ADMIN_KEY as ACCESS_KEY
from case_support import ADMIN_SECRET as SECRET_KEY
from case_support import BUCKET, create_read_only_user, set_auth

# S3TOOLS_TEST_SERVER=seaweedfs runs the suite against SeaweedFS (a second,
# independent S3 implementation) instead of moto.
SERVER = os.environ.get("S3TOOLS_TEST_SERVER", "moto")
ON_SEAWEEDFS = SERVER == "seaweedfs"
moto_only = pytest.mark.skipif(ON_SEAWEEDFS, reason="moto only: IAM users and its reset API")


@pytest.fixture(scope="session")
def endpoint():
    if ON_SEAWEEDFS:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
        import server as seaweedfs  # the harness the benchmark uses

        with seaweedfs.running(access_key=ACCESS_KEY, secret_key=SECRET_KEY) as running:
            yield running.endpoint
        return
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def moto_api(endpoint: str, action: str, body: dict | None = None) -> None:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(f"{endpoint}/moto-api/{action}", data=data, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(request).read()


def empty_server(endpoint: str) -> None:
    """Every bucket and object gone, multipart uploads included (moto: its reset API)."""
    if not ON_SEAWEEDFS:
        moto_api(endpoint, "reset")
        return
    client = admin_client(endpoint)
    for bucket in client.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"],
                                          UploadId=upload["UploadId"])
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)


@pytest.fixture(autouse=True)
def environment(endpoint, monkeypatch, tmp_path):
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN",
                 "S3TOOLS_PROXY", "S3TOOLS_MAX_CONCURRENCY", "http_proxy", "https_proxy",
                 "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    (tmp_path / "ram").mkdir()
    monkeypatch.setenv("S3TOOLS_RAM_DIR", str(tmp_path / "ram"))
    empty_server(endpoint)
    s3tools.transport.reset()
    yield
    s3tools.transport.reset()


def admin_client(endpoint: str):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(proxies={}, s3={"addressing_style": "path"},
                                      request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required"),
    )


@pytest.fixture
def seed(endpoint):
    """A plain boto3 client on the test server, with ``test-bucket`` created."""
    client = admin_client(endpoint)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def requests_sent():
    """The requests s3tools' client sends meanwhile (to show that something sent none)."""
    sent = []
    events = s3tools.transport.client().meta.events
    handler = lambda **kwargs: sent.append(kwargs.get("request"))
    events.register("before-send.s3", handler)
    yield sent
    events.unregister("before-send.s3", handler)


def put(seed, key: str, body: bytes | str, bucket: str = BUCKET) -> str:
    seed.put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)
    return f"{bucket}/{key}"


def put_many(seed, keys: list[str], body: bytes | str | None = None,
             bucket: str = BUCKET) -> list[str]:
    """Each key put with ``body`` (by default its own name), sixteen requests at a time: the
    tests of listings past 1,000 keys would otherwise spend most of their time seeding."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda key: put(seed, key, key if body is None else body, bucket),
                             keys))


def get(seed, key: str, bucket: str = BUCKET) -> bytes:
    return seed.get_object(Bucket=bucket, Key=key)["Body"].read()


def keys(seed, bucket: str = BUCKET) -> dict[str, bytes]:
    """Every object in a bucket with its contents: to show that a refused write changed nothing."""
    pages = seed.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    names = [item["Key"] for page in pages for item in page.get("Contents", [])]
    return {name: get(seed, name, bucket) for name in names}


@pytest.fixture
def read_only(endpoint, seed, monkeypatch):
    """An IAM user that may only read ``test-bucket``; returns ``switch_on()``.

    Seed with ``seed`` first, then call ``switch_on()``: s3tools then uses the
    user's keys and moto checks every request against IAM (the admin keys of
    ``seed`` no longer work). Afterwards moto's checks are off and it is reset.
    """
    if ON_SEAWEEDFS:
        pytest.skip("moto only: IAM users are simulated by moto")
    key = create_read_only_user(endpoint)

    def switch_on() -> None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        set_auth(endpoint, 0)

    try:
        yield switch_on
    finally:
        set_auth(endpoint, float("inf"))
        moto_api(endpoint, "reset")


def assert_same_frame(got, expected) -> None:
    """``assert_frame_equal``, with None and NaN both standing for "missing" in object columns.

    pandas' own CSV parser gives NaN for a gap in a column of objects, the
    pyarrow parser None; both are missing, at the same places, and every other
    value must be equal.
    """
    import pandas as pd

    def normal(frame):
        frame = frame.copy()
        for name in frame.columns:
            if frame[name].dtype == object:
                frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
        return frame

    pd.testing.assert_frame_equal(normal(got), normal(expected))


class Forwarder:
    """A TCP relay in front of the S3 server that counts the bytes sent back to clients.

    It sees every client's traffic (boto3, s3fs, obstore, pyarrow), so what a
    call really fetched can be measured. With ``cut_after`` set, it closes
    connections once that many bytes have gone back: a network that fails
    mid-transfer.
    """

    def __init__(self, upstream: str) -> None:
        import socket
        import threading
        from urllib.parse import urlparse

        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname, parsed.port)
        self.received = 0
        self.cut_after: int | None = None
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # so that stop() is seen soon
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: list = []
        self._stopped = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        import socket
        import threading

        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            server = socket.create_connection(self.upstream)
            self._open += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source, target, counted: bool) -> None:
        import socket

        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if counted:
                    with self._lock:
                        if self.cut_after is not None and self.received >= self.cut_after:
                            break
                        self.received += len(data)
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def reset(self) -> None:
        with self._lock:
            self.received = 0

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        for end in self._open:
            try:
                end.close()
            except OSError:
                pass
        self._thread.join(timeout=5)


@pytest.fixture
def forwarder(endpoint, monkeypatch):
    """s3tools (and pandas) talk to the server through a byte-counting :class:`Forwarder`."""
    relay = Forwarder(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)
    try:
        yield relay
    finally:
        relay.stop()


@pytest.fixture
def fault_proxy(endpoint, monkeypatch):
    """s3tools talks to the server through a :class:`faults.FaultProxy`, which records
    every request and breaks the ones its rules say."""
    from faults import FaultProxy

    relay = FaultProxy(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)
    try:
        yield relay
    finally:
        relay.stop()


PLANTED = ("planted-0", "planted-1", "planted-2")


def plant_links(monkeypatch, folder: Path, victim: Path, prefix: str = "",
                suffix: str = "") -> list[Path]:
    """Links to ``victim`` at the first names s3tools will try for a new file in ``folder``.

    Another local user cannot guess the random part of those names: here the
    test makes them known (the first tries are ``PLANTED``), plants a link at
    each, as that user would, and s3tools must go past all of them.
    """
    import itertools
    import secrets

    names = itertools.chain(PLANTED, iter(lambda: secrets.token_hex(8), None))
    monkeypatch.setattr("s3tools.localfiles._random_name", names.__next__)
    links = [folder / f"{prefix}{name}{suffix}" for name in PLANTED]
    for link in links:
        link.symlink_to(victim)
    return links


def untouched(victim: Path, contents: bytes, links: list[Path]) -> bool:
    """Whether the links planted at ``victim`` are still links there, and it still holds
    ``contents``."""
    return victim.read_bytes() == contents and all(
        link.is_symlink() and os.readlink(link) == str(victim) for link in links)


class PlantedTemporaryFolder:
    """What another user plants for ``read_using``/``write_using``: a link at the temporary
    folder ``s3tools-<uid>`` to a folder of theirs (mode 0777), and links to a file at the
    first names a file in the folder s3tools makes instead could take."""

    def __init__(self, monkeypatch, tmp_path: Path, suffix: str) -> None:
        from s3tools import tempfiles

        self.theirs = tmp_path / "theirs"
        self.theirs.mkdir()
        self.theirs.chmod(0o777)
        self.shared = Path(os.environ["S3TOOLS_RAM_DIR"]) / f"s3tools-{os.getuid()}"
        self.shared.symlink_to(self.theirs)
        self.victim = tmp_path / "victim.txt"
        self.victim.write_bytes(b"precious")
        self.folder = Path(tempfiles.temporary_folder())
        self.links = plant_links(monkeypatch, self.folder, self.victim, "tmp", suffix)

    def check(self, handed: str, real_path: str, was_link: bool) -> None:
        """``handed``, the path the user's function got, was a new file of s3tools' own, and
        nothing planted was written through or changed."""
        import stat

        assert real_path == handed and not was_link
        assert Path(handed).parent == self.folder != self.shared
        assert stat.S_IMODE(self.theirs.stat().st_mode) == 0o777
        assert list(self.theirs.iterdir()) == []
        assert untouched(self.victim, b"precious", self.links)
