"""Parquet datasets: the files under a prefix read as one table, fetching only what is needed.

A dataset is a folder of Parquet files, hive-partitioned or not, written by
s3tools, pandas/pyarrow, Dask, Spark or Athena. Its listing says which files
there are; the folders' ``name=value`` segments give the partition columns.
``filters`` on partition columns drop whole files before any of their bytes
are fetched; the remaining files' footers are read (in parallel) and row groups
whose statistics cannot match are skipped; of the rest, only the byte ranges
of the wanted ``columns`` are fetched. A read of every column filtered by
partition only reads every byte of the files kept: their data is asked for
together with their footers (within a share of the memory left). pyarrow's
dataset reader does the pushdown; every byte comes through
:mod:`s3tools.arrowfs`, that is through s3tools' transport.

What is data is :mod:`s3tools.folder_data`'s rule, for every folder read
alike (``_SUCCESS``, ``_temporary/``, ``.hidden``, markers and empty objects are
not); among the rest this module finds s3tools' own schema file and staging
folders.

Partition columns get their types from ``_s3tools_schema.parquet`` when s3tools
wrote the dataset (the frame's own types, exactly), otherwise from their values
(:func:`s3tools.partitions.infer_types`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from . import (arrowfs, errors, folder_data, format_options, formats, memory, parquet_footers,
               partitions, r_types, transport)
from .folder_data import Folder
from .parquet_layout import column_chunk_range
from .paths import S3Path, extension_of

SCHEMA_FILE = "_s3tools_schema.parquet"
PARTITIONS_KEY = b"s3tools.partition_cols"
STAGING = "_s3tools_staging-"  # a write's files before they are made visible
COMMIT_MARKER = "_COMMITTING"  # in a staging folder while its files are being made visible
READ_OPTIONS = {"columns", "filters"}
_PARQUET = {"parquet", "pq"}


@dataclass
class Listing(Folder):
    """A folder read as a dataset: its data files, and s3tools' own files beside them."""

    schema_file: S3Path | None = None
    interrupted: list[str] = field(default_factory=list)  # writes caught making files visible


def as_dataset(folder: Folder) -> Listing:
    """A folder's listing, with s3tools' schema file and interrupted writes found in it."""
    found = Listing(folder.root, folder.files, folder.objects)
    for item in folder.objects:
        relative = item["Key"][len(folder.root.key):]
        parts = relative.split("/")
        if parts[0].startswith(STAGING) and parts[1:] == [COMMIT_MARKER]:
            found.interrupted.append(f"{folder.root}{parts[0]}/")
        elif relative == SCHEMA_FILE:
            found.schema_file = folder.root.child(item["Key"])
    return found


def list_dataset(root: S3Path) -> Listing:
    """Every object under ``root``, sorted into data files and the rest (see the module)."""
    return as_dataset(folder_data.list_folder(root))


def is_parquet(listing: Listing, file_type: str | None) -> bool:
    """Whether a folder is read as a Parquet dataset: ``file_type`` says so, or every data
    file is Parquet (extensionless files count when some are Parquet or in partitions)."""
    if file_type is not None:
        return formats.resolve("", file_type)[0].name == "parquet"
    extensions = {extension_of(path.key) for path, _ in listing.files}
    if not extensions <= _PARQUET | {""}:
        return False
    hive = any("=" in segment for path, _ in listing.files
               for segment in listing.relative(path).split("/")[:-1])
    return bool(extensions & _PARQUET) or listing.schema_file is not None or hive


@dataclass
class Plan:
    """What a read fetches: the dataset (pruned to the files that can match), the filter,
    and the columns it returns with their final types."""

    dataset: ds.FileSystemDataset
    expression: Any
    columns: list[str]
    output: pa.Schema
    shown: str
    handler: arrowfs.S3ToolsHandler
    filtered: set[str]  # the columns the filters name (read too, to filter rows)


