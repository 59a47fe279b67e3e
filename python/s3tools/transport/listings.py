"""ListObjectsV2 pages as columns: botocore sends each request, s3tools reads its answer.

The request is an ordinary one (:func:`.policy.request`: the same client,
signing, endpoint, proxy, retry policy, error translation and one log record
per attempt). Only the body of a successful answer is taken from botocore
before it parses it: botocore makes a dict per listed object and reads each
date through dateutil, which took most of the time of a large listing. Here
a page is read in one pass into columns (keys, sizes, ETags, dates as the
server wrote them, storage classes, folders), the dates parsed later, all at
once (:func:`listed_times`).

obstore, which sends the GETs of object bytes, does not send listings: its
listing reports no storage class, drops the ``/`` that ends a folder marker,
turns control characters into U+FFFD (it does not ask for URL-encoded keys)
and fails on keys holding a tab, a newline, a CR or DEL, and it takes a
prefix by whole ``/`` segments only.
"""

from __future__ import annotations

import datetime
import re
import threading
import weakref
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import botocore.handlers
import pandas as pd
from botocore.compat import unquote_str
from botocore.utils import parse_timestamp

from ..paths import S3Path
from . import clients, policy

PAGE_SIZE = 1000  # entries per listing request: S3's most
_EVENT = "before-parse.s3.*"
# botocore's own check of 200 answers (see _install); None where a botocore lacks it.
_CHECK_200 = getattr(botocore.handlers, "_handle_200_error", None)
_HOOK_ID = "s3tools.transport.listings"
_local = threading.local()  # the body taken from the current thread's listing request
_installed: weakref.WeakSet = weakref.WeakSet()  # the clients _install has changed
_installing = threading.Lock()


@dataclass(frozen=True)
class Page:
    """One answer of ListObjectsV2, column by column (one item per object listed)."""

    keys: list[str]
    sizes: list[int]
    etags: list[str | None]  # as the server sent them, quotes included; None: none sent
    modified: list[str | None]  # the server's text; see :func:`listed_times`
    storage_classes: list[str | None]  # None: none sent
    folders: list[str]  # the common prefixes, with a delimiter
    next_token: str | None  # the next page's token; None on the last page


def list_page(prefix: S3Path, *, delimiter: str | None = None, token: str | None = None,
              size: int = PAGE_SIZE) -> Page:
    """One page of the objects (and, with ``delimiter``, the folders) under ``prefix``.

    Args:
        prefix: the bucket and the key prefix (any text, not only a folder).
        delimiter: group keys that go on past it into folders (``"/"``).
        token: the ``next_token`` of the page before; None for the first.
        size: entries at most (S3 gives 1,000 at most whatever is asked).

    Returns:
        The :class:`Page`, in the server's order (by key).

    Raises:
        NotFoundError (no such bucket), AccessDeniedError, S3ConnectionError, and the
        other s3tools errors of :func:`s3tools.transport.request`.
    """
    parameters: dict[str, Any] = {"Bucket": prefix.bucket, "Prefix": prefix.key,
                                  "MaxKeys": size}
    if delimiter:
        parameters["Delimiter"] = delimiter
    if token:
        parameters["ContinuationToken"] = token
    _install(clients.client())
    _local.wanted, _local.body = True, None
    try:
        response = policy.request("list_objects_v2", str(prefix), **parameters)
        body = _local.body
    finally:
        _local.wanted, _local.body = False, None
    if body is None:
        # botocore parsed the answer itself: it was not a whole listing (and botocore's
        # check let it through), or the client was made again meanwhile (new settings).
        return _from_parsed(response)
    return parse(body)


def _install(client: Any) -> None:
    """Put :func:`_before_parse` on the client (once), in place of botocore's check of
    every 200 answer for an error inside, which parses the whole body once more (the
    time of a page's own parse): ours makes the same check, by calling it, on every
    answer but the listings it keeps."""
    if client in _installed:
        return
    with _installing:
        if client in _installed:
            return
        events = client.meta.events
        if _CHECK_200 is not None:
            events.unregister(_EVENT, _CHECK_200)
        events.register_first(_EVENT, _before_parse, unique_id=_HOOK_ID)
        _installed.add(client)


