"""listing: every page of keys, the listing frame, buckets, and existence checks."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import BUCKET, ON_SEAWEEDFS, put, put_many

import s3tools
from s3tools.listing import LISTING_COLUMNS, readable_size

COLUMNS = ["filename", "path", "size_readable", "key", "lastmodified", "etag", "size",
           "storageclass", "bucket"]


def seed_many(seed, count: int, prefix: str = "many/") -> list[str]:
    keys = [f"{prefix}{i:05d}.dcm" for i in range(count)]
    put_many(seed, keys)
    return keys


def test_beyond_one_thousand_keys_everything_is_listed(seed):
    keys = seed_many(seed, 1234)
    listing = s3tools.list_files_in_buckets(BUCKET)
    assert list(listing.columns) == COLUMNS == LISTING_COLUMNS
    assert len(listing) == 1234
    assert listing["key"].tolist() == keys
    assert listing["path"].tolist() == [f"{BUCKET}/{key}" for key in keys]
    assert listing["filename"].tolist() == [key.split("/")[-1] for key in keys]
    assert listing["size"].tolist() == [len(key) for key in keys]
    assert (listing["bucket"] == BUCKET).all()
    paths = s3tools.list_files_in_buckets(BUCKET, path_only=True)
    assert paths == [f"{BUCKET}/{key}" for key in keys]
    assert s3tools.list_files_in_buckets(BUCKET, max=1100, path_only=True) == paths[:1100]
    assert len(s3tools.list_files_in_buckets(BUCKET, max=3)) == 3
    assert s3tools.list_files_in_buckets(BUCKET, max=0, path_only=True) == []


def test_the_listing_frame_matches_what_the_server_says(seed):
    put(seed, "a/b/report.csv", "x" * 1536)
    put(seed, "top.txt", "")
    listing = s3tools.list_files_in_buckets(f"s3://{BUCKET}")
    head = seed.head_object(Bucket=BUCKET, Key="a/b/report.csv")
    row = listing.set_index("key").loc["a/b/report.csv"]
    assert row["filename"] == "report.csv"
    assert row["path"] == f"{BUCKET}/a/b/report.csv"
    assert row["size"] == 1536
    assert row["size_readable"] == "1.5 KB"
    assert row["etag"] == head["ETag"].strip('"')
    assert row["storageclass"] == "STANDARD"
    assert row["lastmodified"] == pd.Timestamp(head["LastModified"])
    assert str(listing["lastmodified"].dt.tz) == "UTC"
    assert listing["size"].dtype == "int64"
    assert listing.set_index("key").loc["top.txt", "size_readable"] == "0 B"


def test_prefix_and_folder_filters(seed):
    for key in ("in/2024/a.csv", "in/2024/b.csv", "in/2025/c.csv", "out/d.csv", "inbox.csv"):
        put(seed, key, "1")
    paths = lambda **kw: s3tools.list_files_in_buckets(BUCKET, path_only=True, **kw)
    assert paths(prefix="in/2024/") == [f"{BUCKET}/in/2024/a.csv", f"{BUCKET}/in/2024/b.csv"]
    assert paths(prefix="in") == [f"{BUCKET}/{k}" for k in
                                  ("in/2024/a.csv", "in/2024/b.csv", "in/2025/c.csv", "inbox.csv")]
    assert paths(prefix="/out/") == [f"{BUCKET}/out/d.csv"]
    assert s3tools.list_files_in_buckets(f"{BUCKET}/in/", path_only=True) == [
        f"{BUCKET}/in/2024/a.csv", f"{BUCKET}/in/2024/b.csv", f"{BUCKET}/in/2025/c.csv"]
    assert s3tools.list_files_in_buckets(f"{BUCKET}/in", prefix="2025", path_only=True) == [
        f"{BUCKET}/in/2025/c.csv"]
    assert paths(prefix="nothing/") == []
    empty = s3tools.list_files_in_buckets(BUCKET, prefix="nothing/")
    assert list(empty.columns) == COLUMNS and len(empty) == 0


def test_several_buckets_and_all_buckets(seed):
    # moto, like the Safe Haven's service, accepts bucket names with underscores and
    # capitals; SeaweedFS refuses to create them (AWS's own rules).
    odd_name = "extraction_5_CT" if not ON_SEAWEEDFS else "extraction-5-ct"
    seed.create_bucket(Bucket="second-bucket")
    seed.create_bucket(Bucket=odd_name)
    put(seed, "a.csv", "1")
    put(seed, "b.csv", "2", bucket="second-bucket")
    put(seed, "c.csv", "3", bucket=odd_name)
    assert s3tools.list_files_in_buckets([BUCKET, "second-bucket"], path_only=True) == [
        f"{BUCKET}/a.csv", "second-bucket/b.csv"]
    everything = s3tools.list_files_in_buckets(path_only=True)
    assert sorted(everything) == sorted([f"{BUCKET}/a.csv", "second-bucket/b.csv",
                                         f"{odd_name}/c.csv"])
    assert s3tools.list_files_in_buckets([BUCKET, "second-bucket"], max=1, path_only=True) == [
        f"{BUCKET}/a.csv"]
    names = [bucket["Name"] for bucket in seed.list_buckets()["Buckets"]]
    assert s3tools.accessible_buckets() == sorted(names)


def test_listing_errors(seed):
    with pytest.raises(s3tools.NotFoundError, match="no-such-bucket"):
        s3tools.list_files_in_buckets("no-such-bucket")
    with pytest.raises(ValueError, match="max"):
        s3tools.list_files_in_buckets(BUCKET, max=-1)


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"),
    (5 * 1024 ** 2, "5.0 MB"), (3 * 1024 ** 3, "3.0 GB"), (2 * 1024 ** 4, "2.0 TB"),
    (5000 * 1024 ** 4, "5000.0 TB"),
])
def test_readable_size(size, text):
    assert readable_size(size) == text


def test_s3_file_exists(seed):
    put(seed, "there/file.csv", "1")
    put(seed, "there/file.csv.bak", "1")
    assert s3tools.s3_file_exists(f"{BUCKET}/there/file.csv") is True
    assert s3tools.s3_file_exists(f"s3://{BUCKET}/there/file.csv.bak") is True
    assert s3tools.s3_file_exists(f"/{BUCKET}/there/other.csv") is False
    assert s3tools.s3_file_exists(f"{BUCKET}/there/file") is False
    assert s3tools.s3_file_exists(f"{BUCKET}/there/") is True
    assert s3tools.s3_file_exists(f"{BUCKET}/") is True
    assert s3tools.s3_file_exists(f"{BUCKET}/nowhere/") is False
    assert s3tools.s3_file_exists("no-such-bucket/file.csv") is False
    assert s3tools.s3_file_exists("no-such-bucket/") is False


def test_denied_checks_are_access_errors_not_false(seed, read_only):
    put(seed, "mine.csv", "1")
    seed.create_bucket(Bucket="private-bucket")
    put(seed, "secret.csv", "1", bucket="private-bucket")
    read_only()
    assert s3tools.s3_file_exists(f"{BUCKET}/mine.csv") is True
    assert s3tools.s3_file_exists(f"{BUCKET}/absent.csv") is False
    with pytest.raises(s3tools.AccessDeniedError, match="private-bucket/secret.csv"):
        s3tools.s3_file_exists("private-bucket/secret.csv")
    with pytest.raises(s3tools.AccessDeniedError):
        s3tools.s3_file_exists("private-bucket/")
    with pytest.raises(s3tools.AccessDeniedError):
        s3tools.list_files_in_buckets("private-bucket")
    with pytest.raises(s3tools.AccessDeniedError, match="read-only"):
        s3tools.accessible_buckets()
    assert s3tools.list_files_in_buckets(BUCKET, path_only=True) == [f"{BUCKET}/mine.csv"]
