"""Writing: local files, data frames and objects of any kind into S3.

A write that is refused (the key exists and ``overwrite`` is false) sends no
data; with ``overwrite=False`` the write itself is conditional, so a key that
appears meanwhile is not replaced; a failed multipart upload is aborted, so no
part is left behind.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from . import access, dataset_writes, errors, format_options, formats, paths, progress, transport
from .compression import compress, split_compression
from .listing import s3_file_exists
from .paths import S3Path
from .tempfiles import temporary_path


def refuse_existing(path: S3Path, overwrite: bool) -> None:
    """Refuse before sending any data; the write itself is conditional too (see
    :mod:`s3tools.transport.uploads`). Overwrite protection is for the exact key:
    ``a.csv.bak`` does not block ``a.csv``. A bucket known to be read-only is
    refused before any request."""
    access.refuse_read_only(path.bucket, str(path))
    if not overwrite and s3_file_exists(str(path)):
        raise errors.already_exists(str(path))


def write_file_to_s3(local_file_path: str, s3_path: str, overwrite: bool = False,
                     multipart: bool = True) -> str:
    """Upload a local file.

    Args:
        local_file_path: the file to upload.
        s3_path: where to put it (``bucket/key``).
        overwrite: replace an existing object with exactly this key.
        multipart: send large files in parallel parts (aborted cleanly on failure).

    Returns:
        The ``bucket/key`` written.

    Raises:
        AlreadyExistsError, AccessDeniedError, NotFoundError (no local file or bucket).
    """
    path = paths.parse_file(s3_path)
    local_file_path = os.path.expanduser(str(local_file_path))
    if not os.path.isfile(local_file_path):
        raise errors.NotFoundError(
            f"No such local file: {local_file_path}. Check the path (relative paths start at "
            f"{os.getcwd()}).",
            path=local_file_path,
        )
    refuse_existing(path, overwrite)
    with open(local_file_path, "rb") as source, progress.transfer(path.name) as advance:
        transport.upload_file(source, path, overwrite, multipart, advance)
    return str(path)


def _check_frame(df: Any) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a data frame, not {type(df).__name__}.")
    return df


def _write_frame(df: pd.DataFrame, path: S3Path, file_type: str | None, overwrite: bool,
                 multipart: bool, options: dict[str, Any]) -> str:
    fmt, compression = formats.resolve(path.key, file_type, writing=True)
    format_options.check(fmt, options, path, writing=True)
    refuse_existing(path, overwrite)
    if fmt.write_stream is not None and compression is None and multipart:
        with _refusals_of(fmt, df, path), transport.Upload(path, overwrite) as sink:
            fmt.write_stream(df, sink, **options)  # a refusal aborts the upload
        return str(path)
    inner_name = split_compression(path.name)[0]
    with _refusals_of(fmt, df, path):
        written = fmt.write(df, **options)
    data = compress(written, compression, inner_name)
    transport.upload_file(io.BytesIO(data), path, overwrite, multipart)
    return str(path)


@contextlib.contextmanager
def _refusals_of(fmt: formats.Format, df: pd.DataFrame, path: S3Path) -> Iterator[None]:
    """The writer's refusals of the frame (a value or type the format cannot hold, an
    option's value) as a format error naming the path. s3tools' own errors, the
    upload's among them, pass unchanged; pyarrow's refusals are ValueError, TypeError
    or NotImplementedError too."""
    try:
        yield
    except errors.S3ToolsError:
        raise
    except (ValueError, TypeError, NotImplementedError) as error:
        raise errors.cannot_write(str(path), fmt.name, error, _advice(fmt, df)) from error


def _advice(fmt: formats.Format, df: pd.DataFrame) -> str:
    """What to do about a refused write, from what the frame holds."""
    zoned = [str(name) for name, column in df.items()
             if isinstance(column.dtype, pd.DatetimeTZDtype)]
    if fmt.name == "excel" and zoned:
        return (f"Excel holds no time zones, and {', '.join(zoned)} "
                f"{'has one' if len(zoned) == 1 else 'have them'}: convert such columns to "
                "times without a time zone or to text first (R: attr(x, \"tzone\") <- NULL, "
                "or format(x); Python: .dt.tz_localize(None), or .astype(str)).")
    return ("Check the writer options, convert the columns the message names, or write "
            "another format (Parquet holds every column type).")


def write_df_to_csv_in_s3(df: pd.DataFrame, s3_path: str, overwrite: bool = False,
                          multipart: bool = True, **options: Any) -> str:
    """Write a data frame as CSV: a header row, no index. ``.gz`` etc. compress it.

    ``**options`` go to ``DataFrame.to_csv`` (``sep``, ``na_rep``, ``date_format``...).
    """
    path = paths.parse_file(s3_path)
    options.pop("row_names", None)  # R's row.names = FALSE: there is never an index column
    return _write_frame(_check_frame(df), path, "csv", overwrite, multipart, options)


def write_df_to_table_in_s3(df: pd.DataFrame, s3_path: str, overwrite: bool = False,
                            multipart: bool = True, file_type: str | None = None,
                            **options: Any) -> str:
    """Write a data frame in the format the key's extension names (csv, parquet, xlsx...).

    ``file_type`` overrides the extension; ``**options`` go to the pandas writer (an
    option it does not take is an ArgumentError; a frame it refuses, a FormatError).
    A folder path (``bucket/prefix/``) writes a Parquet dataset: ``partition_cols=``
    (hive-style folders) and ``mode=`` (``"error"``, ``"append"``, ``"overwrite"``,
    ``"overwrite_partitions"``), see :mod:`s3tools.dataset_writes`.
    """
    paths.parse_file_or_folder(s3_path)  # a bucket alone is neither a file nor a dataset
    if dataset_writes.wanted(s3_path, options):
        options.pop("row_names", None)
        return dataset_writes.write_dataset(_check_frame(df), s3_path, overwrite, multipart,
                                            file_type, options)
    path = paths.parse_file(s3_path)
    options.pop("row_names", None)
    return _write_frame(_check_frame(df), path, file_type, overwrite, multipart, options)


def write_using(obj: Any, fun: Callable[..., Any], s3_path: str, overwrite: bool = False,
                **options: Any) -> str:
    """Call ``fun(obj, local_path, **options)`` on a temporary file, then upload it.

    The temporary file keeps the key's extension and is deleted afterwards.
    Example: ``write_using(df, lambda d, p: d.to_excel(p), "bucket/out.xlsx")``.
    """
    path = paths.parse_file(s3_path)
    if not callable(fun):
        raise TypeError(f"write_using needs a function as its second argument, not {fun!r}.")
    refuse_existing(path, overwrite)
    with temporary_path(path.suffix) as local_path:
        fun(obj, local_path, **options)
        with open(local_path, "rb") as source:
            transport.upload_file(source, path, overwrite, multipart=True)
    return str(path)
