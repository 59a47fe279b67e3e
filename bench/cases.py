"""Every scenario and, for each, the calls that are timed: s3tools, its peers, the limit.

A case is a function of the context (endpoint, keys, object layout) that does
the whole job a user would do (from S3 to a data frame, from a frame to S3)
and returns something the harness can check. Imports happen inside the cases
so that each worker process loads only the libraries of its own peers; the
untimed warm-up call of each case absorbs the import and connection set-up.

Peers run with their defaults; they find the server through the standard
variables (AWS_ENDPOINT_URL, keys, region) that the harness sets for every
worker, as an analyst's environment would.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# A part size and concurrency for the "fastest plain means" of moving bytes:
# parallel ranged GETs and parallel multipart PUTs from a Rust client.
_RAW_PART = 32 * 1024 * 1024
_RAW_CONCURRENCY = 4
# Scenario 1's peer that downloads, then parses: the two timed apart and added.
GET_THEN_PYARROW = "one GET, then read_csv(engine=pyarrow)"


@dataclass(frozen=True)
class Case:
    peer: str  # the label in the table
    group: str  # the worker process that runs it (one per library family)
    run: Callable[[dict], Any]
    prepare: Callable[[dict, int], None] | None = None  # untimed, before each call
    expect: Callable[[dict, Any], None] | None = None
    runs: int | None = None  # fewer repetitions for a very slow peer
    warm_up: bool = True
    asks: str | None = None  # the case's name in its worker, when not ``peer``
    baseline: bool = False  # an earlier commit's s3tools (bench/baseline.py), not a peer


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    cases: list[Case]
    limit: Case | None = None
    notes: list[str] = field(default_factory=list)
    # At least this many timed runs, whatever --runs says: calls of a fraction of a second
    # whose medians of a few runs swing by more than the differences they are to show.
    min_runs: int = 0


# ----------------------------------------------------------------------------- helpers
def path(ctx: dict, key: str) -> str:
    return f"{ctx['bucket']}/{key}"


def _boto3_client() -> Any:
    import boto3

    return boto3.client("s3")


_cache: dict[str, Any] = {}


def cached(name: str, make: Callable[[], Any]) -> Any:
    if name not in _cache:
        _cache[name] = make()
    return _cache[name]


def raw_store(ctx: dict, bucket: str | None = None) -> Any:
    """An obstore S3 store on the benchmark server (the plain Rust client)."""
    from obstore.store import S3Store

    bucket = bucket or ctx["bucket"]
    return cached(f"store:{bucket}", lambda: S3Store(
        bucket, endpoint=ctx["endpoint"], region=ctx["region"],
        access_key_id=ctx["access_key"], secret_access_key=ctx["secret_key"],
        client_options={"allow_http": True, "proxy_url": ctx["endpoint"],
                        "proxy_excludes": "127.0.0.1"}))


def raw_fetch(ctx: dict, key: str) -> tuple[bytes, float]:
    """The object in memory by parallel ranged GETs; returns the bytes and the seconds."""
    from concurrent.futures import ThreadPoolExecutor

    import obstore

    store = raw_store(ctx)
    started = time.perf_counter()
    size = obstore.head(store, key)["size"]
    with ThreadPoolExecutor(_RAW_CONCURRENCY) as pool:
        parts = list(pool.map(
            lambda start: obstore.get_range(store, key, start=start,
                                            end=min(start + _RAW_PART, size)),
            range(0, size, _RAW_PART)))
    data = b"".join(parts)
    return data, time.perf_counter() - started


def raw_put(ctx: dict, key: str, data: bytes | memoryview) -> float:
    import obstore

    started = time.perf_counter()
    obstore.put(raw_store(ctx), key, data, chunk_size=16 * 1024 * 1024, max_concurrency=8)
    return time.perf_counter() - started


def rows(expected_key: str) -> Callable[[dict, Any], None]:
    def check(ctx: dict, result: Any) -> None:
        expected = ctx["layout"][expected_key]
        if len(result) != expected:
            raise AssertionError(f"expected {expected} rows, got {len(result)}")

    return check


def at_least_rows(count: int) -> Callable[[dict, Any], None]:
    def check(ctx: dict, result: Any) -> None:
        if len(result) < count:
            raise AssertionError(f"expected at least {count} rows, got {len(result)}")

    return check


def count_of(expected_key: str) -> Callable[[dict, Any], None]:
    def check(ctx: dict, result: Any) -> None:
        expected = ctx["layout"][expected_key]
        expected = len(expected) if isinstance(expected, (list, tuple)) else expected
        if len(result) != expected:
            raise AssertionError(f"expected {expected} items, got {len(result)}")

    return check


def limit_result(transfer: float, parse: float, value: Any = None) -> dict:
    """What a limit case returns: its own timing split, used instead of the wall clock."""
    return {"limit": {"transfer": transfer, "parse": parse}, "value": value}


# ----------------------------------------------------------------------------- 1. CSV
def s3tools_csv(ctx: dict) -> Any:
    import s3tools

    return s3tools.s3_path_to_df(path(ctx, ctx["layout"]["csv"]))


def pandas_csv(ctx: dict) -> Any:
    import pandas as pd

    return pd.read_csv(f"s3://{path(ctx, ctx['layout']['csv'])}")


def boto3_csv(ctx: dict) -> Any:
    import pandas as pd

    client = cached("boto3", _boto3_client)
    body = client.get_object(Bucket=ctx["bucket"], Key=ctx["layout"]["csv"])["Body"].read()
    return pd.read_csv(io.BytesIO(body))


def get_then_pyarrow_csv(ctx: dict) -> Any:
    """One plain GET of the whole object, then pandas' pyarrow engine on the bytes: each
    timed on its own and added, as a reader that waits for the download would take."""
    import pandas as pd

    client = cached("boto3", _boto3_client)
    started = time.perf_counter()
    body = client.get_object(Bucket=ctx["bucket"], Key=ctx["layout"]["csv"])["Body"].read()
    transfer = time.perf_counter() - started
    started = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(body), engine="pyarrow")
    return limit_result(transfer, time.perf_counter() - started, frame)


def limit_csv(ctx: dict) -> Any:
    import pandas as pd

    data, transfer = raw_fetch(ctx, ctx["layout"]["csv"])
    started = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(data), engine="pyarrow")
    return limit_result(transfer, time.perf_counter() - started, frame)


# ----------------------------------------------------------------------------- 2. Parquet
def s3tools_parquet(ctx: dict) -> Any:
    import s3tools

    return s3tools.s3_path_to_df(path(ctx, ctx["layout"]["parquet"]))


def pandas_parquet(ctx: dict) -> Any:
    import pandas as pd

    return pd.read_parquet(f"s3://{path(ctx, ctx['layout']['parquet'])}")


def pyarrow_parquet(ctx: dict) -> Any:
    import pyarrow.fs
    import pyarrow.parquet

    filesystem = cached("pyarrow-fs", lambda: pyarrow.fs.S3FileSystem(
        endpoint_override=ctx["endpoint"], region=ctx["region"],
        access_key=ctx["access_key"], secret_key=ctx["secret_key"]))
    table = pyarrow.parquet.read_table(path(ctx, ctx["layout"]["parquet"]),
                                       filesystem=filesystem)
    return table.to_pandas()


def limit_parquet(ctx: dict) -> Any:
    import pandas as pd
    import pyarrow as pa

    data, transfer = raw_fetch(ctx, ctx["layout"]["parquet"])
    started = time.perf_counter()
    frame = pd.read_parquet(pa.BufferReader(data))
    return limit_result(transfer, time.perf_counter() - started, frame)


# ----------------------------------------------------------------------------- 3. Preview
def s3tools_preview(key: str) -> Callable[[dict], Any]:
    def run(ctx: dict) -> Any:
        import s3tools

        return s3tools.s3_path_to_preview_df(path(ctx, ctx["layout"][key]), n=5)

    return run


def s3tools_full(key: str) -> Callable[[dict], Any]:
    def run(ctx: dict) -> Any:
        import s3tools

        return s3tools.s3_path_to_df(path(ctx, ctx["layout"][key]))

    return run


def pandas_csv_nrows(ctx: dict) -> Any:
    import pandas as pd

    return pd.read_csv(f"s3://{path(ctx, ctx['layout']['preview_csv'])}", nrows=5)


def pandas_parquet_first_rows(ctx: dict) -> Any:
    """The usual pandas answer for a Parquet preview: read it all, keep five rows."""
    import pandas as pd

    return pd.read_parquet(f"s3://{path(ctx, ctx['layout']['preview_parquet'])}").head(5)


def limit_preview_csv(ctx: dict) -> Any:
    import obstore
    import pandas as pd

    started = time.perf_counter()
    head = obstore.get_range(raw_store(ctx), ctx["layout"]["preview_csv"], start=0,
                             length=64 * 1024).to_bytes()
    transfer = time.perf_counter() - started
    started = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(head[:head.rfind(b"\n") + 1]), nrows=5)
    return limit_result(transfer, time.perf_counter() - started, frame)


def limit_preview_parquet(ctx: dict) -> Any:
    """Footer, then the first pages of each column: two ranged GETs, parsed from memory."""
    import obstore
    import pyarrow as pa
    import pyarrow.parquet

    store, key = raw_store(ctx), ctx["layout"]["preview_parquet"]
    started = time.perf_counter()
    size = obstore.head(store, key)["size"]
    tail = obstore.get_range(store, key, start=size - 64 * 1024, end=size).to_bytes()
    footer_length = int.from_bytes(tail[-8:-4], "little")
    metadata = pyarrow.parquet.read_metadata(pa.BufferReader(tail[-(footer_length + 8):]))
    group = metadata.row_group(0)
    ranges = []
    for index in range(group.num_columns):
        column = group.column(index)
        start = column.dictionary_page_offset or column.data_page_offset
        ranges.append((start, start + min(column.total_compressed_size, 128 * 1024)))
    obstore.get_ranges(store, key, starts=[r[0] for r in ranges], ends=[r[1] for r in ranges])
    transfer = time.perf_counter() - started
    return limit_result(transfer, 0.0, [None] * 5)


# ----------------------------------------------------------------------------- 4. Many objects
def s3tools_many(ctx: dict) -> Any:
    import s3tools

    return s3tools.read_files_from_s3([path(ctx, key) for key in ctx["layout"]["small_keys"]])


def s3tools_many_prefix(ctx: dict) -> Any:
    import s3tools

    return s3tools.read_files_from_s3(path(ctx, ctx["layout"]["small_prefix"]))


def boto3_many_sequential(ctx: dict) -> Any:
    client = cached("boto3", _boto3_client)
    return {key: client.get_object(Bucket=ctx["bucket"], Key=key)["Body"].read()
            for key in ctx["layout"]["small_keys"]}


def s3fs_many(ctx: dict) -> Any:
    import s3fs

    filesystem = cached("s3fs", s3fs.S3FileSystem)
    return filesystem.cat([path(ctx, key) for key in ctx["layout"]["small_keys"]])


def limit_many(ctx: dict) -> Any:
    import asyncio

    import obstore

    store = raw_store(ctx)

    async def fetch_all() -> list:
        gate = asyncio.Semaphore(32)

        async def one(key: str) -> Any:
            async with gate:
                return await (await obstore.get_async(store, key)).bytes_async()

        return await asyncio.gather(*(one(key) for key in ctx["layout"]["small_keys"]))

    started = time.perf_counter()
    bodies = asyncio.run(fetch_all())
    return limit_result(time.perf_counter() - started, 0.0, bodies)


# ----------------------------------------------------------------------------- 5. Upload
def upload_key(ctx: dict, peer: str) -> str:
    return f"upload/{peer}-{ctx['run']}"


def clear_uploads(ctx: dict, run: int) -> None:
    client = cached("cleanup", _boto3_client)
    listed = client.list_objects_v2(Bucket=ctx["bucket"], Prefix="upload/").get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=ctx["bucket"], Key=item["Key"])


def s3tools_upload_file(ctx: dict) -> Any:
    import s3tools

    return s3tools.write_file_to_s3(ctx["layout"]["upload_source"],
                                    path(ctx, upload_key(ctx, "s3tools") + ".bin"))


def boto3_upload_file(ctx: dict) -> Any:
    client = cached("boto3", _boto3_client)
    client.upload_file(ctx["layout"]["upload_source"], ctx["bucket"],
                       upload_key(ctx, "boto3") + ".bin")


def limit_upload_file(ctx: dict) -> Any:
    started = time.perf_counter()
    with open(ctx["layout"]["upload_source"], "rb") as source:
        data = source.read()
    read = time.perf_counter() - started
    return limit_result(raw_put(ctx, upload_key(ctx, "limit") + ".bin", data), read)


def _frame(ctx: dict) -> Any:
    from data import table_frame

    return cached("frame", lambda: table_frame(ctx["layout"]["frame_rows"], seed=6))


def prepare_frame_upload(ctx: dict, run: int) -> None:
    _frame(ctx)
    clear_uploads(ctx, run)


def s3tools_upload_frame(ctx: dict) -> Any:
    import s3tools

    return s3tools.write_df_to_csv_in_s3(_frame(ctx), path(ctx, upload_key(ctx, "s3tools")
                                                             + ".csv"))


def pandas_upload_frame(ctx: dict) -> Any:
    _frame(ctx).to_csv(f"s3://{path(ctx, upload_key(ctx, 'pandas') + '.csv')}", index=False)


def limit_upload_frame(ctx: dict) -> Any:
    started = time.perf_counter()
    data = _frame(ctx).to_csv(index=False, lineterminator="\n").encode()
    serialise = time.perf_counter() - started
    return limit_result(raw_put(ctx, upload_key(ctx, "limit") + ".csv", data), serialise)


# ----------------------------------------------------------------------------- 6. Listing
def s3tools_listing(ctx: dict) -> Any:
    import s3tools

    return s3tools.list_files_in_buckets(ctx["listing_bucket"])


def boto3_listing(ctx: dict) -> Any:
    client = cached("boto3", _boto3_client)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=ctx["listing_bucket"])
    return [item for page in pages for item in page.get("Contents", [])]


def prepare_s3fs_listing(ctx: dict, run: int) -> None:
    import s3fs

    cached("s3fs", s3fs.S3FileSystem).invalidate_cache()


def s3fs_listing(ctx: dict) -> Any:
    import s3fs

    return cached("s3fs", s3fs.S3FileSystem).find(ctx["listing_bucket"])


def limit_listing(ctx: dict) -> Any:
    import obstore
    import pandas as pd

    started = time.perf_counter()
    items = [item for chunk in obstore.list(raw_store(ctx, ctx["listing_bucket"]),
                                            chunk_size=1000) for item in chunk]
    transfer = time.perf_counter() - started
    started = time.perf_counter()
    frame = pd.DataFrame(items)
    return limit_result(transfer, time.perf_counter() - started, frame)


# ----------------------------------------------------------------------------- 7. R
def in_r(ctx: dict) -> Any:
    raise RuntimeError("R cases run in bench/r/worker.R, not in a Python worker.")


R_SCENARIOS = ("7a", "7b", "7c")
# R users' own ways to a data.frame (bench/r/worker.R): the object downloaded to a
# local file by s3tools, then read by data.table or vroom (vroom reads lazily: its
# values are parsed when first used).
# The worker of scenario 7's Python peers: the s3tools family with R's allocation
# settings (r_side.ALLOCATION), so that R and Python are timed alike.
PYTHON_AS_R = "s3tools-as-r"
R_FREAD = "download + data.table::fread"
R_VROOM = "download + vroom (lazy)"


# ----------------------------------------------------------------------------- 8. dataset
FILTERED_YEAR = 2020  # the partition scenario 8 reads (bench/data.py writes 2015-2024)


def s3tools_partition(ctx: dict) -> Any:
    import s3tools

    return s3tools.s3_path_to_df(path(ctx, ctx["layout"]["dataset"]),
                                 filters=[("year", "==", FILTERED_YEAR)])


def pandas_partition(ctx: dict) -> Any:
    import pandas as pd

    return pd.read_parquet(f"s3://{path(ctx, ctx['layout']['dataset'])}",
                           filters=[("year", "==", FILTERED_YEAR)])


def pyarrow_partition(ctx: dict) -> Any:
    import pyarrow.dataset
    import pyarrow.fs

    filesystem = cached("pyarrow-fs", lambda: pyarrow.fs.S3FileSystem(
        endpoint_override=ctx["endpoint"], region=ctx["region"],
        access_key=ctx["access_key"], secret_key=ctx["secret_key"]))
    dataset = pyarrow.dataset.dataset(path(ctx, ctx["layout"]["dataset"]),
                                      filesystem=filesystem, format="parquet",
                                      partitioning="hive")
    return dataset.to_table(filter=pyarrow.dataset.field("year") == FILTERED_YEAR).to_pandas()


def listing_partition(ctx: dict) -> Any:
    """awswrangler's way: list every file, keep the partition's paths, read each one."""
    import pandas as pd
    import s3fs

    filesystem = cached("s3fs", lambda: s3fs.S3FileSystem())
    filesystem.invalidate_cache()
    wanted = f"/year={FILTERED_YEAR}/"
    files = [name for name in filesystem.find(path(ctx, ctx["layout"]["dataset"]))
             if wanted in name and name.endswith(".parquet")]
    return pd.concat([pd.read_parquet(f"s3://{name}").assign(year=FILTERED_YEAR)
                      for name in files], ignore_index=True)


def limit_partition(ctx: dict) -> Any:
    import pandas as pd
    import pyarrow as pa

    key = f"{ctx['layout']['dataset']}year={FILTERED_YEAR}/part-00000.parquet"
    data, transfer = raw_fetch(ctx, key)
    started = time.perf_counter()
    frame = pd.read_parquet(pa.BufferReader(data))
    return limit_result(transfer, time.perf_counter() - started, frame)


# ----------------------------------------------------------------------------- 9. group-by
def _group_by(frame: Any) -> Any:
    return frame.groupby("region")["cost"].agg(["sum", "mean", "count"])


def pandas_group_by(ctx: dict) -> Any:
    import pandas as pd

    return _group_by(pd.read_parquet(f"s3://{path(ctx, ctx['layout']['groupby'])}",
                                     columns=["region", "cost"]))


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(status.read().split(f"{field}:")[1].split()[0])


def _reset_peak() -> int:
    """On a Dask worker: reset the kernel's peak mark; the resident memory now (KiB)."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return _status_kib("VmRSS")


