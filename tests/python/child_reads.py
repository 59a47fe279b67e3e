"""Run in a fresh process: read S3 paths with s3tools and say how each read ended.

``python child_reads.py READS_FILE`` reads one JSON object a line from
READS_FILE, ``{"call": "s3_path_to_df", "path": "bucket/key", "options": {}}``,
and prints one JSON line before each read (``{"start": i}``) and one after it:
``{"read": i, "outcome": "value" | "s3tools" | "other", "type": ..., "message": ...}``.
A read that ends the process leaves its ``start`` line last: the parent knows
which file did it. The server and keys come from the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path


def outcome(read: dict) -> dict:
    import s3tools

    call = getattr(s3tools, read["call"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = call(read["path"], **read.get("options", {}))
            if read["call"] == "s3_path_to_chunks":
                value = list(value)
    except s3tools.S3ToolsError as error:
        return {"outcome": "s3tools", "type": type(error).__name__, "message": str(error)}
    except Exception as error:  # noqa: BLE001 - any other exception is what the parent looks for
        return {"outcome": "other", "type": type(error).__name__, "message": str(error)[:500]}
    return {"outcome": "value", "type": type(value).__name__, "message": ""}


@dataclass
class Finished:
    """How a child's reads ended: its exit status, each read's outcome (in order), the
    read under way when it stopped (None if it finished them all) and its stderr."""

    returncode: int
    outcomes: list[dict]
    unfinished: int | None
    stderr: str

    def problems(self, reads: list[dict]) -> list[str]:
        """Every read that did not end in a value or an s3tools error naming its path, and
        a child that did not exit normally."""
        found = [f"{reads[o['read']]['call']}({reads[o['read']]['path']!r}): "
                 f"{o['type']}: {o['message'][:300]}" for o in self.outcomes
                 if o["outcome"] == "other" or
                 o["outcome"] == "s3tools" and reads[o["read"]]["path"] not in o["message"]]
        if self.unfinished is not None:
            read = reads[self.unfinished]
            found.append(f"the process ended (status {self.returncode}) in {read['call']}"
                         f"({read['path']!r}): {self.stderr[-1500:]}")
        elif self.returncode != 0:
            found.append(f"the process exited with status {self.returncode}: "
                         f"{self.stderr[-1500:]}")
        return found


def run(reads: list[dict], folder: Path, timeout: float = 600,
        environment: dict[str, str] | None = None) -> Finished:
    """The reads in a new Python process (this one's s3tools, environment and server, and
    ``environment`` over it)."""
    import s3tools

    reads_file = folder / "reads.jsonl"
    reads_file.write_text("".join(json.dumps(read) + "\n" for read in reads), encoding="utf-8")
    package = str(Path(s3tools.__file__).resolve().parents[1])
    environment = {**os.environ, **(environment or {}),
                   "PYTHONPATH": os.pathsep.join([package, os.environ.get("PYTHONPATH", "")])}
    try:
        finished = subprocess.run([sys.executable, __file__, str(reads_file)],
                                  capture_output=True, text=True, timeout=timeout,
                                  env=environment, check=False)
        returncode, stdout, stderr = finished.returncode, finished.stdout, finished.stderr
    except subprocess.TimeoutExpired as expired:
        returncode, stderr = -1, f"no end after {timeout} s"
        stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else \
            expired.stdout or ""
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    outcomes = [line for line in lines if "read" in line]
    started = [line["start"] for line in lines if "start" in line]
    unfinished = started[-1] if started and len(started) > len(outcomes) else None
    return Finished(returncode, outcomes, unfinished, stderr)


def main(reads_file: str) -> None:
    with open(reads_file, encoding="utf-8") as handle:
        reads = [json.loads(line) for line in handle if line.strip()]
    for index, read in enumerate(reads):
        print(json.dumps({"start": index}), flush=True)
        print(json.dumps({"read": index, **outcome(read)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
