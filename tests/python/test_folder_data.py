"""folder_data: a folder is listed once, and every reader of it reads the same data files.

The folders here are what Spark, Hadoop and EMR leave behind: committed parts,
an uncommitted ``_temporary/`` attempt, ``_SUCCESS``, hidden files, EMR's empty
``name_$folder$`` markers, folder markers and empty objects. Requests are
counted in the ``s3tools.requests`` log.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BUCKET, put
from faults import listing_page, object_get

import s3tools
from s3tools import paths

FORMATS = ("csv", "jsonl", "parquet")
ROOT = f"{BUCKET}/out/"


def encode(extension: str, values: list[int]) -> bytes:
    frame = pd.DataFrame({"a": values})
    if extension == "csv":
        return frame.to_csv(index=False).encode()
    if extension == "jsonl":
        return frame.to_json(orient="records", lines=True).encode()
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return buffer.getvalue()


# What a job leaves beside its data, one kind at a time: (key, body) with {ext} for the
# format's extension and {data} for a part of that format with a row of its own.
LITTER = {
    "_temporary": [("out/_temporary/0/part-9.{ext}", "{data}")],
    "_SUCCESS": [("out/_SUCCESS", "")],
    ".hidden": [("out/.hidden/x.{ext}", "{data}"), ("out/sub/.part-3.{ext}.crc", "crc")],
    "$folder$": [("out/sub_$folder$", "")],
    "empty": [("out/empty.{ext}", "")],
    "folder markers": [("out/", ""), ("out/sub/", "")],
}


def seed_job_output(seed, extension: str, litter: list[str] = tuple(LITTER),
                    temporary_rows: int = 1) -> None:
    """Three committed parts (one in a subfolder), and beside them what is not data."""
    put(seed, f"out/part-1.{extension}", encode(extension, [1]))
    put(seed, f"out/part-2.{extension}", encode(extension, [2]))
    put(seed, f"out/sub/part-3.{extension}", encode(extension, [3]))
    for kind in litter:
        for key, body in LITTER[kind]:
            data = encode(extension, [9] * temporary_rows) if body == "{data}" else \
                body.encode()
            put(seed, key.format(ext=extension), data)


CASES = [(extension, kind) for extension in FORMATS for kind in [*LITTER, "all"]]


def case_id(case: tuple[str, str]) -> str:
    return f"{case[0]}-{case[1]}"


def litter_of(kind: str) -> list[str]:
    return list(LITTER) if kind == "all" else [kind]


def requests(caplog) -> list[str]:
    """One line per request sent (the log's other records say which clients were made)."""
    return [record.getMessage() for record in caplog.records
            if record.name == "s3tools.requests" and ", attempt " in record.getMessage()]


def listings(caplog) -> list[str]:
    """The listing requests: a GET of a folder (objects are GETs of keys, with a range)."""
    return [line for line in requests(caplog)
            if line.startswith(f"GET {ROOT} ") and "[bytes=" not in line]


def object_gets(caplog) -> list[str]:
    return [line for line in requests(caplog) if line.startswith("GET ") and "[bytes=" in line]


def test_what_is_data_in_a_folder():
    from s3tools import folder_data

    data = ["part-1.csv", "sub/part-3.csv", "year=2024/x.parquet", "a.b/c.csv", "x_folder"]
    others = ["_SUCCESS", "_temporary/0/part-9.csv", ".hidden/x.csv", "sub/.part-3.csv.crc",
              "sub/_common_metadata", "sub_$folder$", "", "sub/", "_s3tools_schema.parquet",
              "_s3tools_staging-1/_COMMITTING"]
    assert all(folder_data.is_data(name, 10) for name in data)
    assert not any(folder_data.is_data(name, 10) for name in others)
    assert not folder_data.is_data("empty.csv", 0)


@pytest.mark.parametrize("extension", FORMATS)
def test_a_folder_listing_names_the_data_files_with_their_versions(seed, extension):
    from s3tools import folder_data

    seed_job_output(seed, extension)
    folder = folder_data.list_folder(paths.parse(ROOT))
    assert [folder.relative(file.path) for file in folder.files] == \
        [f"part-1.{extension}", f"part-2.{extension}", f"sub/part-3.{extension}"]
    for file in folder.files:
        head = seed.head_object(Bucket=BUCKET, Key=file.path.key)
        assert (file.version.size, file.version.etag) == (head["ContentLength"], head["ETag"])
    assert len(folder.objects) == 11  # every object, for those that need them (writes)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_a_folder_read_is_its_data_files_after_one_listing(seed, case, caplog):
    extension, kind = case
    seed_job_output(seed, extension, litter_of(kind))
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        got = s3tools.s3_path_to_df(ROOT)
    assert got["a"].tolist() == [1, 2, 3]
    assert len(listings(caplog)) == 1, requests(caplog)
    read = " ".join(object_gets(caplog))
    assert "part-9" not in read and ".hidden" not in read and "$folder$" not in read \
        and "empty" not in read
    # The listing comes first: no object is read before the folder's contents are known.
    assert requests(caplog)[0] == listings(caplog)[0]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_chunks_read_the_same_files_after_one_listing(seed, case, caplog):
    extension, kind = case
    seed_job_output(seed, extension, litter_of(kind))
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        chunks = list(s3tools.s3_path_to_chunks(ROOT, chunk_size=1))
    assert [chunk["a"].tolist() for chunk in chunks] == [[1], [2], [3]]
    assert len(listings(caplog)) == 1, requests(caplog)
    assert "part-9" not in " ".join(object_gets(caplog))


@pytest.mark.parametrize("extension", FORMATS)
def test_the_memory_check_counts_the_data_files_alone(seed, extension, monkeypatch, caplog):
    # The uncommitted attempt is large: were it counted, the read would be refused.
    seed_job_output(seed, extension, temporary_rows=50_000)
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "100KB")
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        assert s3tools.s3_path_to_df(ROOT)["a"].tolist() == [1, 2, 3]
    assert len(listings(caplog)) == 1, requests(caplog)
    caplog.clear()
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "10")
    with caplog.at_level("DEBUG", logger="s3tools.requests"), \
            pytest.raises(s3tools.TooLargeError, match=ROOT):
        s3tools.s3_path_to_df(ROOT)
    assert len(listings(caplog)) == 1, requests(caplog)
    read = object_gets(caplog)
    # Sizes come from the listing; of Parquet files the footers (here the whole small files).
    assert read == [] if extension != "parquet" else "part-9" not in " ".join(read)


