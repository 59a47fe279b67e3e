"""paths: the three ways users write a path, bucket names, and bad paths caught before any request."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from conftest import BUCKET, ON_SEAWEEDFS, get, put
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import s3tools
import s3tools.transport
from s3tools.paths import S3Path, extension_of, parse, parse_file, parse_file_or_folder


@pytest.mark.parametrize("text", ["bucket/folder/file.csv", "s3://bucket/folder/file.csv",
                                  "/bucket/folder/file.csv", "S3://bucket/folder/file.csv",
                                  "s3a://bucket/folder/file.csv", "  s3://bucket/folder/file.csv "])
def test_every_spelling_gives_the_same_bucket_and_key(text):
    path = parse(text)
    assert (path.bucket, path.key) == ("bucket", "folder/file.csv")
    assert str(path) == "bucket/folder/file.csv"
    assert path.name == "file.csv"
    assert not path.is_folder


@pytest.mark.parametrize("bucket", ["extraction_5_CT", "Request4_CT", "my.bucket", "a-b"])
def test_bucket_names_that_s3_compatible_services_accept_are_kept(bucket):
    assert parse(f"s3://{bucket}/k.csv") == S3Path(bucket, "k.csv")
    assert parse_file(f"{bucket}/dir/k.csv").bucket == bucket


def test_folders_and_buckets():
    assert parse("bucket").key == ""
    assert parse("bucket").is_folder
    assert parse("s3://bucket/folder/").is_folder
    assert parse("bucket/folder/") == S3Path("bucket", "folder/")
    assert parse("bucket/folder/").name == "folder"
    assert parse(S3Path("b", "k")) == S3Path("b", "k")
    assert S3Path("b", "k").child("other") == S3Path("b", "other")


@pytest.mark.parametrize("text", ["", "   ", "s3://", "/", "s3:///", "//", "s3:///key.csv"])
def test_no_bucket_is_a_path_error(text):
    with pytest.raises(s3tools.PathError, match="no bucket"):
        parse(text)


def test_a_bucket_with_spaces_is_a_path_error():
    with pytest.raises(s3tools.PathError, match="spaces") as caught:
        parse("my bucket/key.csv")
    assert "my bucket/key.csv" in str(caught.value)


@pytest.mark.parametrize("value", [None, 3, b"bucket/key", ["bucket/key"]])
def test_a_path_that_is_not_text_is_a_path_error(value):
    with pytest.raises(s3tools.PathError, match="must be a string"):
        parse(value)


@pytest.mark.parametrize("text", ["bucket", "bucket/", "s3://bucket", "/bucket/"])
def test_a_bucket_without_a_key_cannot_name_a_file(text):
    with pytest.raises(s3tools.PathError, match="no object") as caught:
        parse_file(text)
    assert "bucket/" in str(caught.value)


@pytest.mark.parametrize("text", ["bucket/folder/", "s3://bucket/a/b/"])
def test_a_folder_cannot_name_a_file(text):
    with pytest.raises(s3tools.PathError, match="folder") as caught:
        parse_file(text)
    assert str(parse(text)) in str(caught.value)


@pytest.mark.parametrize("text", ["demo", "s3://demo", "/demo", " demo "])
def test_a_bucket_alone_is_neither_a_file_nor_a_folder(text):
    with pytest.raises(s3tools.PathError) as caught:
        parse_file_or_folder(text)
    assert str(caught.value).startswith(f"{text.strip()} names a bucket alone: a file or a folder "
                                        "path is needed")
    assert "'demo/folder/'" in str(caught.value) and "'demo/'" in str(caught.value)


@pytest.mark.parametrize("text", ["demo/", "s3://demo/", "demo/folder/", "demo/a.csv"])
def test_a_file_a_folder_and_a_whole_bucket_written_as_a_folder_are_taken(text):
    assert parse_file_or_folder(text) == parse(text)


@pytest.mark.parametrize(("address", "s3_form"), [
    ("https://demo.s3.amazonaws.com/key", "s3://demo/key"),
    ("https://demo.s3.eu-west-2.amazonaws.com/a%20b/c.csv", "s3://demo/a b/c.csv"),
    ("https://my.bucket.s3-eu-west-1.amazonaws.com/k.csv?versionId=1", "s3://my.bucket/k.csv"),
    ("https://s3.amazonaws.com/demo/dir/k.csv", "s3://demo/dir/k.csv"),
    ("HTTPS://s3.us-east-1.amazonaws.com/demo/k.csv", "s3://demo/k.csv"),
])
def test_a_web_address_is_refused_with_its_s3_form(address, s3_form):
    with pytest.raises(s3tools.PathError) as caught:
        parse(address)
    assert str(caught.value) == (f"{address} is a web address, not an S3 path: write it as "
                                 f"'{s3_form}'.")


def test_a_custom_endpoint_address_says_where_the_endpoint_goes():
    with pytest.raises(s3tools.PathError) as caught:
        parse("http://host:7070/extraction_5_CT/scan.dcm")
    assert ("write it as 's3://extraction_5_CT/scan.dcm', with "
            "AWS_ENDPOINT_URL=http://host:7070 set") in str(caught.value)


@pytest.mark.parametrize(("text", "what", "fixed"), [
    ("s3:/demo/a.csv", "a slash is missing", "s3://demo/a.csv"),
    ("S3:/demo/a.csv", "a slash is missing", "s3://demo/a.csv"),
    ("/s3a:/demo/a.csv", "a slash is missing", "s3a://demo/a.csv"),
    ("s3//demo/a.csv", "the ':' is missing", "s3://demo/a.csv"),
])
def test_an_s3_scheme_with_a_slash_or_colon_missing_says_so(text, what, fixed):
    with pytest.raises(s3tools.PathError) as caught:
        parse(text)
    assert f"{what}. Write it as '{fixed}'." in str(caught.value)


def test_another_tools_scheme_is_not_an_s3_path():
    with pytest.raises(s3tools.PathError,
                       match="not an S3 path .'gs://'.: write 's3://bucket/key'"):
        parse("gs://demo/a.csv")


def test_a_colon_in_a_bucket_name_is_kept():
    # Ceph's multi-tenant buckets are named tenant:bucket.
    assert parse("tenant:bucket/key.csv") == S3Path("tenant:bucket", "key.csv")


@pytest.mark.parametrize(("key", "extension"), [
    ("a/b.csv", "csv"), ("a/B.CSV", "csv"), ("x.tar.gz", "gz"), ("noext", ""),
    (".hidden", ""), ("dir.d/file", ""), ("a/.env.Parquet", "parquet"),
])
def test_extension_of(key, extension):
    assert extension_of(key) == extension


# Every public function that takes a path, called with a bad one: the error
# comes before any request reaches the server.
_DF = pd.DataFrame({"a": [1]})
_CALLS = {
    "read_file_from_s3": lambda p, tmp: s3tools.read_file_from_s3(p),
    "read_files_from_s3": lambda p, tmp: s3tools.read_files_from_s3([p]),
    "s3_path_to_preview_df": lambda p, tmp: s3tools.s3_path_to_preview_df(p),
    "read_using": lambda p, tmp: s3tools.read_using(pd.read_csv, p),
    "download_file_from_s3": lambda p, tmp: s3tools.download_file_from_s3(p, str(tmp)),
    "write_file_to_s3": lambda p, tmp: s3tools.write_file_to_s3(__file__, p),
    "write_df_to_csv_in_s3": lambda p, tmp: s3tools.write_df_to_csv_in_s3(_DF, p),
    "write_df_to_table_in_s3": lambda p, tmp: s3tools.write_df_to_table_in_s3(_DF, p),
    "write_using": lambda p, tmp: s3tools.write_using(_DF, lambda d, f: d.to_csv(f), p),
}


@pytest.mark.parametrize("bad", ["", "s3://", f"{BUCKET}", f"{BUCKET}/", f"{BUCKET}/folder/",
                                 "s3:///key.csv"])
@pytest.mark.parametrize("call", sorted(_CALLS))
def test_bad_paths_fail_before_any_request(call, bad, requests_sent, tmp_path):
    if (call, bad) == ("write_df_to_table_in_s3", f"{BUCKET}/folder/"):
        pytest.skip("a folder path writes a dataset there: tests/python/test_datasets.py")
    with pytest.raises(s3tools.PathError):
        _CALLS[call](bad, tmp_path)
    assert requests_sent == []


def test_bad_paths_for_prefix_functions(requests_sent):
    for bad in ("", "s3://", "/", "s3:///folder/"):
        with pytest.raises(s3tools.PathError):
            s3tools.s3_path_to_df(bad)
        with pytest.raises(s3tools.PathError):
            s3tools.s3_file_exists(bad)
        with pytest.raises(s3tools.PathError):
            s3tools.list_files_in_buckets(bad)
        with pytest.raises(s3tools.PathError):
            s3tools.read_files_from_s3(bad)
    assert requests_sent == []


def test_a_bucket_alone_is_refused_before_any_request_where_a_file_or_folder_is_needed(
        seed, requests_sent, tmp_path):
    put(seed, "data.csv", "a\n1\n")
    put(seed, "notes.txt", "not data")  # what reading the bucket as a folder tripped over
    requests_sent.clear()
    calls = [lambda: s3tools.s3_path_to_df(BUCKET), lambda: s3tools.s3_path_to_full_df(BUCKET),
             lambda: s3tools.read_files_from_s3(f"s3://{BUCKET}"),
             lambda: s3tools.s3_path_to_chunks(BUCKET, callback=print),
             lambda: s3tools.write_df_to_table_in_s3(_DF, BUCKET)]
    for call in calls:
        with pytest.raises(s3tools.PathError, match="names a bucket alone: a file or a folder"):
            call()
    assert requests_sent == []
    # Where a bucket alone means something, it stays taken.
    assert s3tools.s3_file_exists(BUCKET)
    assert s3tools.list_files_in_buckets(BUCKET, path_only=True) == [
        f"{BUCKET}/data.csv", f"{BUCKET}/notes.txt"]
    assert sorted(s3tools.read_files_from_s3(f"{BUCKET}/")) == [f"{BUCKET}/data.csv",
                                                                f"{BUCKET}/notes.txt"]


def test_the_path_errors_of_web_addresses_and_missing_slashes_come_before_any_request(
        seed, requests_sent):
    put(seed, "a.csv", "a\n1\n")
    requests_sent.clear()
    for bad in (f"https://{BUCKET}.s3.amazonaws.com/a.csv", f"s3:/{BUCKET}/a.csv"):
        with pytest.raises(s3tools.PathError, match=f"'s3://{BUCKET}/a.csv'"):
            s3tools.s3_path_to_df(bad)
        with pytest.raises(s3tools.PathError, match=f"'s3://{BUCKET}/a.csv'"):
            s3tools.write_df_to_csv_in_s3(_DF, bad)
    assert requests_sent == []


def test_all_three_spellings_read_the_same_object(seed):
    put(seed, "dir/data.csv", "a,b\n1,x\n2,y\n")
    frames = [s3tools.s3_path_to_df(p) for p in
              (f"{BUCKET}/dir/data.csv", f"s3://{BUCKET}/dir/data.csv", f"/{BUCKET}/dir/data.csv")]
    expected = pd.read_csv(io.BytesIO(get(seed, "dir/data.csv")))
    for frame in frames:
        pd.testing.assert_frame_equal(frame, expected)


@pytest.mark.parametrize("bucket", ["extraction_5_CT", "Request4_CT"])
def test_underscore_and_capital_buckets_work_end_to_end(seed, bucket):
    # moto, like the Safe Haven's service, accepts these names; botocore's
    # client-side check must not refuse them either.
    seed.create_bucket(Bucket=bucket)
    put(seed, "in/data.csv", "a\n1\n2\n", bucket=bucket)
    assert s3tools.read_file_from_s3(f"s3://{bucket}/in/data.csv") == b"a\n1\n2\n"
    assert s3tools.s3_file_exists(f"{bucket}/in/data.csv")
    assert s3tools.list_files_in_buckets(bucket, path_only=True) == [f"{bucket}/in/data.csv"]
    s3tools.write_df_to_csv_in_s3(pd.DataFrame({"a": [3]}), f"/{bucket}/out/new.csv")
    assert get(seed, "out/new.csv", bucket=bucket) == b"a\n3\n"
    assert bucket in s3tools.accessible_buckets()


# --- fuzzed paths: handled exactly, or refused before any request ---

_SPECIAL = st.sampled_from(["..", ".", " ", "", "é", "Zoë", "日本", "%2F", "?x=1", "#", "+",
                            "a b", "\t", "\n", "\x00", "\x7f", "~", "*", "'", '"', "\\"])
_SEGMENT = st.one_of(st.text(max_size=12), _SPECIAL)
KEYS = st.one_of(
    st.lists(_SEGMENT, min_size=1, max_size=6).map("/".join),
    st.text(alphabet="aé/", min_size=1000, max_size=1100),  # around S3's 1,024-byte limit
)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.text())
def test_any_text_parses_or_is_a_path_error(text):
    try:
        path = parse(text)
    except s3tools.PathError as error:
        assert str(error)
        return
    assert path.bucket and not any(ch.isspace() for ch in path.bucket)
    if path.key == path.key.rstrip():  # surrounding whitespace of the whole path is trimmed
        assert parse(str(path)) == path


@FUZZ
@given(KEYS)
def test_any_key_round_trips_through_the_server_or_is_refused_before_a_request(
        seed, requests_sent, key):
    """Unicode, spaces, '..', control characters, very long keys, empty parts.

    Control characters are S3 key characters: only a NUL among them is refused.
    """
    requests_sent.clear()
    body = key.encode("utf-8", "surrogatepass")[:64] + b"!"
    try:
        path = parse_file(f"{BUCKET}/{key}")
    except s3tools.PathError:
        with pytest.raises(s3tools.PathError):
            s3tools.read_file_from_s3(f"{BUCKET}/{key}")
        assert requests_sent == []
        # Refused for something else than its other controls: without them, still refused.
        without = _CONTROLS_BUT_NUL.sub("x", key)
        assert "\0" in key or _refused(f"{BUCKET}/{without}"), repr(key)
        return
    stored = path.key
    # moto's server cannot store a key with a newline (SeaweedFS can).
    assume(ON_SEAWEEDFS or "\n" not in stored)
    seed.put_object(Bucket=BUCKET, Key=stored, Body=body)
    assert s3tools.read_file_from_s3(str(path)) == body
    assert s3tools.s3_file_exists(str(path))
    listed = s3tools.list_files_in_buckets(BUCKET, prefix=stored, path_only=True)
    assert f"{BUCKET}/{stored}" in listed


_CONTROLS_BUT_NUL = re.compile("[\x01-\x1f\x7f]")


def _refused(text: str) -> bool:
    try:
        parse_file(text)
    except s3tools.PathError:
        return True
    return False


@pytest.mark.parametrize("key", ["a\tb.csv", "a\nb.csv", "a\rb.csv", "esc\x1b[2J.csv",
                                 "del\x7f.csv", "ends in a tab\t", "ends in a newline\n",
                                 "\x1b]0;t\x07/x.csv"])
def test_control_characters_are_kept_in_keys(key):
    assert parse_file(f"{BUCKET}/{key}") == S3Path(BUCKET, key)
    assert parse_file(f"  s3://{BUCKET}/{key} ") == S3Path(BUCKET, key)  # spaces trimmed


def test_a_nul_is_refused_in_a_key():
    with pytest.raises(s3tools.PathError, match="NUL"):
        parse_file(f"{BUCKET}/a\0b.csv")
