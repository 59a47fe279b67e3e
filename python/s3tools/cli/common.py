"""What the verbs share: usage errors and telling S3 paths from local ones."""

from __future__ import annotations

import datetime

from ..display import visible


class UsageError(Exception):
    """The command line asks for something that cannot be done as written (exit code 2)."""


def is_s3(text: str) -> bool:
    """Whether a ``cp`` argument is an S3 path: it starts with ``s3://``, as for the aws CLI."""
    return text.lower().startswith(("s3://", "s3a://", "s3n://"))


def shown(path: object) -> str:
    """An S3 path as the command line shows it: ``s3://bucket/key``, its control and bidi
    characters escaped."""
    return f"s3://{visible(str(path))}"


def local_time(moment: datetime.datetime) -> str:
    """A listing's date in the local time zone, as ``ls`` and the aws CLI print them."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
