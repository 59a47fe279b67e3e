"""xlsx files whose parts inflate to far more than the file: previews stay within
S3TOOLS_PREVIEW_LIMIT and whole reads within the memory check, whatever a part holds or its
zip directory records.

Each workbook is made by the test, piece by piece (bombs.py), uploaded to the test server,
and read in a new process that measures the memory the call added (preview_memory.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from bombs import MiB, first_cell, number_rows, one_character, shared_strings, write_workbook
from conftest import put
from test_bombs import ALLOWED, assert_refused_within_the_limit, measure

import s3tools

BOMB = 128 * MiB
STRINGS = "xl/sharedStrings.xml"


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("workbooks")
    huge = shared_strings([b"name"], [b"x"], one_character(BOMB))
    write_workbook(folder / "strings.xlsx", {STRINGS: huge})
    write_workbook(folder / "sheet.xlsx", {"xl/worksheets/sheet1.xml":
                                           first_cell(one_character(BOMB))})
    # Read whole by openpyxl, and recorded in the directory as 1,000 bytes.
    write_workbook(folder / "styles.xlsx", {"xl/styles.xml": one_character(BOMB)},
                   recorded={"xl/styles.xml": 1000})
    return folder


def upload(seed, folder: Path, name: str) -> str:
    data = (folder / name).read_bytes()
    assert len(data) < MiB, len(data)
    return put(seed, f"workbooks/{name}", data)


@pytest.mark.parametrize("name", ["strings.xlsx", "sheet.xlsx"])
def test_a_preview_of_a_workbook_whose_part_inflates_to_gigabytes_stops_at_the_limit(
        seed, workbooks, name):
    path = upload(seed, workbooks, name)
    answer = measure(seed, "preview", path)
    assert_refused_within_the_limit(answer, path)
    assert "parts of the workbook" in answer["message"]


def test_a_part_that_holds_more_than_its_recorded_size_is_inflated_in_bounded_steps(
        seed, workbooks):
    # zipfile stops a part at its recorded size, but inflates a part read whole in one
    # step before it cuts it: here 256 MiB for 1,000 bytes.
    path = upload(seed, workbooks, "styles.xlsx")
    answer = measure(seed, "preview", path)
    assert answer.get("error") == "FormatError", answer
    assert path in answer["message"], answer["message"]
    assert answer["added"] < ALLOWED, answer


def test_a_whole_read_of_a_workbook_bomb_stops_with_too_large_in_bounded_memory(
        seed, workbooks):
    path = upload(seed, workbooks, "strings.xlsx")
    answer = measure(seed, "read", path, S3TOOLS_MEMORY_LIMIT="100MB")
    assert answer.get("error") == "TooLargeError", answer
    assert "once decompressed" in answer["message"], answer["message"]
    assert path in answer["message"] and "S3TOOLS_MEMORY_CHECK" in answer["message"]
    assert answer["added"] < 100 * MiB, answer


def test_a_sheet_larger_than_the_limit_is_previewed_from_its_first_rows(seed, tmp_path,
                                                                       monkeypatch):
    local = write_workbook(tmp_path / "long.xlsx",
                           {"xl/worksheets/sheet1.xml": number_rows(100_000)})
    path = put(seed, "long.xlsx", local.read_bytes())
    monkeypatch.setenv("S3TOOLS_PREVIEW_LIMIT", "1MB")  # the sheet: about 4 MB
    got = s3tools.s3_path_to_preview_df(path, n=3)
    pd.testing.assert_frame_equal(got, pd.read_excel(local, nrows=3))
    assert got["name"].tolist() == [1, 2, 3]


def test_a_workbook_within_the_memory_check_is_read_whole(seed, tmp_path, monkeypatch):
    local = write_workbook(tmp_path / "small.xlsx")
    path = put(seed, "small.xlsx", local.read_bytes())
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "100MB")
    pd.testing.assert_frame_equal(s3tools.s3_path_to_df(path), pd.read_excel(local))
