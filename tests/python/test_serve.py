"""``s3tools serve``: started as a user starts it, used by boto3 and s3tools, stopped by PID.

It must be safe to leave running on a shared machine: every probe below is
what another local user, or a web page the user visits, could send.
"""

from __future__ import annotations

import os
import re
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
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

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

    def __init__(self, *arguments: str, port: int | None = None) -> None:
        chosen = [] if port is None else ["--port", str(port)]
        self.process = subprocess.Popen(
            [str(COMMAND), "serve", *chosen, *arguments],
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
                self.endpoint = self.environment["AWS_ENDPOINT_URL"]
                self.port = int(self.endpoint.rsplit(":", 1)[1])
            if line.startswith("Sys.unsetenv("):  # the R lines come last
                return
        raise AssertionError("serve printed no variables within 60 s")

    def client(self, service: str = "s3", secret_key: str | None = None):
        return boto3.client(
            service, endpoint_url=self.environment["AWS_ENDPOINT_URL"], region_name="us-east-1",
            aws_access_key_id=self.environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=secret_key or self.environment["AWS_SECRET_ACCESS_KEY"],
            config=botocore.config.Config(proxies={}, retries={"total_max_attempts": 1}))

    def signed_headers(self, method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` and a valid SigV4 signature of the request with the printed keys."""
        request = AWSRequest(method, url, headers=headers)
        keys = Credentials(self.environment["AWS_ACCESS_KEY_ID"],
                           self.environment["AWS_SECRET_ACCESS_KEY"])
        S3SigV4Auth(keys, "s3", "us-east-1").add_auth(request)
        return dict(request.headers)

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
        # No --port: a free port of the system's choosing, printed, not a fixed one.
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", served.endpoint)
        assert served.port != 9000 and listening(served.port)
        assert set(served.environment) == {"AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION",
                                           "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        assert "# Bucket Request4_CT, 2 files" in "\n".join(served.lines)
        # The keys are made at this start, not a fixed pair anyone could read in the docs.
        assert served.environment["AWS_SECRET_ACCESS_KEY"] != "s3tools-local-secret"
        assert len(served.environment["AWS_SECRET_ACCESS_KEY"]) >= 40
        client = served.client()
        listed = client.list_objects_v2(Bucket="Request4_CT")
        assert sorted(item["Key"] for item in listed["Contents"]) == ["cohort/patients.csv",
                                                                     "notes.txt"]
        body = client.get_object(Bucket="Request4_CT", Key="cohort/patients.csv")["Body"].read()
        assert body == b"id,site\n1,Leith\n2,Govan\n"
        # Metadata names with an underscore are signed headers too.
        client.put_object(Bucket="Request4_CT", Key="tagged.txt", Body=b"x",
                          Metadata={"site_code": "GGC"})
        assert client.head_object(Bucket="Request4_CT", Key="tagged.txt")["Metadata"] == \
            {"site_code": "GGC"}

        # The R lines set the same values as the shell lines, and clear the same names.
        r_lines = [line for line in served.lines if line.startswith("Sys.")]
        assert len(r_lines) == 2
        shown = subprocess.run(
            ["Rscript", "-e", "\n".join([*r_lines, 'cat(Sys.getenv(c("AWS_ENDPOINT_URL", '
                                         '"AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", '
                                         '"AWS_SECRET_ACCESS_KEY", "AWS_PROFILE")), sep = "\\n")'])],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "AWS_PROFILE": "someone-else"}, check=True)
        assert shown.stdout.split("\n")[:5] == [
            served.environment[name] for name in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION",
                                                  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        ] + [""]

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
    port = free_port()
    served = Served("--seed", str(seed_folder), "--bucket", "safe-haven", "--read-only",
                    port=port)
    try:
        assert served.endpoint == f"http://127.0.0.1:{port}"
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


# ------------------------------------------------------------- safe to leave running

def web() -> requests.Session:
    """A plain HTTP client, as another local user or a browser would have (no keys)."""
    session = requests.Session()
    session.trust_env = False  # no proxy: the server is on the loopback address
    return session


def refused(answer: requests.Response) -> bool:
    return answer.status_code == 403 and b"AccessDenied" in answer.content


@pytest.fixture
def served(seed_folder):
    running = Served("--seed", str(seed_folder), "--bucket", "shared-data")
    yield running
    running.stop()


def test_serve_answers_no_unsigned_request(served):
    url = f"{served.endpoint}/shared-data/notes.txt"
    assert served.client().get_object(Bucket="shared-data", Key="notes.txt")["Body"].read() \
        == b"hello\n"
    anonymous = web()
    for answer in (anonymous.get(url), anonymous.get(f"{served.endpoint}/shared-data"),
                   anonymous.get(f"{served.endpoint}/shared-data?list-type=2"),
                   anonymous.get(f"{served.endpoint}/")):
        assert refused(answer), (answer.status_code, answer.text[:200])
        assert b"hello" not in answer.content and b"notes.txt" not in answer.content
    # A presigned URL whose signature was made with a wrong secret key.
    bogus = served.client(secret_key="not-the-secret-key").generate_presigned_url(
        "get_object", Params={"Bucket": "shared-data", "Key": "notes.txt"})
    assert refused(anonymous.get(bogus))
    # The same in the Authorization header: moto's IAM checks refuse it.
    with pytest.raises(botocore.exceptions.ClientError) as wrong:
        served.client(secret_key="not-the-secret-key").get_object(Bucket="shared-data",
                                                                  Key="notes.txt")
    assert wrong.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_serve_refuses_form_uploads_and_anonymous_deletes(served):
    anonymous = web()
    form = anonymous.post(f"{served.endpoint}/shared-data",
                          files={"key": (None, "planted.txt"), "file": ("x", b"planted")})
    assert refused(form)
    delete = anonymous.post(f"{served.endpoint}/shared-data?delete",
                            data=b"<Delete><Object><Key>notes.txt</Key></Object></Delete>",
                            headers={"Content-Type": "application/xml"})
    assert refused(delete)
    assert refused(anonymous.put(f"{served.endpoint}/shared-data/planted.txt", data=b"x"))
    assert refused(anonymous.delete(f"{served.endpoint}/shared-data/notes.txt"))
    # A signed form upload is refused too: the gate takes no browser forms at all.
    url = f"{served.endpoint}/shared-data"
    body = b"--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nplanted.txt\r\n--b--\r\n"
    headers = served.signed_headers("POST", url,
                                    {"Content-Type": "multipart/form-data; boundary=b"})
    assert refused(anonymous.post(url, data=body, headers=headers))
    listed = served.client().list_objects_v2(Bucket="shared-data")
    assert sorted(item["Key"] for item in listed["Contents"]) == ["cohort/patients.csv",
                                                                 "notes.txt"]


def test_serve_gives_no_other_origin_access(served):
    client = served.client()
    # Even a bucket CORS rule that allows every origin gives a page nothing.
    client.put_bucket_cors(Bucket="shared-data", CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT", "POST", "DELETE"]}]})
    url = f"{served.endpoint}/shared-data/notes.txt"
    origin = {"Origin": "http://evil.example"}
    preflight = web().options(url, headers={**origin, "Access-Control-Request-Method": "PUT"})
    signed = web().get(url, headers=served.signed_headers("GET", url, origin))
    anonymous = web().get(url, headers=origin)
    assert refused(preflight) and refused(anonymous)
    assert signed.status_code == 200 and signed.content == b"hello\n"
    for answer in (preflight, signed, anonymous):
        assert not [name for name in answer.headers if name.lower().startswith("access-control")]


def test_serve_hides_motos_management_api(served):
    anonymous = web()
    state = anonymous.get(f"{served.endpoint}/moto-api/data.json")
    assert refused(state)
    assert served.environment["AWS_SECRET_ACCESS_KEY"].encode() not in state.content
    for action in ("reset-auth", "reset"):
        assert refused(anonymous.post(f"{served.endpoint}/moto-api/{action}", data=b"inf"))
    # Authentication is still on, and nothing was reset.
    assert refused(anonymous.get(f"{served.endpoint}/shared-data/notes.txt"))
    assert served.client().head_object(Bucket="shared-data", Key="notes.txt")
    # moto's other services are not served either, to a signed request.
    with pytest.raises(botocore.exceptions.ClientError):
        served.client("iam").list_users()


def test_serve_read_only_refuses_every_kind_of_write(seed_folder):
    served = Served("--seed", str(seed_folder), "--bucket", "safe-haven", "--read-only")
    try:
        client = served.client()
        attempts = {
            "PUT": lambda: client.put_object(Bucket="safe-haven", Key="new.txt", Body=b"x"),
            "DELETE": lambda: client.delete_object(Bucket="safe-haven", Key="notes.txt"),
            "POST ?delete": lambda: client.delete_objects(
                Bucket="safe-haven", Delete={"Objects": [{"Key": "notes.txt"}]}),
            "multipart": lambda: client.create_multipart_upload(Bucket="safe-haven",
                                                                Key="big.bin"),
            "part": lambda: client.upload_part(Bucket="safe-haven", Key="big.bin",
                                               UploadId="x", PartNumber=1, Body=b"x"),
            "copy": lambda: client.copy_object(
                Bucket="safe-haven", Key="copy.txt",
                CopySource={"Bucket": "safe-haven", "Key": "notes.txt"}),
            "acl": lambda: client.put_object_acl(Bucket="safe-haven", Key="notes.txt",
                                                 ACL="public-read"),
            "bucket": lambda: client.create_bucket(Bucket="another-bucket"),
            "delete bucket": lambda: client.delete_bucket(Bucket="safe-haven"),
        }
        for name, attempt in attempts.items():
            with pytest.raises(botocore.exceptions.ClientError) as denied:
                attempt()
            assert denied.value.response["Error"]["Code"] == "AccessDenied", name
        # Switching moto's checks off is refused, so the keys stay read-only.
        assert refused(web().post(f"{served.endpoint}/moto-api/reset-auth", data=b"inf"))
        with pytest.raises(botocore.exceptions.ClientError):
            client.put_object(Bucket="safe-haven", Key="new.txt", Body=b"x")
        listed = client.list_objects_v2(Bucket="safe-haven")
        assert sorted(item["Key"] for item in listed["Contents"]) == ["cohort/patients.csv",
                                                                     "notes.txt"]
        assert client.get_object(Bucket="safe-haven", Key="notes.txt")["Body"].read() == \
            b"hello\n"
    finally:
        served.stop()
