"""Load: 16 threads and 4 processes of mixed reads and writes at once, every result exact."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from conftest import BUCKET, get, put

import s3tools

ROUNDS = 12


def body(worker: str, round_number: int) -> bytes:
    return hashlib.sha256(f"{worker}-{round_number}".encode()).digest() * (50 + round_number)


def mixed_work(worker: str) -> list[str]:
    """Writes, reads back, reads a shared object, a data frame, a listing: what went wrong."""
    problems = []
    shared = s3tools.read_file_from_s3(f"{BUCKET}/shared.bin")
    for number in range(ROUNDS):
        key = f"{BUCKET}/load/{worker}/{number}.bin"
        if number % 2:
            frame = pd.DataFrame({"worker": [worker] * 3, "round": [number] * 3})
            s3tools.write_df_to_csv_in_s3(frame, key.replace(".bin", ".csv"))
            back = s3tools.s3_path_to_df(key.replace(".bin", ".csv"))
            if back.to_dict("list") != {"worker": [worker] * 3, "round": [number] * 3}:
                problems.append(f"{key}: frame {back.to_dict('list')}")
        else:
            local = f"{os.environ['S3TOOLS_LOAD_DIR']}/{worker}-{number}.bin"
            with open(local, "wb") as handle:
                handle.write(body(worker, number))
            s3tools.write_file_to_s3(local, key)
            if s3tools.read_file_from_s3(key) != body(worker, number):
                problems.append(f"{key}: bytes differ")
        if s3tools.read_file_from_s3(f"{BUCKET}/shared.bin") != shared:
            problems.append("shared.bin differs")
    listed = s3tools.list_files_in_buckets(BUCKET, prefix=f"load/{worker}/", path_only=True)
    if len(listed) != ROUNDS:
        problems.append(f"{worker}: {len(listed)} keys listed, {ROUNDS} written")
    return problems


def _process(worker: str, environment: dict[str, str]) -> list[str]:
    os.environ.update(environment)
    return mixed_work(worker)


def test_16_threads_of_mixed_reads_and_writes(seed, tmp_path, monkeypatch):
    monkeypatch.setenv("S3TOOLS_LOAD_DIR", str(tmp_path))
    shared = os.urandom(200_000)
    put(seed, "shared.bin", shared)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(mixed_work, [f"thread{index}" for index in range(16)]))
    assert [problem for problems in results for problem in problems] == []
    assert get(seed, "shared.bin") == shared


def test_4_processes_of_mixed_reads_and_writes(seed, tmp_path, monkeypatch):
    monkeypatch.setenv("S3TOOLS_LOAD_DIR", str(tmp_path))
    put(seed, "shared.bin", os.urandom(100_000))
    names = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
             "S3TOOLS_LOAD_DIR", "S3TOOLS_RAM_DIR")
    environment = {name: os.environ[name] for name in names}
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.starmap(_process, [(f"process{index}", environment) for index in range(4)])
    assert [problem for problems in results for problem in problems] == []
