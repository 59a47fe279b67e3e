"""transport under faults: every operation x every fault kind, through a fault-injecting proxy.

Transient faults must end with exactly the right data (compared by hash);
persistent ones with the s3tools error naming the endpoint, within a bounded
time, leaving no partial local file, no object and no unaborted multipart
upload. Requests are counted at the proxy, at the wire.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BUCKET, ON_SEAWEEDFS, get, keys, put
from faults import FaultProxy, listing_page, object_get, upload_part

import s3tools
from s3tools import csvparts, listing, transport
from s3tools.transport import sizes, uploads

# Small parts, so that a few hundred kilobytes make a multi-part transfer.
READ_PART = 64 * 1024
# moto is told to accept parts of 256 KiB (conftest); SeaweedFS, like AWS, wants 5 MiB.
UPLOAD_PART = 5 * 1024 * 1024 if ON_SEAWEEDFS else 256 * 1024
# A hang detector, not a speed target: a persistent fault must end in an error.
BOUND_SECONDS = 30


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frame_digest(frame: pd.DataFrame) -> str:
    return digest(frame.to_csv(index=False).encode())


def sample_frame(rows: int = 20_000, shift: int = 0) -> pd.DataFrame:
    generator = np.random.default_rng(7 + shift)
    return pd.DataFrame({
        "id": np.arange(rows) + shift,
        "value": generator.normal(size=rows).round(6),
        "label": [f"name-{i % 97}-{shift}" for i in range(rows)],
    })


def random_bytes(size: int, seed: int = 1) -> bytes:
    return np.random.default_rng(seed).bytes(size)


# Object bytes come through obstore (the default) or botocore: both face every fault.
# On SeaweedFS the default alone, to keep make test short.
GET_CLIENTS = ["obstore"] if ON_SEAWEEDFS else ["obstore", "botocore"]


@pytest.fixture(params=GET_CLIENTS)
def proxy(request, endpoint, monkeypatch):
    """s3tools talks to the test server through a :class:`FaultProxy`, in small parts."""
    monkeypatch.setenv("S3TOOLS_GET_CLIENT", request.param)
    relay = FaultProxy(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)
    # Generous, so that a busy machine never adds a retry the test did not ask for;
    # the stall cases shorten it (stalling()).
    monkeypatch.setenv("S3TOOLS_READ_TIMEOUT", "5")
    monkeypatch.setenv("S3TOOLS_MAX_ATTEMPTS", "3")
    monkeypatch.setattr(sizes, "PART_SIZE", READ_PART)
    monkeypatch.setattr(sizes, "PIECE_SIZE", READ_PART)
    monkeypatch.setattr(sizes, "CHUNK", 16 * 1024)  # bodies in chunks: resumed where cut
    monkeypatch.setattr(uploads, "UPLOAD_PART_SIZE", UPLOAD_PART)
    monkeypatch.setattr(uploads, "MULTIPART_THRESHOLD", UPLOAD_PART)
    monkeypatch.setattr(listing, "PAGE_SIZE", 10)
    try:
        yield relay
    finally:
        relay.stop()


# ------------------------------------------------------------- operations

@dataclass
class Operation:
    """One thing a user does: how to seed it, run it, and what the right answer is."""

    seed: Callable[[object], str]  # seeds the server, returns the expected digest
    run: Callable[[object], str]  # runs through s3tools (given tmp_path), returns a digest
    matches: Callable[[str, str], bool]  # the requests its faults hit
    writes: bool = False
    parts: bool = True  # reads in several GETs (the object may be replaced between them)
    replace: Callable[[object], str] | None = None  # replaces the object, returns new digest
    # Version k of the object, as a writer of its kind would make it.
    variant: Callable[[int], bytes] = lambda k: random_bytes(20 * READ_PART, seed=k)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, row_group_size=5_000)
    return buffer.getvalue()


def _seeded(key: str, data: bytes, result: str) -> Callable[[object], str]:
    def seed_it(client) -> str:
        put(client, key, data)
        return result
    return seed_it


def _replacer(key: str, data: bytes, result: str) -> Callable[[object], str]:
    def replace(client, data: bytes = data) -> str:
        put(client, key, data)
        return result
    return replace


SMALL = random_bytes(10_000)
BIG = random_bytes(20 * READ_PART + 123)
BIG_NEW = random_bytes(20 * READ_PART + 123, seed=2)
FRAME, FRAME_NEW = sample_frame(), sample_frame(shift=1)
UPLOADED = random_bytes(2 * UPLOAD_PART + 123, seed=3)
UPLOADED_FRAME = sample_frame(rows=3 * UPLOAD_PART // 25, shift=2)  # about 3 parts of CSV
MANY = {f"many/{index}.bin": random_bytes(3_000, seed=10 + index) for index in range(5)}


def _download(tmp_path) -> str:
    target = tmp_path / "local" / "big.bin"
    s3tools.download_file_from_s3(f"{BUCKET}/big.bin", str(target))
    return digest(target.read_bytes())


def _seed_many(client) -> str:
    for key, data in MANY.items():
        put(client, key, data)
    return digest(b"".join(MANY.values()))


def _seed_listing(client) -> str:
    names = [f"list/{index:03d}.txt" for index in range(25)]
    for name in names:
        put(client, name, "x")
    return digest("\n".join(f"{BUCKET}/{name}" for name in names).encode())


def _upload(tmp_path) -> str:
    local = tmp_path / "upload.bin"
    local.write_bytes(UPLOADED)
    s3tools.write_file_to_s3(str(local), f"{BUCKET}/up/big.bin")
    return "done"


OPERATIONS: dict[str, Operation] = {
    "read_file_small": Operation(
        _seeded("small.bin", SMALL, digest(SMALL)),
        lambda tmp: digest(s3tools.read_file_from_s3(f"{BUCKET}/small.bin")),
        object_get, parts=False),
    "read_file_multipart": Operation(
        _seeded("big.bin", BIG, digest(BIG)),
        lambda tmp: digest(s3tools.read_file_from_s3(f"{BUCKET}/big.bin")),
        object_get, replace=_replacer("big.bin", BIG_NEW, digest(BIG_NEW))),
    "read_files": Operation(
        _seed_many,
        lambda tmp: digest(b"".join(s3tools.read_files_from_s3(f"{BUCKET}/many/").values())),
        object_get, parts=False),
    "csv_to_df": Operation(  # one GET, its body followed
        _seeded("frame.csv", _csv_bytes(FRAME), frame_digest(FRAME)),
        lambda tmp: frame_digest(s3tools.s3_path_to_df(f"{BUCKET}/frame.csv")),
        object_get, parts=False,
        replace=_replacer("frame.csv", _csv_bytes(FRAME_NEW), frame_digest(FRAME_NEW)),
        variant=lambda k: _csv_bytes(sample_frame(shift=k))),
    "parquet_to_df": Operation(
        _seeded("frame.parquet", _parquet_bytes(FRAME), frame_digest(FRAME)),
        lambda tmp: frame_digest(s3tools.s3_path_to_df(f"{BUCKET}/frame.parquet")),
        object_get,
        replace=_replacer("frame.parquet", _parquet_bytes(FRAME_NEW),
                          frame_digest(FRAME_NEW)),
        variant=lambda k: _parquet_bytes(sample_frame(shift=k))),
    "preview": Operation(
        _seeded("frame.csv", _csv_bytes(FRAME), frame_digest(FRAME.head(5))),
        lambda tmp: frame_digest(s3tools.s3_path_to_preview_df(f"{BUCKET}/frame.csv")),
        object_get, parts=False),
    "download": Operation(
        _seeded("big.bin", BIG, digest(BIG)), _download, object_get,
        replace=_replacer("big.bin", BIG_NEW, digest(BIG_NEW))),
    "listing": Operation(
        _seed_listing,
        lambda tmp: digest("\n".join(s3tools.list_files_in_buckets(
            BUCKET, prefix="list/", path_only=True)).encode()),
        listing_page, parts=False),
    "write_file_multipart": Operation(
        lambda client: "done", _upload, upload_part, writes=True, parts=False),
    "write_df_to_csv": Operation(
        lambda client: "done",
        lambda tmp: s3tools.write_df_to_csv_in_s3(UPLOADED_FRAME, f"{BUCKET}/up/frame.csv")
        and "done",
        upload_part, writes=True, parts=False),
}

WRITTEN = {"write_file_multipart": ("up/big.bin", UPLOADED),
           "write_df_to_csv": ("up/frame.csv", _csv_bytes(UPLOADED_FRAME))}


# ----------------------------------------------------------------- faults

TRANSIENT = {
    "reset_once": {"fault": "reset", "times": 1},
    "cut_once": {"fault": "cut", "times": 1},
    "stall_once": {"fault": "stall", "times": 1},
    "errors_twice": {"fault": "status", "times": 2, "status": 503},
    "upload_cut_mid_part_once": {"fault": "cut_request", "times": 1},
}
PERSISTENT = {
    "reset_always": {"fault": "reset", "times": None},
    "cut_always": {"fault": "cut", "times": None},
    "stall_always": {"fault": "stall", "times": None},
    "error_500_always": {"fault": "status", "times": None, "status": 500},
    "upload_cut_mid_part_always": {"fault": "cut_request", "times": None},
}


def stalling(fault: str, monkeypatch) -> None:
    """A stalled body is given up after half a second (the proxy stalls for 3)."""
    if fault.startswith("stall"):
        monkeypatch.setenv("S3TOOLS_READ_TIMEOUT", "0.5")


def _applies(fault: str, operation: Operation) -> bool:
    return fault.startswith("upload_") == operation.writes or fault.startswith(("errors", "error_"))


def _cases(faults: dict) -> list:
    return [pytest.param(op, fault, id=f"{op}-{fault}") for op in OPERATIONS for fault in faults
            if _applies(fault, OPERATIONS[op])]


def _assert_nothing_left(seed, name: str, tmp_path) -> None:
    """No partial local file, no object from a failed write, no multipart upload left open."""
    local = tmp_path / "local"
    if local.exists():
        assert list(local.iterdir()) == [], "a partial local file was left"
    if name in WRITTEN:
        assert WRITTEN[name][0] not in keys(seed)
    uploads_left = seed.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert uploads_left == [], f"multipart uploads left open: {uploads_left}"


@pytest.mark.parametrize(("name", "fault"), _cases(TRANSIENT))
def test_transient_faults_end_with_the_right_data(name, fault, proxy, seed, tmp_path,
                                                  monkeypatch):
    stalling(fault, monkeypatch)
    operation = OPERATIONS[name]
    expected = operation.seed(seed)
    rule = proxy.add(matches=operation.matches, **TRANSIENT[fault])
    started = time.monotonic()
    assert operation.run(tmp_path) == expected
    assert time.monotonic() - started < BOUND_SECONDS
    assert rule.hits >= 1, "the fault was never injected"
    if name in WRITTEN:
        key, data = WRITTEN[name]
        assert digest(get(seed, key)) == digest(data)
    _assert_nothing_left(seed, "", tmp_path / "nothing")


@pytest.mark.parametrize(("name", "fault"), _cases(PERSISTENT))
def test_persistent_faults_fail_clearly_and_leave_nothing(name, fault, proxy, seed, tmp_path,
                                                          monkeypatch):
    stalling(fault, monkeypatch)
    operation = OPERATIONS[name]
    operation.seed(seed)
    rule = proxy.add(matches=operation.matches, **PERSISTENT[fault])
    started = time.monotonic()
    with pytest.raises(s3tools.S3ConnectionError) as caught:
        operation.run(tmp_path)
    assert time.monotonic() - started < BOUND_SECONDS
    assert rule.hits >= 1
    assert proxy.url in str(caught.value)
    assert "Traceback" not in str(caught.value)
    _assert_nothing_left(seed, name, tmp_path)


@pytest.mark.parametrize("name", [name for name, op in OPERATIONS.items() if op.replace])
def test_an_object_replaced_mid_read_is_read_again_whole(name, proxy, seed, tmp_path,
                                                          monkeypatch):
    # One request at a time: moto fails a GET of an object replaced under it.
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "1")
    monkeypatch.setattr(csvparts, "PART", 64 * 1024)  # a CSV parsed in several parts
    operation = OPERATIONS[name]
    operation.seed(seed)
    expected_new = {}

    def replace() -> None:
        expected_new["digest"] = operation.replace(seed)

    # Replaced once the first GET was answered, whose body then breaks off: a read in one
    # GET meets the change as one in several does, where it asks for the rest.
    proxy.add("cut", object_get, times=1, action=replace)
    got = operation.run(tmp_path)
    assert got == expected_new["digest"]  # the new version, whole: never a mix


@pytest.mark.parametrize("name", [name for name, op in OPERATIONS.items()
                                  if op.replace and op.parts])
def test_an_object_that_keeps_changing_is_refused(name, proxy, seed, tmp_path, monkeypatch):
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "1")
    monkeypatch.setattr(csvparts, "PART", 64 * 1024)
    operation = OPERATIONS[name]
    operation.seed(seed)
    versions = iter(range(1000))

    def replace() -> None:
        operation.replace(seed, operation.variant(100 + next(versions)))

    proxy.add("after", object_get, times=None, action=replace)
    with pytest.raises(s3tools.ObjectChangedError, match="replaced while it was being read"):
        operation.run(tmp_path)
    _assert_nothing_left(seed, name, tmp_path)


def test_a_csv_is_read_in_one_get_whose_body_is_followed(proxy, seed, monkeypatch):
    monkeypatch.setattr(csvparts, "PART", 64 * 1024)  # parsed in several parts
    expected = OPERATIONS["csv_to_df"].seed(seed)
    assert OPERATIONS["csv_to_df"].run(None) == expected
    gets = [request for request in proxy.requests if request[:2] == ("GET", f"/{BUCKET}/frame.csv")]
    assert len(gets) == 1, gets


def test_a_csv_replaced_whenever_its_body_breaks_is_refused(proxy, seed, monkeypatch):
    # Read in one GET: the rest of a body cut short is asked for pinned to its version,
    # which is gone each time; the read starts again, and gives up.
    monkeypatch.setattr(csvparts, "PART", 64 * 1024)
    operation = OPERATIONS["csv_to_df"]
    operation.seed(seed)
    versions = iter(range(1000))
    proxy.add("cut", object_get, times=None,
              action=lambda: operation.replace(seed, operation.variant(100 + next(versions))))
    with pytest.raises(s3tools.ObjectChangedError, match="replaced while it was being read"):
        operation.run(None)


def test_a_dead_endpoint_is_a_connection_error_naming_it(seed, monkeypatch, tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    monkeypatch.setenv("S3TOOLS_MAX_ATTEMPTS", "2")
    for name in ("read_file_small", "csv_to_df", "listing", "write_df_to_csv", "download"):
        started = time.monotonic()
        with pytest.raises(s3tools.S3ConnectionError, match=dead):
            OPERATIONS[name].run(tmp_path)
        assert time.monotonic() - started < BOUND_SECONDS
    assert not (tmp_path / "local").exists() or list((tmp_path / "local").iterdir()) == []


# ------------------------------------------------- one request per failure

READS_OF_A_KEY: dict[str, Callable[[str, object], object]] = {
    "read_file_from_s3": lambda p, tmp: s3tools.read_file_from_s3(p),
    "s3_path_to_df csv": lambda p, tmp: s3tools.s3_path_to_df(p + ".csv"),
    "s3_path_to_df parquet": lambda p, tmp: s3tools.s3_path_to_df(p + ".parquet"),
    "s3_path_to_df xlsx": lambda p, tmp: s3tools.s3_path_to_df(p + ".xlsx"),
    "preview csv": lambda p, tmp: s3tools.s3_path_to_preview_df(p + ".csv"),
    "preview parquet": lambda p, tmp: s3tools.s3_path_to_preview_df(p + ".parquet"),
    "download": lambda p, tmp: s3tools.download_file_from_s3(p, str(tmp / "local" / "x")),
    "read_using": lambda p, tmp: s3tools.read_using(lambda path: path, p + ".csv"),
    "s3_file_exists": lambda p, tmp: s3tools.s3_file_exists(p),
}


@pytest.mark.parametrize("name", sorted(READS_OF_A_KEY))
def test_a_read_of_a_missing_object_is_exactly_one_request(name, proxy, seed, tmp_path):
    call = READS_OF_A_KEY[name]
    if name == "s3_file_exists":
        assert call(f"{BUCKET}/missing", tmp_path) is False
    else:
        with pytest.raises(s3tools.NotFoundError):
            call(f"{BUCKET}/missing", tmp_path)
    assert proxy.count() == 1, proxy.requests


@pytest.mark.parametrize("name", sorted(READS_OF_A_KEY))
def test_a_denied_read_is_exactly_one_request(name, proxy, seed, read_only, tmp_path):
    seed.create_bucket(Bucket="other-bucket")
    for suffix in ("", ".csv", ".parquet", ".xlsx"):
        put(seed, f"secret{suffix}", "a\n1\n", bucket="other-bucket")
    read_only()
    with pytest.raises(s3tools.AccessDeniedError):
        READS_OF_A_KEY[name]("other-bucket/secret", tmp_path)
    assert proxy.count() == 1, proxy.requests


def test_a_refused_overwrite_sends_no_data(proxy, seed, tmp_path):
    put(seed, "kept.csv", "a\n1\n")
    with pytest.raises(s3tools.AlreadyExistsError):
        s3tools.write_df_to_csv_in_s3(FRAME, f"{BUCKET}/kept.csv")
    assert [method for method, _, _ in proxy.requests] == ["HEAD"]
    assert get(seed, "kept.csv") == b"a\n1\n"


def test_the_write_itself_is_conditional(proxy, seed, monkeypatch):
    """A key that appears between the check and the write is not replaced (If-None-Match)."""
    monkeypatch.setattr(s3tools.write, "refuse_existing", lambda path, overwrite: None)
    put(seed, "raced.csv", "first writer\n")
    with pytest.raises(s3tools.AlreadyExistsError):
        s3tools.write_df_to_csv_in_s3(pd.DataFrame({"a": [1]}), f"{BUCKET}/raced.csv")
    with pytest.raises(s3tools.AlreadyExistsError):
        s3tools.write_df_to_csv_in_s3(FRAME, f"{BUCKET}/raced.csv")  # multipart
    assert get(seed, "raced.csv") == b"first writer\n"
    assert seed.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    s3tools.write_df_to_csv_in_s3(pd.DataFrame({"a": [1]}), f"{BUCKET}/raced.csv",
                                  overwrite=True)
    assert get(seed, "raced.csv") == b"a\n1\n"


def test_an_interrupted_upload_is_aborted(proxy, seed):
    """KeyboardInterrupt while the data is being produced: the multipart upload is aborted."""
    def interrupted(frame, sink, **options):
        sink.write(b"x" * (3 * UPLOAD_PART))
        raise KeyboardInterrupt

    upload = transport.Upload(s3tools.paths.parse_file(f"{BUCKET}/up/cut.csv"), overwrite=False)
    with pytest.raises(KeyboardInterrupt), upload:
        interrupted(FRAME, upload)
    assert "up/cut.csv" not in keys(seed)
    assert seed.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert any(method == "DELETE" for method, _, _ in proxy.requests)


# ------------------------------------------------------------- streamed reads

@pytest.mark.parametrize("name", ["s3_path_to_df csv", "download", "cat"])
def test_an_object_of_one_part_is_one_request(name, proxy, seed, tmp_path, monkeypatch):
    # Larger than the first GET of a stream once was (1 MiB), smaller than a part.
    monkeypatch.setattr(sizes, "PART_SIZE", 4 * 1024 * 1024)
    data = sample_frame(rows=80_000).to_csv(index=False).encode()
    assert 1024 * 1024 < len(data) < 4 * 1024 * 1024
    put(seed, "one-part.csv", data)
    path = f"{BUCKET}/one-part.csv"
    if name == "s3_path_to_df csv":
        assert frame_digest(s3tools.s3_path_to_df(path)) == \
            frame_digest(pd.read_csv(io.BytesIO(data)))
    elif name == "download":
        local = s3tools.download_file_from_s3(path, str(tmp_path / "one-part.csv"))
        assert Path(local).read_bytes() == data
    else:
        with transport.open_stream(s3tools.paths.parse_file(path)) as stream:
            assert stream.read() == data
    assert proxy.count() == 1, proxy.requests


def test_a_stream_hands_out_the_first_bytes_of_a_part_still_arriving(proxy, seed, monkeypatch):
    # Parts of 4 MiB; the proxy sends half of the first and holds the rest until the test
    # releases it, which it does only once the first bytes have been handed out.
    monkeypatch.setattr(sizes, "PART_SIZE", 4 * 1024 * 1024)
    data = random_bytes(3 * 1024 * 1024)
    put(seed, "arriving.bin", data)
    held = proxy.add("pause", object_get)
    with transport.open_stream(s3tools.paths.parse_file(f"{BUCKET}/arriving.bin")) as stream:
        assert stream.size == len(data)
        assert stream.peek(1000) == data[:1000]
        assert stream.read(5000) == data[:5000]
        held.release.set()
        rest = stream.read()
    assert held.released is True  # set by the test, not given up on
    assert data[:5000] + rest == data
    assert proxy.count() == 1, proxy.requests


# ------------------------------------------------------------ the request log

def test_one_debug_record_per_request(proxy, seed, caplog):
    put(seed, "big.bin", BIG)
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        s3tools.read_file_from_s3(f"{BUCKET}/big.bin")
    records = [r.getMessage() for r in caplog.records if r.name == "s3tools.requests"
               and r.getMessage().startswith("GET ")]
    # The parts, and nothing else: the memory check needs no request of its own.
    assert len(records) == proxy.count("GET") == -(-len(BIG) // READ_PART)
    assert all(f"{BUCKET}/big.bin [bytes=" in record and "-> 206" in record and "attempt 1"
               in record for record in records)


def test_a_retry_is_logged_with_its_attempt(proxy, seed, caplog):
    put(seed, "small.bin", SMALL)
    proxy.add("status", object_get, times=1, status=503)
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        s3tools.read_file_from_s3(f"{BUCKET}/small.bin")
    lines = [r.getMessage() for r in caplog.records if r.name == "s3tools.requests"
             and r.getMessage().startswith("GET ")]
    assert "-> 503" in lines[0] and "attempt 1" in lines[0]
    assert "-> 206" in lines[1] and "attempt 2" in lines[1]


# ------------------------------------------------------- credentials refreshed

def test_refresh_credentials_takes_up_new_keys(seed, monkeypatch, read_only):
    put(seed, "a.txt", "hello")
    read_only()
    assert s3tools.read_file_from_s3(f"{BUCKET}/a.txt") == b"hello"
    good = os.environ["AWS_SECRET_ACCESS_KEY"]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    s3tools.refresh_credentials()
    with pytest.raises(s3tools.ConfigError, match="AWS_SECRET_ACCESS_KEY") as caught:
        s3tools.read_file_from_s3(f"{BUCKET}/a.txt")
    assert "refresh_credentials()" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", good)
    s3tools.refresh_credentials()
    assert s3tools.read_file_from_s3(f"{BUCKET}/a.txt") == b"hello"
