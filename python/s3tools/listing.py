"""Listing and inspecting: what is in the buckets these credentials can see."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from . import access as access_levels
from . import errors, paths, transport
from .paths import S3Path

PAGE_SIZE = transport.LIST_PAGE_SIZE  # entries per listing request: S3's most

LISTING_COLUMNS = ["filename", "path", "size_readable", "key", "lastmodified", "etag", "size",
                   "storageclass", "bucket"]


def list_keys(prefix: S3Path) -> Iterator[tuple[str, int]]:
    """Every key (and its size) under a prefix, across all pages."""
    for page in pages(prefix):
        yield from zip(page.keys, page.sizes)


def list_objects(prefix: S3Path) -> Iterator[dict]:
    """Every object under a prefix as botocore would give it (``Key``, ``Size``,
    ``LastModified``, and ``ETag`` and ``StorageClass`` where the server sent them)."""
    for page in pages(prefix):
        dates = transport.listed_times(page.modified).to_pydatetime()
        for key, size, etag, date, storage in zip(page.keys, page.sizes, page.etags, dates,
                                                  page.storage_classes):
            item = {"Key": key, "Size": size, "LastModified": date}
            if etag is not None:
                item["ETag"] = etag
            if storage is not None:
                item["StorageClass"] = storage
            yield item


def pages(prefix: S3Path) -> Iterator[transport.Page]:
    """Every page of the objects under a prefix (one retried request each), in key order."""
    token = None
    while True:
        page = transport.list_page(prefix, token=token, size=PAGE_SIZE)
        yield page
        token = page.next_token
        if token is None:
            return


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
    listed: list[tuple[str, transport.Page]] = []
    count = 0
    for target in targets:
        if limit is not None and count >= limit:
            break
        for page in pages(target):
            if limit is not None and count + len(page.keys) > limit:
                page = _first(page, limit - count)
            listed.append((target.bucket, page))
            count += len(page.keys)
            if limit is not None and count >= limit:
                break
    if path_only:
        return [f"{bucket}/{key}" for bucket, page in listed for key in page.keys]
    return _listing_frame(listed)


def _first(page: transport.Page, count: int) -> transport.Page:
    """The first ``count`` objects of a page."""
    return transport.Page(page.keys[:count], page.sizes[:count], page.etags[:count],
                          page.modified[:count], page.storage_classes[:count], [], None)


def _listing_frame(listed: list[tuple[str, transport.Page]]) -> pd.DataFrame:
    """The listing's data frame, column by column from the pages (no row objects)."""
    keys = [key for _, page in listed for key in page.keys]
    sizes = [size for _, page in listed for size in page.sizes]
    shown = {size: readable_size(size) for size in set(sizes)}  # a folder's sizes repeat
    frame = pd.DataFrame({
        "filename": [key[key.rfind("/") + 1:] for key in keys],
        "path": [f"{bucket}/{key}" for bucket, page in listed for key in page.keys],
        "size_readable": [shown[size] for size in sizes],
        "key": keys,
        "lastmodified": transport.listed_times(
            [date for _, page in listed for date in page.modified]),
        "etag": ["" if etag is None else etag.strip('"')
                 for _, page in listed for etag in page.etags],
        "size": pd.array(sizes, dtype="int64"),
        "storageclass": ["STANDARD" if storage is None else storage
                         for _, page in listed for storage in page.storage_classes],
        "bucket": [bucket for bucket, page in listed for _ in page.keys],
    })
    return frame[LISTING_COLUMNS]


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
