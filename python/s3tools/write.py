"""Writing: local files, data frames and objects of any kind into S3.

A write that is refused (the key exists and ``overwrite`` is false) sends no
data; a failed multipart upload is aborted, so no part is left behind.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO

import pandas as pd
from boto3.s3.transfer import TransferConfig

from . import clients, errors, formats, paths
from .listing import s3_file_exists
from .paths import S3Path
from .tempfiles import temporary_path

MULTIPART_THRESHOLD = 16 * 1024 * 1024
# Parts of data written as it is produced (a data frame's CSV text).
_STREAM_PART = 8 * 1024 * 1024

logger = logging.getLogger(__name__)
_SINGLE_PUT_LIMIT = 5 * 1024 ** 3


def _refuse_existing(path: S3Path, overwrite: bool) -> None:
    """Overwrite protection is for the exact key: ``a.csv.bak`` does not block ``a.csv``."""
    if not overwrite and s3_file_exists(str(path)):
        raise errors.already_exists(str(path))


def _transfer_config(multipart: bool) -> TransferConfig:
    settings = clients.settings()
    return TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD if multipart else _SINGLE_PUT_LIMIT,
        # boto3's own part size: more parts in flight than 16 MiB ones on files of
        # a few hundred MB.
        multipart_chunksize=_STREAM_PART,
        max_concurrency=min(settings.max_concurrency, 10),
    )


def _upload(source: BinaryIO, path: S3Path, multipart: bool) -> None:
    client = clients.s3_client()
    with clients.s3_errors(path, writing=True):
        client.upload_fileobj(source, path.bucket, path.key, Config=_transfer_config(multipart))


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
    _refuse_existing(path, overwrite)
    with open(local_file_path, "rb") as source:
        _upload(source, path, multipart)
    return str(path)


def _check_frame(df: Any) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a data frame, not {type(df).__name__}.")
    return df


class _PartSink(io.RawIOBase):
    """A writable stream that uploads what it is given as it comes.

    Up to the multipart threshold everything is kept and sent as one PUT by
    :meth:`finish`; past it, a multipart upload starts and full parts go out
    in parallel while the writer carries on (a bounded number in flight, so
    memory stays bounded). :meth:`abort` removes the parts of a failed upload.
    """

    def __init__(self, path: S3Path) -> None:
        super().__init__()
        self.path = path
        self.client = clients.s3_client()
        workers = max(1, min(clients.settings().max_concurrency, 10))
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._room = threading.BoundedSemaphore(workers + 1)
        self._buffer = bytearray()
        self._parts: list[Future] = []
        self._upload_id: str | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        if self._upload_id is None and len(self._buffer) >= MULTIPART_THRESHOLD:
            self._upload_id = self.client.create_multipart_upload(
                Bucket=self.path.bucket, Key=self.path.key)["UploadId"]
        while self._upload_id is not None and len(self._buffer) >= _STREAM_PART:
            self._send(bytes(self._buffer[:_STREAM_PART]))
            del self._buffer[:_STREAM_PART]
        return len(data)

    def _send(self, body: bytes) -> None:
        for sent in self._parts:
            if sent.done() and sent.exception() is not None:
                raise sent.exception()  # stop producing as soon as a part has failed
        number = len(self._parts) + 1
        self._room.acquire()

        def upload() -> dict:
            try:
                response = self.client.upload_part(
                    Bucket=self.path.bucket, Key=self.path.key, UploadId=self._upload_id,
                    PartNumber=number, Body=body)
                return {"PartNumber": number, "ETag": response["ETag"]}
            finally:
                self._room.release()

        self._parts.append(self._pool.submit(upload))

    def finish(self) -> None:
        try:
            if self._upload_id is None:
                self.client.put_object(Bucket=self.path.bucket, Key=self.path.key,
                                       Body=bytes(self._buffer))
                return
            if self._buffer or not self._parts:
                self._send(bytes(self._buffer))
                self._buffer.clear()
            parts = [future.result() for future in self._parts]
            self.client.complete_multipart_upload(
                Bucket=self.path.bucket, Key=self.path.key, UploadId=self._upload_id,
                MultipartUpload={"Parts": parts})
        finally:
            self._pool.shutdown(wait=True)

    def abort(self) -> None:
        for future in self._parts:
            future.cancel()
        self._pool.shutdown(wait=True)
        if self._upload_id is not None:
            try:
                self.client.abort_multipart_upload(Bucket=self.path.bucket, Key=self.path.key,
                                                   UploadId=self._upload_id)
            except Exception as error:  # noqa: BLE001 - the original failure is the one to report
                logger.debug("Could not abort the multipart upload of %s: %s", self.path, error)


def _upload_streamed(path: S3Path, produce: Callable[[BinaryIO], None]) -> None:
    """Upload what ``produce(sink)`` writes, part by part while it is being written."""
    with clients.s3_errors(path, writing=True):
        sink = _PartSink(path)
        try:
            produce(sink)
            sink.finish()
        except BaseException:
            sink.abort()
            raise


def _write_frame(df: pd.DataFrame, path: S3Path, file_type: str | None, overwrite: bool,
                 multipart: bool, options: dict[str, Any]) -> str:
    fmt, compression = formats.resolve(path.key, file_type, writing=True)
    _refuse_existing(path, overwrite)
    if fmt.write_stream is not None and compression is None and multipart:
        _upload_streamed(path, lambda sink: fmt.write_stream(df, sink, **options))
        return str(path)
    inner_name = formats.split_compression(path.name)[0]
    data = formats.compress(fmt.write(df, **options), compression, inner_name)
    _upload(io.BytesIO(data), path, multipart)
    return str(path)


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

    ``file_type`` overrides the extension; ``**options`` go to the pandas writer.
    """
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
    _refuse_existing(path, overwrite)
    suffix = "." + path.name.rsplit(".", 1)[-1] if "." in path.name else ""
    with temporary_path(suffix) as local_path:
        fun(obj, local_path, **options)
        with open(local_path, "rb") as source:
            _upload(source, path, multipart=True)
    return str(path)
