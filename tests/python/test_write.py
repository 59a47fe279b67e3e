"""write: round trips for every writable format, overwrite protection, multipart, write_using."""

from __future__ import annotations

import gzip
import io
import os

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import (BUCKET, ON_SEAWEEDFS, PlantedTemporaryFolder, assert_same_frame, get, keys,
                      put)

import s3tools
from s3tools.compression import decompress


def frame_with_gaps() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 2, 3, 4],
        "value": [1.5, None, -2.25, 1e10],
        "label": ["a", None, "Zoë", "d,e \"q\""],
        "when": pd.to_datetime(["2024-01-02", None, "1999-12-31", "2030-06-01"]),
    })


def read_locally(extension: str, data: bytes) -> pd.DataFrame:
    """How pandas reads the written bytes, without s3tools."""
    source = io.BytesIO(data)
    return {
        "csv": lambda: pd.read_csv(source, parse_dates=["when"]),
        "tsv": lambda: pd.read_csv(source, sep="\t", parse_dates=["when"]),
        "parquet": lambda: pd.read_parquet(source),
        "feather": lambda: pd.read_feather(source),
        "xlsx": lambda: pd.read_excel(source),
        "dta": lambda: pd.read_stata(source),
    }[extension]()


@pytest.mark.parametrize("extension", ["parquet", "feather"])
def test_columnar_round_trips_are_exact(seed, extension):
    frame = frame_with_gaps()
    frame["count"] = pd.array([1, None, 3, 2**53 + 1], dtype="Int64")
    frame["kind"] = pd.Categorical(["x", "y", None, "x"])
    frame["when_tz"] = pd.to_datetime(["2024-01-02 03:04:05", None, "2000-01-01 00:00:00",
                                       "2001-02-03 12:00:00"]
                                      ).tz_localize("Europe/London")
    path = f"{BUCKET}/out/data.{extension}"
    assert s3tools.write_df_to_table_in_s3(frame, path) == path
    pd.testing.assert_frame_equal(read_locally(extension, get(seed, f"out/data.{extension}")),
                                  frame)
    pd.testing.assert_frame_equal(s3tools.s3_path_to_df(path), frame)


@pytest.mark.parametrize("extension", ["csv", "tsv"])
def test_text_round_trips_keep_values_and_gaps(seed, extension):
    frame = frame_with_gaps()
    path = f"{BUCKET}/out/data.{extension}"
    s3tools.write_df_to_table_in_s3(frame, path)
    written = get(seed, f"out/data.{extension}")
    assert_same_frame(read_locally(extension, written), frame)
    back = s3tools.s3_path_to_df(path, parse_dates=["when"])
    assert_same_frame(back, frame)


def test_write_df_to_csv_has_a_header_and_no_index(seed):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", None]}, index=[10, 20])
    s3tools.write_df_to_csv_in_s3(frame, f"s3://{BUCKET}/plain.csv", row_names=False)
    assert get(seed, "plain.csv") == b"a,b\n1,x\n2,\n"
    s3tools.write_df_to_csv_in_s3(frame, f"{BUCKET}/semi.csv", sep=";", na_rep="NA")
    assert get(seed, "semi.csv") == b"a;b\n1;x\n2;NA\n"


@pytest.mark.parametrize("extension", ["json", "jsonl"])
def test_json_round_trips(seed, extension):
    frame = frame_with_gaps().drop(columns="when")
    path = f"{BUCKET}/out/data.{extension}"
    s3tools.write_df_to_table_in_s3(frame, path)
    lines = extension == "jsonl"
    local = pd.read_json(io.BytesIO(get(seed, f"out/data.{extension}")), lines=lines)
    assert_same_frame(local, frame)
    assert_same_frame(s3tools.s3_path_to_df(path), frame)


def test_excel_round_trip(seed):
    frame = frame_with_gaps()
    path = f"{BUCKET}/out/Book.XLSX"
    s3tools.write_df_to_table_in_s3(frame, path)
    assert_same_frame(read_locally("xlsx", get(seed, "out/Book.XLSX")), frame)
    assert_same_frame(s3tools.s3_path_to_df(path), frame)


