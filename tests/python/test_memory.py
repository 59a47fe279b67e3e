"""memory: a whole read that would not fit is refused before the object is fetched.

The limit is set small with ``S3TOOLS_MEMORY_LIMIT``; what s3tools really
fetched is counted by a relay in front of the server (:class:`conftest.Forwarder`)
and in the ``s3tools.requests`` log.
"""

from __future__ import annotations

import gzip
import io
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BUCKET, put

import s3tools
from s3tools import memory
from s3tools.listing import readable_size

SIZE = 200_000


def random_csv(rows: int = SIZE // 20, seed: int = 1) -> bytes:
    generator = random.Random(seed)
    lines = ["number,word"] + [f"{generator.randrange(10 ** 9)},{generator.randrange(16 ** 9):09x}"
                               for _ in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def object_gets(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "s3tools.requests" and record.getMessage().startswith("GET ")
            and "[bytes=" in record.getMessage()]


WHOLE_READS = {
    "read_file_from_s3": lambda: s3tools.read_file_from_s3(f"{BUCKET}/big.csv"),
    "read_file_from_s3 text": lambda: s3tools.read_file_from_s3(f"{BUCKET}/big.csv", "utf-8"),
    "read_files_from_s3 list": lambda: s3tools.read_files_from_s3(
        [f"{BUCKET}/big.csv", f"{BUCKET}/big.csv.gz"]),
    "read_files_from_s3 folder": lambda: s3tools.read_files_from_s3(f"{BUCKET}/"),
    "s3_path_to_df csv": lambda: s3tools.s3_path_to_df(f"{BUCKET}/big.csv"),
    "s3_path_to_df csv.gz": lambda: s3tools.s3_path_to_df(f"{BUCKET}/big.csv.gz"),
    "s3_path_to_full_df": lambda: s3tools.s3_path_to_full_df(f"{BUCKET}/big.csv"),
    "s3_path_to_df folder": lambda: s3tools.s3_path_to_df(f"{BUCKET}/"),
}


FOLDER_READS = {"read_files_from_s3 folder", "s3_path_to_df folder"}


@pytest.mark.parametrize("name", sorted(WHOLE_READS))
def test_a_read_that_would_not_fit_is_refused_before_the_object_is_fetched(
        name, seed, forwarder, monkeypatch, caplog):
    data = random_csv()
    put(seed, "big.csv", data)
    put(seed, "big.csv.gz", gzip.compress(data, mtime=0))
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "100KB")
    forwarder.reset()
    caplog.set_level("DEBUG", logger="s3tools.requests")
    with pytest.raises(s3tools.TooLargeError) as caught:
        WHOLE_READS[name]()
    message = str(caught.value)
    assert "100.0 KB left (S3TOOLS_MEMORY_LIMIT)" in message
    assert "memory_check=False (Python)" in message and "S3TOOLS_MEMORY_CHECK=false" in message
    assert ("s3_path_to_preview_df()" in message) == name.startswith("s3_path_to")
    assert isinstance(caught.value, MemoryError) and caught.value.kind == "too_large"
    if name in FOLDER_READS:
        # The sizes come from the listing: no object is fetched at all.
        assert "not started" in message
        assert object_gets(caplog) == []
        return
    # No request of its own: the read's first GET asks for a share of what is
    # left, its answer tells the size, and nothing more is fetched.
    assert "stopped after its first part" in message
    # A stream's first GET is answered on a thread of its own, which records it as it
    # gives the body up: that record can come just after the refusal.
    deadline = time.monotonic() + 10
    while not object_gets(caplog) and time.monotonic() < deadline:
        time.sleep(0.01)
    gets = object_gets(caplog)
    assert len(gets) == 1 or (name == "read_files_from_s3 list" and len(gets) == 2), gets
    assert all("[bytes=0-" in line for line in gets), gets
    assert forwarder.received < 100 * 1024 < len(data)


def test_memory_check_false_or_the_variable_goes_ahead(seed, monkeypatch):
    data = random_csv()
    put(seed, "big.csv", data)
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "100KB")
    assert s3tools.read_file_from_s3(f"{BUCKET}/big.csv", memory_check=False) == data
    frame = s3tools.s3_path_to_df(f"{BUCKET}/big.csv", memory_check=False)
    assert len(frame) == SIZE // 20
    assert s3tools.read_files_from_s3(f"{BUCKET}/", memory_check=False) == {
        f"{BUCKET}/big.csv": data}
    monkeypatch.setenv("S3TOOLS_MEMORY_CHECK", "false")
    assert s3tools.read_file_from_s3(f"{BUCKET}/big.csv") == data
    assert len(s3tools.s3_path_to_full_df(f"{BUCKET}/big.csv")) == SIZE // 20
    monkeypatch.setenv("S3TOOLS_MEMORY_CHECK", "maybe")
    with pytest.raises(s3tools.ConfigError, match="S3TOOLS_MEMORY_CHECK"):
        s3tools.read_file_from_s3(f"{BUCKET}/big.csv")


