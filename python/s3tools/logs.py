"""Logging that never shows a secret, whoever writes the record.

botocore prints request headers (``X-Amz-Security-Token`` among them) and the
canonical request at DEBUG; urllib3, s3fs and aiobotocore log too. A filter on
a logger does not see its children's records, and s3tools owns no handler, so
the redaction sits in the log record factory: every record from the libraries
under s3tools is rendered and masked when it is made, before any handler,
formatter or test capture sees it. Records are only made for enabled levels, so
this costs nothing while those loggers are quiet. The same step escapes the
control and bidi characters that keys bring into a record (s3tools.display).
"""

from __future__ import annotations

import logging
import threading

from .display import visible
from .redaction import redact

# The loggers whose records are masked: s3tools' and the libraries under it.
REDACTED_LOGGERS = ("s3tools", "botocore", "boto3", "s3transfer", "urllib3", "s3fs",
                    "aiobotocore", "fsspec", "obstore")

_lock = threading.Lock()
_installed: dict[str, object] = {}


def _masks(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in REDACTED_LOGGERS)


def install_redaction() -> None:
    """Wrap the current log record factory once so that records are masked when made."""
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def make_record(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _masks(record.name):
                _mask(record)
            return record

        _installed["previous"] = previous
        logging.setLogRecordFactory(make_record)


def _mask(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record is left for logging to report
        return
    # Keys in a record are the bucket writers' text: escaped, so that a log read on a
    # terminal cannot be steered by them.
    record.msg, record.args = visible(redact(message), lines=True), ()
    if record.exc_info and record.exc_info[1] is not None:
        # The traceback text is made later from exc_info; render it masked now.
        record.exc_text = visible(redact(logging.Formatter().formatException(record.exc_info)),
                                  lines=True)
        record.exc_info = None
