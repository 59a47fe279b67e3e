"""Every S3 request s3tools makes, one way: one client, one retry policy, one error
translation, pinned multi-part reads, aborted failed uploads, and the request log.

- :mod:`.clients`: the client for the settings in force, and what pandas is told.
- :mod:`.policy`: what is retried and how, what a failure becomes, the log.
- :mod:`.answers` and :mod:`.sender`: a ranged GET through either client,
  pinned, checked, resumed, retried, logged (:func:`get_range`).
- :mod:`.reader`: the one object reader, pieces in parallel into buffers.
- :mod:`.files`: streams and seekable files over it; :mod:`.download`: whole
  objects into memory or a file, and reads started again on a replaced object.
- :mod:`.listings`: ListObjectsV2 pages read into columns.
- :mod:`.uploads`: PUTs and multipart uploads, conditional when not overwriting.
- :mod:`.deletes`: deletes, in batches but for keys an XML body cannot carry.

Modules outside the transport import this package only; it raises s3tools'
public errors only (:mod:`s3tools.errors`).
"""

from .answers import Version
from .clients import (
    client,
    credentials,
    fsspec_options,
    get_client_name,
    publish_to_pandas,
    refresh,
    reset,
    settings,
)
from .deletes import delete
from .download import download, fetch, restarting
from .files import ObjectFile, open_file, open_stream
from .listings import PAGE_SIZE as LIST_PAGE_SIZE
from .listings import Page, list_page, listed_times
from .policy import request
from .reader import ObjectReader
from .sender import get_range
from .sizes import PARALLEL_PARTS, PIECE_SIZE
from .uploads import Upload, copy, put, upload_file

__all__ = [
           "LIST_PAGE_SIZE",
           "PARALLEL_PARTS",
           "PIECE_SIZE",
           "ObjectFile",
           "ObjectReader",
           "Page",
           "Upload",
           "Version",
           "client",
           "copy",
           "credentials",
           "delete",
           "download",
           "fetch",
           "fsspec_options",
           "get_client_name",
           "get_range",
           "list_page",
           "listed_times",
           "open_file",
           "open_stream",
           "publish_to_pandas",
           "put",
           "refresh",
           "request",
           "reset",
           "restarting",
           "settings",
           "upload_file",
]
