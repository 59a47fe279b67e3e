"""Uploads: one PUT for small objects, parallel multipart uploads for large ones.

With ``overwrite=False`` the object is written with ``If-None-Match: *``, so
the server itself refuses the write if the key appeared meanwhile: of two
writers racing for a new key, exactly one wins. moto and SeaweedFS honour it,
as AWS S3 does. A server that answers 501 to the header gets the write again
without it (remembered for these settings); there only the check made before
the upload protects the key, and two racing writers can both succeed.

A multipart upload that fails or is interrupted (KeyboardInterrupt included)
is aborted, so no parts are left behind and nothing becomes visible.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO

from .. import errors
from ..paths import S3Path
from . import clients, policy
from .download import restarting
from .files import open_stream

logger = logging.getLogger("s3tools.requests")

MULTIPART_THRESHOLD = 16 * 1024 * 1024
UPLOAD_PART_SIZE = 8 * 1024 * 1024
_MAX_UPLOADING = 10
_unconditional: set[object] = set()  # settings whose server rejects If-None-Match


def _conditional(operation: str, path: S3Path, overwrite: bool, **parameters: Any) -> dict:
    """A PUT or a multipart completion, refused by the server if the key exists (unless
    ``overwrite``)."""
    settings = clients.settings()
    if overwrite or settings in _unconditional:
        return policy.request(operation, str(path), writing=True, **parameters)
    try:
        return policy.request(operation, str(path), writing=True, IfNoneMatch="*", **parameters)
    except errors.S3ToolsError as error:
        cause = error.__cause__
        if cause is None or policy.status_of(cause) != 501:
            raise
    logger.debug("%s does not support If-None-Match on writes: writing without it",
                 settings.endpoint_label)
    _unconditional.add(settings)
    return policy.request(operation, str(path), writing=True, **parameters)


def put(path: S3Path, body: bytes | bytearray | memoryview, overwrite: bool) -> None:
    """One PUT of a whole object."""
    _conditional("put_object", path, overwrite, Bucket=path.bucket, Key=path.key,
                 Body=bytes(body))


class Upload(io.RawIOBase):
    """A writable stream that uploads what it is given as it comes.

    Up to the multipart threshold everything is kept and sent as one PUT by
    :meth:`finish`; past it, a multipart upload starts and full parts go out
    in parallel while the writer carries on (a bounded number in flight, so
    memory stays bounded). :meth:`abort` removes the parts of a failed upload.
    Use it as a context manager: it finishes on success and aborts on any
    exception. ``progress(moved)`` is told the bytes of each part (or of the
    single PUT) once the server has them.
    """

    def __init__(self, path: S3Path, overwrite: bool, multipart: bool = True,
                 progress: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.path = path
        self.overwrite = overwrite
        self._progress = progress
        self.threshold = MULTIPART_THRESHOLD if multipart else 5 * 1024 ** 3
        workers = max(1, min(clients.settings().max_concurrency, _MAX_UPLOADING))
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._room = threading.BoundedSemaphore(workers + 1)
        self._buffer = bytearray()
        self._parts: list[Future] = []
        self._upload_id: str | None = None

    def __enter__(self) -> Upload:  # noqa: PYI034 - Python 3.9 has no typing.Self
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self.finish()
        else:
            self.abort()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        if self._upload_id is None and len(self._buffer) >= self.threshold:
            self._upload_id = policy.request(
                "create_multipart_upload", str(self.path), writing=True,
                Bucket=self.path.bucket, Key=self.path.key)["UploadId"]
        while self._upload_id is not None and len(self._buffer) >= UPLOAD_PART_SIZE:
            self._send(bytes(self._buffer[:UPLOAD_PART_SIZE]))
            del self._buffer[:UPLOAD_PART_SIZE]
        return len(data)

    def _send(self, body: bytes) -> None:
        for sent in self._parts:
            if sent.done() and sent.exception() is not None:
                raise sent.exception()  # stop producing as soon as a part has failed
        number = len(self._parts) + 1
        self._room.acquire()

        def upload() -> dict:
            try:
                response = policy.request(
                    "upload_part", str(self.path), writing=True, Bucket=self.path.bucket,
                    Key=self.path.key, UploadId=self._upload_id, PartNumber=number, Body=body)
                if self._progress is not None:
                    self._progress(len(body))
                return {"PartNumber": number, "ETag": response["ETag"]}
            finally:
                self._room.release()

        self._parts.append(self._pool.submit(upload))

    def finish(self) -> None:
        try:
            if self._upload_id is None:
                put(self.path, self._buffer, self.overwrite)
                if self._progress is not None:
                    self._progress(len(self._buffer))
                return
            if self._buffer or not self._parts:
                self._send(bytes(self._buffer))
                self._buffer.clear()
            parts = [future.result() for future in self._parts]
            _conditional("complete_multipart_upload", self.path, self.overwrite,
                         Bucket=self.path.bucket, Key=self.path.key, UploadId=self._upload_id,
                         MultipartUpload={"Parts": parts})
            self._upload_id = None
        except BaseException:
            self.abort()
            raise
        finally:
            self._pool.shutdown(wait=True)

    def abort(self) -> None:
        for future in self._parts:
            future.cancel()
        self._pool.shutdown(wait=True)
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is not None:
            try:
                policy.request("abort_multipart_upload", str(self.path), writing=True,
                               Bucket=self.path.bucket, Key=self.path.key, UploadId=upload_id)
            except Exception as error:  # noqa: BLE001 - the original failure is the one to report
                logger.debug("Could not abort the multipart upload of %s: %s", self.path, error)


def upload_file(source: BinaryIO, path: S3Path, overwrite: bool, multipart: bool,
                progress: Callable[[int, int], None] | None = None) -> None:
    """Upload an open file, part by part (bounded memory).

    ``progress(moved, size)`` is told the bytes the server has received and the
    file's size (0 when the source cannot say).
    """
    report = None
    if progress is not None:
        size = _size_of(source)
        report = lambda moved: progress(moved, size)
    with Upload(path, overwrite, multipart, report) as sink:
        while True:
            chunk = source.read(UPLOAD_PART_SIZE)
            if not chunk:
                break
            sink.write(chunk)


def _size_of(source: BinaryIO) -> int:
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):
        return 0


# CopyObject copies at most 5 GiB in one request.
COPY_LIMIT = 5 * 1024 ** 3


def copy(source: S3Path, target: S3Path, overwrite: bool, size: int) -> None:
    """Copy an object to another key, on the server when it can (CopyObject).

    With ``overwrite=False`` the copy carries ``If-None-Match: *`` as uploads
    do (moto ignores it on copies: the caller checks the key first). An object
    over CopyObject's limit streams through this machine instead: read pinned
    to one version, written as a multipart upload (aborted on failure).
    """
    if size <= COPY_LIMIT:
        _conditional("copy_object", target, overwrite, Bucket=target.bucket, Key=target.key,
                     CopySource={"Bucket": source.bucket, "Key": source.key})
        return

    def stream_once() -> None:
        with open_stream(source) as stream, Upload(target, overwrite) as sink:
            shutil.copyfileobj(stream, sink, UPLOAD_PART_SIZE)

    restarting(source, stream_once)
