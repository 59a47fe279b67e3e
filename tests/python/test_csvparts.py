"""csvparts: a CSV parsed part by part while it arrives, into what pandas' read returns.

Read through the S3 server in parts far smaller than the files (``PART`` shrunk),
so that every case crosses many part boundaries; the full read's memory is
measured in a child process.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BUCKET, put

import s3tools
from s3tools import csvfiles, csvparts, r_types

HERE = Path(__file__).resolve().parent
ROWS = 60_000


def _text(columns: dict) -> bytes:
    return pd.DataFrame(columns).to_csv(index=False).encode()


def _late(values: list, early: object) -> list:
    """``early`` for the first rows, then ``values`` at the end of the file."""
    return [early] * (ROWS - len(values)) + values


CASES = {
    "mixed": lambda index: {"id": index, "x": index * 0.5, "flag": index % 3 == 0,
                            "name": [f"n{i}" for i in index]},
    "integers then floats": lambda index: {"id": index, "x": [str(i) for i in index[:-5]]
                                           + ["1.5"] * 5},
    "missing then integers": lambda index: {"id": index, "x": _late([1, 2, 3], "")},
    "missing then text": lambda index: {"id": index, "x": _late(["a", "b"], "")},
    "integers then missing": lambda index: {"id": index, "x": _late(["", ""], "7")},
    "integers then text": lambda index: {"id": index, "x": _late(["abc"], "12")},
    "booleans with missing": lambda index: {"id": index, "x": _late(["", "True"], "False")},
    "a line longer than a part": lambda index: {"id": index, "x": _late(["y" * 200_000], "z")},
    "missing texts": lambda index: {"id": index, "x": ["NA" if i % 4 else "n/a" for i in index]},
}


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(csvparts, "PART", 32 * 1024)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_csv_read_in_parts_is_pandas_read(seed, small_parts, case):
    data = _text(CASES[case](np.arange(ROWS)))
    assert len(data) > 4 * csvparts.PART
    put(seed, "parts.csv", data)
    got = s3tools.s3_path_to_df(f"{BUCKET}/parts.csv")
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(data)), check_exact=True)


@pytest.mark.parametrize("text", [b"a,b\n" + b"1,x\n" * 80_000,
                                  b"a,b\r\n" + b"1,x\r\n" * 80_000,
                                  b"a,b\n" + b"1,x\n" * 80_000 + b"2,y"])
def test_line_ends_and_a_last_line_without_one(seed, small_parts, text):
    put(seed, "ends.csv", text)
    got = s3tools.s3_path_to_df(f"{BUCKET}/ends.csv")
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(text)), check_exact=True)


def test_options_the_parts_take_are_pandas_options(seed, small_parts):
    data = _text({"id": np.arange(ROWS), "x": ["yes" if i % 2 else "-" for i in range(ROWS)],
                  "y": [f"{i:05d}" for i in range(ROWS)]})
    put(seed, "options.csv", data)
    for options in ({"na_values": ["-"]}, {"keep_default_na": False},
                    {"true_values": ["yes"], "false_values": ["-"]}, {"dtype": {"y": "str"}}):
        assert csvparts.settings({"sep": ",", **options}, {}) is not None
        got = s3tools.s3_path_to_df(f"{BUCKET}/options.csv", **options)
        pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(data), **options),
                                      check_exact=True)


def test_options_only_a_whole_read_takes_are_left_to_it():
    for options in ({"usecols": ["a"]}, {"na_values": ["1"]}, {"dtype": {"a": "float32"}},
                    {"sep": ";;"}, {"true_values": "yes"}):
        assert csvparts.settings({"sep": ",", **options}, {}) is None, options


def test_the_read_for_r_keeps_arrow_types_in_parts_as_whole(small_parts):
    data = _text({"id": np.arange(ROWS), "x": _late(["1.5"], "2"), "e": [""] * ROWS,
                  "s": ["t"] * ROWS, "": ["u"] * ROWS})  # the last one: "Unnamed: 4"
    with r_types.for_r():
        options, _ = r_types.csv_options({})
        options = {"sep": ",", **options}
        got = csvfiles._read_csv(data, ",", True, dict(options))
        text = csvfiles._text_columns(csvfiles._model(csvfiles._head(data), options))
        whole = csvfiles._read_whole(data, options, text, True)
    pd.testing.assert_frame_equal(got, whole, check_exact=True)


def test_a_full_read_adds_no_more_memory_than_pandas_own(seed, tmp_path):
    """Parts are let go as parsed: no whole text and no table of the file beside the frame
    (before, the read added three to four times the file at its peak, twice pandas')."""
    rows = 1_200_000
    rng = np.random.default_rng(3)
    data = _text({"id": np.arange(rows), "region": rng.choice(["North", "South East"], rows),
                  "score": rng.normal(50, 15, rows).round(4), "count": rng.integers(0, 99, rows),
                  "seen": ["2020-01-02 03:04:05"] * rows})
    put(seed, "memory.csv", data)
    local = tmp_path / "memory.csv"
    local.write_bytes(data)
    result = subprocess.run([sys.executable, str(HERE / "read_memory.py"), f"{BUCKET}/memory.csv",
                             str(local)], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["rows"] == measured["pandas_rows"] == rows
    assert measured["added"] <= measured["pandas_added"], measured
    print(f"\nfull read of a {len(data):,}-byte CSV: s3tools added {measured['added']:,} bytes "
          f"at its peak, pandas.read_csv of the file on disk {measured['pandas_added']:,}")
