"""Beyond one machine: Dask DataFrames over S3 data, and the settings any fsspec tool needs.

The Dask graph holds only Dask, pandas and pyarrow readers with a plain dict
of s3fs options (:func:`storage_options`): endpoint, region, keys, path-style
addressing, checksum rule and the proxy decision s3tools made. A worker in
another process or on another machine needs neither s3tools nor AWS
variables to reach the data. The keys travel inside the graph, as they do
with any ``storage_options``: temporary keys expire there too.

Dask is optional: ``pip install 's3tools[dask]'``.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from . import datasets, errors, formats, partitions, paths, transport
from .paths import S3Path

PYTHON_ONLY = ("s3_path_to_ddf", "storage_options")  # no R wrapper: Dask is Python's
_TEXT_READERS = {"csv": "read_csv", "tsv": "read_csv", "jsonl": "read_json"}


class MissingExtraError(errors.ConfigError, ImportError):
    """An optional part of s3tools is used without its packages installed."""


class StorageOptions(dict):
    """A plain dict of s3fs options that shows no secret when printed, and pickles (into a
    Dask graph) as a plain dict, so that workers need no s3tools to read it."""

    _SECRETS = ("secret", "token")

    def __repr__(self) -> str:
        return repr({key: "****" if key in self._SECRETS else value
                     for key, value in self.items()})

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return dict, (dict(self),)


def storage_options() -> StorageOptions:
    """s3tools' resolved settings for any fsspec-based tool (Dask, pandas, polars...).

    Returns:
        ``endpoint_url``, ``key``, ``secret``, ``token`` (temporary keys),
        ``client_kwargs`` (region) and ``config_kwargs`` (path-style
        addressing, checksums only when required, timeouts, and
        ``proxies={}`` where s3tools keeps ``http_proxy`` away from a custom
        endpoint). Printing it shows no secret.

    Raises:
        ConfigError: no credentials, or settings that cannot be used.

    Example: ``pd.read_csv("s3://bucket/a.csv", storage_options=storage_options())``.
    """
    settings = transport.settings()
    credentials = transport.credentials()
    if credentials is None:
        raise errors.no_credentials()
    frozen = credentials.get_frozen_credentials()
    options = transport.fsspec_options(settings)
    options.update(key=frozen.access_key, secret=frozen.secret_key)
    if frozen.token:
        options["token"] = frozen.token
    return StorageOptions(options)


def _dask() -> Any:
    try:
        import dask.dataframe
    except ImportError as error:
        raise MissingExtraError(
            "s3_path_to_ddf() needs Dask, an optional part of s3tools: install it with "
            f"pip install 's3tools[dask]' ({error}).") from None
    return dask.dataframe


def s3_path_to_ddf(s3_path: str, columns: list[str] | None = None, filters: Any = None,
                   file_type: str | None = None, **options: Any) -> Any:
    """A Dask DataFrame over a Parquet dataset or file, or CSV / JSON Lines files.

    Parquet is read with the partition columns and types ``s3_path_to_df``
    gives, ``columns`` and ``filters`` pushed down as there. A folder of text
    files is read file by file (Dask's ``read_csv`` / ``read_json``). Every
    task carries :func:`storage_options`, so workers elsewhere reach the data.

    Args:
        s3_path: a file or a folder (``bucket/prefix/``).
        columns: the columns to read.
        filters: pyarrow's form, ``[("year", "==", 2024)]`` (Parquet only).
        file_type: a format name that overrides the extension.
        **options: passed to Dask's reader.

    Raises:
        MissingExtraError (a ConfigError and an ImportError): Dask is not installed.
        NotFoundError, FormatError, ValueError.

    Example::

        sales = s3_path_to_ddf("bucket/sales/", filters=[("year", ">=", 2023)])
        sales.groupby("shop").sum().compute()
    """
    dataframe = _dask()
    path = paths.parse_file_or_folder(s3_path)
    listing = datasets.list_dataset(path) if path.is_folder else None
    if listing is not None and not listing.files and listing.schema_file is None:
        raise errors.not_found(str(path))
    parquet = datasets.is_parquet(listing, file_type) if listing is not None else \
        formats.resolve(path.key, file_type)[0].name == "parquet"
    if parquet:
        return _parquet(dataframe, path, listing, columns, filters, options)
    if filters is not None:
        raise ValueError("filters= works on Parquet files and datasets.")
    files = [path] if listing is None else [file for file, _ in listing.files]
    fmt = {formats.resolve(file.key, file_type)[0].name for file in files}
    if len(fmt) != 1 or next(iter(fmt)) not in _TEXT_READERS:
        raise errors.FormatError(
            f"s3_path_to_ddf reads Parquet, CSV, TSV and JSON Lines, one format at a time; "
            f"{path} holds {', '.join(sorted(fmt))}.", path=str(path))
    name = next(iter(fmt))
    reader = getattr(dataframe, _TEXT_READERS[name])
    if name == "tsv":
        options.setdefault("sep", "\t")
    if name == "jsonl":
        options.setdefault("lines", True)
    if columns is not None:
        options.setdefault("usecols" if name != "jsonl" else "columns", list(columns))
    return reader([_url(file) for file in files], storage_options=dict(storage_options()),
                  **options)


def _url(path: S3Path) -> str:
    return f"s3://{path.bucket}/{path.key}"


def _parquet(dataframe: Any, path: S3Path, listing: datasets.Listing | None,
             columns: list[str] | None, filters: Any, options: dict[str, Any]) -> Any:
    """Dask's Parquet reader on the dataset's data files, with the partition types and the
    column types ``s3_path_to_df`` gives (a small schema read here, nothing else)."""
    with datasets.arrow_errors(path):
        chosen = datasets.plan(path, listing, None if columns is None else list(columns), None)
    partition_fields = [field for field in chosen.dataset.schema
                        if listing is not None and field.name in _partition_names(listing)]
    files = [_url(path)] if listing is None else \
        [_url(file) for file in _kept(chosen, filters, listing)]
    meta = datasets.to_frame(chosen.output.empty_table(), chosen)
    if not files:
        return dataframe.from_pandas(meta, npartitions=1)
    dataset_options = {"partitioning": ds.partitioning(pa.schema(partition_fields),
                                                       flavor="hive")} if partition_fields else {}
    if listing is not None:
        dataset_options["partition_base_dir"] = f"{path.bucket}/{path.key}".rstrip("/")
    # No read-ahead cache: pyarrow asks for the wanted columns' byte ranges itself, and
    # s3fs' default (5 MB blocks) would fetch nearly every column of the file.
    settings = dict(storage_options(), default_cache_type="none")
    frame = dataframe.read_parquet(
        files, columns=chosen.columns,
        filters=partitions.typed(partitions.normalise(filters), chosen.dataset.schema),
        storage_options=settings, dataset=dataset_options, **options)
    return frame[list(meta.columns)].astype(meta.dtypes.to_dict())


def _partition_names(listing: datasets.Listing) -> set[str]:
    return {name for file, _ in listing.files
            for name in partitions.parse_key(listing.relative(file))}


def _kept(chosen: datasets.Plan, filters: Any, listing: datasets.Listing) -> list[S3Path]:
    """The files whose partitions can match ``filters`` (no request: paths only)."""
    groups = partitions.normalise(filters)
    if groups is None:
        fragments = chosen.dataset.get_fragments()
    else:
        fragments = chosen.dataset.get_fragments(
            filter=partitions.expression(groups, chosen.dataset.schema))
    kept = {fragment.path for fragment in fragments}
    return [file for file, _ in listing.files if str(file) in kept]
