"""read: objects into memory, files into data frames (every format), read_using, downloads."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import zstandard
from conftest import (BUCKET, PlantedTemporaryFolder, assert_same_frame, plant_links, put,
                      untouched)

import s3tools
import s3tools.read
import s3tools.transport
from s3tools import parquet_layout

DATA = Path(__file__).resolve().parent.parent / "data"


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 2, 3, 4],
        "value": [1.5, None, -2.25, 1e10],
        "label": ["a", None, "Zoë", "d,e"],
        "flag": [True, False, True, None],
    })


# Bytes of each format, made with pandas (not with s3tools), and how pandas
# reads them back locally: the expected frame.
def encode(extension: str, frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    if extension == "csv":
        frame.to_csv(buffer, index=False)
    elif extension in ("tsv", "tab"):
        frame.to_csv(buffer, index=False, sep="\t")
    elif extension in ("parquet",):
        frame.to_parquet(buffer, index=False)
    elif extension in ("feather", "arrow"):
        frame.to_feather(buffer)
    elif extension == "json":
        frame.to_json(buffer, orient="records")
    elif extension in ("jsonl", "ndjson"):
        frame.to_json(buffer, orient="records", lines=True)
    elif extension == "xlsx":
        frame.to_excel(buffer, index=False)
    elif extension == "dta":
        frame.to_stata(buffer, write_index=False)
    else:
        raise AssertionError(extension)
    return buffer.getvalue()


def decode(extension: str, data: bytes) -> pd.DataFrame:
    source = io.BytesIO(data)
    return {
        "csv": lambda: pd.read_csv(source),
        "tsv": lambda: pd.read_csv(source, sep="\t"),
        "tab": lambda: pd.read_csv(source, sep="\t"),
        "parquet": lambda: pd.read_parquet(source),
        "feather": lambda: pd.read_feather(source),
        "arrow": lambda: pd.read_feather(source),
        "json": lambda: pd.read_json(source),
        "jsonl": lambda: pd.read_json(source, lines=True),
        "ndjson": lambda: pd.read_json(source, lines=True),
        "xlsx": lambda: pd.read_excel(source),
        "dta": lambda: pd.read_stata(source),
    }[extension]()


def stata_frame() -> pd.DataFrame:
    frame = sample_frame().drop(columns="flag")
    frame["label"] = frame["label"].fillna("")
    return frame


PANDAS_FORMATS = ["csv", "tsv", "tab", "parquet", "feather", "arrow", "json", "jsonl", "ndjson",
                  "xlsx", "dta"]


@pytest.mark.parametrize("extension", PANDAS_FORMATS)
def test_each_format_reads_exactly(seed, extension):
    frame = stata_frame() if extension == "dta" else sample_frame()
    data = encode(extension, frame)
    put(seed, f"in/data.{extension}", data)
    got = s3tools.s3_path_to_df(f"{BUCKET}/in/data.{extension}")
    assert_same_frame(got, decode(extension, data))
    assert got["value"].isna().tolist() == [False, True, False, False]
    pd.testing.assert_frame_equal(s3tools.s3_path_to_full_df(f"{BUCKET}/in/data.{extension}"), got)


def test_spss_reads_exactly(seed, tmp_path):
    import pyreadstat

    frame = stata_frame()
    local = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(local))
    put(seed, "survey.sav", local.read_bytes())
    got = s3tools.s3_path_to_df(f"{BUCKET}/survey.sav")
    pd.testing.assert_frame_equal(got, pd.read_spss(str(local)))
    assert got["value"].isna().tolist() == [False, True, False, False]


def test_xls_fixture_reads_exactly(seed):
    data = (DATA / "sample.xls").read_bytes()
    put(seed, "old/Book.XLS", data)
    got = s3tools.s3_path_to_df(f"{BUCKET}/old/Book.XLS")
    pd.testing.assert_frame_equal(got, pd.read_excel(io.BytesIO(data), engine="xlrd"))
    assert got.isna().sum().sum() == 2


def test_sas7bdat_fixture_reads_exactly_with_text_decoded(seed):
    data = (DATA / "sample.sas7bdat").read_bytes()
    put(seed, "sas/extract.sas7bdat", data)
    got = s3tools.s3_path_to_df(f"{BUCKET}/sas/extract.sas7bdat")
    expected = pd.read_sas(io.BytesIO(data), format="sas7bdat", encoding="infer")
    pd.testing.assert_frame_equal(got, expected)
    texts = [value for value in got["text_row"] if value is not None]
    assert texts and all(isinstance(value, str) for value in texts)


COMPRESSORS = {
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


def zip_one(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", "zst", "zip", "GZ"])
@pytest.mark.parametrize("extension", ["csv", "jsonl", "parquet"])
def test_compressed_files_are_looked_through(seed, extension, compression):
    data = encode(extension, sample_frame())
    packed = (zip_one(f"data.{extension}", data) if compression == "zip"
              else COMPRESSORS[compression.lower()](data))
    key = f"packed/data.{extension}.{compression}"
    put(seed, key, packed)
    assert_same_frame(s3tools.s3_path_to_df(f"{BUCKET}/{key}"), decode(extension, data))


def test_a_type_error_from_a_damaged_file_is_a_format_error_and_one_from_options_is_not(seed):
    import json

    import pyarrow as pa
    import pyarrow.feather

    table = pa.Table.from_pandas(sample_frame(), preserve_index=False)
    recorded = json.loads(table.schema.metadata[b"pandas"])
    recorded["columns"][0]["numpy_type"] = "st;"  # no numpy type has that name
    sink = io.BytesIO()
    pyarrow.feather.write_feather(
        table.replace_schema_metadata({b"pandas": json.dumps(recorded).encode()}), sink)
    path = put(seed, "damaged/types.feather", sink.getvalue())
    with pytest.raises(s3tools.FormatError, match="not understood") as caught:
        s3tools.s3_path_to_df(path)
    assert path in str(caught.value)
    put(seed, "fine.csv", "a\n1\n")
    with pytest.raises(TypeError, match="no_such_option is not an option for reading csv"):
        s3tools.s3_path_to_df(f"{BUCKET}/fine.csv", no_such_option=1)


def test_a_zip_of_several_files_is_a_format_error_naming_the_path(seed):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "x\n1\n")
        archive.writestr("b.csv", "x\n2\n")
    path = put(seed, "packed/two.csv.zip", buffer.getvalue())
    for read in (s3tools.s3_path_to_df, s3tools.s3_path_to_preview_df):
        with pytest.raises(s3tools.FormatError, match="exactly one file") as caught:
            read(path)
        assert path in str(caught.value) and caught.value.path == path


@pytest.mark.parametrize("key", ["Data.CSV", "DATA.Csv.Gz", "x.PARQUET", "x.TSV"])
def test_extensions_are_case_insensitive(seed, key):
    inner = key.lower().removesuffix(".gz").rsplit(".", 1)[-1]
    data = encode(inner, sample_frame())
    put(seed, key, gzip.compress(data) if key.lower().endswith(".gz") else data)
    assert_same_frame(s3tools.s3_path_to_df(f"{BUCKET}/{key}"), decode(inner, data))


@pytest.mark.parametrize(("file_type", "extension"), [("csv", "csv"), ("tsv", "tsv"),
                                                      ("parquet", "parquet"), (".JSONL", "jsonl")])
def test_file_type_overrides_the_extension(seed, file_type, extension):
    data = encode(extension, sample_frame())
    put(seed, "export.txt", data)
    got = s3tools.s3_path_to_df(f"{BUCKET}/export.txt", file_type=file_type)
    assert_same_frame(got, decode(extension, data))


def test_file_type_with_compression(seed):
    data = encode("csv", sample_frame())
    put(seed, "export.dat", gzip.compress(data))
    got = s3tools.s3_path_to_df(f"{BUCKET}/export.dat", file_type="csv.gz")
    assert_same_frame(got, decode("csv", data))


def test_reader_options_are_passed_on(seed):
    put(seed, "semi.csv", "a;b;c\n1;x;2.5\n3;y;\n")
    got = s3tools.s3_path_to_df(f"{BUCKET}/semi.csv", sep=";", usecols=["a", "c"])
    pd.testing.assert_frame_equal(got, pd.read_csv(io.StringIO("a;b;c\n1;x;2.5\n3;y;\n"), sep=";",
                                                   usecols=["a", "c"]))
    got = s3tools.s3_path_to_df(f"{BUCKET}/semi.csv", sep=";", skiprows=1, header=None)
    assert got.shape == (2, 3)


def test_an_option_the_reader_does_not_take_is_refused_before_any_request(seed, requests_sent):
    put(seed, "a.csv", "a\n1\n")
    put(seed, "a.parquet", encode("parquet", sample_frame()))
    requests_sent.clear()
    for read in (s3tools.s3_path_to_df, s3tools.s3_path_to_preview_df):
        with pytest.raises(s3tools.ArgumentError) as caught:
            read(f"{BUCKET}/a.csv", stringsAsFactors=True)
        assert isinstance(caught.value, TypeError)  # what Python raises for such a keyword
        message = str(caught.value)
        assert message.startswith(f"stringsAsFactors is not an option for reading csv files "
                                  f"({BUCKET}/a.csv). The options it takes: sep, delimiter, ")
        assert "skiprows" in message and "dtype_backend" in message
    with pytest.raises(s3tools.ArgumentError, match=(
            rf"skiprows, nrows are not options for reading parquet files \({BUCKET}/a.parquet\)"
            r"\. The options it takes: engine, columns, .*filters")):
        s3tools.s3_path_to_df(f"{BUCKET}/a.parquet", skiprows=1, nrows=1)
    assert requests_sent == []


def test_an_option_for_a_folder_is_checked_against_its_files_format(seed):
    put(seed, "csvs/1.csv", "a\n1\n")
    put(seed, "csvs/2.csv", "a\n2\n")
    put(seed, "parquets/1.parquet", encode("parquet", sample_frame()))
    with pytest.raises(s3tools.ArgumentError,
                       match=f"sheet_name is not an option for reading csv files .{BUCKET}/csvs/."):
        s3tools.s3_path_to_df(f"{BUCKET}/csvs/", sheet_name=1)
    with pytest.raises(s3tools.ArgumentError, match=(
            f"skiprows is not an option for reading a Parquet dataset .{BUCKET}/parquets/.. "
            "The options it takes: columns, filters; in R also stringsAsFactors.")):
        s3tools.s3_path_to_df(f"{BUCKET}/parquets/", skiprows=1)


def test_a_reader_option_of_the_wrong_type_is_a_format_error_naming_the_path(seed):
    put(seed, "a.csv", "a\n1\n")
    with pytest.raises(s3tools.FormatError, match=f"Could not read {BUCKET}/a.csv as csv"):
        s3tools.s3_path_to_df(f"{BUCKET}/a.csv", skiprows="one")


def test_an_unknown_type_is_a_format_error_before_any_download(seed):
    put(seed, "notes.txt", "hello")
    sent = []
    events = s3tools.transport.client().meta.events
    events.register("before-send.s3", lambda **kwargs: sent.append(1))
    with pytest.raises(s3tools.FormatError) as caught:
        s3tools.s3_path_to_df(f"{BUCKET}/notes.txt")
    assert "read_using" in str(caught.value) and "csv" in str(caught.value)
    assert sent == []


def test_a_corrupt_file_is_a_format_error_naming_the_path(seed):
    put(seed, "broken.parquet", b"this is not parquet")
    with pytest.raises(s3tools.FormatError, match=f"{BUCKET}/broken.parquet"):
        s3tools.s3_path_to_df(f"{BUCKET}/broken.parquet")


def test_not_found(seed):
    with pytest.raises(s3tools.NotFoundError, match=f"{BUCKET}/nothing.csv"):
        s3tools.s3_path_to_df(f"{BUCKET}/nothing.csv")
    with pytest.raises(FileNotFoundError):
        s3tools.read_file_from_s3("missing-bucket/x.csv")


# --- Parquet: the types of a local read ---

def typed_frames() -> dict[str, tuple[pd.DataFrame, bool]]:
    """Frames of many types, and whether each is written with its index."""
    frame = pd.DataFrame({
        "text": pd.array(["a", None, "Zoë", "d,e"], dtype="str"),
        "category": pd.Categorical(["x", "y", None, "x"]),
        "stamp": pd.date_range("2024-03-01 12:00", periods=4, freq="h", tz="Europe/London"),
        "naive": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2024-01-04"]),
        "day": [pd.Timestamp("2024-01-01").date(), None, pd.Timestamp("2024-02-29").date(),
                pd.Timestamp("1970-01-01").date()],
        "count": pd.array([1, None, 3, 4], dtype="Int64"),
        "value": [1.5, None, -2.25, 1e10],
        "flag": [True, False, True, None],
    })
    indexed = frame.set_index(pd.Index(["w", "x", "y", "z"], name="row"))
    return {"plain": (frame, False), "index": (indexed, True),
            "range-index": (frame, True), "empty": (frame.iloc[:0], False)}


@pytest.mark.parametrize("name", list(typed_frames()))
def test_parquet_reads_with_the_types_of_a_local_read(seed, name):
    frame, index = typed_frames()[name]
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=index)
    # A hive-style folder name must not add a column.
    put(seed, f"typed/year=2024/{name}.parquet", buffer.getvalue())
    got = s3tools.s3_path_to_df(f"{BUCKET}/typed/year=2024/{name}.parquet")
    pd.testing.assert_frame_equal(got, pd.read_parquet(io.BytesIO(buffer.getvalue())))


def test_parquet_reader_options_apply(seed):
    frame, _ = typed_frames()["plain"]
    put(seed, "opts.parquet", encode("parquet", frame))
    got = s3tools.s3_path_to_df(f"{BUCKET}/opts.parquet", columns=["text", "count"],
                                filters=[("value", ">", 0)])
    expected = pd.read_parquet(io.BytesIO(encode("parquet", frame)), columns=["text", "count"],
                               filters=[("value", ">", 0)])
    pd.testing.assert_frame_equal(got, expected)
    assert len(got) == 2


def test_parquet_ignores_a_dead_environment_proxy_for_a_custom_endpoint(seed, monkeypatch):
    data = encode("parquet", sample_frame())
    put(seed, "proxied.parquet", data)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    got = s3tools.s3_path_to_df(f"{BUCKET}/proxied.parquet")
    pd.testing.assert_frame_equal(got, decode("parquet", data))


def test_a_missing_parquet_key_is_not_found_naming_the_path(seed, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    with pytest.raises(s3tools.NotFoundError, match=f"{BUCKET}/gone/nothing.parquet"):
        s3tools.s3_path_to_df(f"{BUCKET}/gone/nothing.parquet")


# --- a folder read into one frame ---

def test_a_folder_of_one_format_is_one_frame(seed):
    parts = [sample_frame().iloc[i:i + 2].reset_index(drop=True) for i in (0, 2)]
    for number, part in enumerate(parts):
        put(seed, f"parts/part-{number}.parquet", encode("parquet", part))
    put(seed, "parts/_SUCCESS", b"")
    put(seed, "parts/.hidden.txt", b"x")
    got = s3tools.s3_path_to_df(f"s3://{BUCKET}/parts/")
    expected = pd.concat([decode("parquet", encode("parquet", p)) for p in parts],
                         ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)


def test_a_folder_of_mixed_formats_is_a_format_error(seed):
    put(seed, "mixed/a.csv", encode("csv", sample_frame()))
    put(seed, "mixed/b.parquet", encode("parquet", sample_frame()))
    with pytest.raises(s3tools.FormatError, match="several formats") as caught:
        s3tools.s3_path_to_df(f"{BUCKET}/mixed/")
    assert f"{BUCKET}/mixed/" in str(caught.value)


def test_an_empty_folder_is_not_found(seed):
    with pytest.raises(s3tools.NotFoundError, match=f"{BUCKET}/empty/"):
        s3tools.s3_path_to_df(f"{BUCKET}/empty/")


# --- bytes in memory ---

def test_read_file_from_s3_bytes_and_text(seed):
    put(seed, "t/latin.txt", "café, naïve\n".encode("latin-1"))
    assert s3tools.read_file_from_s3(f"{BUCKET}/t/latin.txt") == "café, naïve\n".encode("latin-1")
    assert s3tools.read_file_from_s3(f"{BUCKET}/t/latin.txt", encoding="latin-1") == \
        "café, naïve\n"
    put(seed, "t/utf8.txt", "Zoë ✓")
    assert s3tools.read_file_from_s3(f"/{BUCKET}/t/utf8.txt", "utf-8") == "Zoë ✓"


def test_read_file_from_s3_empty_and_large_objects(seed):
    put(seed, "empty.bin", b"")
    assert s3tools.read_file_from_s3(f"{BUCKET}/empty.bin") == b""
    large = os.urandom(3 * 1024 * 1024) * 7 + b"tail"  # larger than two 8 MiB parts
    put(seed, "large.bin", large)
    assert s3tools.read_file_from_s3(f"{BUCKET}/large.bin") == large


def test_read_files_from_s3_list_keeps_the_order_given(seed):
    contents = {f"dicom/img-{i:03d}.dcm": os.urandom(100 + i) for i in range(40)}
    for key, data in contents.items():
        put(seed, key, data)
    wanted = [f"{BUCKET}/{key}" for key in reversed(list(contents))]
    got = s3tools.read_files_from_s3(wanted)
    assert list(got) == wanted
    assert got == {f"{BUCKET}/{key}": data for key, data in contents.items()}


def test_read_files_from_s3_prefix_reads_every_object(seed):
    contents = {f"scans/{i:04d}.dcm": os.urandom(64) + bytes([i % 256]) for i in range(120)}
    for key, data in contents.items():
        put(seed, key, data)
    put(seed, "other/0.dcm", b"not under the prefix")
    got = s3tools.read_files_from_s3(f"s3://{BUCKET}/scans/", max_concurrency=4)
    assert list(got) == [f"{BUCKET}/{key}" for key in sorted(contents)]
    assert got == {f"{BUCKET}/{key}": data for key, data in contents.items()}


def test_read_files_from_s3_edges(seed):
    put(seed, "one.bin", b"1")
    assert s3tools.read_files_from_s3([]) == {}
    assert s3tools.read_files_from_s3(f"{BUCKET}/one.bin") == {f"{BUCKET}/one.bin": b"1"}
    assert s3tools.read_files_from_s3(f"{BUCKET}/nothing-here/") == {}
    with pytest.raises(s3tools.ConfigError):
        s3tools.read_files_from_s3([f"{BUCKET}/one.bin"], max_concurrency=-1)
    with pytest.raises(s3tools.NotFoundError, match=f"{BUCKET}/two.bin"):
        s3tools.read_files_from_s3([f"{BUCKET}/one.bin", f"{BUCKET}/two.bin"])


# --- read_using ---

def test_read_using_gives_a_private_temporary_copy_that_keeps_its_extension(seed, tmp_path):
    data = encode("xlsx", sample_frame())
    put(seed, "books/Report.v2.xlsx", data)
    seen = {}

    def reader(path, **options):
        seen["path"] = path
        seen["mode"] = stat.S_IMODE(os.stat(path).st_mode)
        seen["folder_mode"] = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
        seen["options"] = options
        return pd.read_excel(path, **options)

    got = s3tools.read_using(reader, f"{BUCKET}/books/Report.v2.xlsx", sheet_name=0)
    pd.testing.assert_frame_equal(got, pd.read_excel(io.BytesIO(data)))
    assert seen["path"].endswith(".xlsx")
    assert seen["path"].startswith(os.environ["S3TOOLS_RAM_DIR"] + os.sep)
    assert seen["mode"] == 0o600
    assert seen["folder_mode"] == 0o700
    assert seen["options"] == {"sheet_name": 0}
    assert not os.path.exists(seen["path"])


def test_read_using_deletes_the_copy_when_fun_fails(seed):
    put(seed, "a.sav", b"not spss")
    seen = []

    def failing(path):
        seen.append(path)
        assert os.path.getsize(path) == len(b"not spss")
        raise RuntimeError("reader failed")

    with pytest.raises(RuntimeError, match="reader failed"):
        s3tools.read_using(failing, f"{BUCKET}/a.sav")
    assert seen[0].endswith(".sav")
    assert not os.path.exists(seen[0])


def test_read_using_errors(seed):
    with pytest.raises(TypeError):
        s3tools.read_using("pd.read_csv", f"{BUCKET}/a.csv")
    with pytest.raises(s3tools.NotFoundError):
        s3tools.read_using(pd.read_csv, f"{BUCKET}/missing.csv")
    leftovers = [name for _, _, names in os.walk(os.environ["S3TOOLS_RAM_DIR"]) for name in names]
    assert leftovers == []


# --- download_file_from_s3 ---

def test_download_writes_the_whole_file(seed, tmp_path):
    data = os.urandom(200_000)
    put(seed, "d/blob.bin", data)
    target = tmp_path / "new" / "folder" / "blob.bin"
    assert s3tools.download_file_from_s3(f"{BUCKET}/d/blob.bin", str(target)) == str(target)
    assert target.read_bytes() == data
    assert sorted(os.listdir(target.parent)) == ["blob.bin"]


def test_download_refuses_an_existing_file_unless_overwrite(seed, tmp_path):
    put(seed, "d/a.csv", "new\n")
    target = tmp_path / "a.csv"
    target.write_text("old\n")
    with pytest.raises(s3tools.AlreadyExistsError, match="overwrite") as caught:
        s3tools.download_file_from_s3(f"{BUCKET}/d/a.csv", str(target))
    assert isinstance(caught.value, FileExistsError)
    assert str(target) in str(caught.value)
    assert target.read_text() == "old\n"
    s3tools.download_file_from_s3(f"{BUCKET}/d/a.csv", str(target), overwrite=True)
    assert target.read_text() == "new\n"


def test_download_into_a_folder_uses_the_object_name(seed, tmp_path):
    put(seed, "d/scan.dcm", b"DICM")
    written = s3tools.download_file_from_s3(f"{BUCKET}/d/scan.dcm", str(tmp_path))
    assert written == str(tmp_path / "scan.dcm")
    assert (tmp_path / "scan.dcm").read_bytes() == b"DICM"
    with pytest.raises(s3tools.AlreadyExistsError):
        s3tools.download_file_from_s3(f"{BUCKET}/d/scan.dcm", str(tmp_path))


def test_a_failed_download_leaves_nothing(seed, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(s3tools.NotFoundError):
        s3tools.download_file_from_s3(f"{BUCKET}/d/missing.csv", str(tmp_path / "missing.csv"))
    assert os.listdir(tmp_path) == []
    (tmp_path / "kept.csv").write_text("old\n")
    with pytest.raises(s3tools.NotFoundError):
        s3tools.download_file_from_s3(f"{BUCKET}/d/missing.csv", str(tmp_path / "kept.csv"),
                                      overwrite=True)
    assert os.listdir(tmp_path) == ["kept.csv"]
    assert (tmp_path / "kept.csv").read_text() == "old\n"


def test_a_download_interrupted_midway_leaves_no_partial_file(seed, tmp_path, forwarder):
    # The network fails after 12 MiB have come back, on every retry as well.
    data = os.urandom(20 * 1024 * 1024)
    put(seed, "d/big.bin", data)
    out = tmp_path / "out"
    out.mkdir()
    forwarder.cut_after = 12 * 1024 * 1024
    with pytest.raises(s3tools.S3ConnectionError) as caught:
        s3tools.download_file_from_s3(f"{BUCKET}/d/big.bin", str(out / "big.bin"))
    assert forwarder.url in str(caught.value)
    assert forwarder.received >= forwarder.cut_after
    assert os.listdir(out) == []
    forwarder.cut_after = None
    s3tools.download_file_from_s3(f"{BUCKET}/d/big.bin", str(out / "big.bin"))
    assert (out / "big.bin").read_bytes() == data
    assert os.listdir(out) == ["big.bin"]


def test_a_download_never_writes_through_a_planted_link(seed, monkeypatch, tmp_path):
    # Another user plants links beside the target at every name the partial file could
    # take (the fixed name of earlier versions, and the random names, made known here).
    put(seed, "d/a.csv", "from s3\n")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    out = tmp_path / "out"
    out.mkdir()
    links = [out / ".a.csv.s3tools-partial"]
    links[0].symlink_to(victim)
    links += plant_links(monkeypatch, out, victim, ".a.csv.", ".s3tools-partial")
    s3tools.download_file_from_s3(f"{BUCKET}/d/a.csv", str(out / "a.csv"))
    assert not (out / "a.csv").is_symlink() and (out / "a.csv").read_bytes() == b"from s3\n"
    assert untouched(victim, b"precious", links)
    assert sorted(os.listdir(out)) == sorted(["a.csv", *(link.name for link in links)])


def test_a_download_replaces_a_link_at_the_target_and_never_writes_through_it(seed, tmp_path):
    put(seed, "d/a.csv", "from s3\n")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    target = tmp_path / "a.csv"
    target.symlink_to(tmp_path / "not-there-yet")
    with pytest.raises(s3tools.AlreadyExistsError):  # a link is something: refused
        s3tools.download_file_from_s3(f"{BUCKET}/d/a.csv", str(target))
    assert target.is_symlink() and not (tmp_path / "not-there-yet").exists()
    target.unlink()
    target.symlink_to(victim)
    s3tools.download_file_from_s3(f"{BUCKET}/d/a.csv", str(target), overwrite=True)
    assert not target.is_symlink() and target.read_bytes() == b"from s3\n"
    assert victim.read_bytes() == b"precious"


def test_a_file_made_at_the_target_during_a_download_is_kept(seed, monkeypatch, tmp_path):
    put(seed, "d/a.csv", "from s3\n")
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    target = tmp_path / "a.csv"
    real = s3tools.transport.download

    def download_while_another_writes(path, handle, advance=None):
        size = real(path, handle, advance)
        target.write_bytes(b"theirs")  # after the check, before the file is placed
        return size

    monkeypatch.setattr(s3tools.transport, "download", download_while_another_writes)
    with pytest.raises(s3tools.AlreadyExistsError, match="overwrite"):
        s3tools.download_file_from_s3(f"{BUCKET}/d/a.csv", str(target))
    assert target.read_bytes() == b"theirs"
    assert os.listdir(tmp_path) == ["a.csv"]


def test_a_download_stopped_by_ctrl_c_leaves_no_partial_file(seed, monkeypatch, tmp_path):
    put(seed, "d/a.csv", "from s3\n" * 1000)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    real = s3tools.transport.download

    def interrupted(path, handle, advance=None):
        real(path, handle, advance)
        assert handle.tell() == 8000
        raise KeyboardInterrupt

    monkeypatch.setattr(s3tools.transport, "download", interrupted)
    with pytest.raises(KeyboardInterrupt):
        s3tools.download_file_from_s3(f"{BUCKET}/d/a.csv", str(tmp_path / "a.csv"))
    assert os.listdir(tmp_path) == []
    with pytest.raises(KeyboardInterrupt):
        s3tools.read_using(lambda path: path, f"{BUCKET}/d/a.csv")
    leftovers = [name for _, _, names in os.walk(os.environ["S3TOOLS_RAM_DIR"]) for name in names]
    assert leftovers == []


def test_read_using_never_hands_over_a_file_through_a_planted_link(seed, monkeypatch, tmp_path):
    put(seed, "d/a.csv", "a\n1\n")
    planted = PlantedTemporaryFolder(monkeypatch, tmp_path, ".csv")
    seen = []

    def reader(path):
        seen.append((path, os.path.realpath(path), os.path.islink(path)))
        return pd.read_csv(path)

    assert s3tools.read_using(reader, f"{BUCKET}/d/a.csv")["a"].tolist() == [1]
    planted.check(*seen[0])


def test_a_parquet_file_arrives_tail_first_and_is_read_in_place(seed, monkeypatch, caplog):
    """A file read in place: one GET for the tail (size, version, footer: the memory check
    needs no more), then the rest in parallel parts; reads return views of the one buffer."""
    frame = pd.DataFrame({"n": range(200_000), "x": [i / 7 for i in range(200_000)]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, row_group_size=20_000)
    data = buffer.getvalue()
    put(seed, "arriving.parquet", data)
    part = 256 * 1024
    monkeypatch.setattr(s3tools.transport.sizes, "PIECE_SIZE", part)
    path = s3tools.paths.parse(f"{BUCKET}/arriving.parquet")
    with caplog.at_level("DEBUG", logger="s3tools.requests"), \
            s3tools.transport.open_file(path, 64 * 1024, views=True) as source:
        assert bytes(_read_at(source, len(data) - 1000, len(data))) == data[-1000:]
        assert len(_ranged_gets(caplog)) == 1 and "bytes=-65536" in _ranged_gets(caplog)[0]
        source.fetch_rest()
        source.seek(0)
        whole = source.read()
        assert isinstance(whole, memoryview) and bytes(whole) == data
    # Counted once the file is closed: a part's bytes are handed out as they land, before
    # its request has ended (and been logged).
    assert len(_ranged_gets(caplog)) == 1 + -(-(len(data) - 65536) // part)
    caplog.clear()
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        got = s3tools.s3_path_to_df(f"{BUCKET}/arriving.parquet")
    pd.testing.assert_frame_equal(got, pd.read_parquet(io.BytesIO(data)))
    assert len(_ranged_gets(caplog)) == 1 + -(-(len(data) - 65536) // part)


def test_a_parquet_file_is_let_go_once_every_column_chunk_is_handed_out(seed, monkeypatch,
                                                                        caplog):
    """With the column chunks to be read once, the buffer goes as soon as the last of them
    has been handed out and the reader drops it; a read after that is a GET of its own."""
    frame = pd.DataFrame({"n": range(300_000), "s": [f"v{i % 97}" for i in range(300_000)]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, row_group_size=30_000)
    data = buffer.getvalue()
    put(seed, "let-go.parquet", data)
    monkeypatch.setattr(s3tools.transport.sizes, "PIECE_SIZE", 128 * 1024)
    path = s3tools.paths.parse(f"{BUCKET}/let-go.parquet")
    with caplog.at_level("DEBUG", logger="s3tools.requests"), \
            s3tools.transport.open_file(path, 64 * 1024, views=True) as source:
        chunks = parquet_layout.column_chunk_ranges(parquet_layout.parquet_footer(source))
        assert len(chunks) == 20
        source.fetch_rest(read_once=chunks)
        held = _whole_buffer(source)
        given = [_read_at(source, start, start + length) for start, length in chunks]
        assert held() is not None  # the reader holds views of it
        assert b"".join(bytes(view) for view in given) == \
            b"".join(data[start:start + length] for start, length in chunks)
        del given
        assert held() is None  # nothing else does
        gets = len(_ranged_gets(caplog))
        assert bytes(_read_at(source, 4, 4 + 1000)) == data[4:1004]
        assert len(_ranged_gets(caplog)) == gets + 1
        assert source.head == data[:4096]  # kept for error messages: no request
        assert len(_ranged_gets(caplog)) == gets + 1
    with s3tools.transport.open_file(path, 64 * 1024, views=True) as source:
        source.fetch_rest(read_once=[(4, 1000)])
        held = _whole_buffer(source)
        first = _read_at(source, 4, 500)
        rest = _read_at(source, 500, 1004)
        assert bytes(first) + bytes(rest) == data[4:1004]
        del first, rest
        assert held() is None  # let go, though the rest of the file was not read


def test_ranges_read_ahead_are_let_go_once_handed_out(seed, caplog):
    """ObjectFile.prefetch_in_background: ranges a hole apart share one buffer, reads of
    them are views with no request, and each buffer goes once all its ranges are read."""
    import weakref

    data = bytes(range(256)) * 4096  # 1 MiB
    put(seed, "ranges.bin", data)
    path = s3tools.paths.parse(f"{BUCKET}/ranges.bin")
    with caplog.at_level("DEBUG", logger="s3tools.requests"), \
            s3tools.transport.open_file(path, 64 * 1024, views=True) as source:
        source.prefetch_in_background([(1000, 5000), (6100, 900), (500_000, 20_000)],
                                      piece=4096, hole=200)
        first, second = ((start, weakref.ref(buffer.obj))
                         for start, buffer in source.reader.spans()
                         if start < len(data) - 64 * 1024)  # not the tail
        assert [start for start, _ in (first, second)] == [1000, 500_000]
        joined = _read_at(source, 1000, 7000)  # both ranges and the hole between, in one read
        assert bytes(joined) == data[1000:7000] and isinstance(joined, memoryview)
        del joined
        assert first[1]() is None and second[1]() is not None
        assert bytes(_read_at(source, 510_000, 515_000)) == data[510_000:515_000]
        assert second[1]() is not None  # half of its range is still to be read
        assert bytes(_read_at(source, 500_000, 520_000)) == data[500_000:520_000]
        assert second[1]() is None
        gets = 1 + 2 + 5  # the tail, then pieces of 4096 bytes: no other request
        assert len(_ranged_gets(caplog)) == gets
        assert bytes(_read_at(source, 2000, 3000)) == data[2000:3000]  # let go: a GET
        assert len(_ranged_gets(caplog)) == gets + 1


def _read_at(source, start: int, end: int):
    source.seek(start)
    return source.read(end - start)


def _whole_buffer(source):
    """A weak reference to the buffer a file fetches whole into (it starts at byte 0)."""
    import weakref

    (buffer,) = [buffer for start, buffer in source.reader.spans() if start == 0]
    return weakref.ref(buffer.obj)


def _ranged_gets(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "s3tools.requests" and record.getMessage().startswith("GET ")
            and "[bytes=" in record.getMessage()]