def _before_parse(response_dict: dict, **kwargs: Any) -> None:
    """Before botocore parses an S3 answer: a whole, successful answer to a request of
    :func:`list_page` is kept, and botocore given nothing to parse. Every other answer
    (errors, and a 200 that is cut short or holds an error) is botocore's as before, so
    it is checked, retried and translated as every other."""
    body = response_dict.get("body")
    if getattr(_local, "wanted", False) and response_dict.get("status_code") == 200 and \
            kwargs.get("operation_model") is not None and \
            kwargs["operation_model"].name == "ListObjectsV2" and \
            isinstance(body, bytes) and body.rstrip().endswith(b"</ListBucketResult>"):
        _local.body, response_dict["body"] = body, b""
    if _CHECK_200 is not None:
        _CHECK_200(response_dict=response_dict, **kwargs)


def parse(body: bytes) -> Page:
    """A ListObjectsV2 answer's XML as a :class:`Page` (URL-encoded keys decoded, as
    botocore does when the answer says ``EncodingType`` url).

    Raises:
        S3ToolsError: the body is not a listing.
    """
    return _parse_plain(body) or _parse_tree(body)


# S3's listings are plain XML: UTF-8, no namespace prefixes, no CDATA or DOCTYPE, every
# object's fields in elements of their own. Such a body is read field by field with one
# pattern each over the whole body (C speed); any other goes through ElementTree.
_FIELDS = ("Key", "Size", "ETag", "LastModified", "StorageClass")
_OPTIONAL = ("ETag", "StorageClass")
_FIELD = {name: re.compile(rb"<%s>([^<]*)</%s>" % (name.encode(), name.encode()))
          for name in (*_FIELDS, "EncodingType", "IsTruncated", "NextContinuationToken")}
_FOLDER = re.compile(rb"<CommonPrefixes>\s*<Prefix>([^<]*)</Prefix>")
_DECLARED = re.compile(rb"<\?xml[^>]*encoding=[\"'](?!utf-?8[\"'])", re.IGNORECASE)
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# What listings hold (an ETag's quotes...), replaced without a pattern; "&amp;" last.
_COMMON = (("&quot;", '"'), ("&#34;", '"'), ("&apos;", "'"), ("&#39;", "'"), ("&lt;", "<"),
           ("&gt;", ">"))
_SEPARATOR = "\x00"  # never in an XML document's text, not even as a reference


def _parse_plain(body: bytes) -> Page | None:
    """The page read field by field, or None when the body is not plain (see above), or
    an object lacks one of the fields read (the fields would not line up)."""
    # "<!": a DOCTYPE, CDATA or a comment; "xmlns:": names with prefixes.
    if b"<!" in body or b"xmlns:" in body or b"<ListBucketResult" not in body or \
            _DECLARED.match(body):
        return None
    count = body.count(b"<Contents>")
    fields = {name: _texts(_FIELD[name].findall(body)) for name in _FIELDS}
    for name in _OPTIONAL:
        if fields[name] == []:  # a service that never sends it
            fields[name] = [None] * count
    folders = _texts(_FOLDER.findall(body))
    if any(found is None or len(found) != count for found in fields.values()) or \
            folders is None or len(folders) != body.count(b"<CommonPrefixes>"):
        return None
    single = {}
    for name in ("EncodingType", "IsTruncated", "NextContinuationToken"):
        found = _texts([match.group(1)] if (match := _FIELD[name].search(body)) else [])
        if found is None:
            return None
        single[name] = found[0] if found else None
    if single["EncodingType"] == "url":
        fields["Key"], folders = _unquoted(fields["Key"]), _unquoted(folders)
    try:
        sizes = [int(size) for size in fields["Size"]]
    except ValueError:
        return None
    truncated = single["IsTruncated"] == "true"
    return Page(keys=fields["Key"], sizes=sizes, etags=fields["ETag"],
                modified=fields["LastModified"], storage_classes=fields["StorageClass"],
                folders=folders,
                next_token=(single["NextContinuationToken"] or None) if truncated else None)


