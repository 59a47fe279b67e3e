"""SPSS files that ReadStat cannot take without ending the process: a format error instead.

The reads run in a child process (``child_reads.py``): on the code before the
check, they end it with a segfault.
"""

from __future__ import annotations

import io

import pandas as pd
import pyreadstat
import pytest
from child_reads import run
from conftest import BUCKET, put

from s3tools import savfiles


def labelled_sav(tmp_path, encoding: str | None = None) -> bytes:
    """A file whose text variable ``code`` has value labels (for "AB" and "CD")."""
    frame = pd.DataFrame({"code": ["AB", "CD", "EF"], "x": [1.0, 2.0, 3.0]})
    path = tmp_path / "labelled.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={
        "code": {"AB": "Alpha", "CD": "Charlie"}})
    return path.read_bytes()


def damaged(data: bytes) -> bytes:
    """The label value "CD" made "C" and a byte that is no UTF-8."""
    at = data.index(b"CD      ")  # the value label record comes before the data
    return data[:at] + b"C\x80" + data[at + 2:]


def test_the_check_finds_only_value_labels_that_are_not_text(tmp_path):
    data = labelled_sav(tmp_path)
    savfiles.refuse_unsafe(io.BytesIO(data), "b/ok.sav")
    with pytest.raises(savfiles.FormatError, match="b/bad.sav.*encoding="):
        savfiles.refuse_unsafe(io.BytesIO(damaged(data)), "b/bad.sav")
    # Read as Latin-1 every byte is a letter: ReadStat converts, and nothing is refused
    # (the names are iconv's).
    savfiles.refuse_unsafe(io.BytesIO(damaged(data)), "b/bad.sav", encoding="LATIN1")
    savfiles.refuse_unsafe(io.BytesIO(b"not an SPSS file"), "b/x.sav")
    savfiles.refuse_unsafe(io.BytesIO(damaged(data)[:300]), "b/cut.sav")  # ReadStat says


def test_a_value_label_that_is_not_utf8_is_a_format_error_not_a_segfault(seed, tmp_path):
    path = put(seed, "spss/labels.sav", damaged(labelled_sav(tmp_path)))
    reads = [{"call": "s3_path_to_df", "path": path},
             {"call": "s3_path_to_preview_df", "path": path}]
    finished = run(reads, tmp_path, timeout=300)
    assert not finished.problems(reads)
    for outcome in finished.outcomes:
        assert (outcome["outcome"], outcome["type"]) == ("s3tools", "FormatError")
        assert "not utf-8 text" in outcome["message"] and f"{BUCKET}/spss/labels.sav" in \
            outcome["message"]
    latin = run([{**read, "options": {"encoding": "LATIN1"}} for read in reads], tmp_path)
    assert [o["outcome"] for o in latin.outcomes] == ["value", "value"], latin.outcomes