def test_an_empty_or_marker_only_folder_is_not_found(seed):
    put(seed, "out/", b"")
    put(seed, "out/_SUCCESS", b"")
    put(seed, "out/sub_$folder$", b"")
    put(seed, "out/_temporary/0/part-9.csv", b"a\n9\n")
    with pytest.raises(s3tools.NotFoundError, match=ROOT):
        s3tools.s3_path_to_df(ROOT)
    with pytest.raises(s3tools.NotFoundError, match=ROOT):
        s3tools.s3_path_to_chunks(ROOT)


def test_a_file_replaced_after_the_listing_is_not_read_unchecked(seed, fault_proxy,
                                                                  monkeypatch):
    """Files are read pinned to the versions the listing saw: a file replaced after the
    listing is not read as it now is, past the memory check made with the listed sizes;
    the folder is listed again and checked again."""
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "1")  # the parts in key order
    seed_job_output(seed, "csv", litter=[])
    monkeypatch.setenv("S3TOOLS_MEMORY_LIMIT", "100KB")

    def replace() -> None:
        put(seed, "out/part-2.csv", encode("csv", list(range(50_000))))

    fault_proxy.add("after", object_get, times=1, action=replace)  # after part-1's GET
    with pytest.raises(s3tools.TooLargeError, match=ROOT):
        s3tools.s3_path_to_df(ROOT)
    assert sum(1 for method, target, _ in fault_proxy.requests
               if listing_page(method, target)) == 2


def test_a_file_replaced_after_the_listing_is_read_as_the_folder_now_is(seed, fault_proxy,
                                                                          monkeypatch):
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "1")
    seed_job_output(seed, "csv", litter=[])
    fault_proxy.add("after", object_get, times=1,
                    action=lambda: put(seed, "out/part-2.csv", encode("csv", [20, 21])))
    assert s3tools.s3_path_to_df(ROOT)["a"].tolist() == [1, 20, 21, 3]


def test_each_text_file_of_a_folder_is_one_get(seed, fault_proxy, monkeypatch):
    from s3tools import csvparts
    from s3tools.transport import sizes

    monkeypatch.setattr(sizes, "PART_SIZE", 16 * 1024)
    monkeypatch.setattr(csvparts, "PART", 16 * 1024)  # each file parsed in several parts
    parts = {f"out/part-{index}.csv":
             encode("csv", list(range(index * 10_000, (index + 1) * 10_000)))
             for index in range(3)}
    for key, body in parts.items():
        put(seed, key, body)
    assert s3tools.s3_path_to_df(ROOT)["a"].tolist() == list(range(30_000))
    gets = [target for method, target, _ in fault_proxy.requests if object_get(method, target)]
    assert sorted(gets) == [f"/{BUCKET}/{key}" for key in sorted(parts)]
