"""allocator: pyarrow's CSV parse takes Arrow memory from the pool s3tools chooses for it,
gives it all back with the frame, and leaves pyarrow's default as it found it."""

from __future__ import annotations

import threading

import pandas as pd
import pyarrow as pa
import pytest
from conftest import put

import s3tools
from s3tools import allocator

ROWS = 50_000


def csv_with_text() -> bytes:
    frame = pd.DataFrame({"n": range(ROWS), "word": [f"word {i}" for i in range(ROWS)]})
    return frame.to_csv(index=False).encode()


def test_a_read_keeps_its_arrow_memory_in_the_parse_pool_and_gives_it_all_back(seed,
                                                                               monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    path = put(seed, "pool/words.csv", csv_with_text())
    before = pa.default_memory_pool()
    pool = allocator.parts_pool()
    held = pool.bytes_allocated()
    frame = s3tools.s3_path_to_df(path)
    # pandas' text columns keep their Arrow buffers: they are the parse pool's.
    assert isinstance(frame["word"].array, pd.arrays.ArrowStringArray)
    assert pool.bytes_allocated() - held >= ROWS * len("word 0")
    del frame
    assert pool.bytes_allocated() <= held + 64 * 1024
    assert pa.default_memory_pool().backend_name == before.backend_name


def test_overlapping_calls_put_back_the_pool_they_found(monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    found = pa.default_memory_pool().backend_name
    inside, release = threading.Event(), threading.Event()
    seen = []

    def long_call():
        with allocator.system_allocator():
            inside.set()
            release.wait(10)
            seen.append(pa.default_memory_pool().backend_name)

    other = threading.Thread(target=long_call)
    other.start()
    inside.wait(10)
    with allocator.system_allocator():
        seen.append(pa.default_memory_pool().backend_name)
    # The first call is still running: the pool stays switched for it.
    assert pa.default_memory_pool().backend_name == "system"
    release.set()
    other.join(10)
    assert seen == ["system", "system"]
    assert pa.default_memory_pool().backend_name == found


def test_a_failing_parse_puts_the_pool_back(seed, monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    found = pa.default_memory_pool().backend_name
    # A row with a field too many, after the sample: both parsers refuse it.
    path = put(seed, "pool/ragged.csv", csv_with_text() + b"1,two,three\n")
    with pytest.raises(s3tools.FormatError, match="ragged.csv"):
        s3tools.s3_path_to_df(path)
    assert pa.default_memory_pool().backend_name == found


def test_the_environment_variable_leaves_pyarrow_alone(monkeypatch):
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    found = pa.default_memory_pool()
    with allocator.system_allocator():
        assert pa.default_memory_pool().backend_name == found.backend_name
