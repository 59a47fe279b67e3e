"""transport.download: whole objects into memory or a file, and reads started again."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import BUCKET, put
from faults import object_get

import s3tools
from s3tools import errors, memory, paths, transport
from s3tools.transport import sizes

DATA = np.random.default_rng(11).bytes(3 * 1024 * 1024 + 9)


def _path(key: str = "data.bin") -> paths.S3Path:
    return paths.parse_file(f"{BUCKET}/{key}")


def test_a_small_object_is_one_request_and_a_large_one_its_parts(fault_proxy, seed, monkeypatch):
    put(seed, "small.bin", DATA[:1000])
    assert bytes(transport.fetch(_path("small.bin"))) == DATA[:1000]
    assert fault_proxy.count("GET") == 1
    monkeypatch.setattr(sizes, "PART_SIZE", 1024 * 1024)
    put(seed, "data.bin", DATA)
    fault_proxy.clear()
    assert bytes(transport.fetch(_path())) == DATA
    assert fault_proxy.count("GET") == 4
    put(seed, "empty.bin", b"")
    assert bytes(transport.fetch(_path("empty.bin"))) == b""


def test_a_budget_refuses_on_the_first_answer(fault_proxy, seed, caplog):
    put(seed, "data.bin", DATA)
    budget = memory.Budget("data.bin", (1024 * 1024, "a test's limit"), readers=1)
    with caplog.at_level("DEBUG", logger="s3tools.requests"), \
            pytest.raises(s3tools.TooLargeError, match="stopped after its first part"):
        transport.fetch(_path(), budget)
    assert fault_proxy.count("GET") == 1
    (record,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("GET ")]
    assert "bytes=0-524287" in record and "given up (TooLargeError)" in record


def test_a_read_starts_again_once_and_no_more(fault_proxy, seed):
    calls = []

    def changing():
        calls.append(1)
        raise errors.object_changed(f"{BUCKET}/data.bin", restarted=False)

    with pytest.raises(s3tools.ObjectChangedError, match="after a fresh start") as caught:
        transport.restarting(_path(), changing)
    assert len(calls) == 2 and caught.value.restarted
    calls.clear()
    with pytest.raises(s3tools.ObjectChangedError):
        # A read inside another that starts again: the outer one does not start it a third
        # and fourth time.
        transport.restarting(_path(), lambda: transport.restarting(_path(), changing))
    assert len(calls) == 2


def test_a_download_replaced_midway_is_the_new_version_whole(fault_proxy, seed, monkeypatch):
    monkeypatch.setattr(sizes, "PART_SIZE", 512 * 1024)
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "1")
    put(seed, "data.bin", DATA)
    fault_proxy.add("after", object_get, times=1, action=lambda: put(seed, "data.bin", DATA[::-1]))
    moved = []
    target = io.BytesIO()
    assert transport.download(_path(), target, lambda step, size: moved.append(step)) == \
        len(DATA)
    assert target.getvalue() == DATA[::-1]
    assert sum(moved) == len(DATA)  # what the first try reported was taken back
