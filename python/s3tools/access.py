"""Which buckets these credentials may use, and how: read-only, read-write or admin.

The list of buckets comes from the first of these that answers:

1. ListBuckets;
2. ``S3TOOLS_BUCKETS``, a comma-separated list a coordinator can hand out
   (``project-data:read-only,project-scratch:read-write``; the access after
   ``:`` is optional);
3. the caller's own IAM policies: STS GetCallerIdentity names the user or
   role, whose inline and attached policies name the buckets they grant.

Access levels come from ``S3TOOLS_BUCKETS`` where it gives one, else from
those policies, else they are ``unknown``. A refused ListBuckets and the
policies (or their refusal) are remembered for the settings in force, so
neither request is sent twice; new settings or ``refresh_credentials()``
start afresh. A write to a bucket known to be read-only is refused without
any request (:func:`refuse_read_only`): only what is already known counts.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import unquote

from . import config, errors, transport

LEVELS = (*config.ACCESS_LEVELS, "unknown")
LISTED = "ListBuckets"
CONFIGURED = "S3TOOLS_BUCKETS"

# What each level needs: an action, on the bucket's objects (reading, writing)
# or on the bucket itself (administering).
_CAPABILITIES = {
    "read": ("s3:GetObject", True),
    "write": ("s3:PutObject", True),
    "admin": ("s3:PutBucketPolicy", False),
}
_S3_ARN = re.compile(r"^arn:[^:]+:s3:::(?P<bucket>[^/]+)(?P<key>/.*)?$")

# Per principal kind: the name parameter, then the calls for inline and attached policies.
_POLICY_CALLS = {
    "user": ("UserName", "list_user_policies", "get_user_policy", "list_attached_user_policies"),
    "role": ("RoleName", "list_role_policies", "get_role_policy", "list_attached_role_policies"),
}

_lock = threading.Lock()
_known: dict[str, Any] = {}


class BucketList(list):
    """Bucket names, sorted, that say where they came from (``source``)."""

    def __init__(self, names: list[str], source: str) -> None:
        super().__init__(sorted(names))
        self.source = source


def configured() -> dict[str, str | None]:
    """``S3TOOLS_BUCKETS`` as ``{bucket: level or None}`` (read at each call).

    Raises:
        ConfigError: an access after ``:`` that is not one of :data:`LEVELS`.
    """
    return config.value("buckets")


def _remembered() -> dict[str, Any]:
    """What was learnt for the settings in force (forgotten when they change)."""
    settings = transport.settings()
    with _lock:
        if _known.get("settings") is not settings:
            _known.clear()
            _known["settings"] = settings
        return _known


def find_buckets() -> BucketList:
    """The buckets these credentials can use, from the first source that answers.

    Raises:
        AccessDeniedError: ListBuckets was denied, ``S3TOOLS_BUCKETS`` is not
            set and the caller's policies could not be read or name no bucket.
    """
    known = _remembered()
    if not known.get("listing_denied"):
        try:
            response = transport.request("list_buckets", "the list of buckets")
            return BucketList([bucket["Name"] for bucket in response.get("Buckets", [])], LISTED)
        except errors.AccessDeniedError:
            known["listing_denied"] = True
    listed = configured()
    if listed:
        return BucketList(list(listed), CONFIGURED)
    policies = own_policies()
    if policies is None:
        raise errors.buckets_unknown("the caller's own IAM policies could not be read")
    names = granted_buckets(policies["statements"])
    if not names:
        raise errors.buckets_unknown(f"the {policies['source']} name no bucket by its name")
    return BucketList(names, policies["source"])


def access_levels(buckets: BucketList) -> list[dict[str, str]]:
    """One row per bucket: ``bucket``, ``access`` (see :data:`LEVELS`) and ``source``."""
    listed = configured()
    policies = None
    if any(listed.get(bucket) is None for bucket in buckets):
        policies = own_policies()
    rows = []
    for bucket in buckets:
        level = listed.get(bucket)
        if level is None and policies is not None:
            level = level_in(bucket, policies["statements"])
        rows.append({"bucket": bucket, "access": level or "unknown", "source": buckets.source})
    return rows


def refuse_read_only(bucket: str, path: str) -> None:
    """Refuse a write to a bucket known to be read-only, before any request.

    Known means ``S3TOOLS_BUCKETS`` says so, or the caller's policies, when an
    earlier call already read them for these settings (none is read here).
    """
    level = configured().get(bucket)
    source = CONFIGURED
    if level is None:
        with _lock:
            same = _known.get("settings") is transport.settings()
            policies = _known.get("policies") if same else None
        if policies:
            level, source = level_in(bucket, policies["statements"]), policies["source"]
    if level == "read-only":
        raise errors.read_only_bucket(path, source)


# ------------------------------------------------------------ the caller's policies

def own_policies() -> dict[str, Any] | None:
    """``{"statements": [...], "source": "IAM policies of user x"}``, or None where the
    service refuses to tell (remembered either way for the settings in force)."""
    known = _remembered()
    if "policies" not in known:
        try:
            found = _read_policies()
        except (errors.S3ConnectionError, errors.ConfigError):
            raise
        except errors.S3ToolsError:
            # Denied, or no IAM on this service (it answered, in its own way).
            found = None
        known["policies"] = found
    return known["policies"]


def _read_policies() -> dict[str, Any]:
    arn = transport.request("get_caller_identity", "the caller's identity",
                            service="sts")["Arn"]
    kind, name = _principal(arn)
    if kind is None:
        raise errors.S3ToolsError(f"{arn} is neither an IAM user nor a role.")
    name_parameter, list_inline, get_inline, list_attached = _POLICY_CALLS[kind]
    target = f"the IAM policies of {kind} {name}"
    documents = []
    for policy_name in _pages(list_inline, "PolicyNames", target, **{name_parameter: name}):
        response = transport.request(get_inline, target, service="iam",
                                     **{name_parameter: name, "PolicyName": policy_name})
        documents.append(response["PolicyDocument"])
    for attached in _pages(list_attached, "AttachedPolicies", target, **{name_parameter: name}):
        arn = attached["PolicyArn"]
        version = transport.request("get_policy", target, service="iam",
                                    PolicyArn=arn)["Policy"]["DefaultVersionId"]
        response = transport.request("get_policy_version", target, service="iam",
                                      PolicyArn=arn, VersionId=version)
        documents.append(response["PolicyVersion"]["Document"])
    statements = [statement for document in documents for statement in _statements(document)]
    return {"statements": statements, "source": f"IAM policies of {kind} {name}"}


def _principal(arn: str) -> tuple[str | None, str]:
    """``("user", name)`` or ``("role", name)`` from a caller's ARN (an assumed role's
    session name dropped)."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "user":
        return "user", rest.rsplit("/", 1)[-1]
    if kind == "assumed-role":
        return "role", rest.split("/", 1)[0]
    if kind == "role":
        return "role", rest.rsplit("/", 1)[-1]
    return None, ""


