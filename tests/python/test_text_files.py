"""Text files read as pandas reads them, through either parser, with hints for the usual mistakes.

The fixtures in tests/data/text are made by tests/data/make_fixtures.py; each
is a case that was once read wrongly or unhelpfully.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BUCKET, put

import s3tools
from s3tools import csvfiles

TEXT = Path(__file__).resolve().parents[1] / "data" / "text"

# file, options s3tools and pandas both get, how pandas reads the file.
READABLE = [
    ("big_integers.csv", {}, pd.read_csv),
    ("iso_dates.csv", {}, pd.read_csv),
    ("bool_gaps.csv", {}, pd.read_csv),
    ("latin1.csv", {"encoding": "latin-1"}, pd.read_csv),
    ("utf16.csv", {"encoding": "utf-16"}, pd.read_csv),
    ("comments.csv", {"comment": "#"}, pd.read_csv),
    ("lines.json", {"file_type": "jsonl"}, lambda p, **o: pd.read_json(p, lines=True, **o)),
]


@pytest.fixture(params=["pandas alone", "pyarrow after a small sample"])
def sample_size(request, monkeypatch):
    """Files this small are read by pandas alone; a tiny sample sends them through pyarrow."""
    if request.param != "pandas alone":
        monkeypatch.setattr(csvfiles, "SAMPLE_BYTES", 24)
    return request.param


@pytest.mark.parametrize(("name", "options", "usual"), READABLE, ids=[r[0] for r in READABLE])
def test_a_text_file_reads_as_pandas_reads_it(seed, sample_size, name, options, usual):
    path = put(seed, f"text/{name}", (TEXT / name).read_bytes())
    reader_options = {k: v for k, v in options.items() if k != "file_type"}
    expected = usual(TEXT / name, **reader_options)
    pd.testing.assert_frame_equal(s3tools.s3_path_to_df(path, **options), expected)
    first = usual(TEXT / name, nrows=2, **reader_options)
    pd.testing.assert_frame_equal(s3tools.s3_path_to_preview_df(path, 2, **options), first)


def test_the_values_that_used_to_change(seed, sample_size):
    """Exact integers beyond int64, dates as text, NaN for a missing boolean."""
    numbers = s3tools.s3_path_to_df(put(seed, "t/big.csv", (TEXT / "big_integers.csv").read_bytes()))
    assert numbers["c10"].dtype == np.uint64
    assert numbers["c10"].tolist() == [5863949479783605708, 18446744073709551615, 0]
    dates = s3tools.s3_path_to_df(put(seed, "t/dates.csv", (TEXT / "iso_dates.csv").read_bytes()))
    assert dates.iloc[1].tolist() == ["2024-02-29", "23:59:59", "2024-02-29T23:59:59.5",
                                      "2024-02-29T23:59:59+01:00"]
    parsed = s3tools.s3_path_to_df(f"{BUCKET}/t/dates.csv", parse_dates=["day"])
    assert parsed["day"].dtype.kind == "M"
    flags = s3tools.s3_path_to_df(put(seed, "t/flags.csv", (TEXT / "bool_gaps.csv").read_bytes()))
    gap = flags["flag"].iloc[1]
    assert isinstance(gap, float) and np.isnan(gap)  # as pandas: NaN, not None


@pytest.mark.parametrize(("name", "advice"), [
    ("latin1.csv", 'encoding="latin-1"'),
    ("utf16.csv", 'encoding="utf-16"'),
    ("lines.json", 'file_type="jsonl"'),
    ("comments.csv", 'comment="#"'),
])
def test_a_usual_mistake_gets_a_hint(seed, sample_size, name, advice):
    path = put(seed, f"text/{name}", (TEXT / name).read_bytes())
    for read in (s3tools.s3_path_to_df, s3tools.s3_path_to_preview_df):
        with pytest.raises(s3tools.FormatError) as caught:
            read(path)
        assert path in str(caught.value) and advice in str(caught.value), str(caught.value)


# --- files larger than the sample: pyarrow's parser, checked against pandas' ---

def _rows(count: int, whole_amounts: bool = False) -> str:
    return "".join(f"{i},name {i},2024-01-{i % 28 + 1:02d},{i if whole_amounts else i * 0.5},"
                   f"{i % 2 == 0}\n" for i in range(count))


def test_a_big_csv_with_dates_is_read_once_with_dates_as_text(seed, forwarder):
    text = ("id,name,day,amount,even\n" + _rows(40_000)).encode()
    assert len(text) > 4 * csvfiles.SAMPLE_BYTES
    path = put(seed, "big/dates.csv", text)
    forwarder.reset()
    got = s3tools.s3_path_to_df(path)
    assert forwarder.received < 1.2 * len(text), "the object was fetched more than once"
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(text)))
    assert pd.api.types.is_string_dtype(got["day"])


@pytest.mark.parametrize("late", [
    "99,late,2024-01-01,18446744073709551615,True\n",  # beyond int64 after the sample
    "99,late,2024-01-01,1.5,\n",                       # a gap in the booleans
    "99,late,2024-01-01,inf,True\n",                   # an infinity among whole amounts
    "99,late,2024-01-01,-18446744073709551617,True\n",  # below any 64-bit integer
    "99,,,,\n",                                        # gaps everywhere
])
def test_what_appears_after_the_sample_still_reads_as_pandas(seed, late):
    whole = "1844674407370955161" in late
    text = ("id,name,day,amount,even\n" + _rows(20_000, whole) + late + _rows(10, whole)).encode()
    path = put(seed, "big/late.csv", text)
    pd.testing.assert_frame_equal(s3tools.s3_path_to_df(path), pd.read_csv(io.BytesIO(text)))


def test_a_column_empty_in_the_sample_with_dates_later_stays_text(seed):
    text = ("id,when\n" + "".join(f"{i},\n" for i in range(60_000))
            + "".join(f"{i},2024-03-{i % 28 + 1:02d}\n" for i in range(100))).encode()
    path = put(seed, "big/late_dates.csv", text)
    got = s3tools.s3_path_to_df(path)
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(text)))
    assert pd.api.types.is_string_dtype(got["when"])


def test_text_that_turns_non_utf8_after_the_sample_is_an_encoding_error(seed):
    text = ("id,name\n" + "".join(f"{i},name {i}\n" for i in range(60_000))).encode() \
        + "99,Malm\u00f6\n".encode("latin-1")
    path = put(seed, "big/latin1.csv", text)
    with pytest.raises(s3tools.FormatError, match='encoding=') as caught:
        s3tools.s3_path_to_df(path)
    assert path in str(caught.value)
    got = s3tools.s3_path_to_df(path, encoding="latin-1")
    assert got["name"].iloc[-1] == "Malm\u00f6"


@pytest.mark.parametrize("key", ["big/repeated.csv", "big/repeated.csv.gz"])
def test_a_header_that_repeats_a_name_types_each_column_as_pandas(seed, key):
    # Longer than the sample: the first "a" is text, the second whole numbers ("a.1").
    text = ("a,b,a,d\n" + "".join(f"x{i},{i},{i * 2},{i % 3}\n" for i in range(30_000))).encode()
    assert len(text) > csvfiles.SAMPLE_BYTES
    body = gzip.compress(text) if key.endswith(".gz") else text
    got = s3tools.s3_path_to_df(put(seed, key, body))
    expected = pd.read_csv(io.BytesIO(text))
    assert list(expected.columns) == ["a", "b", "a.1", "d"]
    assert expected["a.1"].dtype == np.int64
    pd.testing.assert_frame_equal(got, expected)
