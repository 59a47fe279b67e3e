"""``make demo``: the main job end to end, in Python and then in R, on one local S3 server.

Needs no account and no network: ``s3tools serve`` starts an S3 server on
127.0.0.1 seeded with sample files, the command line lists and previews them,
Python reads, writes back and reads bytes as an analyst would, then R
(``Rscript python/s3tools/demo.R``, the package loaded from this checkout with pkgload)
does the same against the same server. The server is stopped by its PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

BUCKET = "Request4_CT"
CHECKOUT = Path(__file__).resolve().parents[2]


def _sample_frame(rows: int = 1000) -> pd.DataFrame:
    generator = np.random.default_rng(7)
    return pd.DataFrame({
        "patient_id": np.arange(1, rows + 1),
        "site": generator.choice(["Edinburgh", "Glasgow", "Dundee", "Aberdeen"], rows),
        "age": generator.integers(18, 95, rows),
        "score": np.round(generator.normal(50, 10, rows), 2),
        "admitted": pd.date_range("2024-01-01", periods=rows, freq="h").strftime("%Y-%m-%d"),
    })


def _sample_folder(folder: Path) -> None:
    """What the server is seeded with: a cohort as CSV and Parquet, and a few images."""
    frame = _sample_frame()
    (folder / "cohort").mkdir()
    frame.to_csv(folder / "cohort" / "patients.csv", index=False)
    frame.to_parquet(folder / "cohort" / "patients.parquet", index=False)
    (folder / "images").mkdir()
    for number in range(3):
        (folder / "images" / f"scan-{number:03}.dcm").write_bytes(
            b"\0" * 128 + b"DICM" + bytes([number]) * 64)


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _start_server(seed: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """``s3tools serve`` in a process of its own; its PID and the variables it printed."""
    command = [sys.executable, "-m", "s3tools.cli", "serve", "--port", "0", "--seed", str(seed),
               "--bucket", BUCKET]
    print("$ s3tools serve --port 0 --seed <sample folder> --bucket", BUCKET)
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    environment = {}
    for line in server.stdout:
        print(line.rstrip())
        if line.startswith("export "):
            name, _, value = line[len("export "):].strip().partition("=")
            environment[name] = value
        if line.startswith("unset "):
            return server, environment
    raise SystemExit(f"s3tools serve stopped before it was ready (exit code {server.wait()})")


def _command_line(environment: dict[str, str]) -> None:
    for arguments in (["ls", f"s3://{BUCKET}/", "--recursive", "--human-readable"],
                      ["head", f"s3://{BUCKET}/cohort/patients.parquet", "-n", "3"]):
        _step("$ s3tools " + " ".join(arguments))
        subprocess.run([sys.executable, "-m", "s3tools.cli", *arguments], check=True,
                       env={**os.environ, **environment})


def _python() -> None:
    import s3tools

    _step("Python: accessible_buckets()")
    print(s3tools.accessible_buckets())

    _step(f'Python: list_files_in_buckets("{BUCKET}")')
    listing = s3tools.list_files_in_buckets(BUCKET)
    print(listing[["path", "size_readable", "lastmodified"]].to_string(index=False))

    _step(f'Python: s3_path_to_preview_df("s3://{BUCKET}/cohort/patients.csv", n=3)')
    print(s3tools.s3_path_to_preview_df(f"s3://{BUCKET}/cohort/patients.csv", n=3))

    _step(f'Python: s3_path_to_df("{BUCKET}/cohort/patients.parquet")')
    patients = s3tools.s3_path_to_df(f"{BUCKET}/cohort/patients.parquet")
    print(f"{len(patients)} rows; columns: {', '.join(patients.columns)}")

    _step(f"Python: write_df_to_csv_in_s3(summary, '{BUCKET}/outputs/summary.csv')")
    summary = patients.groupby("site", as_index=False).agg(
        patients=("patient_id", "count"), mean_score=("score", "mean")).round(2)
    s3tools.write_df_to_csv_in_s3(summary, f"{BUCKET}/outputs/summary.csv")
    print(s3tools.s3_path_to_df(f"{BUCKET}/outputs/summary.csv"))
    try:
        s3tools.write_df_to_csv_in_s3(summary, f"{BUCKET}/outputs/summary.csv")
    except s3tools.AlreadyExistsError as error:
        print(f"Writing again is refused: {error}")

    _step(f'Python: read_files_from_s3("{BUCKET}/images/") (bytes in memory, no disk)')
    images = s3tools.read_files_from_s3(f"{BUCKET}/images/")
    for path, data in images.items():
        print(f"{path}: {len(data)} bytes, DICOM magic {data[128:132]!r}")

    _step(f'Python: pandas after import s3tools: pd.read_csv("s3://{BUCKET}/outputs/summary.csv")')
    print(pd.read_csv(f"s3://{BUCKET}/outputs/summary.csv").head(2))


def _r(environment: dict[str, str]) -> None:
    _step("R: Rscript python/s3tools/demo.R (the same job, the same server)")
    variables = {**os.environ, **environment, "S3TOOLS_PYTHON": sys.executable, "TZ": "UTC"}
    subprocess.run(["Rscript", str(Path(__file__).with_name("demo.R"))], check=True, cwd=CHECKOUT,
                   env=variables)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="s3tools-demo-") as folder:
        _sample_folder(Path(folder))
        server, environment = _start_server(Path(folder))
        try:
            _command_line(environment)
            # What a Safe Haven user puts in their environment; a dead web proxy is left
            # in place on purpose: s3tools does not use it for a custom endpoint.
            os.environ.update(environment, http_proxy="http://127.0.0.1:9",
                              https_proxy="http://127.0.0.1:9")
            for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN"):
                os.environ.pop(name, None)
            _python()
            _r(environment)
            print("\nDemo finished.")
        finally:
            os.kill(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            server.stdout.close()


if __name__ == "__main__":
    main()
