"""Run in a fresh process: preview (or read) one object and report the answer and the memory
the call added.

``python preview_memory.py VERB S3_PATH [N]`` with VERB one of ``preview``
(``s3_path_to_preview_df``), ``head`` (``s3tools head``), ``explorer`` (the
explorer's preview answer), ``read`` (``s3_path_to_df``) and ``chunks``
(``s3_path_to_chunks``, N rows a chunk) prints one JSON line: the answer
(``rows`` and ``columns``, or the error's class and message, and for
``head`` its exit code) and, in bytes, the most the call added to the
resident memory (the kernel's peak mark, reset just before the call). A first call on a small object (``S3TOOLS_WARM_PATH``) puts imports
and clients in place beforehand.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import re
import sys
from pathlib import Path


def resident(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)[1]) * 1024


def call(verb: str, path: str, n: int) -> dict:
    import s3tools
    from s3tools.cli import main as command
    from s3tools.explorer import answers

    if verb == "head":
        said = io.StringIO()
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
            code = command(["head", path, "-n", str(n)])
        return {"exit": code, "message": said.getvalue().strip()}
    if verb == "explorer":
        answer = answers.preview(path, n)
        return {"rows": len(answer["rows"]), "columns": answer["columns"][:5]}
    if verb == "chunks":
        return {"rows": sum(len(chunk) for chunk in s3tools.s3_path_to_chunks(path, n))}
    read = s3tools.s3_path_to_df if verb == "read" else \
        lambda target: s3tools.s3_path_to_preview_df(target, n)
    frame = read(path)
    return {"rows": len(frame), "columns": [str(name) for name in frame.columns[:5]]}


def main(verb: str, path: str, n: int) -> None:
    import s3tools

    warm = os.environ["S3TOOLS_WARM_PATH"]
    for name in warm.split(","):
        call(verb if verb in ("read", "chunks") else "preview", name, n)
    gc.collect()
    before = resident("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak mark
    try:
        answer = call(verb, path, n)
    except s3tools.S3ToolsError as error:
        answer = {"error": type(error).__name__, "message": str(error)}
    peak = resident("VmHWM")
    # A bomb read whole may have a column named by its gigabyte: names are cut short.
    answer["columns"] = [name[:40] for name in answer.get("columns", [])]
    print(json.dumps({**answer, "before": before, "added": peak - before}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
