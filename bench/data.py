"""Deterministic benchmark data: the same bytes on every run for a given size.

Tables look like an analyst's extract: integers, floats, short category
strings, free-text identifiers, booleans and timestamps. Objects are written
to the server with plain clients (boto3 for large files, obstore for the many
small ones), never with s3tools.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet

BUCKET = "s3tools-bench"
LISTING_BUCKET = "s3tools-bench-listing"
_CHUNK_ROWS = 500_000
# Bytes per row, measured on this generator, used to reach a target size.
_CSV_BYTES_PER_ROW = 72
_PARQUET_BYTES_PER_ROW = 33


@dataclass(frozen=True)
class Sizes:
    csv_mb: int
    parquet_mb: int
    preview_mb: int
    small_count: int
    small_kb: int
    upload_file_mb: int
    frame_csv_mb: int
    listing_keys: int
    dataset_mb: int  # a dataset of ten partitions (scenario 8)
    groupby_mb: int  # the dataset a group-by runs over (scenario 9)


FULL = Sizes(csv_mb=200, parquet_mb=200, preview_mb=1000, small_count=1000, small_kb=100,
             upload_file_mb=500, frame_csv_mb=200, listing_keys=20_000, dataset_mb=1000,
             groupby_mb=2000)
QUICK = Sizes(csv_mb=10, parquet_mb=10, preview_mb=40, small_count=100, small_kb=100,
              upload_file_mb=20, frame_csv_mb=5, listing_keys=1_000, dataset_mb=40,
              groupby_mb=40)
# The partitions of the datasets: year=2015 ... year=2024, one file each.
DATASET_YEARS = tuple(range(2015, 2025))
FILTERED_YEAR = 2020


@dataclass(frozen=True)
class Layout:
    """Where each scenario's objects live (keys in BUCKET unless said otherwise)."""

    csv: str
    csv_rows: int
    parquet: str
    parquet_rows: int
    preview_csv: str
    preview_parquet: str
    small_prefix: str
    small_keys: tuple[str, ...]
    upload_source: str  # a local file
    frame_rows: int
    listing_prefix: str
    listing_keys: int
    dataset: str  # a prefix
    dataset_partition_rows: int
    groupby: str  # a prefix
    groupby_rows: int

    def to_dict(self) -> dict:
        return asdict(self)


def frame_chunk(rows: int, seed: int, first_id: int = 0) -> pd.DataFrame:
    """``rows`` rows of the benchmark table; the same seed gives the same rows."""
    rng = np.random.default_rng(seed)
    categories = np.array(["North East", "North West", "Yorkshire", "East Midlands",
                           "West Midlands", "East", "London", "South East", "South West"])
    return pd.DataFrame({
        "id": np.arange(first_id, first_id + rows, dtype="int64"),
        "region": categories[rng.integers(0, len(categories), rows)],
        "patient": np.char.add("P", rng.integers(10**6, 10**7, rows).astype("U7")),
        "age": rng.integers(0, 100, rows, dtype="int64"),
        "score": np.round(rng.normal(50, 15, rows), 4),
        "cost": np.round(rng.lognormal(6, 1.2, rows), 2),
        "flag": rng.random(rows) < 0.3,
        "seen": pd.Timestamp("2015-01-01") + pd.to_timedelta(
            rng.integers(0, 10 * 365 * 86400, rows), unit="s"),
    })