def split_options(options: Mapping[str, Any], target: S3Path) -> tuple[list[str] | None, Any]:
    """``columns`` and ``filters`` from the reader options; anything else is refused (an
    ArgumentError naming ``target``)."""
    others = [name for name in options if name not in READ_OPTIONS]
    if others:
        raise format_options.refusal(target, "reading a Parquet dataset", others,
                                     sorted(READ_OPTIONS))
    columns = options.get("columns")
    if isinstance(columns, str):
        columns = [columns]
    return (None if columns is None else list(columns)), options.get("filters")


def plan(target: S3Path, listing: Listing | None, columns: list[str] | None,
         filters: Any, early: int = 0) -> Plan:
    """Prune a dataset (``listing``) or one Parquet file (``listing`` None) for a read.

    ``early``: for a read of every column of a dataset whose filters name only
    partition columns (so every byte of the files kept is read), the kept files
    are asked for whole, together with their footers, when their sizes come to at
    most ``early`` bytes; the read must then end with ``plan.handler.stop()``.

    Raises:
        ValueError: unknown columns, or filters that do not fit the data.
        FormatError: a file that is not Parquet.
    """
    groups = partitions.normalise(filters)
    if listing is not None and listing.interrupted:
        raise _interrupted(listing)
    known = {str(path): version for path, version in listing.files} if listing else {}
    system = arrowfs.filesystem(known)
    parquet = ds.ParquetFileFormat()
    recorded, partition_names = _recorded(listing)
    if listing is None:
        places = [(str(target), "")]
    else:
        places = [(str(path), listing.relative(path)) for path, _ in listing.files]
    partition_schema = _partition_schema(recorded, partition_names, places)
    parsing = pa.schema([pa.field(f.name, partitions.parsing_type(f.type))
                         for f in partition_schema])
    hive = ds.partitioning(parsing, flavor="hive")
    fragments = [parquet.make_fragment(path, system, partition_expression=_parse(hive, place))
                 for path, place in places]
    prune = partitions.only(groups, parsing.names)
    if prune is not None and fragments:
        probe = ds.FileSystemDataset(fragments, parsing, parquet, system)
        fragments = list(probe.get_fragments(filter=partitions.expression(prune, parsing)))
    filtered = {column for group in groups or [] for column, _, _ in group}
    kept = [fragment.path for fragment in fragments]
    if early and columns is None and listing is not None and filtered <= set(parsing.names) \
            and sum(known[path].size for path in kept) <= early:
        system.handler.fetch_early(kept, _PIECE)
    try:
        if recorded is None:
            recorded = _physical_schema(
                fragments or [parquet.make_fragment(places[0][0], system)], parsing)
        scanned = pa.schema([parsing.field(f.name) if f.name in parsing.names else f
                             for f in recorded], metadata=recorded.metadata)
        wanted = _columns(columns, scanned, target)
        expression = partitions.expression(groups, scanned)
    except BaseException:
        system.handler.stop()
        raise
    dataset = ds.FileSystemDataset(fragments, scanned, parquet, system)
    output = pa.schema([recorded.field(name) for name in wanted], metadata=recorded.metadata)
    return Plan(dataset, expression, wanted, output, str(target), system.handler, filtered)


def _parse(hive: Any, place: str) -> Any:
    """The partition expression of a file (pyarrow takes the last segment for its name)."""
    return hive.parse("/" + place) if "/" in place and hive.schema.names else None


def _recorded(listing: Listing | None) -> tuple[pa.Schema | None, list[str]]:
    """The schema s3tools recorded when it wrote the dataset, and its partition columns."""
    if listing is None or listing.schema_file is None:
        return None, []
    data = transport.fetch(listing.schema_file)
    try:
        schema = pq.read_schema(pa.BufferReader(data))
    except pa.ArrowInvalid as error:
        raise errors.FormatError(f"{listing.schema_file} is not a Parquet schema ({error}): "
                                 "delete it to read the dataset without it.",
                                 path=str(listing.schema_file)) from error
    names = json.loads((schema.metadata or {}).get(PARTITIONS_KEY, b"[]"))
    return schema, [name for name in names if name in schema.names]


