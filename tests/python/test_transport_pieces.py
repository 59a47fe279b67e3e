"""transport.pieces: how an object reader's reads are planned (spans, pieces, what is
still unread, where buffers come from), as values and then at the wire: the ranges a
reader asks the server for are the pieces planned, the tail first."""

from __future__ import annotations

import re
import weakref

import numpy as np
import pyarrow as pa
import pytest
from conftest import BUCKET, put

from s3tools import paths, transport
from s3tools.transport import pieces, sizes

DATA = np.random.default_rng(11).bytes(2 * 1024 * 1024 + 77)


def test_ranges_are_grouped_in_order_and_joined_within_the_hole():
    assert pieces.grouped([(50, 10), (0, 10), (10, 5), (70, 0)]) == [
        (0, 15, [(0, 10), (10, 5)]), (50, 60, [(50, 10)])]  # touching joined, empty dropped
    assert pieces.grouped([(0, 10), (5, 20)]) == [(0, 25, [(0, 10), (5, 20)])]
    assert pieces.grouped([(0, 10), (30, 10)], hole=20) == [(0, 40, [(0, 10), (30, 10)])]
    assert pieces.grouped([(0, 10), (31, 10)], hole=20) == [(0, 10, [(0, 10)]),
                                                            (31, 41, [(31, 10)])]


def test_unread_says_so_once_when_its_last_byte_is_handed_out():
    unread = pieces.Unread([(0, 100), (200, 50)])
    assert unread.hand_out(0, 60) is False
    assert unread.hand_out(200, 250) is False
    assert unread.hand_out(50, 100) is True  # overlapping what went before
    assert unread.hand_out(0, 250) is False  # once only
    assert pieces.Unread([]).hand_out(0, 1) is False


def test_cuts_are_at_most_a_piece_and_the_tail_is_a_piece_of_its_own():
    assert pieces.cuts(0, 10, 4, None) == [(0, 4), (4, 8), (8, 10)]
    assert pieces.cuts(0, 10, 4, 7) == [(0, 4), (4, 7), (7, 10)]
    assert pieces.cuts(0, 20, 4, 10) == [(0, 4), (4, 8), (8, 10), (10, 20)]
    assert pieces.cuts(0, 10, 4, 10) == pieces.cuts(0, 10, 4, 0) == pieces.cuts(0, 10, 4, None)


def test_workers_are_bounded_by_the_setting_the_parts_and_parallel_parts(monkeypatch):
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "2")
    assert [pieces.workers(parts) for parts in (0, 1, 2, 10)] == [1, 1, 2, 2]
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "64")
    assert pieces.workers(100) == sizes.PARALLEL_PARTS
    assert pieces.workers(3) == min(3, sizes.PARALLEL_PARTS)


@pytest.mark.parametrize(("memory", "from_arrow"), [("pool", True), ("fresh", False),
                                                    ("bytes", False)])
def test_buffers_are_the_size_asked_writable_and_from_where_asked(memory, from_arrow):
    before = pa.total_allocated_bytes()
    buffer = pieces.new_buffer(memory, 1024 * 1024)
    assert len(buffer) == 1024 * 1024
    buffer[-1] = 7
    assert buffer[-1] == 7
    assert (pa.total_allocated_bytes() - before >= 1024 * 1024) is from_arrow
    assert isinstance(buffer, bytearray) is (memory == "bytes")


def test_a_kept_failure_holds_nothing_its_request_held():
    class Buffer:
        pass

    def fill(buffer: Buffer) -> None:
        raise ConnectionResetError("the connection broke")

    buffer = Buffer()
    held = weakref.ref(buffer)
    try:
        fill(buffer)
    except ConnectionResetError as error:
        failure = pieces.kept(error)
    del buffer
    assert held() is None and isinstance(failure, ConnectionResetError)


def test_the_ranges_asked_for_are_the_pieces_planned_the_tail_first(fault_proxy, seed, caplog):
    put(seed, "data.bin", DATA)
    path = paths.parse_file(f"{BUCKET}/data.bin")
    _, version = transport.get_range(path, 0, 1)
    reader = transport.ObjectReader(path, version, threads=1)
    piece, tail = 512 * 1024, 100_000
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        caplog.clear()
        try:
            reader.plan([(0, len(DATA), None)], piece, tail=tail)
            reader.send()
            assert bytes(reader.view(0, len(DATA))) == DATA
        finally:
            reader.stop()
    asked = [(int(first), int(last) + 1) for first, last in
             (re.search(r"bytes=(\d+)-(\d+)", record.getMessage()).groups()
              for record in caplog.records if record.name == "s3tools.requests")]
    planned = pieces.cuts(0, len(DATA), piece, len(DATA) - tail)
    assert asked[0] == (len(DATA) - tail, len(DATA))  # one thread: the tail went first
    assert sorted(asked) == planned
