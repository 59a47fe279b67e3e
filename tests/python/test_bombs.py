"""Small files that claim or hold far more: previews stay within S3TOOLS_PREVIEW_LIMIT and
whole reads within the memory check, whatever the file holds.

Each file is made by the test, piece by piece (see bombs.py), and uploaded to
the test server; the memory a call adds is measured in a new process
(preview_memory.py), with the limit set small so files stay small.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bombs import MiB, one_character, write_compressed
from conftest import BUCKET, put

import s3tools
from s3tools.compression import COMPRESSIONS, compress

HERE = Path(__file__).resolve().parent
LIMIT, LIMIT_TEXT = 8 * MiB, "8MB"
# What a call may add to its process at its peak: the limit, and the rest of the call
# (the frame, the parser's and the allocator's own memory).
ALLOWED = LIMIT + 100 * MiB
# The decompressed size of each text bomb, and of each value of the columnar ones.
BOMB = 256 * MiB
VALUE = 128 * MiB
ROW = 32 * MiB  # a first row four times the limit


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bombs")
    for compression in COMPRESSIONS:
        write_compressed(folder / f"line.csv.{compression}", compression, one_character(BOMB))
        write_compressed(folder / f"row.csv.{compression}", compression,
                         one_character(ROW, b"name,note\n", b",x\nb,y\n"))
    for kind in ("parquet", "feather"):
        # In a process of its own: the writer copies each value once.
        subprocess.run([sys.executable, str(HERE / "bombs.py"), kind,
                        str(folder / f"values.{kind}"), str(VALUE)], check=True, timeout=300)
    return folder


@pytest.fixture
def limit(monkeypatch):
    monkeypatch.setenv("S3TOOLS_PREVIEW_LIMIT", LIMIT_TEXT)


def upload(seed, bombs: Path, name: str) -> str:
    data = (bombs / name).read_bytes()
    assert len(data) < 2 * MiB, len(data)  # small files: what they hold is the bomb
    return put(seed, f"bombs/{name}", data)


def measure(seed, verb: str, path: str, n: int = 5, **environment: str) -> dict:
    """What ``verb`` answered for ``path``, and the memory it added, in a new process."""
    warm = [put(seed, "warm/small.csv", "a,b\n1,2\n"),
            put(seed, "warm/small.parquet", pd.DataFrame({"a": [1]}).to_parquet())]
    result = subprocess.run(
        [sys.executable, str(HERE / "preview_memory.py"), verb, path, str(n)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "S3TOOLS_PREVIEW_LIMIT": LIMIT_TEXT,
             "S3TOOLS_WARM_PATH": ",".join(warm), **environment})
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n{verb} {path}: added {answer['added']:,} bytes at the peak")
    return answer


def assert_refused_within_the_limit(answer: dict, path: str) -> None:
    assert answer.get("error") == "FormatError", answer
    for text in (path, "S3TOOLS_PREVIEW_LIMIT", "8.0 MB"):
        assert text in answer["message"], answer["message"]
    assert answer["added"] < ALLOWED, answer


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_a_preview_of_a_compression_bomb_stops_at_the_limit(seed, bombs, compression):
    path = upload(seed, bombs, f"line.csv.{compression}")
    answer = measure(seed, "preview", path)
    assert_refused_within_the_limit(answer, path)
    assert "first rows" in answer["message"]


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_a_first_row_larger_than_the_limit_is_a_format_error(seed, bombs, limit, compression):
    path = upload(seed, bombs, f"row.csv.{compression}")
    with pytest.raises(s3tools.FormatError) as caught:
        s3tools.s3_path_to_preview_df(path)
    assert path in str(caught.value) and "S3TOOLS_PREVIEW_LIMIT" in str(caught.value)


def test_the_rows_before_the_limit_are_the_answer(seed, limit):
    text = b"name,note\n" + b"".join(b"r%d,%d\n" % (i, i) for i in range(3)) + b"x" * ROW
    for key, data in (("rows.csv", text), ("rows.csv.gz", compress(text, "gz", ""))):
        put(seed, key, data)
        frame = s3tools.s3_path_to_preview_df(f"{BUCKET}/{key}", n=5)
        assert frame["name"].tolist() == ["r0", "r1", "r2"]
    # A file within the limit is read to its end, its last line included.
    put(seed, "small.csv", b"name,note\nr0,0\nr1")
    assert s3tools.s3_path_to_preview_df(f"{BUCKET}/small.csv")["name"].tolist() == ["r0", "r1"]


def test_a_format_previewed_whole_is_refused_past_the_limit(seed, bombs, limit):
    records = b"[" + b",".join(b'{"a": %d}' % i for i in range(1_000_000)) + b"]"
    assert LIMIT < len(records) < 2 * LIMIT
    for key, data, said in (("big.json", records, "which takes"),
                            ("bomb.json.bz2", (bombs / "line.csv.bz2").read_bytes(),
                             "which decompresses to")):
        path = put(seed, key, data)
        with pytest.raises(s3tools.FormatError, match=said) as caught:
            s3tools.s3_path_to_preview_df(path)
        assert path in str(caught.value) and "S3TOOLS_PREVIEW_LIMIT" in str(caught.value)
    put(seed, "small.json", b'[{"a": 1}, {"a": 2}]')
    assert s3tools.s3_path_to_preview_df(f"{BUCKET}/small.json")["a"].tolist() == [1, 2]


def test_head_and_the_explorer_get_the_same_bound(seed, bombs):
    path = upload(seed, bombs, "line.csv.bz2")
    head = measure(seed, "head", path)
    assert head["exit"] == 6, head  # a format error
    assert path in head["message"] and "S3TOOLS_PREVIEW_LIMIT" in head["message"]
    assert head["added"] < ALLOWED, head
    assert_refused_within_the_limit(measure(seed, "explorer", path, 10), path)


def test_the_explorer_page_says_why(seed, bombs, limit):
    import urllib.error
    import urllib.parse
    import urllib.request

    from s3tools.explorer import Explorer

    path = upload(seed, bombs, "line.csv.gz")
    running = Explorer()
    try:
        base, _, token = running.url.partition("/?token=")
        query = urllib.parse.urlencode({"token": token, "path": path})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(f"{base}/api/preview?{query}", timeout=60)
        assert caught.value.code == 422
        assert "S3TOOLS_PREVIEW_LIMIT" in json.loads(caught.value.read())["error"]
    finally:
        running.stop()


@pytest.mark.parametrize("name", ["values.parquet", "values.feather"])
def test_a_columnar_file_of_huge_values_is_refused_before_decoding(seed, bombs, name):
    path = upload(seed, bombs, name)
    answer = measure(seed, "preview", path)
    assert_refused_within_the_limit(answer, path)


def test_a_dictionary_that_repeats_a_large_value_is_decoded_within_the_limit(seed, limit):
    value = b"v" * (6 * MiB)
    column = pa.DictionaryArray.from_arrays(pa.array(np.zeros(1000, np.int32)),
                                            pa.array([value], pa.binary()))
    buffer = io.BytesIO()
    # Without the Arrow schema the column reads back as plain binary: one copy per row.
    pq.write_table(pa.table({"a": column}), buffer, compression="zstd", store_schema=False)
    path = put(seed, "repeated.parquet", buffer.getvalue())
    assert_refused_within_the_limit(measure(seed, "preview", path, 50), path)
    assert len(s3tools.s3_path_to_preview_df(path, n=1)) == 1


def test_a_wide_file_whose_first_pages_pass_the_limit_together_is_previewed(seed, limit):
    generator = np.random.default_rng(5)
    rows = 300_000
    # R's names hold dots; a struct and a list column are stored in several leaf columns.
    columns = {f"c.{i}": generator.integers(0, 2 ** 62, rows) for i in range(12)}
    columns["s"] = pa.StructArray.from_arrays([np.arange(rows), np.arange(rows) * 2.0],
                                              ["x", "y"])
    columns["l"] = pa.array([[i, i + 1] for i in range(rows)])
    table = pa.table(columns)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=rows, compression="zstd")
    path = put(seed, "wide.parquet", buffer.getvalue())
    got = s3tools.s3_path_to_preview_df(path, n=7)
    pd.testing.assert_frame_equal(got, table.slice(0, 7).to_pandas())
    # Asked for by name, the columns are read together: past the limit, they are refused.
    some = s3tools.s3_path_to_preview_df(path, n=3, columns=["c.1", "s"])
    pd.testing.assert_frame_equal(some, table.select(["c.1", "s"]).slice(0, 3).to_pandas())
    with pytest.raises(s3tools.FormatError, match="columns asked for"):
        s3tools.s3_path_to_preview_df(path, columns=[f"c.{i}" for i in range(12)])


@pytest.mark.parametrize("compression", ["gz", "bz2"])
def test_a_whole_read_of_a_bomb_stops_with_too_large_in_bounded_memory(seed, bombs,
                                                                       compression):
    # gzip records its size in its trailer: refused before decompressing; bzip2 records
    # none: decompressed until it passes what the check allows.
    path = upload(seed, bombs, f"line.csv.{compression}")
    answer = measure(seed, "read", path, S3TOOLS_MEMORY_LIMIT="100MB")
    assert answer.get("error") == "TooLargeError", answer
    assert "at least" in answer["message"] and "once decompressed" in answer["message"]
    assert path in answer["message"] and "S3TOOLS_MEMORY_CHECK" in answer["message"]
    assert answer["added"] < 100 * MiB, answer


def test_a_folder_read_of_bombs_stops_with_too_large_in_bounded_memory(seed, bombs):
    # The folder's compressed files share what the check allows: decompressed side by
    # side, together they stay within it.
    for name in ("a.csv.bz2", "b.csv.bz2"):
        put(seed, f"folder/{name}", (bombs / "line.csv.bz2").read_bytes())
    answer = measure(seed, "read", f"{BUCKET}/folder/", S3TOOLS_MEMORY_LIMIT="100MB")
    assert answer.get("error") == "TooLargeError", answer
    assert "once decompressed" in answer["message"], answer["message"]
    assert answer["added"] < 100 * MiB, answer