def _partition_schema(recorded: pa.Schema | None, names: list[str],
                      places: list[tuple[str, str]]) -> pa.Schema:
    if recorded is not None and names:
        return pa.schema([recorded.field(name) for name in names])
    values: dict[str, list[str | None]] = {}
    for _, place in places:
        for name, value in partitions.parse_key(place).items():
            values.setdefault(name, []).append(value)
    return partitions.infer_types(values)


def _physical_schema(fragments: list[Any], parsing: pa.Schema) -> pa.Schema:
    """The first file's columns (from its footer), then the partition columns."""
    first = fragments[0]
    _footer(first)
    physical = first.physical_schema
    data = [f for f in physical if f.name not in parsing.names]
    return pa.schema(data + list(parsing), metadata=physical.metadata)


def _columns(columns: list[str] | None, schema: pa.Schema, target: S3Path) -> list[str]:
    if columns is None:
        return list(schema.names)
    missing = [name for name in columns if name not in schema.names]
    if missing:
        raise ValueError(f"{target} has no column {', '.join(map(repr, missing))}: its "
                         f"columns are {', '.join(schema.names)}.")
    return list(dict.fromkeys(columns))


def _interrupted(listing: Listing) -> errors.S3ToolsError:
    return errors.S3ToolsError(
        f"{listing.root} is being written, or a write stopped while it was making its files "
        f"visible ({', '.join(listing.interrupted)}): its files may be a mix of two versions, "
        "so they were not read. Try again in a moment; if this persists, write the dataset "
        'again with mode="overwrite".', path=str(listing.root))


# ------------------------------------------------------------------ reading

def footers(fragments: list[Any]) -> None:
    """Read the footers of these files, in parallel (pyarrow keeps them for the scan).

    Raises:
        FormatError: a file is encrypted, or its footer is damaged.
    """
    workers = max(1, min(transport.settings().max_concurrency, len(fragments)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_footer, fragments))


def _footer(fragment: Any) -> None:
    """One file's footer, looked at before pyarrow reads it (its columns' metadata may end
    the process: see :mod:`s3tools.parquet_footers`)."""
    with fragment.open() as source:
        parquet_footers.refuse_unsafe(source, fragment.path)
    fragment.ensure_complete_metadata()


def kept_fragments(chosen: Plan) -> list[Any]:
    """The files whose partitions can match, their footers read (in parallel)."""
    fragments = list(chosen.dataset.get_fragments(filter=chosen.expression)
                     if chosen.expression is not None else chosen.dataset.get_fragments())
    footers(fragments)
    return fragments


def _column_chunks(chosen: Plan, fragment: Any, wanted: set[str]) -> Iterator[Any]:
    """The column chunks of ``wanted`` columns in the row groups whose statistics can match."""
    metadata = fragment.metadata
    if chosen.expression is None:
        numbers: Any = range(metadata.num_row_groups)
    else:
        numbers = [piece.row_groups[0].id for piece in fragment.split_by_row_group(
            chosen.expression, schema=chosen.dataset.schema)]
    for number in numbers:
        group = metadata.row_group(number)
        for index in range(group.num_columns):
            column = group.column(index)
            if column.path_in_schema.split(".")[0] in wanted:
                yield column


def bytes_needed(chosen: Plan, fragments: list[Any]) -> int:
    """The memory the read needs at its peak: the uncompressed size of the wanted columns in
    the row groups that can match, twice (Arrow's table and pandas' frame)."""
    wanted = set(chosen.columns)
    return 2 * sum(column.total_uncompressed_size for fragment in fragments
                   for column in _column_chunks(chosen, fragment, wanted))


# pyarrow merges reads whose gap is at most this (its default hole size limit): ranges
# merged the same way, fetched into one buffer, hold every read it makes.
_HOLE = 8192
# Merged ranges are fetched in pieces of at most this, several at a time (a file's
# columns are often one contiguous range): the size of a Parquet file's parts when it is
# read whole. One partition of a 1 GB dataset (99 MB) came in faster in pieces of 16 MiB
# than of 4, 8, 12 or 32 (bench/, scenario 8).
_PIECE = transport.PIECE_SIZE