def test_stata_and_spss_round_trips(seed, tmp_path):
    frame = frame_with_gaps().drop(columns="when")
    frame["label"] = frame["label"].fillna("")  # neither format has a missing text value
    # Both store whole numbers in the narrowest type that holds them (Stata
    # int32, SPSS double): the values must be equal, the width may change.
    same = lambda got: pd.testing.assert_frame_equal(got, frame, check_dtype=False)
    s3tools.write_df_to_table_in_s3(frame, f"{BUCKET}/out/data.dta")
    same(read_locally("dta", get(seed, "out/data.dta")))
    same(s3tools.s3_path_to_df(f"{BUCKET}/out/data.dta"))
    s3tools.write_df_to_table_in_s3(frame, f"{BUCKET}/out/data.sav")
    local = tmp_path / "data.sav"
    local.write_bytes(get(seed, "out/data.sav"))
    same(pd.read_spss(str(local)))
    same(s3tools.s3_path_to_df(f"{BUCKET}/out/data.sav"))


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", "zst", "zip"])
def test_compressed_writes(seed, compression):
    frame = frame_with_gaps()
    key = f"out/data.csv.{compression}"
    s3tools.write_df_to_csv_in_s3(frame, f"{BUCKET}/{key}")
    written = get(seed, key)
    plain = decompress(written, compression)
    assert plain.startswith(b"id,value,label,when\n")
    assert_same_frame(read_locally("csv", plain), frame)
    assert_same_frame(s3tools.s3_path_to_df(f"{BUCKET}/{key}", parse_dates=["when"]), frame)
    if compression == "gz":
        assert gzip.decompress(written) == plain


def test_file_type_overrides_the_extension_when_writing(seed):
    frame = frame_with_gaps()
    s3tools.write_df_to_table_in_s3(frame, f"{BUCKET}/out/export.dat", file_type="parquet")
    pd.testing.assert_frame_equal(read_locally("parquet", get(seed, "out/export.dat")), frame)


def test_writer_options_are_passed_on(seed):
    frame = frame_with_gaps()
    s3tools.write_df_to_table_in_s3(frame, f"{BUCKET}/out/two.parquet", row_group_size=2)
    written = get(seed, "out/two.parquet")
    assert pq.ParquetFile(io.BytesIO(written)).metadata.num_row_groups == 2
    pd.testing.assert_frame_equal(read_locally("parquet", written), frame)


def test_an_option_the_writer_does_not_take_is_refused_before_any_request(seed, requests_sent):
    frame = frame_with_gaps()
    for key, fmt in (("out.csv", "csv"), ("out.parquet", "parquet"), ("out.xlsx", "excel")):
        with pytest.raises(s3tools.ArgumentError, match=(
                f"^no_such_option is not an option for writing {fmt} files "
                rf"\({BUCKET}/{key}\)\. The options it takes: ")):
            s3tools.write_df_to_table_in_s3(frame, f"{BUCKET}/{key}", no_such_option=1)
    with pytest.raises(s3tools.ArgumentError, match="skiprows is not an option for writing csv"):
        s3tools.write_df_to_csv_in_s3(frame, f"{BUCKET}/out.csv", skiprows=1)
    assert requests_sent == []
    assert keys(seed) == {}


def test_a_frame_the_writer_refuses_is_a_format_error_naming_the_path_and_what_to_do(seed):
    zoned = pd.DataFrame({"when": pd.to_datetime(["2024-03-31 12:00"]).tz_localize(
        "Europe/London"), "n": [1]})
    with pytest.raises(s3tools.FormatError) as caught:
        s3tools.write_df_to_table_in_s3(zoned, f"{BUCKET}/out/times.xlsx")
    message = str(caught.value)
    assert message.startswith(f"Could not write {BUCKET}/out/times.xlsx as excel: Excel does "
                              "not support datetimes with timezones")
    assert ("Nothing was written. Excel holds no time zones, and when has one: convert such "
            "columns to times without a time zone or to text first") in message
    with pytest.raises(s3tools.FormatError, match=(
            f"Could not write {BUCKET}/out/mixed.parquet as parquet: .*column a.*Nothing was "
            "written. Check the writer options")):
        s3tools.write_df_to_table_in_s3(pd.DataFrame({"a": [1, "x"]}),
                                        f"{BUCKET}/out/mixed.parquet")
    with pytest.raises(s3tools.FormatError, match="complex128"):  # pyarrow: not implemented
        s3tools.write_df_to_table_in_s3(pd.DataFrame({"a": [1 + 2j]}), f"{BUCKET}/out/c.parquet")
    # Written as it streams out: the upload is given up, nothing is left.
    with pytest.raises(s3tools.FormatError, match=f"Could not write {BUCKET}/out/q.csv as csv"):
        s3tools.write_df_to_csv_in_s3(zoned, f"{BUCKET}/out/q.csv", quoting=99)
    assert keys(seed) == {}
    assert seed.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    s3tools.write_df_to_table_in_s3(zoned.assign(when=zoned["when"].dt.tz_localize(None)),
                                    f"{BUCKET}/out/times.xlsx")
    assert list(keys(seed)) == ["out/times.xlsx"]


