"""transport.sender (and .answers): one ranged GET, pinned, checked, resumed, logged.

Through a fault-injecting proxy, with either GET client: what comes back is
the bytes asked for or an s3tools error, a cut body is asked for again from
where it stopped, and each attempt is one record in the request log.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import BUCKET, ON_SEAWEEDFS, put
from faults import object_get

import s3tools
from s3tools import errors, paths
from s3tools.transport import answers, get_range, policy

DATA = np.random.default_rng(3).bytes(3 * 1024 * 1024 + 5)
_CONTROLS = re.compile("[\x00-\x1f\x7f]")
CLIENTS = ["obstore"] if ON_SEAWEEDFS else ["obstore", "botocore"]


@pytest.fixture(params=CLIENTS)
def proxy(request, fault_proxy, monkeypatch):
    """The fault proxy, with object bytes through each GET client in turn."""
    monkeypatch.setenv("S3TOOLS_GET_CLIENT", request.param)
    return fault_proxy


def _path(key: str) -> paths.S3Path:
    return paths.parse_file(f"{BUCKET}/{key}")


def _gets(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "s3tools.requests" and record.getMessage().startswith("GET ")]


def test_a_range_and_the_version_it_is_pinned_to(proxy, seed):
    put(seed, "data.bin", DATA)
    got, version = get_range(_path("data.bin"), 1000, 5000)
    assert bytes(got) == DATA[1000:6000]
    assert version.size == len(DATA) and version.etag
    tail, same = get_range(_path("data.bin"), 0, None, suffix=4096)
    assert bytes(tail) == DATA[-4096:] and same == version
    end, _ = get_range(_path("data.bin"), len(DATA) - 10, 100, version)
    assert bytes(end) == DATA[-10:]  # fewer at the object's end


def test_a_cut_body_is_asked_for_again_from_where_it_stopped(proxy, seed, caplog):
    put(seed, "data.bin", DATA)
    proxy.add("cut", object_get, times=1)
    into = bytearray(len(DATA))
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        got, _ = get_range(_path("data.bin"), 0, len(DATA), into=memoryview(into))
    assert bytes(into) == DATA and got is not None
    first, second = _gets(caplog)
    assert "attempt 1" in first and "-> 206" not in first
    resumed = int(re.search(r"bytes=(\d+)-", second)[1])
    assert 0 < resumed < len(DATA)  # not from the start: the bytes in place are kept
    assert "attempt 2" in second and "-> 206" in second


def test_progress_is_told_as_the_bytes_land(proxy, seed):
    put(seed, "data.bin", DATA)
    told = []
    got, _ = get_range(_path("data.bin"), 0, len(DATA),
                       allocate=lambda size: memoryview(bytearray(size)),
                       progress=lambda received, buffer, version: told.append(received))
    assert bytes(got) == DATA
    assert told[0] == 0 and told[-1] == len(DATA) and told == sorted(told)


def test_progress_may_give_the_range_up(proxy, seed, caplog):
    put(seed, "data.bin", DATA)

    def stop(received, buffer, version):
        if received:
            raise policy.Stopped()

    with caplog.at_level("DEBUG", logger="s3tools.requests"), pytest.raises(policy.Stopped):
        get_range(_path("data.bin"), 0, len(DATA), allocate=bytearray, progress=stop)
    assert proxy.count("GET") == 1  # not retried
    (record,) = _gets(caplog)
    assert "body given up (Stopped)" in record


def test_a_range_given_up_sends_no_retry(proxy, seed):
    # A stream closed while a part was failing: its next attempt is not sent.
    put(seed, "data.bin", DATA)
    proxy.add("status", object_get, times=None, status=503)
    with pytest.raises(policy.Stopped):
        get_range(_path("data.bin"), 0, 100, given_up=lambda: True)
    assert proxy.count("GET") == 1


def test_a_replaced_object_is_the_public_error_and_is_not_retried(proxy, seed):
    put(seed, "data.bin", DATA)
    _, version = get_range(_path("data.bin"), 0, 10)
    put(seed, "data.bin", DATA[::-1])
    proxy.clear()
    with pytest.raises(s3tools.ObjectChangedError, match="replaced while it was being read") \
            as caught:
        get_range(_path("data.bin"), 10, 10, version)
    assert caught.value.restarted is False  # a read in parts starts again on it
    assert proxy.count("GET") == 1


def test_an_empty_object_is_an_empty_buffer(proxy, seed):
    put(seed, "empty.bin", b"")
    got, version = get_range(_path("empty.bin"), 0, 1024)
    assert bytes(got) == b"" and version.size == 0


def test_failures_are_s3tools_errors_after_the_policy_s_attempts(proxy, seed, monkeypatch):
    monkeypatch.setenv("S3TOOLS_MAX_ATTEMPTS", "3")
    put(seed, "data.bin", DATA)
    proxy.add("status", object_get, times=None, status=503)
    with pytest.raises(s3tools.S3ConnectionError, match="503"):
        get_range(_path("data.bin"), 0, 100)
    assert proxy.count("GET") == 3  # S3TOOLS_MAX_ATTEMPTS
    proxy.clear()
    with pytest.raises(s3tools.NotFoundError):
        get_range(_path("missing.bin"), 0, 100)
    assert proxy.count("GET") == 1


def test_keys_obstore_refuses_go_through_botocore(monkeypatch):
    monkeypatch.setenv("S3TOOLS_GET_CLIENT", "obstore")
    assert answers.sender("a/../b.csv") is answers.sender("a//b.csv") is answers._get_botocore
    for key in ("a\tb.csv", "a\nb", "a\rb", "esc\x1b[2J.csv", "del\x7f", "\x01"):
        assert answers.sender(key) is answers._get_botocore, repr(key)
    # Everything else keeps obstore: C1 controls, bidi marks, spaces, '%', '\\'...
    for key in ("a/b.csv", "c1\x9b.csv", "evil\u202egpj.csv", "a b/%2F\\#?.csv"):
        assert answers.sender(key) is answers._get_obstore, repr(key)


@pytest.mark.parametrize("key", ["esc\x1b[2J.csv", "tab\there.csv", "cr\rhere.csv", "del\x7f.csv"])
def test_a_key_with_a_control_character_is_read_with_obstore_chosen(seed, monkeypatch, key):
    monkeypatch.setenv("S3TOOLS_GET_CLIENT", "obstore")
    put(seed, key, DATA[:1000])
    put(seed, _CONTROLS.sub("", key), b"the key without its control character")
    got, version = get_range(_path(key), 10, 100)
    assert bytes(got) == DATA[10:110] and version.size == 1000


def test_http_ranges():
    assert answers.http_range(0, 10, None) == "bytes=0-9"
    assert answers.http_range(5, None, None) == "bytes=5-"
    assert answers.http_range(0, None, 64) == "bytes=-64"


def test_a_range_the_service_ignores_is_refused(proxy, seed):
    # A 200 with the whole object for a range that does not start at 0: s3tools cannot
    # read such a service in parts, and says so rather than return the wrong bytes.
    with pytest.raises(errors.S3ToolsError, match="ignored a byte range"):
        answers._ranged({"ContentLength": 100}, 10)
    assert answers._ranged({"ContentLength": 100}, 0) == (100, 0)
    assert answers._ranged({"ContentRange": "bytes 10-19/100"}, 10) == (100, 10)
