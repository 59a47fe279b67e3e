"""transport.reader: the one object reader, at the wire.

Pieces in parallel into one buffer per span; a read waits only for the bytes it
needs; a span goes once what its reader reads once has been handed out; a
stream keeps a bounded window of parts; stop() leaves no request behind.
"""

from __future__ import annotations

import weakref

import numpy as np
import pytest
from conftest import BUCKET, put
from faults import object_get

import s3tools
from s3tools import paths, transport
from s3tools.transport import pieces, sizes

DATA = np.random.default_rng(5).bytes(4 * 1024 * 1024 + 321)


def _reader(seed, **options) -> transport.ObjectReader:
    put(seed, "data.bin", DATA)
    path = paths.parse_file(f"{BUCKET}/data.bin")
    _, version = transport.get_range(path, 0, 1)
    return transport.ObjectReader(path, version, **options)


def _records(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "s3tools.requests" and record.getMessage().startswith("GET ")]


def test_a_whole_read_is_one_buffer_of_parallel_parts(fault_proxy, seed, monkeypatch):
    monkeypatch.setattr(sizes, "PART_SIZE", 512 * 1024)
    put(seed, "data.bin", DATA)
    reader = transport.ObjectReader(paths.parse_file(f"{BUCKET}/data.bin"), memory="bytes")
    try:
        reader.open_start(512 * 1024)
        whole = reader.result()
        assert isinstance(whole, bytearray) and bytes(whole) == DATA
        assert [start for start, _ in reader.spans()] == [0]  # the first part in it too
    finally:
        reader.stop()
    assert fault_proxy.count("GET") == -(-len(DATA) // (512 * 1024))


def test_a_read_waits_only_for_the_bytes_it_needs(fault_proxy, seed):
    reader = _reader(seed)
    # One piece of the whole object; the proxy sends half of it and holds the rest.
    held = fault_proxy.add("pause", object_get)
    try:
        reader.plan([(0, len(DATA), None)], len(DATA))
        reader.send()
        assert bytes(reader.view(0, 5000)) == DATA[:5000]  # while the rest is held
        held.release.set()
        assert bytes(reader.view(0, len(DATA))) == DATA
    finally:
        reader.stop()
    assert held.released is True
    assert fault_proxy.count("GET") == 2  # the version's, then the one piece


def test_a_span_goes_once_its_ranges_are_handed_out(fault_proxy, seed):
    reader = _reader(seed)
    try:
        reader.plan([(1000, 9000, [(1000, 3000), (6000, 3000)])], 2048)
        reader.send()
        ((_, buffer),) = reader.spans()
        kept = weakref.ref(buffer.obj)
        del buffer
        first = reader.view(1000, 4000)
        assert bytes(first) == DATA[1000:4000] and reader.spans() != []
        second = reader.view(6000, 9000)
        assert bytes(second) == DATA[6000:9000] and reader.spans() == []
        assert kept() is not None  # what was handed out holds it
        del first, second
        assert kept() is None
        assert reader.view(1000, 2000) is None  # let go: whoever reads asks again
    finally:
        reader.stop()


def test_held_bytes_are_copied_not_asked_for_again(fault_proxy, seed):
    reader = _reader(seed)
    tail = len(DATA) - 65536
    reader.hold(tail, DATA[tail:])
    fault_proxy.clear()
    try:
        reader.plan([(0, len(DATA), None)], 1024 * 1024, tail=65536)
        reader.send()
        assert bytes(reader.view(0, len(DATA))) == DATA
        assert [start for start, _ in reader.spans()] == [0]  # the tail's span joined it
    finally:
        reader.stop()
    assert fault_proxy.count("GET") == -(-tail // (1024 * 1024))


def test_stop_leaves_no_request_behind(fault_proxy, seed, caplog):
    reader = _reader(seed, threads=1)
    fault_proxy.clear()
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        reader.plan([(0, len(DATA), None)], 256 * 1024)
        reader.send()
        reader.stop()
        # Every request sent has ended (its record is written when it ends), and the
        # pieces not sent never will be.
        assert len(_records(caplog)) == fault_proxy.count("GET") < -(-len(DATA) // (256 * 1024))
        assert reader.pieces == 0 and reader.spans() == []


def test_a_stream_keeps_a_bounded_window_of_parts(fault_proxy, seed):
    put(seed, "data.bin", DATA)
    part = 128 * 1024
    most = 0
    with transport.open_stream(paths.parse_file(f"{BUCKET}/data.bin"), part_size=part) \
            as stream:
        read = bytearray()
        while chunk := stream.read(100_000):
            read += chunk
            most = max(most, len(stream.reader.spans()))
    assert bytes(read) == DATA
    assert most <= pieces.workers(sizes.PARALLEL_PARTS) + 2
    assert fault_proxy.count("GET") == -(-len(DATA) // part)


def test_a_stream_fills_the_buffers_of_parts_read_again(seed):
    """A part's buffer, once read, takes a later part: a read touches the window's memory,
    not fresh memory for every part."""
    put(seed, "data.bin", DATA)
    part = 128 * 1024
    buffers = []
    with transport.open_stream(paths.parse_file(f"{BUCKET}/data.bin"), part_size=part) \
            as stream:
        read = bytearray()
        while chunk := stream.read(100_000):
            read += chunk
            buffers += [getattr(buffer, "obj", buffer) for _, buffer in stream.reader.spans()]
    assert bytes(read) == DATA
    parts = -(-len(DATA) // part)
    made = len({id(buffer) for buffer in buffers})  # all held here: no id is used twice
    assert made <= pieces.workers(sizes.PARALLEL_PARTS) + 4 < parts, (made, parts)


def test_a_failed_piece_is_raised_to_the_read_that_needs_it(fault_proxy, seed):
    reader = _reader(seed)
    fault_proxy.add("status", object_get, times=None, status=500)
    try:
        reader.plan([(0, 100_000, None)], 100_000)
        reader.send()
        with pytest.raises(s3tools.S3ConnectionError, match=fault_proxy.url):
            reader.view(0, 10)
    finally:
        reader.stop()