def test_unwritable_types(seed):
    frame = frame_with_gaps()
    with pytest.raises(s3tools.FormatError, match="write_using"):
        s3tools.write_df_to_table_in_s3(frame, f"{BUCKET}/out/x.sas7bdat")
    with pytest.raises(s3tools.FormatError, match="write_using"):
        s3tools.write_df_to_table_in_s3(frame, f"{BUCKET}/out/x.txt")
    with pytest.raises(TypeError, match="data frame"):
        s3tools.write_df_to_csv_in_s3({"a": [1]}, f"{BUCKET}/out/x.csv")
    assert keys(seed) == {}


# --- overwrite protection ---


WRITERS = {
    "write_file_to_s3": lambda path, local, **kw: s3tools.write_file_to_s3(local, path, **kw),
    "write_df_to_csv_in_s3": lambda path, local, **kw: s3tools.write_df_to_csv_in_s3(
        pd.DataFrame({"new": [1]}), path, **kw),
    "write_df_to_table_in_s3": lambda path, local, **kw: s3tools.write_df_to_table_in_s3(
        pd.DataFrame({"new": [1]}), path, **kw),
    "write_using": lambda path, local, **kw: s3tools.write_using(
        pd.DataFrame({"new": [1]}), lambda df, p: df.to_csv(p, index=False), path, **kw),
}


@pytest.fixture
def local_file(tmp_path):
    path = tmp_path / "local.csv"
    path.write_bytes(b"new\n1\n")
    return str(path)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_writer_refuses_to_overwrite_and_changes_nothing(seed, writer, local_file):
    put(seed, "exists/a.csv", "old\n")
    put(seed, "exists/a.csv.bak", "backup\n")
    before = keys(seed)
    with pytest.raises(s3tools.AlreadyExistsError, match="overwrite") as caught:
        WRITERS[writer](f"{BUCKET}/exists/a.csv", local_file)
    assert isinstance(caught.value, FileExistsError)
    assert f"{BUCKET}/exists/a.csv" in str(caught.value)
    assert keys(seed) == before
    WRITERS[writer](f"{BUCKET}/exists/a.csv", local_file, overwrite=True)
    assert get(seed, "exists/a.csv") == b"new\n1\n"
    assert get(seed, "exists/a.csv.bak") == b"backup\n"


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_overwrite_protection_is_for_the_exact_key(seed, writer, local_file):
    put(seed, "exact/a.csv.bak", "backup\n")
    if not ON_SEAWEEDFS:
        # SeaweedFS keeps keys in a file tree: a folder exact/a.csv/ makes it refuse
        # a conditional write (If-None-Match: *) of exact/a.csv, though HEAD says 404.
        # moto, like AWS S3, treats the two keys as unrelated.
        put(seed, "exact/a.csv/inside", "a folder of that name\n")
    put(seed, "exact/A.CSV", "other case\n")
    WRITERS[writer](f"{BUCKET}/exact/a.csv", local_file)
    assert get(seed, "exact/a.csv") == b"new\n1\n"
    assert get(seed, "exact/a.csv.bak") == b"backup\n"
    assert get(seed, "exact/A.CSV") == b"other case\n"


def test_write_file_to_s3_errors(seed, tmp_path):
    with pytest.raises(s3tools.NotFoundError, match="No such local file"):
        s3tools.write_file_to_s3(str(tmp_path / "missing.csv"), f"{BUCKET}/x.csv")
    if not ON_SEAWEEDFS:  # SeaweedFS creates a missing bucket on the first PUT into it
        with pytest.raises(s3tools.NotFoundError):
            s3tools.write_file_to_s3(__file__, "no-such-bucket/x.py")
    assert keys(seed) == {}


@pytest.mark.skipif(ON_SEAWEEDFS, reason="SeaweedFS creates a missing bucket on the first PUT")
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_write_to_a_missing_bucket_says_it_does_not_exist_or_is_not_yours(seed, writer,
                                                                          local_file):
    with pytest.raises(s3tools.NotFoundError) as caught:
        WRITERS[writer]("test-bukcet/out/a.csv", local_file)
    assert str(caught.value) == (
        "The bucket test-bukcet does not exist, or is not yours: nothing was written to "
        "test-bukcet/out/a.csv. Check its name; accessible_buckets() lists the buckets these "
        "credentials can use.")
    # A read names the object it looked for, as before.
    with pytest.raises(s3tools.NotFoundError, match="No such object or bucket: test-bukcet/a.csv"):
        s3tools.read_file_from_s3("test-bukcet/a.csv")


# --- large files ---