def test_a_read_that_fits_goes_ahead_unchanged(seed, monkeypatch):
    data = random_csv(rows=100)
    put(seed, "small.csv", data)
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "1MB")
    assert s3tools.read_file_from_s3(f"{BUCKET}/small.csv") == data
    assert len(s3tools.s3_path_to_df(f"{BUCKET}/small.csv")) == 100


def test_what_a_read_needs_depends_on_the_format(seed, monkeypatch):
    data = random_csv(rows=2000)
    compressed = gzip.compress(data, mtime=0)
    put(seed, "a.csv", data)
    put(seed, "a.csv.gz", compressed)
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "1")

    def needed(call) -> str:
        with pytest.raises(s3tools.TooLargeError) as caught:
            call()
        return str(caught.value).split("needs about ")[1].split(" of memory")[0]

    # Bytes: the download and the copy handed back.
    assert needed(lambda: s3tools.read_file_from_s3(f"{BUCKET}/a.csv")) == \
        readable_size(2 * len(data))
    # CSV is parsed as it arrives: the frame alone, twice the text.
    assert needed(lambda: s3tools.s3_path_to_df(f"{BUCKET}/a.csv")) == \
        readable_size(2 * len(data))
    # Compressed: the download, the text (assumed 5 times larger), and the frame.
    ratio = memory.COMPRESSION_RATIO
    size = len(compressed)
    assert needed(lambda: s3tools.s3_path_to_df(f"{BUCKET}/a.csv.gz")) == \
        readable_size(size + ratio * size + 2 * ratio * size)


