"""formats: the table from extension to reader and writer, and unknown types."""

from __future__ import annotations

import pandas as pd
import pytest

import s3tools
from s3tools import formats
from s3tools.compression import COMPRESSIONS

SPEC_EXTENSIONS = ["csv", "tsv", "tab", "parquet", "feather", "arrow", "json", "jsonl", "ndjson",
                   "xlsx", "xls", "sav", "dta", "sas7bdat"]


def test_every_format_of_the_spec_is_supported():
    assert set(SPEC_EXTENSIONS) <= set(formats.supported())
    assert formats.supported() == sorted(formats.supported())


@pytest.mark.parametrize(("key", "name", "compression"), [
    ("a/data.csv", "csv", None),
    ("a/DATA.CSV", "csv", None),
    ("a/data.Csv.GZ", "csv", "gz"),
    ("data.tsv.bz2", "tsv", "bz2"),
    ("data.tab", "tsv", None),
    ("data.parquet.xz", "parquet", "xz"),
    ("data.PQ", "parquet", None),
    ("data.feather.zst", "feather", "zst"),
    ("data.arrow", "feather", None),
    ("data.json.zip", "json", "zip"),
    ("data.ndjson", "jsonl", None),
    ("data.JSONL", "jsonl", None),
    ("book.XLSX", "excel", None),
    ("book.xls", "excel", None),
    ("survey.sav", "spss", None),
    ("survey.dta.gz", "stata", "gz"),
    ("extract.SAS7BDAT", "sas", None),
    ("dir.v2/data.csv", "csv", None),
])
def test_the_format_comes_from_the_extension(key, name, compression):
    fmt, found = formats.resolve(key)
    assert (fmt.name, found) == (name, compression)


@pytest.mark.parametrize(("file_type", "name", "compression"), [
    ("csv", "csv", None), ("CSV", "csv", None), (".tsv", "tsv", None), ("parquet", "parquet", None),
    ("excel", "excel", None), ("csv.gz", "csv", "gz"), ("stata", "stata", None),
])
def test_file_type_overrides_the_extension(file_type, name, compression):
    fmt, found = formats.resolve("folder/export.txt", file_type)
    assert (fmt.name, found) == (name, compression)


def test_file_type_keeps_the_key_compression():
    fmt, found = formats.resolve("folder/export.txt.gz", "tsv")
    assert (fmt.name, found) == ("tsv", "gz")


@pytest.mark.parametrize("key", ["notes.txt", "image.dcm", "noextension", "data.gz",
                                 "archive.tar.gz"])
def test_an_unknown_type_lists_the_supported_ones_and_points_to_read_using(key):
    with pytest.raises(s3tools.FormatError) as caught:
        formats.resolve(key)
    message = str(caught.value)
    assert "read_using" in message
    assert "file_type" in message
    for extension in SPEC_EXTENSIONS:
        assert extension in message
    for compression in COMPRESSIONS:
        assert compression in message
    assert isinstance(caught.value, ValueError)


def test_an_unknown_file_type_is_named():
    with pytest.raises(s3tools.FormatError, match="hdf5"):
        formats.resolve("data.csv", "hdf5")


def test_writing_sas7bdat_points_to_write_using():
    with pytest.raises(s3tools.FormatError) as caught:
        formats.resolve("out.sas7bdat", writing=True)
    assert "write_using" in str(caught.value)
    assert "sas7bdat" not in str(caught.value).split("Supported:")[1]


def frame_with_gaps() -> pd.DataFrame:
    return pd.DataFrame({
        "id": pd.array([1, 2, None, 4], dtype="Int64"),
        "value": [1.5, None, -2.25, 1e10],
        "label": pd.array(["a", None, "Zoë", "d,e"], dtype="str"),
    })


@pytest.mark.parametrize("extension", ["csv", "tsv", "parquet", "feather", "json", "jsonl",
                                       "xlsx", "sav", "dta"])
def test_each_writer_is_read_back_by_its_reader(extension):
    fmt, _ = formats.resolve(f"x.{extension}")
    frame = frame_with_gaps()
    if extension in ("sav", "dta", "json", "jsonl", "xlsx", "csv", "tsv"):
        # These formats have no nullable integer: the reader gives floats back.
        frame["id"] = frame["id"].astype("float64")
    back = fmt.read(fmt.write(frame))
    if extension in ("sav", "dta"):
        back["label"] = back["label"].replace("", None)  # both store a missing text as ""
    pd.testing.assert_frame_equal(back, frame, check_dtype=extension in ("parquet", "feather"))