def read_ahead(chosen: Plan, fragments: list[Any]) -> None:
    """Have each file's wanted column chunks fetched in parallel when pyarrow opens it.

    pyarrow reads a Python file one range after another; fetched together, a file's
    ranges take about the time of the largest. The file's wanted bytes (compressed)
    are held until pyarrow has been handed them: for whole reads, not for chunks.
    """
    wanted = set(chosen.columns) | chosen.filtered
    for fragment in fragments:
        chosen.handler.read_ahead(fragment.path, [column_chunk_range(column)
                                                  for column in _column_chunks(chosen, fragment,
                                                                               wanted)],
                                  _PIECE, _HOLE)


def to_frame(table: pa.Table, chosen: Plan) -> pd.DataFrame:
    """The scanned columns in order, with their recorded types, as pandas reads Parquet."""
    table = table.select(chosen.columns)
    if table.schema != chosen.output:
        table = table.cast(chosen.output)
    try:
        return r_types.table_to_frame(table.replace_schema_metadata(chosen.output.metadata))
    # pyarrow's reading of the pandas metadata the file carries (not UTF-8, not JSON, keys
    # missing or of other types), or dates past year 9999: the file's, not the caller's.
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise errors.FormatError(f"Could not read {chosen.shown} as Parquet: "
                                 f"{type(error).__name__}: {error}.",
                                 path=chosen.shown) from error


def read(target: S3Path, listing: Listing | None, options: Mapping[str, Any],
         memory_check: bool) -> pd.DataFrame:
    """A dataset or one Parquet file with ``columns`` / ``filters`` pushed down."""
    columns, filters = split_options(options, target)
    with arrow_errors(target):
        chosen = plan(target, listing, columns, filters,
                      early=memory.early_share(memory_check))
        try:
            fragments = kept_fragments(chosen)
            if memory.enabled(memory_check):
                memory.check_needed(chosen.shown, bytes_needed(chosen, fragments))
            read_ahead(chosen, fragments)
            table = chosen.dataset.to_table(columns=chosen.columns, filter=chosen.expression)
        finally:
            chosen.handler.stop()
        return to_frame(table, chosen)


@contextlib.contextmanager
def arrow_errors(target: S3Path) -> Iterator[None]:
    """pyarrow's complaints about the files (not Parquet, clashing schemas, damaged pages) as
    format errors; s3tools' own errors (raised inside pyarrow's reads) pass through unchanged.

    pyarrow says a page or footer it cannot decode with an OSError: every byte it reads
    comes through s3tools' transport, whose failures are s3tools' errors, so an OSError
    of its own is about the bytes.
    """
    try:
        yield
    except errors.S3ToolsError:
        raise
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError,
            pa.ArrowKeyError, OSError, UnicodeDecodeError) as error:  # names not UTF-8
        raise errors.format_error(
            str(target), "Parquet", error, "If some files are not Parquet, move them out of "
            "the folder or read one file at a time.") from error


def read_pushdown(path: S3Path, file_type: str | None, options: Mapping[str, Any],
                  memory_check: bool) -> pd.DataFrame | None:
    """``s3_path_to_df``'s Parquet pushdown for one file: a Parquet file read with
    ``columns`` / ``filters``; ``None`` otherwise (folders: :func:`read_dataset`)."""
    if path.is_folder:
        return None
    fmt, compression = formats.resolve(path.key, file_type)
    if fmt.name != "parquet" or compression is not None or not options \
            or not set(options) <= READ_OPTIONS:
        return None
    return transport.restarting(path, lambda: read(path, None, options, memory_check))


def read_dataset(folder: Folder, file_type: str | None, options: Mapping[str, Any],
                 memory_check: bool) -> pd.DataFrame | None:
    """``s3_path_to_df`` of a folder that is a Parquet dataset, from its listing (listed
    again if a file is replaced meanwhile); ``None`` when it is not one."""
    listing = as_dataset(folder)
    if not is_parquet(listing, file_type) or not (listing.files or listing.schema_file):
        return None
    return folder_data.restarting(
        listing, lambda listed: read(listed.root, as_dataset(listed), options, memory_check))
