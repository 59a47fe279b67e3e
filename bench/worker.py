"""One worker process per library family: runs the cases it is sent, one at a time.

Protocol: one JSON request per line on stdin (``{"scenario", "peer", "run"}``),
one JSON answer per line on the original stdout; anything the libraries print
goes to stderr. Each answer carries the wall-clock seconds of the call and the
peak memory it added: before the call, freed memory is handed back to the
system and the kernel's peak-RSS mark is reset (``/proc/self/clear_refs``), so
the peak read afterwards belongs to this call alone.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import sys
import time
import traceback

import cases

_libc = ctypes.CDLL("libc.so.6")


def _memory_kib() -> dict[str, int]:
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def _release_memory() -> None:
    gc.collect()
    if "pyarrow" in sys.modules:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    _libc.malloc_trim(0)


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def main() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not break the protocol
    context = json.loads(sys.stdin.readline())
    table = {(s.id, c.peer): c for s in cases.scenarios(context["quick"])
             for c in [*s.cases, *([s.limit] if s.limit else [])]}
    for line in sys.stdin:
        request = json.loads(line)
        case = table[(request["scenario"], request["peer"])]
        ctx = {**context, "run": request["run"]}
        try:
            if case.prepare:
                case.prepare(ctx, request["run"])
            _release_memory()
            peak_known = _reset_peak()
            before = _memory_kib()["VmRSS"]
            started = time.perf_counter()
            result = case.run(ctx)
            seconds = time.perf_counter() - started
            peak = _memory_kib()["VmHWM"] if peak_known else None
            answer: dict = {"seconds": seconds,
                            "peak_mb": None if peak is None else (peak - before) / 1024}
            if isinstance(result, dict) and "report" in result:  # figures of its own
                answer.update(result["report"])
                result = result["value"]
            if isinstance(result, dict) and "limit" in result:
                answer["limit"] = result["limit"]
                answer["seconds"] = sum(result["limit"].values())
                result = result["value"]
            if case.expect and result is not None:
                case.expect(ctx, result)
            del result
        except Exception:  # noqa: BLE001 - reported to the harness, which stops the bench
            answer = {"error": traceback.format_exc()}
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
