"""Where Arrow's memory comes from while pyarrow parses a CSV file for s3tools.

pyarrow allocates from mimalloc unless told otherwise. Its CSV parser makes
many block-sized buffers on two threads; taken from the system allocator
(the one numpy and pandas use) instead, they touch less fresh memory, and the
kernel's zeroing of fresh pages was most of the read's system time (figures
in bench/README.md). Parquet reads go the other way, so they keep pyarrow's
default.

The switch is pyarrow's process default, for the length of the parse: the
first of several concurrent parses sets it and the last one puts back what it
found. Arrow buffers remember the pool they came from, so buffers made before,
during or after are freed correctly whichever is the default meanwhile. With
``ARROW_DEFAULT_MEMORY_POOL`` set in the environment, pyarrow's choice is
left alone.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import pyarrow as pa

_lock = threading.Lock()
_calls = 0
_found: pa.MemoryPool | None = None


@contextlib.contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow memory from the system allocator until the block ends (see the module)."""
    global _calls, _found
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    with _lock:
        if _calls == 0:
            _found = pa.default_memory_pool()
            pa.set_memory_pool(pa.system_memory_pool())
        _calls += 1
    try:
        yield
    finally:
        with _lock:
            _calls -= 1
            if _calls == 0:
                pa.set_memory_pool(_found)
                _found = None


def parts_pool() -> pa.MemoryPool:
    """The pool for a CSV parsed part by part (:mod:`s3tools.csvparts`): jemalloc where
    pyarrow has it. Each part's buffers are let go once its columns have joined the
    frame's, and jemalloc gives their memory to the next part's, across pyarrow's
    threads, where the system allocator kept a heap per thread (the 200 MB CSV:
    300 MiB at the peak against 350, and less system time than mimalloc, which hands
    pages back at once and takes them fresh again). With ``ARROW_DEFAULT_MEMORY_POOL``
    set in the environment, that pool."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return pa.default_memory_pool()
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.system_memory_pool()
