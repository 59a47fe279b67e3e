"""``s3tools serve``: started as a user starts it, used by boto3 and s3tools, stopped by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import pytest

COMMAND = Path(sys.executable).with_name("s3tools")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Served:
    """A running ``s3tools serve`` subprocess and the variables it printed."""

    def __init__(self, *arguments: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(COMMAND), "serve", "--port", str(self.port), *arguments],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.environment: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"serve ended early: {self.process.stderr.read()}")
            self.lines.append(line.rstrip("\n"))
            if line.startswith("export "):
                name, _, value = line[len("export "):].strip().partition("=")
                self.environment[name] = value
            if line.startswith("unset "):
                return
        raise AssertionError("serve printed no variables within 60 s")

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.environment["AWS_ENDPOINT_URL"], region_name="us-east-1",
            aws_access_key_id=self.environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.environment["AWS_SECRET_ACCESS_KEY"],
            config=botocore.config.Config(proxies={}))

    def s3tools(self, *arguments: str) -> subprocess.CompletedProcess:
        environment = {name: value for name, value in os.environ.items()
                       if name not in ("AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE")}
        return subprocess.run([str(COMMAND), *arguments], check=False, capture_output=True,
                              text=True, timeout=120, env={**environment, **self.environment})

    def stop(self, how: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, how)
        try:
            return self.process.wait(timeout=90)  # a loaded machine is slow to stop threads
        except subprocess.TimeoutExpired:
            self.process.kill()  # the test fails, and leaves no server behind
            self.process.wait()
            raise
        finally:
            self.process.stdout.close()
            self.process.stderr.close()


@pytest.fixture
def seed_folder(tmp_path):
    folder = tmp_path / "seed"
    (folder / "cohort").mkdir(parents=True)
    (folder / "cohort" / "patients.csv").write_text("id,site\n1,Leith\n2,Govan\n")
    (folder / "notes.txt").write_text("hello\n")
    return folder


def test_serve_seeds_a_bucket_that_boto3_and_s3tools_use_then_stops_by_pid(seed_folder):
    served = Served("--seed", str(seed_folder), "--bucket", "Request4_CT")
    try:
        assert served.environment["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{served.port}"
        assert set(served.environment) == {"AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION",
                                           "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        assert "# Bucket Request4_CT, 2 files" in "\n".join(served.lines)
        client = served.client()
        listed = client.list_objects_v2(Bucket="Request4_CT")
        assert sorted(item["Key"] for item in listed["Contents"]) == ["cohort/patients.csv",
                                                                     "notes.txt"]
        body = client.get_object(Bucket="Request4_CT", Key="cohort/patients.csv")["Body"].read()
        assert body == b"id,site\n1,Leith\n2,Govan\n"

        head = served.s3tools("head", "s3://Request4_CT/cohort/patients.csv")
        assert head.returncode == 0, head.stderr
        assert head.stdout.split() == ["id", "site", "1", "Leith", "2", "Govan"]
        assert served.s3tools("cp", str(seed_folder / "notes.txt"),
                              "s3://Request4_CT/copy.txt").returncode == 0
        assert client.get_object(Bucket="Request4_CT", Key="copy.txt")["Body"].read() == \
            b"hello\n"
    finally:
        code = served.stop()
    assert code == 0
    assert not listening(served.port)


def test_serve_read_only_refuses_writes_and_stops_on_ctrl_c(seed_folder):
    served = Served("--seed", str(seed_folder), "--bucket", "safe-haven", "--read-only")
    try:
        assert "read-only keys" in served.lines[0]
        client = served.client()
        assert client.get_object(Bucket="safe-haven", Key="notes.txt")["Body"].read() == \
            b"hello\n"
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            client.put_object(Bucket="safe-haven", Key="new.txt", Body=b"x")
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        listing = served.s3tools("ls", "s3://safe-haven/")
        assert listing.returncode == 0 and "notes.txt" in listing.stdout
        write = served.s3tools("cp", str(seed_folder / "notes.txt"), "s3://safe-haven/new.txt")
        assert write.returncode == 4, write.stderr
        assert "read-write" in write.stderr and "Traceback" not in write.stderr
    finally:
        code = served.stop(signal.SIGINT)
    assert code == 0
    assert not listening(served.port)


def test_a_taken_port_is_a_one_line_error_not_a_hang():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([str(COMMAND), "serve", "--port", str(port)],
                                check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert f"Port {port}" in result.stderr and "--port" in result.stderr


def test_seed_needs_a_bucket(seed_folder):
    result = subprocess.run([str(COMMAND), "serve", "--port", "0", "--seed", str(seed_folder)],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--bucket" in result.stderr
