"""Listing pages read into columns: every listing (the frame, folder reads, ``ls``, the
explorer) says exactly what the server's own answer says, page after page."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from conftest import BUCKET, ON_SEAWEEDFS, put
from faults import listing_page

import s3tools
from s3tools import folders
from s3tools.explorer import answers
from s3tools.listing import LISTING_COLUMNS, list_objects, readable_size
from s3tools.paths import S3Path
from s3tools.transport import listings

# Keys whose characters a listing must keep as they are: control characters (which
# reach the client only URL-encoded), URL and XML specials, unicode, a folder marker.
ODD_KEYS = ["odd/ctrl\x01key.csv", "odd/esc\x1b[31mred.csv", "odd/tab\t.csv", "odd/cr\r.csv",
            "odd/del\x7f.csv", "odd/c1\x85.csv", "odd/bidi\u202etxt.csv", "odd/plus+sign.csv",
            "odd/percent%2Fslash.csv", "odd/amp&<lt>\"quote'.csv", "odd/space name.csv",
            "odd/nfd e\u0301.csv", "odd/emoji\U0001f600.csv", "odd/marker/", "odd/empty.csv",
            *(["odd/newline\n.csv"] if ON_SEAWEEDFS else [])]  # moto refuses it


def seed_keys(seed, keys: list[str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: put(seed, key, "" if key.endswith(("/", "empty.csv"))
                                      else "x" * (len(key) % 7 + 1)), keys))


def server_objects(seed, **parameters) -> list[dict]:
    """What a plain boto3 paginator says is there."""
    pages = seed.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, **parameters)
    return [item for page in pages for item in page.get("Contents", [])]


def expected_frame(items: list[dict]) -> pd.DataFrame:
    """The listing frame, built row by row from botocore's objects (what it always was)."""
    keys = [item["Key"] for item in items]
    return pd.DataFrame({
        "filename": [key.rsplit("/", 1)[-1] for key in keys],
        "path": [f"{BUCKET}/{key}" for key in keys],
        "size_readable": [readable_size(item["Size"]) for item in items],
        "key": keys,
        "lastmodified": pd.to_datetime([item["LastModified"] for item in items], utc=True),
        "etag": [item["ETag"].strip('"') for item in items],
        "size": pd.array([item["Size"] for item in items], dtype="int64"),
        "storageclass": [item.get("StorageClass", "STANDARD") for item in items],
        "bucket": [BUCKET] * len(items),
    })


def test_a_listing_past_1000_keys_is_the_servers_answer_column_by_column(seed):
    seed_keys(seed, [f"many/{i:05d}.csv" for i in range(1234)] + ODD_KEYS)
    items = server_objects(seed)
    assert len(items) == 1234 + len(ODD_KEYS)
    listing = s3tools.list_files_in_buckets(BUCKET)
    assert list(listing.columns) == LISTING_COLUMNS
    pd.testing.assert_frame_equal(listing, expected_frame(items))
    assert listing.set_index("key").loc["odd/marker/", "filename"] == ""
    assert s3tools.list_files_in_buckets(BUCKET, path_only=True) == [
        f"{BUCKET}/{item['Key']}" for item in items]
    assert list(list_objects(S3Path(BUCKET, "odd/"))) == [
        {name: item[name] for name in ("Key", "Size", "LastModified", "ETag", "StorageClass")
         if name in item} for item in items if item["Key"].startswith("odd/")]
    partial = s3tools.list_files_in_buckets(BUCKET, max=1001)
    pd.testing.assert_frame_equal(partial, expected_frame(items[:1001]))


def test_max_stops_at_the_page_that_reaches_it(seed, fault_proxy):
    seed_keys(seed, [f"k/{i:04d}" for i in range(1001)])
    fault_proxy.clear()
    assert len(s3tools.list_files_in_buckets(BUCKET, max=1000)) == 1000
    assert sum(listing_page(method, target) for method, target, _ in fault_proxy.requests) == 1
    fault_proxy.clear()
    assert s3tools.list_files_in_buckets(BUCKET, max=0, path_only=True) == []
    assert fault_proxy.requests == []