def parquet_bytes() -> bytes:
    generator = np.random.default_rng(7)
    table = pa.table({"a": generator.integers(0, 2 ** 62, 40_000),
                      "b": generator.random(40_000),
                      "c": [f"{n:08x}" for n in generator.integers(0, 2 ** 31, 40_000)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=10_000)
    return buffer.getvalue()


def test_parquet_is_measured_exactly_from_its_footer(seed, forwarder, monkeypatch):
    data = parquet_bytes()
    put(seed, "t.parquet", data)
    metadata = pq.read_metadata(io.BytesIO(data))
    groups = [metadata.row_group(i) for i in range(metadata.num_row_groups)]
    whole = len(data) + 2 * sum(group.total_byte_size for group in groups)
    only_a = len(data) + 2 * sum(group.column(0).total_uncompressed_size for group in groups)
    assert only_a < whole

    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", str(whole - 1))
    forwarder.reset()
    with pytest.raises(s3tools.TooLargeError, match="columns="):
        s3tools.s3_path_to_df(f"{BUCKET}/t.parquet")
    # The footer only: the last 64 KiB, not the file.
    assert forwarder.received < memory.PARQUET_FOOTER + 5_000 < len(data)
    frame = s3tools.s3_path_to_df(f"{BUCKET}/t.parquet", columns=["a"])
    assert list(frame.columns) == ["a"] and len(frame) == 40_000

    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", str(whole))
    pd.testing.assert_frame_equal(s3tools.s3_path_to_df(f"{BUCKET}/t.parquet"),
                                  pd.read_parquet(io.BytesIO(data)))
    # With columns= only their byte ranges are fetched (no whole file is held): the
    # read needs the column twice (Arrow's table and the frame).
    only_a_ranged = only_a - len(data)
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", str(only_a_ranged))
    assert len(s3tools.s3_path_to_df(f"{BUCKET}/t.parquet", columns=["a"])) == 40_000
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", str(only_a_ranged - 1))
    with pytest.raises(s3tools.TooLargeError):
        s3tools.s3_path_to_df(f"{BUCKET}/t.parquet", columns=["a"])


def test_a_missing_object_is_not_found_in_one_request(seed, forwarder, caplog):
    with caplog.at_level("DEBUG", logger="s3tools.requests"), \
            pytest.raises(s3tools.NotFoundError):
        s3tools.s3_path_to_df(f"{BUCKET}/missing.csv")
    assert len([r for r in caplog.records if r.name == "s3tools.requests"
                and r.getMessage().startswith("GET ")]) == 1


@pytest.mark.parametrize(("text", "size"), [
    ("1048576", 1048576), ("500MB", 500 * 1024 ** 2), ("1.5G", int(1.5 * 1024 ** 3)),
    ("12GiB", 12 * 1024 ** 3), (" 64 kb ", 64 * 1024),
])
def test_memory_limit_sizes(text, size, monkeypatch):
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", text)
    assert memory.available() == (size, "S3TOOLS_MEMORY_LIMIT")


def test_a_bad_memory_limit_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "lots")
    with pytest.raises(s3tools.ConfigError, match="S3TOOLS_MEMORY_LIMIT"):
        memory.available()


def test_without_a_limit_the_machine_and_cgroups_say(monkeypatch):
    monkeypatch.delenv("S3TOOLS_MEMORY_LIMIT", raising=False)
    left, where = memory.available()
    meminfo = Path("/proc/meminfo").read_text()
    machine = int(meminfo.split("MemAvailable:")[1].split()[0]) * 1024
    assert 0 < left <= machine * 1.1  # the machine's figure moves while we look
    assert where in ("available on this machine", "under this session's memory limit")


def test_a_cgroup_limit_counts_what_is_in_use_but_not_the_page_cache(tmp_path):
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "memory.max").write_text("1073741824\n")
    (v2 / "memory.current").write_text("536870912\n")
    (v2 / "memory.stat").write_text("anon 400000000\ninactive_file 104857600\n")
    assert memory._left_in(v2, "memory.max", "memory.current", "inactive_file") == \
        1073741824 - 536870912 + 104857600
    (v2 / "memory.max").write_text("max\n")
    assert memory._left_in(v2, "memory.max", "memory.current", "inactive_file") is None
    v1 = tmp_path / "v1"
    v1.mkdir()
    (v1 / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # no limit
    (v1 / "memory.usage_in_bytes").write_text("1000\n")
    (v1 / "memory.stat").write_text("total_inactive_file 10\n")
    assert memory._left_in(v1, "memory.limit_in_bytes", "memory.usage_in_bytes",
                           "total_inactive_file") is None
    (v1 / "memory.limit_in_bytes").write_text("4096\n")
    assert memory._left_in(v1, "memory.limit_in_bytes", "memory.usage_in_bytes",
                           "total_inactive_file") == 4096 - 1000 + 10


def test_a_read_whose_first_part_the_budget_shortened_is_whole(seed, monkeypatch):
    """With little memory left the first GET asks for less than a part: the rest
    must still arrive, byte for byte."""
    big, small = random_csv(rows=15_000, seed=2), random_csv(rows=100, seed=3)
    put(seed, "a.csv", big)
    put(seed, "b.csv", small)
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "1MB")  # first GETs of 256 KiB for two readers
    assert 256 * 1024 < len(big) and 2 * (len(big) + len(small)) < 1024 * 1024
    got = s3tools.read_files_from_s3([f"{BUCKET}/a.csv", f"{BUCKET}/b.csv"])
    assert got == {f"{BUCKET}/a.csv": big, f"{BUCKET}/b.csv": small}


def test_objects_that_fit_one_by_one_are_refused_together():
    budget = memory.Budget("5 objects", (300_000, "S3TOOLS_MEMORY_LIMIT"), readers=5)
    names = [s3tools.paths.parse_file(f"{BUCKET}/{index}.bin") for index in range(5)]
    for name in names[:3]:
        budget.admit(name, 40_000)
    budget.admit(names[0], 40_000)  # a read started again is counted once
    with pytest.raises(s3tools.TooLargeError) as caught:
        budget.admit(names[3], 40_000)  # 2 x 160 KB > 300 KB
    assert f"5 objects needs about {readable_size(320_000)}" in str(caught.value)
