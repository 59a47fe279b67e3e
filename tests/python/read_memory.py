"""Run in a fresh process: read a file whole and report the memory the read added.

``python read_memory.py S3_PATH LOCAL_PATH`` prints one JSON line: the rows read
and the most resident memory that s3tools' read of S3_PATH added, and the same
for ``pandas.read_csv`` of LOCAL_PATH (the same bytes on disk), in bytes. Each is
measured from the kernel's peak mark, reset just before the read, after freed
memory has been handed back; each read is made once before, untimed, so that
what a first read sets up is not counted.
"""

from __future__ import annotations

import ctypes
import gc
import json
import sys
from collections.abc import Callable

from chunk_memory import resident


def added(read: Callable[[], object]) -> tuple[int, int]:
    """The rows of ``read()`` and the most memory it added."""
    import pyarrow as pa

    read()
    gc.collect()
    pa.default_memory_pool().release_unused()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    before = resident("VmRSS")
    with open("/proc/self/clear_refs", "w") as marks:
        marks.write("5")  # resets VmHWM, the peak mark
    rows = len(read())
    return rows, resident("VmHWM") - before


def main(path: str, local: str) -> None:
    import pandas as pd

    import s3tools

    rows, ours = added(lambda: s3tools.s3_path_to_df(path))
    pandas_rows, theirs = added(lambda: pd.read_csv(local))
    print(json.dumps({"rows": rows, "added": ours, "pandas_rows": pandas_rows,
                      "pandas_added": theirs}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