def ls(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "s3tools.cli", "ls", *arguments],
                          capture_output=True, text=True, timeout=300, check=False)


def test_empty_prefixes_list_nothing_in_every_form(seed):
    put(seed, "full/a.csv", "1")
    empty = s3tools.list_files_in_buckets(BUCKET, prefix="nothing/")
    assert list(empty.columns) == LISTING_COLUMNS and len(empty) == 0
    assert str(empty["lastmodified"].dt.tz) == "UTC" and empty["size"].dtype == "int64"
    assert s3tools.list_files_in_buckets(BUCKET, prefix="nothing/", path_only=True) == []
    assert folders.page(S3Path(BUCKET, "nothing/")) == ([], None)
    assert folders.page(S3Path(BUCKET, "nothing/"), recursive=True) == ([], None)
    assert list(list_objects(S3Path(BUCKET, "nothing/"))) == []
    shown = answers.listing(f"{BUCKET}/nothing/")
    assert shown["entries"] == [] and shown["next"] is None
    for arguments in ([f"s3://{BUCKET}/nothing/"], [f"s3://{BUCKET}/nothing/", "-r"]):
        done = ls(*arguments)
        assert (done.returncode, done.stdout) == (0, "")


def test_delimiter_pages_are_the_servers_pages(seed):
    keys = [f"d/{i:04d}.csv" for i in range(1100)] + [f"d/sub{i}/x.csv" for i in range(5)] + [
        "d/ctl\x01dir/x.csv", "d/plus+dir/y.csv", "d/top.csv"]
    seed_keys(seed, keys)
    pages = seed.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="d/", Delimiter="/", PaginationConfig={"PageSize": 400})
    expected = [[folders.Entry(item["Prefix"]) for item in page.get("CommonPrefixes", [])]
                + [folders.Entry(item["Key"], item["Size"], item["LastModified"])
                   for item in page.get("Contents", [])] for page in pages]
    got, token = [], None
    while True:
        entries, token = folders.page(S3Path(BUCKET, "d/"), token=token, size=400)
        got.append(entries)
        if token is None:
            break
    assert got == expected and len(got) >= 3
    assert folders.Entry("d/ctl\x01dir/") in [entry for page in got for entry in page]
    shown = answers.listing(f"{BUCKET}/d/", page_size=400)
    assert [(entry["name"], entry["folder"], entry.get("size")) for entry in shown["entries"]] \
        == [(entry.key[2:], entry.is_folder, entry.size) for entry in got[0]]


def test_ls_shows_every_page_of_a_delimited_listing(seed):
    seed_keys(seed, [f"l/{i:04d}.csv" for i in range(1003)] + ["l/sub/x.csv"])
    done = ls(f"s3://{BUCKET}/l/")
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == 1004
    # Each page's folders come first: "sub/" sorts after the first page's 1,000 files.
    assert lines[1000].split() == ["PRE", "sub/"]
    files = lines[:1000] + lines[1001:]
    assert [line.split()[-1] for line in files] == [f"{i:04d}.csv" for i in range(1003)]
    assert all(line.split()[2] == str(len(f"l/{i:04d}.csv") % 7 + 1)
               for i, line in enumerate(files))


def test_listing_a_missing_bucket_names_it(seed):
    with pytest.raises(s3tools.NotFoundError, match="no-such-bucket"):
        folders.page(S3Path("no-such-bucket", ""))
    with pytest.raises(s3tools.NotFoundError, match="no-such-bucket"):
        list(list_objects(S3Path("no-such-bucket", "x/")))
    done = ls("s3://no-such-bucket/x/")
    assert done.returncode != 0 and "no-such-bucket" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_denied_listing_names_the_bucket(seed, read_only):
    seed.create_bucket(Bucket="private-bucket")
    read_only()
    with pytest.raises(s3tools.AccessDeniedError, match="private-bucket") as caught:
        s3tools.list_files_in_buckets("private-bucket", prefix="a/")
    assert "\n" not in str(caught.value)
    with pytest.raises(s3tools.AccessDeniedError, match="private-bucket"):
        folders.page(S3Path("private-bucket", ""))