def _peak() -> int:
    return _status_kib("VmHWM")


def dask_group_by(workers: int) -> Callable[[dict], Any]:
    """s3_path_to_ddf on a LocalCluster of ``workers`` processes (one thread each); the
    answer carries the most resident memory a worker held during the call."""

    def run(ctx: dict) -> Any:
        from distributed import Client, LocalCluster

        import s3tools

        client = cached(f"dask-{workers}", lambda: Client(LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=None)))
        before = client.run(_reset_peak)
        frame = s3tools.s3_path_to_ddf(path(ctx, ctx["layout"]["groupby"]),
                                       columns=["region", "cost"])
        # On this cluster: the latest Client made is Dask's default, and the worker process
        # holds the other scenario 9 case's cluster too.
        result = _group_by(frame).compute(scheduler=client)
        del before  # the reset is what counts: the peak is each worker's own since then
        after = client.run(_peak)
        return {"value": result, "report": {"worker_peak_mb": max(after.values()) / 1024}}

    return run


def regions(ctx: dict, result: Any) -> None:
    expected = ctx["layout"]["groupby_rows"]
    if int(result["count"].sum()) != expected:
        raise AssertionError(f"expected {expected} rows counted, got {result['count'].sum()}")


# ----------------------------------------------------------------------------- the table
def scenarios(quick: bool) -> list[Scenario]:
    full_read_runs = 1
    return [
        Scenario("1", "CSV into a data frame", [
            Case("s3tools", "s3tools", s3tools_csv, expect=rows("csv_rows")),
            Case("pandas read_csv (s3fs)", "pandas", pandas_csv, expect=rows("csv_rows")),
            Case("boto3 get_object + read_csv", "boto3", boto3_csv, expect=rows("csv_rows")),
            Case(GET_THEN_PYARROW, "boto3", get_then_pyarrow_csv, expect=rows("csv_rows")),
        ], limit=Case("limit", "limit", limit_csv)),
        Scenario("2", "Parquet into a data frame", [
            Case("s3tools", "s3tools", s3tools_parquet, expect=rows("parquet_rows")),
            Case("pandas read_parquet (s3fs)", "pandas", pandas_parquet,
                 expect=rows("parquet_rows")),
            Case("pyarrow read_table (S3FileSystem)", "pyarrow", pyarrow_parquet,
                 expect=rows("parquet_rows")),
        ], limit=Case("limit", "limit", limit_parquet)),
        Scenario("3a", "Preview 5 rows of a large CSV", [
            Case("s3tools", "s3tools", s3tools_preview("preview_csv"), expect=at_least_rows(5)),
            Case("pandas read_csv nrows=5 (s3fs)", "pandas", pandas_csv_nrows,
                 expect=at_least_rows(5)),
            Case("full read (s3tools s3_path_to_df)", "s3tools", s3tools_full("preview_csv"),
                 runs=full_read_runs, warm_up=False, expect=at_least_rows(5)),
        ], limit=Case("limit", "limit", limit_preview_csv)),
        Scenario("3b", "Preview 5 rows of a large Parquet file", [
            Case("s3tools", "s3tools", s3tools_preview("preview_parquet"),
                 expect=at_least_rows(5)),
            Case("pandas read_parquet().head(5) (s3fs)", "pandas", pandas_parquet_first_rows,
                 runs=full_read_runs, warm_up=False, expect=at_least_rows(5)),
            Case("full read (s3tools s3_path_to_df)", "s3tools",
                 s3tools_full("preview_parquet"), runs=full_read_runs, warm_up=False,
                 expect=at_least_rows(5)),
        ], limit=Case("limit", "limit", limit_preview_parquet)),
        Scenario("4", "Many small objects into memory", [
            Case("s3tools", "s3tools", s3tools_many, expect=count_of("small_keys")),
            Case("s3tools (folder prefix)", "s3tools", s3tools_many_prefix,
                 expect=count_of("small_keys")),
            Case("boto3 sequential loop", "boto3", boto3_many_sequential,
                 expect=count_of("small_keys")),
            Case("s3fs cat(list)", "pandas", s3fs_many, expect=count_of("small_keys")),
        ], limit=Case("limit", "limit", limit_many)),
        Scenario("5a", "Upload a large local file", [
            Case("s3tools", "s3tools", s3tools_upload_file, prepare=clear_uploads),
            Case("boto3 upload_file", "boto3", boto3_upload_file, prepare=clear_uploads),
        ], limit=Case("limit", "limit", limit_upload_file, prepare=clear_uploads)),
        Scenario("5b", "Upload a data frame as CSV", [
            # No warm-up: the workers are warm from 5a, and each call takes seconds.
            Case("s3tools", "s3tools", s3tools_upload_frame, prepare=prepare_frame_upload,
                 warm_up=False),
            Case("pandas to_csv (s3fs)", "pandas", pandas_upload_frame,
                 prepare=prepare_frame_upload, warm_up=False),
        ], limit=Case("limit", "limit", limit_upload_frame, prepare=prepare_frame_upload,
                      warm_up=False)),
        Scenario("6", "List keys into a data frame", [
            Case("s3tools", "s3tools", s3tools_listing, expect=count_of("listing_keys")),
            Case("boto3 paginator (list of dicts)", "boto3", boto3_listing,
                 expect=count_of("listing_keys")),
            Case("s3fs find", "pandas", s3fs_listing, prepare=prepare_s3fs_listing,
                 expect=count_of("listing_keys")),
        ], limit=Case("limit", "limit", limit_listing)),
        # The R rows: "s3tools" is the R call (the data ends up in an R
        # data.frame), measured against the same call from Python.
        Scenario("7a", "R: CSV into an R data.frame", [
            Case("s3tools", "r", in_r),
            Case(R_FREAD, "r", in_r),
            Case(R_VROOM, "r", in_r),
            Case("s3tools (Python)", PYTHON_AS_R, s3tools_csv, expect=rows("csv_rows")),
        ]),
        Scenario("7b", "R: listing into an R data.frame", [
            Case("s3tools", "r", in_r),
            Case("s3tools (Python)", PYTHON_AS_R, s3tools_listing,
                 expect=count_of("listing_keys")),
        ]),
        Scenario("7c", "R: Parquet into an R data.frame", [
            Case("s3tools", "r", in_r),
            Case("s3tools (Python)", PYTHON_AS_R, s3tools_parquet, expect=rows("parquet_rows")),
        ]),
        Scenario("8", "Filtered read of one partition of ten", [
            Case("s3tools", "s3tools", s3tools_partition, expect=rows("dataset_partition_rows")),
            Case("pandas read_parquet filters= (s3fs)", "pandas", pandas_partition,
                 expect=rows("dataset_partition_rows")),
            Case("pyarrow.dataset filter (S3FileSystem)", "pyarrow", pyarrow_partition,
                 expect=rows("dataset_partition_rows")),
            Case("full listing + path filter (s3fs)", "pandas", listing_partition,
                 expect=rows("dataset_partition_rows")),
        ], limit=Case("limit", "limit", limit_partition), min_runs=15),
        # s3tools is s3_path_to_ddf on 2 worker processes; the answer also carries the
        # peak memory a worker added (the table's peak is the calling process's).
        Scenario("9", "Group-by over a dataset (Dask)", [
            Case("s3tools", "s3tools", dask_group_by(2), expect=regions),
            Case("s3_path_to_ddf, 1 worker", "s3tools", dask_group_by(1), expect=regions),
            Case("pandas, one process (s3fs)", "pandas", pandas_group_by, expect=regions),
        ]),
    ]