def _texts(found: list[bytes]) -> list[str] | None:
    """Element texts as text, references resolved (None if one cannot be kept apart)."""
    if not found:
        return []
    try:
        joined = b"\x00".join(found).decode("utf-8")
    except UnicodeDecodeError:
        return None  # for ElementTree to refuse
    if "&" in joined:
        joined = _references(joined)
        if joined is None:
            return None
    texts = joined.split(_SEPARATOR)
    return texts if len(texts) == len(found) else None


def _references(text: str) -> str | None:
    """``text`` with its character and entity references resolved (None: a stray ``&``)."""
    resolved = text
    for entity, character in _COMMON:
        if entity in resolved:
            resolved = resolved.replace(entity, character)
    if resolved.count("&") == resolved.count("&amp;"):
        return resolved.replace("&amp;", "&")
    if len(_ENTITY.findall(text)) != text.count("&"):
        return None
    return _ENTITY.sub(_resolve, text)


def _resolve(match: re.Match) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _NAMED[name]
    number = int(name[2:], 16) if name[1] == "x" else int(name[1:])
    return chr(number) if 0 < number < 0x110000 else _SEPARATOR  # then refused by _texts


def _unquoted(names: list[str]) -> list[str]:
    """URL-decoded, as botocore decodes them (``+`` is a space)."""
    if not names:
        return names
    decoded = unquote_str(_SEPARATOR.join(names)).split(_SEPARATOR)
    return decoded if len(decoded) == len(names) else [unquote_str(name) for name in names]


def _parse_tree(body: bytes) -> Page:
    from .. import errors

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise errors.S3ToolsError(f"The S3 service sent a listing that is not XML ({error}); "
                                  "nothing was listed.") from None
    ns = root.tag[:root.tag.find("}") + 1]  # "{namespace}", or "" when it has none
    key, size, etag, modified, storage = (ns + name for name in (
        "Key", "Size", "ETag", "LastModified", "StorageClass"))
    items = root.findall(ns + "Contents")
    keys = [item.findtext(key) or "" for item in items]
    folders = [prefix.findtext(ns + "Prefix") or ""
               for prefix in root.iterfind(ns + "CommonPrefixes")]
    if root.findtext(ns + "EncodingType") == "url":
        keys = [unquote_str(name) for name in keys]
        folders = [unquote_str(name) for name in folders]
    truncated = root.findtext(ns + "IsTruncated") == "true"
    return Page(keys=keys, sizes=[int(item.findtext(size) or 0) for item in items],
                etags=[item.findtext(etag) for item in items],
                modified=[item.findtext(modified) for item in items],
                storage_classes=[item.findtext(storage) for item in items],
                folders=folders,
                next_token=(root.findtext(ns + "NextContinuationToken") or None)
                if truncated else None)


def _from_parsed(response: dict) -> Page:
    items = response.get("Contents", [])
    following = response.get("NextContinuationToken")
    return Page(keys=[item["Key"] for item in items],
                sizes=[int(item["Size"]) for item in items],
                etags=[item.get("ETag") for item in items],
                modified=[item["LastModified"].isoformat() for item in items],
                storage_classes=[item.get("StorageClass") for item in items],
                folders=[item["Prefix"] for item in response.get("CommonPrefixes", [])],
                next_token=following if response.get("IsTruncated") and following else None)


def listed_times(values: list[str | None]) -> pd.DatetimeIndex:
    """The listed dates as a UTC index, at the resolution pandas gives ``datetime`` values
    (what a listing of botocore's dates gave). ISO 8601 text, what S3 sends, is parsed
    all at once; anything else value by value, as botocore would.
    """
    if not values:
        return pd.to_datetime([], utc=True)
    try:
        parsed = pd.to_datetime(pd.Index(values, dtype=object), format="ISO8601", utc=True)
    except (ValueError, TypeError):
        parsed = pd.to_datetime([None if value is None else parse_timestamp(value)
                                 for value in values], utc=True)
    return parsed.as_unit(_datetime_unit())


def _datetime_unit() -> str:
    sample = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    return pd.to_datetime([sample], utc=True).unit
