"""The soak: 10,000 mixed s3tools operations against SeaweedFS, memory watched throughout.

Reads, writes, previews, data frames, existence checks and listings, in a fixed
order, each result checked. The resident memory of this process is sampled
every 500 operations; the soak fails if it grows by more than the bound after
the first 1,000 operations (the warm-up: imports, pools and caches), or if any
result is wrong. The server and its data are removed at the end.

    python bench/soak.py                 # 10,000 operations (make soak)
    python bench/soak.py --operations 2000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import server

GROWTH_BOUND_MB = 64
WARM_UP = 1_000
SAMPLE_EVERY = 500


def resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=10_000)
    arguments = parser.parse_args()
    with server.running() as running:
        os.environ.update(AWS_ENDPOINT_URL=running.endpoint, AWS_DEFAULT_REGION=server.REGION,
                          AWS_ACCESS_KEY_ID=server.ACCESS_KEY,
                          AWS_SECRET_ACCESS_KEY=server.SECRET_KEY)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "http_proxy",
                     "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            os.environ.pop(name, None)
        return soak(arguments.operations)


def soak(operations: int) -> int:
    import pandas as pd

    import s3tools

    bucket = "soak"
    s3tools.transport.client().create_bucket(Bucket=bucket)
    frame = pd.DataFrame({"id": range(2_000), "name": [f"n{i}" for i in range(2_000)],
                          "value": [i / 7 for i in range(2_000)]})
    csv_text = frame.to_csv(index=False).encode()
    s3tools.write_df_to_csv_in_s3(frame, f"{bucket}/frame.csv")
    s3tools.write_df_to_table_in_s3(frame, f"{bucket}/frame.parquet")
    blob = os.urandom(256 * 1024)
    local = tempfile.NamedTemporaryFile(delete=False)  # noqa: SIM115 - removed below
    local.write(blob)
    local.close()
    for index in range(50):
        s3tools.write_file_to_s3(local.name, f"{bucket}/up/{index}.bin")

    def check(condition: bool, what: str) -> None:
        if not condition:
            raise AssertionError(what)

    kinds = [
        lambda i: check(s3tools.read_file_from_s3(f"{bucket}/frame.csv") == csv_text, "read"),
        lambda i: s3tools.write_file_to_s3(local.name, f"{bucket}/up/{i % 50}.bin",
                                           overwrite=True),
        lambda i: check(len(s3tools.s3_path_to_preview_df(f"{bucket}/frame.csv")) == 5,
                        "preview"),
        lambda i: check(s3tools.s3_path_to_df(f"{bucket}/frame.parquet").shape == frame.shape,
                        "parquet"),
        lambda i: check(s3tools.s3_file_exists(f"{bucket}/frame.csv"), "exists"),
        lambda i: check(hashlib.sha256(s3tools.read_file_from_s3(
            f"{bucket}/up/{i % 50}.bin")).digest() == hashlib.sha256(blob).digest(), "read back"),
        lambda i: check(len(s3tools.list_files_in_buckets(bucket, prefix="up/")) == 50,
                        "listing"),
        lambda i: s3tools.write_df_to_csv_in_s3(frame.head(100), f"{bucket}/small.csv",
                                                overwrite=True),
        lambda i: check(s3tools.s3_path_to_df(f"{bucket}/frame.csv").shape == frame.shape,
                        "csv"),
    ]
    started = time.monotonic()
    baseline = peak = 0.0
    try:
        for number in range(operations):
            kinds[number % len(kinds)](number)
            if number + 1 == min(WARM_UP, operations):
                baseline = peak = resident_mb()
            elif (number + 1) % SAMPLE_EVERY == 0:
                peak = max(peak, resident_mb())
    finally:
        os.remove(local.name)
    seconds = time.monotonic() - started
    growth = peak - baseline
    print(f"soak: {operations:,} operations in {seconds:.0f} s; resident memory "
          f"{baseline:.0f} MB after {min(WARM_UP, operations):,}, at most {peak:.0f} MB "
          f"(growth {growth:.1f} MB, bound {GROWTH_BOUND_MB} MB)")
    return 0 if growth <= GROWTH_BOUND_MB else 1


if __name__ == "__main__":
    sys.exit(main())
