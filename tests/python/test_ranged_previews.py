"""Previews of SPSS, Stata and SAS files stay within S3TOOLS_PREVIEW_LIMIT, whatever their
headers declare: the bytes fetched, and the rows decoded at the width a header declares.

The files are made by the test (pyreadstat, pandas; SAS from the committed fixture with its
row count changed), small, and uploaded to the test server; the memory a preview adds is
measured in a new process (preview_memory.py).
"""

from __future__ import annotations

import struct
from pathlib import Path

import pandas as pd
import pytest
from bombs import MiB
from conftest import put
from test_bombs import assert_refused_within_the_limit, measure

import s3tools

DATA = Path(__file__).resolve().parents[1] / "data"
WIDE = 32767  # SPSS's widest string


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setenv("S3TOOLS_PREVIEW_LIMIT", "1MB")


def wide_zsav(path: Path, rows: int, columns: int = 8) -> Path:
    """A compressed SPSS file of string columns of 32,767 characters (32 KiB a column once
    decoded, a few hundred bytes compressed): every cell is one Python string."""
    import pyreadstat

    value = "a" * WIDE
    frame = pd.DataFrame({f"s{column}": [value] * rows for column in range(columns)})
    pyreadstat.write_sav(frame, str(path), compress=True)
    return path


def test_a_preview_of_rows_wider_than_the_limit_is_refused_before_decoding(seed, tmp_path):
    local = wide_zsav(tmp_path / "wide.zsav", 40)
    data = local.read_bytes()
    assert len(data) < 4 * MiB
    path = put(seed, "wide.zsav", data)
    answer = measure(seed, "preview", path, 40)  # 10 MiB of rows
    assert_refused_within_the_limit(answer, path)
    assert "first 40 rows of 256.0 KB each" in answer["message"], answer["message"]
    # Five of them fit.
    pd.testing.assert_frame_equal(s3tools.s3_path_to_preview_df(path),
                                  pd.read_spss(str(local), row_limit=5))


def test_a_small_file_is_previewed_whole_only_when_all_its_rows_fit(seed, tmp_path):
    # Under 1 MiB, and 3,000 rows of 32 KiB (96 MiB) once decoded: its first rows only.
    data = wide_zsav(tmp_path / "long.zsav", 3000, columns=1).read_bytes()
    assert len(data) < MiB
    path = put(seed, "long.zsav", data)
    answer = measure(seed, "preview", path)
    assert answer.get("rows") == 5, answer
    assert answer["added"] < 32 * MiB, answer


def test_a_dictionary_larger_than_the_limit_is_refused_before_it_is_fetched(seed, tmp_path,
                                                                          small_limit):
    path = put(seed, "wide.zsav", wide_zsav(tmp_path / "wide.zsav", 2).read_bytes())
    with pytest.raises(s3tools.FormatError) as caught:
        s3tools.s3_path_to_preview_df(path, n=1)
    for text in (path, "header and first rows", "S3TOOLS_PREVIEW_LIMIT", "1.0 MB"):
        assert text in str(caught.value)


def test_a_stata_preview_fetches_no_more_than_the_limit(seed, tmp_path, small_limit):
    # 100 rows of 20,000 bytes: the reader asks for n rows at their width in one read.
    frame = pd.DataFrame({f"s{column}": ["b" * 2000] * 100 for column in range(10)})
    local = tmp_path / "wide.dta"
    frame.to_stata(local, write_index=False, version=117)
    path = put(seed, "wide.dta", local.read_bytes())
    with pytest.raises(s3tools.FormatError) as caught:
        s3tools.s3_path_to_preview_df(path, n=100)
    assert path in str(caught.value) and "S3TOOLS_PREVIEW_LIMIT" in str(caught.value)
    pd.testing.assert_frame_equal(s3tools.s3_path_to_preview_df(path),
                                  pd.read_stata(local).head(5))


def test_a_sas_preview_holds_its_pages_and_rows_to_the_limit(seed, monkeypatch):
    data = bytearray((DATA / "sample.sas7bdat").read_bytes())  # 64 KiB pages, 752-byte rows
    # Its row size subheader: the row length, then the row count.
    count_at = data.index(struct.pack("<ii", 752, 5)) + 4
    struct.pack_into("<i", data, count_at, 1_000_000)
    path = put(seed, "many.sas7bdat", bytes(data))
    monkeypatch.setenv("S3TOOLS_PREVIEW_LIMIT", "200KB")
    with pytest.raises(s3tools.FormatError, match="first 1000 rows of 752 B each") as caught:
        s3tools.s3_path_to_preview_df(path, n=1000)
    assert path in str(caught.value) and "S3TOOLS_PREVIEW_LIMIT" in str(caught.value)
    # Its header and first page are 128 KiB.
    monkeypatch.setenv("S3TOOLS_PREVIEW_LIMIT", "100KB")
    with pytest.raises(s3tools.FormatError, match="header and first rows"):
        s3tools.s3_path_to_preview_df(path, n=1)
