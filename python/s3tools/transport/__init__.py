"""Every S3 request s3tools makes, one way: one client, one retry policy, one error
translation, pinned multi-part reads, aborted failed uploads, and the request log.

- :mod:`.clients`: the client for the settings in force, and what pandas is told.
- :mod:`.policy`: what is retried and how, what a failure becomes, the log.
- :mod:`.reads`: ranged GETs pinned to one version, whole objects, streams.
- :mod:`.uploads`: PUTs and multipart uploads, conditional when not overwriting.
"""

from .clients import client, get_client_name, refresh, reset, settings
from .policy import request
from .reads import PART_SIZE, ObjectStream, RangedFile, download, fetch, get_range, restarting
from .uploads import Upload, copy, put, upload_file

__all__ = [
           "PART_SIZE",
           "ObjectStream",
           "RangedFile",
           "Upload",
           "client",
           "copy",
           "download",
           "fetch",
           "get_client_name",
           "get_range",
           "put",
           "refresh",
           "request",
           "reset",
           "restarting",
           "settings",
           "upload_file",
]
