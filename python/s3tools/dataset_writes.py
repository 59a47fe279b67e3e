"""Writing Parquet datasets: hive-style partitions, four modes, never half visible.

A write first uploads every file into a staging folder inside the dataset,
``prefix/_s3tools_staging-<id>/`` (hidden from every reader: pyarrow, pandas,
Spark, Athena and s3tools skip names starting with ``_``). Only when all of
them are there does it make them visible: a ``_COMMITTING`` marker in the
staging folder, ``_SUCCESS`` removed, the new files copied into place on the
server, the files they replace deleted, then ``_SUCCESS`` written and the
staging folder removed. A failure while uploading leaves the dataset as it
was; a failure while copying removes the copies made so far. S3 has no
transaction over many keys: if the process dies while files are being made
visible, the marker stays, and s3tools refuses to read the dataset (saying
why) until it is written again; other readers see no ``_SUCCESS``.

Modes: ``"error"`` refuses a folder that holds anything; ``"append"`` adds
files beside the existing ones; ``"overwrite"`` replaces everything under the
folder; ``"overwrite_partitions"`` replaces only the partitions ``df`` has rows
for. The frame's types (partition columns included) are recorded in
``_s3tools_schema.parquet``, so a read gives them back.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import access, errors, formats, partitions, paths, transport
from .datasets import COMMIT_MARKER, PARTITIONS_KEY, SCHEMA_FILE, STAGING, Listing, list_dataset
from .paths import S3Path

logger = logging.getLogger(__name__)

MODES = ("error", "append", "overwrite", "overwrite_partitions")
SUCCESS = "_SUCCESS"


def wanted(s3_path: str, options: dict[str, Any]) -> bool:
    """Whether ``write_df_to_table_in_s3`` writes a dataset (a folder path, or the dataset
    arguments given)."""
    return paths.parse(s3_path).is_folder or "partition_cols" in options or "mode" in options


def write_dataset(df: pd.DataFrame, s3_path: str, overwrite: bool, multipart: bool,
                  file_type: str | None, options: dict[str, Any]) -> str:
    """Write ``df`` as a Parquet dataset under the folder ``s3_path`` (see the module).

    Returns:
        The folder written, ``bucket/prefix/``.

    Raises:
        AlreadyExistsError: mode ``"error"`` and the folder holds files.
        ValueError: a bad mode, partition column or path.
    """
    root = paths.parse(s3_path)
    if not root.key:
        # "overwrite" there would empty the bucket.
        raise errors.PathError("A dataset is written to a folder inside the bucket, as in "
                               "'bucket/folder/', not to the bucket itself.", path=str(root))
    columns = _partition_cols(options.pop("partition_cols", None), df)
    mode = _mode(options.pop("mode", None), overwrite)
    if not root.is_folder:
        raise ValueError(f"A dataset is written to a folder: end the path with '/' "
                         f"({root}/), or leave out partition_cols= and mode= to write one file.")
    if file_type is not None and formats.resolve("", file_type)[0].name != "parquet":
        raise ValueError("Datasets are written as Parquet: leave out file_type= or set it to "
                         "'parquet'.")
    if mode == "overwrite_partitions" and not columns:
        raise ValueError('mode="overwrite_partitions" needs partition_cols=.')
    access.refuse_read_only(root.bucket, str(root))
    before = list_dataset(root)
    _check_existing(before, columns, mode)
    table = pa.Table.from_pandas(df, preserve_index=bool(options.pop("index", False)))
    options.pop("engine", None)
    table, schema = _schema_to_record(before, table, columns, mode)
    write_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)
    staging = S3Path(root.bucket, f"{root.key}{STAGING}{write_id}/")
    staged = _stage(table, columns, staging, write_id, multipart, options)
    marker = staging.key + COMMIT_MARKER
    state = {"midway": False}
    try:
        _commit(root, staging, staged, schema, columns, mode, state)
    except BaseException:
        # Midway (new files in place, old ones not all gone) the marker stays: readers
        # then refuse the mix instead of taking it for the dataset.
        _delete([path.key for path, _ in staged] + ([] if state["midway"] else [marker]),
                root, quiet=True)
        raise
    _delete([path.key for path, _ in staged], root, quiet=True)
    _delete([marker], root)
    return str(root)


def _partition_cols(value: Any, df: pd.DataFrame) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    missing = [name for name in names if name not in df.columns]
    if missing:
        raise ValueError(f"partition_cols names {', '.join(map(repr, missing))}, which "
                         f"df does not have: its columns are {', '.join(map(str, df.columns))}.")
    if len(set(names)) == len(df.columns):
        raise ValueError("partition_cols cannot be every column: the files would hold none.")
    return list(dict.fromkeys(names))


def _mode(mode: Any, overwrite: bool) -> str:
    if mode is None:
        return "overwrite" if overwrite else "error"
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, not {mode!r}.")
    if overwrite and mode in ("error", "append"):
        raise ValueError(f'overwrite=True and mode="{mode}" disagree: pass one of them.')
    return mode


def _visible(listing: Listing) -> list[str]:
    """Keys under the folder other than staging folders (whatever a reader may take in)."""
    return [item["Key"] for item in listing.objects
            if not item["Key"][len(listing.root.key):].startswith(STAGING)]


def _check_existing(listing: Listing, columns: list[str], mode: str) -> None:
    if mode == "error" and _visible(listing):
        raise errors.AlreadyExistsError(
            f"{listing.root} already holds files: nothing was written. Pass mode=\"append\", "
            "\"overwrite\" or \"overwrite_partitions\" (or overwrite=TRUE / overwrite=True to "
            "replace everything).", path=str(listing.root))
    if mode in ("append", "overwrite_partitions") and listing.files:
        layout = list(partitions.parse_key(listing.relative(listing.files[0][0])))
        if layout != columns:
            raise ValueError(f"{listing.root} is partitioned by {layout or 'nothing'}, so "
                             f"partition_cols must be {layout or 'left out'} to add to it, not "
                             f"{columns or 'left out'}.")


def _schema_to_record(listing: Listing, table: pa.Table, columns: list[str],
                      mode: str) -> tuple[pa.Table, pa.Schema | None]:
    """The table to write, and the schema to record in ``_s3tools_schema.parquet`` (None:
    leave it as it is).

    A new or replaced dataset records the frame's types. An addition to a dataset
    s3tools wrote takes the recorded types: numbers are converted where no value
    changes (R's doubles into integer columns, say), and any other difference is
    refused, since the dataset could no longer be read as one table; new columns
    are added to the record. Datasets of other writers get no record on additions.
    """
    mine = table.schema.with_metadata({**(table.schema.metadata or {}),
                                       PARTITIONS_KEY: json.dumps(columns).encode()})
    if mode in ("error", "overwrite") or listing.schema_file is None and not listing.files:
        return table, mine
    if listing.schema_file is None:
        return table, None
    recorded = pq.read_schema(pa.BufferReader(transport.fetch(listing.schema_file)))
    clashes = []
    for index, field in enumerate(table.schema):
        if field.name not in recorded.names or \
                _same_type(recorded.field(field.name).type, field.type):
            continue
        wanted = recorded.field(field.name).type
        try:
            if not (_numeric(wanted) and _numeric(field.type)):
                raise TypeError
            table = table.set_column(index, field.name, table.column(index).cast(wanted))
        except (TypeError, pa.ArrowInvalid):
            clashes.append(f"{field.name} ({wanted} there, {field.type} here)")
    if clashes:
        raise errors.FormatError(
            f"{listing.root} holds columns of other types: {', '.join(clashes)}. Convert them "
            'first, or write with mode="overwrite".', path=str(listing.root))
    added = [field for field in table.schema if field.name not in recorded.names]
    return table, (pa.schema(list(recorded) + added, metadata=recorded.metadata)
                   if added else None)


def _numeric(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


def _same_type(first: pa.DataType, second: pa.DataType) -> bool:
    def plain(kind: pa.DataType) -> pa.DataType:
        kind = kind.value_type if pa.types.is_dictionary(kind) else kind
        return pa.string() if pa.types.is_large_string(kind) else kind

    return plain(first) == plain(second) or pa.types.is_null(first) or pa.types.is_null(second)


# ------------------------------------------------------------------ staging

def _groups(table: pa.Table, columns: list[str]) -> list[tuple[str, Any]]:
    """``(folders, row positions)`` for each partition (all rows, no folder, without).
    The values come from the table, so that they are written with its types."""
    if not columns:
        return [("", None)]
    keys = table.select(columns).to_pandas()
    grouped = keys.groupby(columns, dropna=False, sort=True, observed=True).indices
    # One column's keys are its values (pandas' .indices), several columns' are tuples.
    return [("/".join(partitions.segment(name, value) for name, value in
                      zip(columns, key if isinstance(key, tuple) else (key,))) + "/", positions)
            for key, positions in grouped.items()]


def _stage(table: pa.Table, columns: list[str], staging: S3Path, write_id: str,
           multipart: bool, options: dict[str, Any]) -> list[tuple[S3Path, int]]:
    """Upload one file per partition into the staging folder; on failure remove them all."""
    jobs = [(staging.child(f"{staging.key}{folders}part-{write_id}-{number:05d}.parquet"),
             positions) for number, (folders, positions) in enumerate(_groups(table, columns))]
    data = table.drop_columns(columns) if columns else table

    def upload(job: tuple[S3Path, Any]) -> tuple[S3Path, int]:
        path, positions = job
        piece = data if positions is None else data.take(positions)
        counter = _Counting(transport.Upload(path, overwrite=False, multipart=multipart))
        with counter.sink:
            pq.write_table(piece, counter, **options)
        return path, counter.size

    workers = max(1, min(transport.settings().max_concurrency, 8, len(jobs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(upload, job) for job in jobs]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True)
            _delete([path.key for path, _ in jobs], staging, quiet=True)
            raise


class _Counting:
    """A sink that counts what goes through it (the size of a staged file, for its copy)."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.size = 0
        self.closed = False

    def write(self, data: Any) -> int:
        self.size += len(data)
        return self.sink.write(data)

    def flush(self) -> None:
        return None


# ------------------------------------------------------------------ making visible

def _commit(root: S3Path, staging: S3Path, staged: list[tuple[S3Path, int]],
            schema: pa.Schema | None, columns: list[str], mode: str, state: dict) -> None:
    marker = staging.child(staging.key + COMMIT_MARKER)
    finals = [(path, root.child(root.key + path.key[len(staging.key):]), size)
              for path, size in staged]
    transport.put(marker, json.dumps({"mode": mode, "files": [str(final) for _, final, _ in
                                                             finals]}).encode(), overwrite=True)
    now = list_dataset(root)
    visible = set(_visible(now))
    if mode == "error" and visible:
        raise errors.AlreadyExistsError(
            f"{root} received files from another writer meanwhile: nothing was written.",
            path=str(root))
    success = root.key + SUCCESS
    if success in visible:
        _delete([success], root)
    _copy_in(finals, root)
    state["midway"] = True
    replaced = _replaced(now, visible, columns, mode, {final.key for _, final, _ in finals},
                         staging)
    _delete(sorted(replaced), root)
    if schema is not None:
        sink = pa.BufferOutputStream()
        pq.write_table(schema.empty_table(), sink)
        transport.put(root.child(root.key + SCHEMA_FILE), sink.getvalue().to_pybytes(),
                      overwrite=True)
    transport.put(root.child(success), b"", overwrite=True)
    state["midway"] = False


def _copy_in(finals: list[tuple[S3Path, S3Path, int]], root: S3Path) -> None:
    """Copy the staged files into place (on the server, in parallel); on failure remove the
    copies made, so the dataset is as it was."""
    workers = max(1, min(transport.settings().max_concurrency, len(finals)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(transport.copy, source, final, False, size)
                   for source, final, size in finals]
        failure = None
        for future in futures:
            try:
                future.result()
            except BaseException as error:  # noqa: BLE001 - re-raised after the clean-up
                failure = failure or error
    if failure is not None:
        _delete([final.key for _, final, _ in finals], root, quiet=True)
        raise failure


def _replaced(now: Listing, visible: set[str], columns: list[str], mode: str,
              new: set[str], staging: S3Path) -> set[str]:
    """What the new files replace: everything but this write's staging folder (overwrite),
    or whatever is in the partitions written (overwrite_partitions)."""
    if mode == "overwrite":
        return {item["Key"] for item in now.objects
                if not item["Key"].startswith(staging.key)} - new
    if mode != "overwrite_partitions":
        return set()
    folders = {now.root.key + "/".join(key[len(now.root.key):].split("/")[:len(columns)]) + "/"
               for key in new}
    return {key for key in visible if any(key.startswith(folder) for folder in folders)} - new


def _delete(keys: Iterable[str], root: S3Path, quiet: bool = False) -> None:
    """Delete keys under ``root``; ``quiet`` for clean-ups, whose failure must not hide the
    error being reported."""
    try:
        failed = transport.delete(root, keys)
        if failed:
            raise errors.S3ToolsError(
                f"Could not delete {len(failed)} of the files under {root} "
                f"({failed[0].get('Code')} for {failed[0].get('Key')}).", path=str(root))
    except errors.S3ToolsError as error:
        if not quiet:
            raise
        logger.debug("Could not clean up under %s: %s", root, error)
