"""transport.files: streams and seekable files over the reader, as parsers use them."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from conftest import BUCKET, put
from faults import object_get

import s3tools
from s3tools import paths, transport
from s3tools.transport import sizes

DATA = np.random.default_rng(9).bytes(2 * 1024 * 1024 + 77)


def _path(key: str = "data.bin") -> paths.S3Path:
    return paths.parse_file(f"{BUCKET}/{key}")


def test_a_stream_peeks_reads_in_order_and_keeps_its_head(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    with transport.open_stream(_path(), part_size=256 * 1024) as stream:
        assert stream.size == len(DATA) and not stream.seekable()
        assert stream.peek(1000) == DATA[:1000]
        assert stream.read(10) == DATA[:10]  # the peek read nothing
        with pytest.raises(io.UnsupportedOperation):
            stream.seek(0)
        assert stream.read(len(DATA)) == DATA[10:]
        assert stream.read(10) == b""
        assert stream.head == DATA[:4096]  # kept when its part was let go
        assert stream.failure is None


def test_a_stream_reopened_reads_the_same_version(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    stream = transport.open_stream(_path(), part_size=256 * 1024)
    assert stream.read(100) == DATA[:100]
    again = stream.reopen()
    assert stream.closed
    with again:
        assert again.version == stream.version and again.read(100) == DATA[:100]
    put(seed, "data.bin", DATA[::-1])
    with pytest.raises(s3tools.ObjectChangedError):
        again.reopen()  # pinned to the version the first stream read


def test_a_stream_keeps_the_network_s_failure(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    with transport.open_stream(_path(), part_size=256 * 1024) as stream:
        fault_proxy.add("status", object_get, times=None, status=500)
        with pytest.raises(s3tools.S3ConnectionError):
            stream.read(len(DATA))
        assert isinstance(stream.failure, s3tools.S3ConnectionError)
        assert s3tools.errors.source_failure(stream) is stream.failure


def test_a_stream_of_an_empty_object(fault_proxy, seed):
    put(seed, "empty.bin", b"")
    with transport.open_stream(_path("empty.bin")) as stream:
        assert stream.size == 0 and stream.read() == b"" and stream.head == b""
    assert fault_proxy.count("GET") == 1


def _held_when_still(stream: transport.ObjectFile, most: int) -> int:
    """How many parts the stream holds once its GET has stopped for room (waited for)."""
    for _ in range(200):
        held = len(stream.reader.spans())
        if held >= most:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # room for a part too many, if it were sent
    return len(stream.reader.spans())


def test_a_stream_in_one_get_holds_a_bounded_window_of_parts(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    part = 64 * 1024
    with transport.open_stream(_path(), part_size=part, one_get=True) as stream:
        assert stream.peek(1000) == DATA[:1000]
        assert stream.read(10) == DATA[:10]
        assert _held_when_still(stream, sizes.FOLLOWED_PARTS) == sizes.FOLLOWED_PARTS
        got = bytearray(DATA[:10])
        while len(got) < len(DATA):  # in steps across parts, into a buffer
            step = bytearray(100_000)
            got += step[:stream.readinto(step)]
            assert len(stream.reader.spans()) <= sizes.FOLLOWED_PARTS
        assert bytes(got) == DATA and stream.read(10) == b""
        assert stream.head == DATA[:4096]
        reopened = stream.reopen()
    with reopened:
        assert reopened.read() == DATA
    assert fault_proxy.count("GET") == 2  # one per stream


def test_a_stream_in_one_get_cut_short_asks_for_the_rest(fault_proxy, seed, monkeypatch):
    monkeypatch.setattr(sizes, "CHUNK", 16 * 1024)  # the body followed in chunks
    put(seed, "data.bin", DATA)
    fault_proxy.add("cut", object_get, times=1)
    with transport.open_stream(_path(), part_size=256 * 1024, one_get=True) as stream:
        assert stream.read() == DATA
    ranges = [target for method, target, _ in fault_proxy.requests if method == "GET"]
    assert len(ranges) == 2, fault_proxy.requests


class _FirstPart:
    """A memory budget that admits everything, whose first GET asks for ``first_part``."""

    def __init__(self, first_part: int) -> None:
        self.first_part, self.admitted = first_part, []

    def admit(self, path: paths.S3Path, size: int) -> None:
        self.admitted.append(size)


def test_a_stream_in_one_get_under_a_budget_asks_for_the_rest_once(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    budget = _FirstPart(100_000)  # not at a part's edge: that part comes in two answers
    with transport.open_stream(_path(), part_size=64 * 1024, budget=budget,
                               one_get=True) as stream:
        assert stream.read() == DATA
    assert budget.admitted == [len(DATA)]
    assert fault_proxy.count("GET") == 2  # the budget's first part, then all the rest


def test_a_stream_in_one_get_closed_early_stops_its_get(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    stream = transport.open_stream(_path(), part_size=64 * 1024, one_get=True)
    assert stream.read(10) == DATA[:10]
    _held_when_still(stream, sizes.FOLLOWED_PARTS)
    stream.close()
    for _ in range(200):  # the GET, waiting for room, ends on its own
        if stream.reader.pieces == 0:
            break
        time.sleep(0.05)
    assert stream.reader.pieces == 0 and stream.reader.spans() == []


def test_a_stream_in_one_get_of_an_empty_object(fault_proxy, seed):
    put(seed, "empty.bin", b"")
    with transport.open_stream(_path("empty.bin"), one_get=True) as stream:
        assert stream.size == 0 and stream.read() == b""
    assert fault_proxy.count("GET") == 1


def test_a_file_opened_without_a_tail_reads_the_object(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    with transport.open_file(_path()) as source:
        assert source.size == len(DATA) and source.read() == DATA


def test_a_file_read_from_its_start_in_growing_steps(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    with transport.open_file(_path(), head_length=4096, readahead=4096) as source:
        assert source.read(100) == DATA[:100]
        assert fault_proxy.count("GET") == 1  # the head: size and version too
        got = bytearray(source.read(100))
        while len(got) < 300_000:
            got += source.read(1000)
        assert bytes(got) == DATA[100:100 + len(got)]
    # Each read outside what is at hand fetches twice as much as the one before.
    assert fault_proxy.count("GET") <= 1 + 7


def test_a_file_over_a_known_version_reuses_an_earlier_tail(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    first = transport.open_file(_path(), 65536, views=True)
    first.seek(len(DATA) - 100)
    assert bytes(first.read(100)) == DATA[-100:]
    first.close()
    fault_proxy.clear()
    with transport.open_file(_path(), 65536, version=first.version, tail=first.tail,
                             views=True) as second:
        second.seek(-65536, io.SEEK_END)
        view = second.read()
        assert isinstance(view, memoryview) and bytes(view) == DATA[-65536:]
    assert fault_proxy.count() == 0


def test_prefetched_ranges_are_read_without_requests(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    with transport.open_file(_path(), 65536, views=True) as source:
        source.prefetch([(1000, 10_000), (500_000, 20_000)])
        sent = fault_proxy.count("GET")
        assert sent == 1 + 2
        for start, length in [(1000, 10_000), (505_000, 100), (500_000, 20_000)]:
            source.seek(start)
            assert bytes(source.read(length)) == DATA[start:start + length]
        assert fault_proxy.count("GET") == sent
        source.seek(2_000_000)
        assert bytes(source.read(10)) == DATA[2_000_000:2_000_010]
        assert fault_proxy.count("GET") == sent + 1  # outside: a GET of its own
