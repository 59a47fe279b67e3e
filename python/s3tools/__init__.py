"""s3tools: read, preview, write and list data in S3 from Python and R.

Importing s3tools also points pandas' ``s3://`` paths (through s3fs) at the
endpoint, region and keys that s3tools resolves (see :mod:`s3tools.config`).
"""

import logging

from . import config as _config
from . import transport as _transport
from .chunks import s3_path_to_chunks
from .ddf import s3_path_to_ddf, storage_options
from .errors import (
    AccessDeniedError,
    AlreadyExistsError,
    ArgumentError,
    ConfigError,
    FormatError,
    NotFoundError,
    ObjectChangedError,
    PathError,
    S3ConnectionError,
    S3ToolsError,
    TooLargeError,
)
from .explorer import file_explorer_s3
from .listing import accessible_buckets, list_files_in_buckets, s3_file_exists
from .logs import install_redaction as _install_redaction
from .previews import s3_path_to_preview_df
from .read import (
    download_file_from_s3,
    read_file_from_s3,
    read_files_from_s3,
    read_using,
    s3_path_to_df,
    s3_path_to_full_df,
)
from .session import configure, get_credentials, refresh_credentials
from .write import write_df_to_csv_in_s3, write_df_to_table_in_s3, write_file_to_s3, write_using

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
_install_redaction()

__all__ = [
    "AccessDeniedError",
    "AlreadyExistsError",
    "ArgumentError",
    "ConfigError",
    "FormatError",
    "NotFoundError",
    "ObjectChangedError",
    "PathError",
    "S3ConnectionError",
    "S3ToolsError",
    "TooLargeError",
    "accessible_buckets",
    "configure",
    "download_file_from_s3",
    "file_explorer_s3",
    "get_credentials",
    "list_files_in_buckets",
    "read_file_from_s3",
    "read_files_from_s3",
    "read_using",
    "refresh_credentials",
    "s3_file_exists",
    "s3_path_to_chunks",
    "s3_path_to_ddf",
    "s3_path_to_df",
    "s3_path_to_full_df",
    "s3_path_to_preview_df",
    "storage_options",
    "write_df_to_csv_in_s3",
    "write_df_to_table_in_s3",
    "write_file_to_s3",
    "write_using",
]

try:
    # pandas' s3:// paths follow s3tools' settings from the start.
    _transport.publish_to_pandas(_config.settings())
except ConfigError:
    pass  # reported with a clear message at the first call instead of at import