def _chunks(total_rows: int, seed: int) -> Iterator[pd.DataFrame]:
    done = 0
    while done < total_rows:
        rows = min(_CHUNK_ROWS, total_rows - done)
        yield frame_chunk(rows, seed + done // _CHUNK_ROWS, first_id=done)
        done += rows


def table_frame(total_rows: int, seed: int) -> pd.DataFrame:
    return pd.concat(list(_chunks(total_rows, seed)), ignore_index=True)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def write_csv(path: str, total_rows: int, seed: int) -> None:
    options = pyarrow.csv.WriteOptions(quoting_style="none")
    writer = None
    with open(path, "wb") as sink:
        for chunk in _chunks(total_rows, seed):
            table = _arrow(chunk)
            if writer is None:
                writer = pyarrow.csv.CSVWriter(sink, table.schema, write_options=options)
            writer.write_table(table)
        if writer is not None:
            writer.close()


def write_repeated_csv(path: str, total_rows: int, seed: int) -> None:
    """A large CSV made of one generated block repeated (quick to make; only previewed
    or read whole)."""
    block = _arrow(frame_chunk(_CHUNK_ROWS, seed))
    buffer = pa.BufferOutputStream()
    pyarrow.csv.write_csv(block, buffer, pyarrow.csv.WriteOptions(quoting_style="none"))
    text = buffer.getvalue().to_pybytes()
    header_end = text.index(b"\n") + 1
    with open(path, "wb") as sink:
        sink.write(text)
        sink.writelines(memoryview(text)[header_end:] for _ in range(total_rows // _CHUNK_ROWS - 1))


def write_repeated_parquet(path: str, total_rows: int, seed: int) -> None:
    block = _arrow(frame_chunk(_CHUNK_ROWS, seed))
    with pyarrow.parquet.ParquetWriter(path, block.schema, compression="snappy") as writer:
        for _ in range(max(1, total_rows // _CHUNK_ROWS)):
            writer.write_table(block, row_group_size=_CHUNK_ROWS)


def write_parquet(path: str, total_rows: int, seed: int) -> None:
    writer = None
    for chunk in _chunks(total_rows, seed):
        table = _arrow(chunk)
        if writer is None:
            writer = pyarrow.parquet.ParquetWriter(path, table.schema, compression="snappy")
        writer.write_table(table, row_group_size=_CHUNK_ROWS)
    if writer is not None:
        writer.close()


def write_partition(path: str, total_rows: int, seed: int) -> None:
    """One partition's file: a generated block repeated (the partition column is in the path)."""
    block = _arrow(frame_chunk(min(_CHUNK_ROWS, total_rows), seed))
    with pyarrow.parquet.ParquetWriter(path, block.schema, compression="snappy") as writer:
        for _ in range(max(1, total_rows // block.num_rows)):
            writer.write_table(block, row_group_size=block.num_rows)


def write_random(path: str, size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    block = 16 * 1024 * 1024
    with open(path, "wb") as sink:
        sink.writelines(rng.bytes(min(block, size - start)) for start in range(0, size, block))


def _partition_rows(dataset_mb: int) -> int:
    """Rows of one partition file (a whole number of blocks once past one block)."""
    rows = rows_for(dataset_mb // len(DATASET_YEARS), _PARQUET_BYTES_PER_ROW)
    return rows if rows < _CHUNK_ROWS else rows // _CHUNK_ROWS * _CHUNK_ROWS


def rows_for(megabytes: int, bytes_per_row: int) -> int:
    return max(1000, megabytes * 1_000_000 // bytes_per_row)


def small_object(index: int, size: int) -> bytes:
    """An incompressible body of ``size`` bytes, like a DICOM image's pixel data."""
    return np.random.default_rng(10_000 + index).bytes(size)


async def _put_many(store: object, items: list[tuple[str, bytes]], concurrency: int) -> None:
    import obstore

    gate = asyncio.Semaphore(concurrency)

    async def put(key: str, body: bytes) -> None:
        async with gate:
            await obstore.put_async(store, key, body)

    await asyncio.gather(*(put(key, body) for key, body in items))


def seed_server(endpoint: str, access_key: str, secret_key: str, region: str,
                sizes: Sizes, work_dir: str, log: object = print) -> Layout:
    """Generate every object, upload it, and return where things are."""
    import time

    import boto3
    import botocore.config
    from boto3.s3.transfer import TransferConfig
    from obstore.store import S3Store

    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=botocore.config.Config(
            proxies={}, s3={"addressing_style": "path"}, max_pool_connections=16,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required"))
    for bucket in (BUCKET, LISTING_BUCKET):
        for attempt in range(50):  # the filer may still be starting
            try:
                client.create_bucket(Bucket=bucket)
                break
            except client.exceptions.BucketAlreadyOwnedByYou:
                break
            except Exception:
                if attempt == 49:
                    raise
                time.sleep(0.3)
    transfer = TransferConfig(multipart_chunksize=16 * 1024 * 1024, max_concurrency=8)

    def upload(local: str, key: str) -> None:
        started = time.perf_counter()
        client.upload_file(local, BUCKET, key, Config=transfer)
        log(f"  {key}: {os.path.getsize(local) / 1e6:.0f} MB "
            f"in {time.perf_counter() - started:.1f} s")

    csv_rows = rows_for(sizes.csv_mb, _CSV_BYTES_PER_ROW)
    parquet_rows = rows_for(sizes.parquet_mb, _PARQUET_BYTES_PER_ROW)
    preview_csv_rows = rows_for(sizes.preview_mb, _CSV_BYTES_PER_ROW)
    preview_parquet_rows = rows_for(sizes.preview_mb, _PARQUET_BYTES_PER_ROW)
    layout = Layout(
        csv=f"table/{sizes.csv_mb}mb.csv", csv_rows=csv_rows,
        parquet=f"table/{sizes.parquet_mb}mb.parquet", parquet_rows=parquet_rows,
        preview_csv=f"preview/{sizes.preview_mb}mb.csv",
        preview_parquet=f"preview/{sizes.preview_mb}mb.parquet",
        small_prefix="dicom/",
        small_keys=tuple(f"dicom/image-{i:05d}.dcm" for i in range(sizes.small_count)),
        upload_source=os.path.join(work_dir, "upload.bin"),
        frame_rows=rows_for(sizes.frame_csv_mb, _CSV_BYTES_PER_ROW),
        listing_prefix="keys/", listing_keys=sizes.listing_keys,
        dataset=f"dataset/{sizes.dataset_mb}mb/",
        dataset_partition_rows=_partition_rows(sizes.dataset_mb),
        groupby=f"dataset/{sizes.groupby_mb}mb/",
        groupby_rows=_partition_rows(sizes.groupby_mb) * len(DATASET_YEARS),
    )
    steps = [
        (layout.csv, lambda p: write_csv(p, csv_rows, seed=1)),
        (layout.parquet, lambda p: write_parquet(p, parquet_rows, seed=2)),
        (layout.preview_csv, lambda p: write_repeated_csv(p, preview_csv_rows, seed=3)),
        (layout.preview_parquet,
         lambda p: write_repeated_parquet(p, preview_parquet_rows, seed=4)),
    ]
    for prefix, megabytes in {layout.dataset: sizes.dataset_mb,
                              layout.groupby: sizes.groupby_mb}.items():
        rows = _partition_rows(megabytes)
        steps += [(f"{prefix}year={year}/part-00000.parquet",
                   lambda p, y=year, r=rows: write_partition(p, r, seed=6 + y))
                  for year in DATASET_YEARS]
    for key, make in steps:
        local = os.path.join(work_dir, key.replace("/", "_"))
        make(local)
        upload(local, key)
        os.remove(local)
    write_random(layout.upload_source, sizes.upload_file_mb * 1_000_000, seed=5)

    store_options = {"endpoint": endpoint, "region": region, "access_key_id": access_key,
                     "secret_access_key": secret_key,
                     "client_options": {"allow_http": True, "proxy_url": endpoint,
                                        "proxy_excludes": "127.0.0.1"}}
    started = time.perf_counter()
    size = sizes.small_kb * 1000
    items = [(key, small_object(i, size)) for i, key in enumerate(layout.small_keys)]
    asyncio.run(_put_many(S3Store(BUCKET, **store_options), items, 32))
    listing = [(f"{layout.listing_prefix}part-{i // 1000:03d}/row-{i:06d}.json", b"{}")
               for i in range(sizes.listing_keys)]
    asyncio.run(_put_many(S3Store(LISTING_BUCKET, **store_options), listing, 64))
    log(f"  {len(items)} small objects and {len(listing)} listing keys "
        f"in {time.perf_counter() - started:.1f} s")
    return layout