def test_a_page_cut_short_is_asked_for_again(seed, fault_proxy, caplog):
    seed_keys(seed, [f"c/{i:04d}" for i in range(1500)])
    fault_proxy.add("cut", listing_page, times=1)
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        listing = s3tools.list_files_in_buckets(BUCKET)
    assert listing["key"].tolist() == [f"c/{i:04d}" for i in range(1500)]
    records = [r.getMessage() for r in caplog.records if r.name == "s3tools.requests"
               and r.getMessage().startswith("GET ")]
    assert len(records) == 3 and "attempt 1" in records[0] and "-> 200" not in records[0]
    assert "-> 200" in records[1] and "attempt 2" in records[1]


PLAIN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazon'
         b'aws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p%2B/</Prefix><IsTruncated>true'
         b'</IsTruncated><NextContinuationToken>t&amp;1</NextContinuationToken><Contents>'
         b'<Key>p%2B/a+b%01%26.csv</Key><LastModified>2024-01-02T03:04:05.678Z</LastModified>'
         b'<ETag>&quot;e1&quot;</ETag><Size>12</Size><StorageClass>GLACIER</StorageClass>'
         b'</Contents><Contents><Key>p%2B/%E2%80%AE</Key><LastModified>2024-01-02T03:04:05Z'
         b'</LastModified><ETag>&#34;e2&#x22;</ETag><Size>0</Size><StorageClass>STANDARD'
         b'</StorageClass></Contents><CommonPrefixes><Prefix>p%2B/dir%0A/</Prefix>'
         b'</CommonPrefixes><EncodingType>url</EncodingType></ListBucketResult>')
EXPECTED = listings.Page(keys=["p+/a b\x01&.csv", "p+/\u202e"], sizes=[12, 0],
                         etags=['"e1"', '"e2"'],
                         modified=["2024-01-02T03:04:05.678Z", "2024-01-02T03:04:05Z"],
                         storage_classes=["GLACIER", "STANDARD"], folders=["p+/dir\n/"],
                         next_token="t&1")


@pytest.mark.parametrize("body", [
    PLAIN,
    # The same answer with names in a prefixed namespace, and pretty-printed.
    re.sub(rb"<(/?)(?=[A-Z])", rb"<\1s3:", PLAIN).replace(b" xmlns=", b" xmlns:s3="),
    PLAIN.replace(b"><", b">\n  <"),
])
def test_a_page_is_read_the_same_whatever_its_xml_looks_like(body):
    assert listings.parse(body) == EXPECTED


def test_a_page_without_storage_classes_or_a_next_page():
    body = PLAIN.replace(b"<StorageClass>GLACIER</StorageClass>", b"").replace(
        b"<StorageClass>STANDARD</StorageClass>", b"").replace(b"true</Is", b"false</Is")
    page = listings.parse(body)
    assert page.storage_classes == [None, None] and page.next_token is None
    one_missing = PLAIN.replace(b"<StorageClass>GLACIER</StorageClass>", b"")
    assert listings.parse(one_missing).storage_classes == [None, "STANDARD"]
    with pytest.raises(s3tools.S3ToolsError, match="not XML"):
        listings.parse(PLAIN.replace(b"</Size>", b"</Sise>", 1))


def test_listed_times_are_those_botocore_gives():
    from botocore.utils import parse_timestamp

    texts = ["2024-01-02T03:04:05.678Z", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05+00:00"]
    got = listings.listed_times(texts)
    assert list(got) == [pd.Timestamp(parse_timestamp(text)) for text in texts]
    assert got.dtype == pd.to_datetime([parse_timestamp(texts[0])], utc=True).dtype
    assert listings.listed_times(["Tue, 02 Jan 2024 03:04:05 GMT"])[0] == pd.Timestamp(
        "2024-01-02T03:04:05Z")