def test_multipart_upload_of_a_large_file(seed, tmp_path):
    data = np.random.default_rng(7).bytes(17 * 1024 * 1024 + 123)
    local = tmp_path / "large.bin"
    local.write_bytes(data)
    s3tools.write_file_to_s3(str(local), f"{BUCKET}/large/multi.bin")
    head = seed.head_object(Bucket=BUCKET, Key="large/multi.bin")
    assert head["ContentLength"] == len(data)
    # A multipart upload's ETag ends in "-<number of parts>".
    parts = head["ETag"].strip('"').rpartition("-")[2]
    assert parts.isdigit() and int(parts) >= 2, head["ETag"]
    assert get(seed, "large/multi.bin") == data
    assert s3tools.read_file_from_s3(f"{BUCKET}/large/multi.bin") == data
    s3tools.write_file_to_s3(str(local), f"{BUCKET}/large/single.bin", multipart=False)
    assert "-" not in seed.head_object(Bucket=BUCKET, Key="large/single.bin")["ETag"]
    assert get(seed, "large/single.bin") == data
    uploads = seed.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert uploads == []


def test_a_large_data_frame(seed):
    rows = 600_000
    frame = pd.DataFrame({"id": np.arange(rows), "text": np.char.add("row-", np.arange(
        rows).astype(str)).astype(object), "x": np.random.default_rng(1).random(rows)})
    s3tools.write_df_to_csv_in_s3(frame, f"{BUCKET}/large/frame.csv")
    assert seed.head_object(Bucket=BUCKET, Key="large/frame.csv")["ContentLength"] > 16 * 2**20
    assert_same_frame(pd.read_csv(io.BytesIO(get(seed, "large/frame.csv"))), frame)


# --- write_using ---

def test_write_using_uploads_what_fun_wrote(seed):
    frame = frame_with_gaps()
    seen = {}

    def writer(df, path, **options):
        seen["path"] = path
        seen["options"] = options
        df.to_excel(path, index=False, **options)

    written = s3tools.write_using(frame, writer, f"{BUCKET}/out/book.xlsx", sheet_name="data")
    assert written == f"{BUCKET}/out/book.xlsx"
    assert seen["path"].endswith(".xlsx")
    assert seen["path"].startswith(os.environ["S3TOOLS_RAM_DIR"])
    assert seen["options"] == {"sheet_name": "data"}
    assert not os.path.exists(seen["path"])
    local = pd.read_excel(io.BytesIO(get(seed, "out/book.xlsx")), sheet_name="data")
    assert_same_frame(local, frame)


def test_write_using_never_hands_over_a_file_through_a_planted_link(seed, monkeypatch,
                                                                   tmp_path):
    planted = PlantedTemporaryFolder(monkeypatch, tmp_path, ".txt")
    seen = []

    def writer(text, path):
        seen.append((path, os.path.realpath(path), os.path.islink(path)))
        with open(path, "w") as handle:
            handle.write(text)

    s3tools.write_using("mine\n", writer, f"{BUCKET}/out/x.txt")
    planted.check(*seen[0])
    assert get(seed, "out/x.txt") == b"mine\n"


def test_write_using_when_fun_fails_uploads_nothing_and_cleans_up(seed):
    seen = []

    def failing(obj, path):
        seen.append(path)
        with open(path, "w") as handle:
            handle.write("half")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError, match="writer failed"):
        s3tools.write_using("anything", failing, f"{BUCKET}/out/x.txt")
    assert not os.path.exists(seen[0])
    assert keys(seed) == {}
    with pytest.raises(TypeError):
        s3tools.write_using("anything", "not a function", f"{BUCKET}/out/x.txt")


# --- read-only credentials ---

def test_a_read_only_key_reads_but_cannot_write(seed, read_only, local_file):
    put(seed, "shared/data.csv", "a\n1\n")
    read_only()
    assert s3tools.read_file_from_s3(f"{BUCKET}/shared/data.csv") == b"a\n1\n"
    assert s3tools.s3_path_to_df(f"{BUCKET}/shared/data.csv")["a"].tolist() == [1]
    for name, writer in WRITERS.items():
        with pytest.raises(s3tools.AccessDeniedError) as caught:
            writer(f"{BUCKET}/shared/new-{name}.csv", local_file)
        message = str(caught.value)
        assert isinstance(caught.value, PermissionError)
        assert "read-write" in message
        assert "admin" in message
        assert f"{BUCKET}/shared/new-{name}.csv" in message
    with pytest.raises(s3tools.AccessDeniedError):
        s3tools.write_df_to_csv_in_s3(pd.DataFrame({"a": [2]}), f"{BUCKET}/shared/data.csv",
                                      overwrite=True)
    assert s3tools.list_files_in_buckets(BUCKET, path_only=True) == [f"{BUCKET}/shared/data.csv"]
