"""logs: with DEBUG on for everything, no record, exception, warning, repr or CLI output
shows the secret key or the session token."""

from __future__ import annotations

import io
import logging
import warnings

import pandas as pd
import pytest
from conftest import BUCKET, put

import s3tools
from s3tools import cli, logs, redaction

TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE-session-token-0123456789abcdef"


@pytest.fixture
def everything_logged(monkeypatch):
    """The root logger and every library's logger at DEBUG, into one text buffer."""
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    touched = {name: logging.getLogger(name).level for name in ("", *logs.REDACTED_LOGGERS)}
    root.addHandler(handler)
    for name in touched:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        for name, level in touched.items():
            logging.getLogger(name).setLevel(level)


def test_debug_logs_of_every_library_show_no_secret(seed, everything_logged, capsys, tmp_path):
    import os

    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    put(seed, "a.csv", "x,y\n1,2\n")
    shown: list[str] = []
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always")
        s3tools.read_file_from_s3(f"{BUCKET}/a.csv")
        s3tools.s3_path_to_df(f"{BUCKET}/a.csv")
        s3tools.s3_path_to_preview_df(f"{BUCKET}/a.csv")
        s3tools.write_df_to_csv_in_s3(pd.DataFrame({"a": [1]}), f"{BUCKET}/b.csv")
        s3tools.list_files_in_buckets(BUCKET)
        pd.read_csv(f"s3://{BUCKET}/a.csv")  # pandas through s3fs, after import s3tools
        for failing in (lambda: s3tools.read_file_from_s3(f"{BUCKET}/missing"),
                        lambda: s3tools.write_df_to_csv_in_s3(pd.DataFrame({"a": [1]}),
                                                              f"{BUCKET}/b.csv")):
            with pytest.raises(s3tools.S3ToolsError) as caught:
                failing()
            error: BaseException | None = caught.value
            while error is not None:
                shown += [str(error), repr(error)]
                error = error.__cause__ or error.__context__
        logging.getLogger("botocore.test").debug("failed", exc_info=RuntimeError(TOKEN))
        assert cli.main(["cat", f"{BUCKET}/a.csv"]) == 0
        assert cli.main(["config"]) == 0
        cli.main(["cat", f"{BUCKET}/missing"])
    text = everything_logged.getvalue()
    output = capsys.readouterr()
    shown += [text, output.out, output.err, repr(s3tools.transport.settings())]
    shown += [str(warning.message) for warning in caught_warnings]
    assert "x-amz-security-token" in text.lower()  # botocore did log the header...
    for item in shown:
        assert TOKEN not in item  # ...but never its value
        assert secret not in item
    assert "GET test-bucket/a.csv" in text  # and s3tools' request log is there too


def test_a_record_with_arguments_is_masked_when_made():
    redaction.register_secret(TOKEN)
    record = logging.getLogger("botocore.auth").makeRecord(
        "botocore.auth", logging.DEBUG, __file__, 1, "headers %s", ({"X-Amz-Security-Token":
                                                                     TOKEN},), None)
    assert TOKEN not in record.getMessage() and "****" in record.getMessage()
    other = logging.getLogger("someone.else").makeRecord(
        "someone.else", logging.DEBUG, __file__, 1, "%s", ("left alone",), None)
    assert other.args == ("left alone",)
