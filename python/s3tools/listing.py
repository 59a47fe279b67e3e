"""Listing and inspecting: what is in the buckets these credentials can see."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from . import access as access_levels
from . import errors, paths, transport
from .paths import S3Path

PAGE_SIZE = 1000  # keys per listing request: S3's most

LISTING_COLUMNS = ["filename", "path", "size_readable", "key", "lastmodified", "etag", "size",
                   "storageclass", "bucket"]


def list_keys(prefix: S3Path) -> Iterator[tuple[str, int]]:
    """Every key (and its size) under a prefix, across all pages."""
    for item in _objects(prefix):
        yield item["Key"], item["Size"]


def list_objects(prefix: S3Path) -> Iterator[dict]:
    """Every object under a prefix as the listing gives it (``Key``, ``Size``, ``ETag``...)."""
    return _objects(prefix)


def _objects(prefix: S3Path) -> Iterator[dict]:
    """Every object under a prefix, one page (one retried request) at a time."""
    parameters = {"Bucket": prefix.bucket, "Prefix": prefix.key, "MaxKeys": PAGE_SIZE}
    while True:
        page = transport.request("list_objects_v2", str(prefix), **parameters)
        yield from page.get("Contents", [])
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return
        parameters["ContinuationToken"] = token


def readable_size(size: int) -> str:
    """``1.5 MB`` style sizes (powers of 1024, as file browsers show them)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def accessible_buckets(access: bool = False) -> list[str] | pd.DataFrame:
    """The buckets these credentials can use, sorted, and with ``access`` how.

    Where ListBuckets is denied (read-only services, platforms that grant
    access bucket by bucket), the list comes from ``S3TOOLS_BUCKETS`` (a
    comma-separated list, ``name`` or ``name:read-only``), then from the
    caller's own IAM policies (the buckets they name). See :mod:`s3tools.access`.

    Args:
        access: return a data frame with columns ``bucket``, ``access``
            (``read-only``, ``read-write``, ``admin`` or ``unknown``) and
            ``source``, instead of the names alone. Levels come from
            ``S3TOOLS_BUCKETS`` where it gives one, else from the caller's IAM
            policies where they can be read, else ``unknown``.

    Returns:
        A list of names whose ``source`` attribute says where it came from
        (``ListBuckets``, ``S3TOOLS_BUCKETS`` or ``IAM policies of user x``);
        or the data frame.

    Raises:
        AccessDeniedError: none of the three could say (the message says how
            to set ``S3TOOLS_BUCKETS``).
    """
    found = access_levels.find_buckets()
    if not access:
        return found
    rows = access_levels.access_levels(found)
    # Text columns even when there is no row (R then gets character vectors).
    return pd.DataFrame(rows, columns=["bucket", "access", "source"], dtype=str)


def list_files_in_buckets(bucket_filter: str | list[str] | None = None,
                          prefix: str | None = None, path_only: bool = False,
                          max: int | None = None) -> pd.DataFrame | list[str]:
    """Every object in the named buckets (all pages, no 1,000-key cap).

    Args:
        bucket_filter: a bucket name or a list of them (``bucket/folder`` narrows
            to a folder); ``None`` lists every accessible bucket.
        prefix: only keys starting with this.
        path_only: return the ``bucket/key`` paths alone.
        max: stop after this many objects.

    Returns:
        A data frame with columns filename, path, size_readable, key,
        lastmodified, etag, size, storageclass, bucket; or a list of paths.
    """
    if bucket_filter is None:
        targets = [S3Path(name, "") for name in accessible_buckets()]
    else:
        names = [bucket_filter] if isinstance(bucket_filter, str) else list(bucket_filter)
        targets = [paths.parse(name) for name in names]
    if prefix:
        prefix = str(prefix).lstrip("/")
        targets = [S3Path(t.bucket, t.key + prefix if t.is_folder else f"{t.key}/{prefix}")
                   for t in targets]
    limit = None if max is None else int(max)
    if limit is not None and limit < 0:
        raise ValueError(f"max must be 0 or more, not {max!r}.")
    rows: list[dict] = []
    for target in targets:
        if limit is not None and len(rows) >= limit:
            break
        for item in _objects(target):
            if limit is not None and len(rows) >= limit:
                break
            rows.append({"bucket": target.bucket, **item})
    if path_only:
        return [f"{row['bucket']}/{row['Key']}" for row in rows]
    return _listing_frame(rows)


def _listing_frame(rows: list[dict]) -> pd.DataFrame:
    keys = [row["Key"] for row in rows]
    sizes = [int(row["Size"]) for row in rows]
    frame = pd.DataFrame({
        "filename": [key.rsplit("/", 1)[-1] for key in keys],
        "path": [f"{row['bucket']}/{row['Key']}" for row in rows],
        "size_readable": [readable_size(size) for size in sizes],
        "key": keys,
        "lastmodified": _utc_times([row["LastModified"] for row in rows]),
        "etag": [row.get("ETag", "").strip('"') for row in rows],
        "size": pd.array(sizes, dtype="int64"),
        "storageclass": [row.get("StorageClass", "STANDARD") for row in rows],
        "bucket": [row["bucket"] for row in rows],
    })
    return frame[LISTING_COLUMNS]


def _utc_times(values: list) -> pd.DatetimeIndex:
    """Time-zone-aware datetimes as a UTC index, the same as ``pd.to_datetime(..., utc=True)``.

    botocore's timestamps are in UTC (or in the local zone, when that is UTC);
    those skip pandas' per-value time-zone arithmetic, which would otherwise
    take most of the time of building a large listing.
    """
    import datetime
    import time

    import numpy as np
    from dateutil import tz

    def is_utc(zone: object) -> bool:
        if isinstance(zone, tz.tzlocal):
            return time.timezone == 0 and not time.daylight
        return isinstance(zone, (tz.tzutc, datetime.timezone)) and \
            zone.utcoffset(None) == datetime.timedelta(0)

    zones = {type(value.tzinfo): value.tzinfo for value in values if isinstance(
        value, datetime.datetime)}
    if not values or len(zones) != 1 or not all(isinstance(v, datetime.datetime)
                                                 for v in values) \
            or not is_utc(next(iter(zones.values()))):
        return pd.to_datetime(values, utc=True)
    naive = np.array([value.replace(tzinfo=None) for value in values], dtype="datetime64[us]")
    unit = pd.to_datetime(values[:1], utc=True).unit  # the resolution pandas would pick
    return pd.DatetimeIndex(naive).tz_localize("UTC").as_unit(unit)


def s3_file_exists(s3_path: str) -> bool:
    """Whether an object (or, for ``bucket/folder/``, anything under it) exists.

    Raises:
        AccessDeniedError: the check itself was refused; that is not "absent".
    """
    path = paths.parse(s3_path)
    try:
        if path.is_folder:
            page = transport.request("list_objects_v2", str(path), Bucket=path.bucket,
                                     Prefix=path.key, MaxKeys=1)
            return bool(page.get("KeyCount", len(page.get("Contents", []))))
        transport.request("head_object", str(path), Bucket=path.bucket, Key=path.key)
    except errors.NotFoundError:
        return False
    return True
