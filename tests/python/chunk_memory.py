"""Run in a fresh process: read a file in chunks and report the memory the read added.

``python chunk_memory.py S3_PATH CHUNK_SIZE`` prints one JSON line: the rows
read, the resident memory before the read and the most the read added (the
kernel's peak mark, reset just before the read), in bytes.
"""

from __future__ import annotations

import gc
import json
import re
import sys
from pathlib import Path


def resident(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)[1]) * 1024


def main(path: str, chunk_size: int) -> None:
    import s3tools

    rows = 0
    # A first chunk of something small, so that imports and clients are in place.
    for chunk in s3tools.s3_path_to_chunks(path, chunk_size):
        rows += len(chunk)
        break
    rows = 0
    gc.collect()
    before = resident("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak mark
    for chunk in s3tools.s3_path_to_chunks(path, chunk_size):
        rows += len(chunk)
        del chunk
    peak = resident("VmHWM")
    print(json.dumps({"rows": rows, "before": before, "added": peak - before}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
