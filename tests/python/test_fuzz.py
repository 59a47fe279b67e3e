"""Damaged files of every format: each read ends in a value or an s3tools error, and the
process lives.

The files are those of the shared corpus (``../shared/corpus`` beside the
repository, or ``S3TOOLS_CORPUS``, found as the conformance check finds it)
when it is there, and always the small files this test makes, one of each
format s3tools reads (Parquet encrypted with keys nobody has among them). Each
is truncated or mutated (a fixed seed: the same files every run), uploaded,
and read with ``s3_path_to_df`` and ``s3_path_to_preview_df`` in a child
process (``child_reads.py``): a read that would end the process (an abort in
C++, a segfault) ends the child, not the test run. ``S3TOOLS_FUZZ_COUNT`` sets
how many damaged files (300 by default, about a minute here); ``S3TOOLS_FUZZ_SEED``
another seed.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import zstandard
from child_reads import run
from conftest import BUCKET

import s3tools

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "conformance"))
sys.path.insert(0, str(HERE.parent / "cases" / "data"))
from corpus import corpus_files, corpus_folder  # noqa: E402
from make_fixtures import people  # noqa: E402

COUNT = int(os.environ.get("S3TOOLS_FUZZ_COUNT", "300"))
SEED = int(os.environ.get("S3TOOLS_FUZZ_SEED", "22"))
FIXTURES = [HERE.parent / "cases" / "data", HERE.parent / "data"]
# Values that, written over a length or an offset, make it point anywhere.
INTEGERS = (0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def made_files() -> dict[str, bytes]:
    """One small file of each format s3tools reads, made here or committed beside the tests."""
    frame = people()
    csv = frame.to_csv(index=False).encode()
    files = {
        "made.csv": csv,
        "made.tsv": frame.to_csv(index=False, sep="\t").encode(),
        "made.json": frame.to_json(orient="records").encode(),
        "made.jsonl": frame.to_json(orient="records", lines=True).encode(),
        "made.csv.bz2": bz2.compress(csv),
        "made.csv.xz": lzma.compress(csv),
        "made.csv.zst": zstandard.ZstdCompressor().compress(csv),
        "made.csv.gz": gzip.compress(csv, mtime=0),
    }
    buffer = io.BytesIO()
    frame.to_feather(buffer)
    files["made.arrow"] = buffer.getvalue()
    for folder in FIXTURES:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix not in (".py", ".md"):
                files[f"fixture-{path.name}"] = path.read_bytes()
    return files


def seed_files() -> dict[str, bytes]:
    files = made_files()
    folder = corpus_folder()
    if folder.is_dir():
        for path in corpus_files(folder):
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def _truncate(data: bytes, generator: random.Random) -> tuple[bytes, str]:
    # Half the cuts fall in the last KiB, where footers and zip directories are.
    keep = len(data) - generator.randrange(min(len(data), 1024) + 1) if generator.random() < 0.5 \
        else generator.randrange(len(data) + 1)
    return data[:keep], f"first {keep} bytes"


def _bytes(data: bytes, generator: random.Random) -> tuple[bytes, str]:
    damaged = bytearray(data)
    # Anywhere, in the first KiB (headers) or in the last (footers).
    low, high = generator.choice([(0, len(data)), (0, min(len(data), 1024)),
                                  (max(0, len(data) - 1024), len(data))])
    places = sorted(generator.randrange(low, high) for _ in range(generator.randint(1, 8)))
    for place in places:
        damaged[place] = generator.randrange(256)
    return bytes(damaged), f"bytes at {places}"


def _integer(data: bytes, generator: random.Random) -> tuple[bytes, str]:
    damaged = bytearray(data)
    place = generator.randrange(max(1, len(data) - 3))
    value = generator.choice(INTEGERS + (len(data),))
    width = generator.choice((2, 4))
    damaged[place:place + width] = (value % (1 << 8 * width)).to_bytes(
        width, generator.choice(("little", "big")))
    return bytes(damaged), f"{value:#x} at {place}"


def _splice(data: bytes, generator: random.Random) -> tuple[bytes, str]:
    start = generator.randrange(len(data))
    piece = data[start:start + generator.randint(1, 256)]
    place = generator.randrange(len(data))
    return (data[:place] + piece + data[place + len(piece):],
            f"{len(piece)} bytes from {start} at {place}")


MUTATIONS: list[Callable[[bytes, random.Random], tuple[bytes, str]]] = [
    _truncate, _bytes, _bytes, _integer, _splice]


def damaged_files(files: dict[str, bytes], count: int, seed: int) -> list[tuple[str, bytes, str]]:
    """``count`` damaged copies, the files taken in turn: (key, bytes, what was done)."""
    generator = random.Random(seed)
    names = sorted(name for name, data in files.items() if data)
    damaged = []
    for index in range(count):
        name = names[index % len(names)]
        mutation = generator.choice(MUTATIONS)
        data, how = mutation(files[name], generator)
        damaged.append((f"fuzz/{index:05d}/{name.rsplit('/', 1)[-1]}", data,
                        f"{name}: {mutation.__name__.strip('_')} {how}"))
    return damaged


def _read_damaged(seed, tmp_path: Path, damaged: list[tuple[str, bytes, str]],
                  reads_of: Callable[[str], list[dict]]) -> None:
    """Upload the damaged files, read each as ``reads_of(path)`` says in one child process,
    and check how every read ended."""
    reads, made_from = [], {}
    for key, data, how in damaged:
        seed.put_object(Bucket=BUCKET, Key=key, Body=data)
        path = f"{BUCKET}/{key}"
        made_from[path] = how
        reads += reads_of(path)
    # The memory check refuses full reads of files that say they hold more (one of the
    # corpus' Parquet files holds a 2 GiB string in 3 KB).
    finished = run(reads, tmp_path, timeout=1200, environment={"S3TOOLS_MEMORY_LIMIT": "1GB"})
    problems = finished.problems(reads)

    def made(problem: str) -> str:
        return next((how for path, how in made_from.items()
                     if path.rsplit("/", 1)[0] in problem), "")

    assert not problems, "\n".join(f"{problem} [{made(problem)}]" for problem in problems)
    assert len(finished.outcomes) == len(reads)
    ended = pd.Series([outcome["outcome"] for outcome in finished.outcomes]).value_counts()
    print(f"\n{len(damaged)} damaged files, {len(reads)} reads: {ended.to_dict()}")


def test_damaged_files_end_in_a_value_or_an_s3tools_error(seed, tmp_path):
    _read_damaged(seed, tmp_path, damaged_files(seed_files(), COUNT, SEED),
                  lambda path: [{"call": "s3_path_to_df", "path": path},
                                {"call": "s3_path_to_preview_df", "path": path}])


def test_damaged_parquet_files_read_as_datasets_end_in_a_value_or_an_s3tools_error(seed,
                                                                                  tmp_path):
    # Chunks, and folder reads (pyarrow's dataset reader, through s3tools' filesystem).
    parquet = {name: data for name, data in seed_files().items() if name.endswith(".parquet")}
    _read_damaged(seed, tmp_path, damaged_files(parquet, COUNT // 3, SEED),
                  lambda path: [{"call": "s3_path_to_chunks", "path": path,
                                 "options": {"chunk_size": 1000}},
                                {"call": "s3_path_to_df", "path": path.rsplit("/", 1)[0] + "/"}])


def _read_both(path: str, tmp_path: Path) -> list[dict]:
    reads = [{"call": "s3_path_to_df", "path": path},
             {"call": "s3_path_to_preview_df", "path": path}]
    finished = run(reads, tmp_path, timeout=300)
    assert not finished.problems(reads)
    return finished.outcomes


def test_an_arrow_file_whose_offsets_point_outside_its_values_is_a_format_error(seed, tmp_path):
    import pyarrow as pa
    import pyarrow.feather

    sink = io.BytesIO()
    table = pa.table({"lists": pa.array([[1, 2], [3], [4, 5, 6]], pa.list_(pa.int32()))})
    pyarrow.feather.write_feather(table, sink, compression="uncompressed")
    offsets = (0, 2, 3, 6)
    found = b"".join(o.to_bytes(4, "little") for o in offsets)
    data = sink.getvalue()
    assert data.count(found) == 1
    damaged = data.replace(found, found[:-4] + (0xFFFF).to_bytes(4, "little"))
    for outcome in _read_both(put_bytes(seed, "damaged/lists.arrow", damaged), tmp_path):
        assert (outcome["outcome"], outcome["type"]) == ("s3tools", "FormatError")


def test_an_arrow_file_with_decimals_wider_than_their_precision_reads_as_pandas_reads_it(
        seed, tmp_path):
    # Arrow's own test files have such values; pandas reads them, and so does s3tools.
    import pyarrow as pa
    import pyarrow.feather

    wide = pa.Array.from_buffers(pa.decimal128(3, 2), 1,
                                 [None, pa.py_buffer((12810).to_bytes(16, "little"))])
    sink = io.BytesIO()
    pyarrow.feather.write_feather(pa.table({"amount": wide}), sink)
    path = put_bytes(seed, "odd/decimals.arrow", sink.getvalue())
    expected = pd.read_feather(io.BytesIO(sink.getvalue()))
    pd.testing.assert_frame_equal(s3tools.s3_path_to_df(path), expected)
    pd.testing.assert_frame_equal(s3tools.s3_path_to_preview_df(path), expected)


def test_parquet_column_names_that_are_not_utf8_are_a_format_error(seed, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"caf\u00e9": [1, 2]}), sink, store_schema=False)
    data = sink.getvalue().replace("caf\u00e9".encode(), b"caf\xc3(")
    for outcome in _read_both(put_bytes(seed, "damaged/names.parquet", data), tmp_path):
        assert (outcome["outcome"], outcome["type"]) == ("s3tools", "FormatError")


def put_bytes(seed, key: str, data: bytes) -> str:
    seed.put_object(Bucket=BUCKET, Key=key, Body=data)
    return f"{BUCKET}/{key}"