def _pages(operation: str, field: str, target: str, **parameters: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        page = transport.request(operation, target, service="iam", **parameters)
        items.extend(page.get(field, []))
        if not page.get("IsTruncated"):
            return items
        parameters["Marker"] = page["Marker"]


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str):  # URL-encoded JSON, as IAM sends it
        document = json.loads(unquote(document))
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """IAM's wildcards: ``*`` any run of characters (``/`` included), ``?`` one."""
    expression = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(expression, text, re.IGNORECASE if ignore_case else 0) is not None


def _covers(pattern: str, bucket: str, objects: bool) -> bool:
    """Whether a Resource pattern covers the bucket itself, or (``objects``) some of its
    objects: ``bucket/folder/*`` grants on part of the bucket, and that counts."""
    if pattern == "*":
        return True
    match = _S3_ARN.match(pattern)
    if match is None:
        return False
    if not objects:
        return match["key"] is None and _matches(match["bucket"], bucket)
    if match["key"] is not None:
        return _matches(match["bucket"], bucket)
    return _matches(match["bucket"], f"{bucket}/any-key")  # "alpha-*" spans into keys


def _grants(statement: dict[str, Any], action: str, bucket: str, objects: bool) -> bool:
    # NotAction and NotResource are left out: no level is claimed from them.
    return any(_matches(pattern, action, ignore_case=True)
               for pattern in _listed(statement.get("Action"))) and \
        any(_covers(pattern, bucket, objects) for pattern in _listed(statement.get("Resource")))


def level_in(bucket: str, statements: list[dict[str, Any]]) -> str:
    """The access level the statements give to a bucket: Allow grants, an unconditional
    Deny takes away."""
    held = set()
    for effect in ("Allow", "Deny"):
        for statement in statements:
            if statement.get("Effect") != effect or (effect == "Deny"
                                                     and statement.get("Condition")):
                continue
            for capability, (action, objects) in _CAPABILITIES.items():
                if _grants(statement, action, bucket, objects):
                    (held.add if effect == "Allow" else held.discard)(capability)
    if "admin" in held and "write" in held:
        return "admin"
    if "write" in held:
        return "read-write"
    return "read-only" if "read" in held else "unknown"


def granted_buckets(statements: list[dict[str, Any]]) -> list[str]:
    """The buckets that Allow statements name outright (patterns such as ``alpha-*`` name
    none: they cannot be listed)."""
    names = set()
    for statement in statements:
        if statement.get("Effect") != "Allow" or not any(
                action.lower().startswith(("s3:", "*"))
                for action in _listed(statement.get("Action"))):
            continue
        for resource in _listed(statement.get("Resource")):
            match = _S3_ARN.match(resource)
            if match and not re.search(r"[*?$]", match["bucket"]):
                names.add(match["bucket"])
    return sorted(names)
