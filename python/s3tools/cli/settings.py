"""``s3tools config``: each setting in force and where it came from, secrets never shown."""

from __future__ import annotations

import argparse
from urllib.parse import urlparse

from .. import config, errors, memory, session, transport
from ..listing import readable_size


def register(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    verb = verbs.add_parser(
        "config", parents=[common], help="each setting in force and where it came from",
        description="The endpoint, region, credentials and s3tools' own settings as resolved "
                    "from the environment, the AWS profile files and the defaults. The secret "
                    "key and the session token are never shown.")
    verb.set_defaults(run=run)


def _without_password(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.hostname}{f':{parsed.port}' if parsed.port else ''}"


def _bucket_list(buckets: dict[str, str | None]) -> str:
    return ",".join(f"{name}:{level}" if level else name for name, level in buckets.items())


def _access_and_memory(origin: dict[str, str]) -> list[tuple[str, str, str]]:
    """The buckets handed out for these keys, the memory check's settings and the previews'
    limit."""
    buckets = config.value("buckets")
    left = memory.available()
    return [
        ("buckets", _bucket_list(buckets) or "(from ListBuckets, or the keys' IAM policies)",
         origin["buckets"]),
        ("memory check", "on" if memory.enabled(True) else "off", origin["memory_check"]),
        ("memory left", readable_size(left[0]) if left else "(unknown: not checked)",
         left[1] if left else "default"),
        ("preview limit", readable_size(config.value("preview_limit")),
         origin["preview_limit"]),
    ]


def _credentials(origin: dict[str, str]) -> list[tuple[str, str, str]]:
    """The keys botocore found (masked), and where."""
    try:
        credentials = session.get_credentials()
    except errors.ConfigError:
        return [("credentials", "(none found)",
                 "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")]
    token = origin["session_token"]
    if token == "default" and credentials["temporary"]:
        token = credentials["source"]
    found = [
        ("access key id", credentials["access_key_id"], credentials["source"]),
        ("secret key", "(set, not shown)", credentials["source"]),
        ("session token", "(set, not shown)" if credentials["temporary"] else "(none)", token),
    ]
    if credentials["expires"]:
        found.append(("expires", credentials["expires"], credentials["source"]))
    return found


def rows() -> list[tuple[str, str, str]]:
    """(setting, value, where it came from) for every setting, in the order shown."""
    settings = transport.settings()
    origin = config.origins()
    found = [
        ("endpoint", settings.endpoint_label, origin["endpoint_url"]),
        ("region", settings.region, origin["region"]),
        ("profile", settings.profile or "(none)", origin["profile"]),
        *_credentials(origin),
    ]
    if settings.proxy:
        proxy = _without_password(settings.proxy)
    elif settings.custom_endpoint:
        proxy = "none (http_proxy and https_proxy are not used for a custom endpoint)"
    else:
        proxy = "http_proxy / https_proxy, if set"
    found += [
        ("proxy", proxy, origin["proxy"]),
        ("max concurrency", str(settings.max_concurrency), origin["max_concurrency"]),
        ("max attempts", str(settings.max_attempts), origin["max_attempts"]),
        ("read timeout", f"{settings.read_timeout:g} s", origin["read_timeout"]),
        ("GET client", transport.get_client_name(), origin["get_client"]),
        ("progress bars",
         "on a terminal or in a notebook" if config.value("progress") else "off",
         origin["progress"]),
        *_access_and_memory(origin),
        ("AWS config file", config.value("config_file"), origin["config_file"]),
        ("AWS credentials file", config.value("credentials_file"), origin["credentials_file"]),
    ]
    return found


def run(arguments: argparse.Namespace) -> int:
    table = [("setting", "value", "from"), *rows()]
    widths = [max(len(row[column]) for row in table) for column in (0, 1)]
    for name, value, origin in table:
        print(f"{name:<{widths[0]}}  {value:<{widths[1]}}  {origin}".rstrip())
    return 0
