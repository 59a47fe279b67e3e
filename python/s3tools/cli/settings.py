"""``s3tools config``: each setting in force and where it came from, secrets never shown."""

from __future__ import annotations

import argparse
import os
from urllib.parse import urlparse

from .. import config, errors, memory, progress, session, transport
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


def _from(variable: str) -> str:
    return f"environment variable {variable}" if os.environ.get(variable, "").strip() \
        else "default"


def _access_and_memory() -> list[tuple[str, str, str]]:
    """The buckets handed out for these keys, and the memory check's settings."""
    buckets = os.environ.get("S3TOOLS_BUCKETS", "").strip()
    left = memory.available()
    return [
        ("buckets", buckets or "(from ListBuckets, or the keys' IAM policies)",
         _from("S3TOOLS_BUCKETS")),
        ("memory check", "on" if memory.enabled(True) else "off", _from("S3TOOLS_MEMORY_CHECK")),
        ("memory left", readable_size(left[0]) if left else "(unknown: not checked)",
         left[1] if left else "default"),
    ]


def rows() -> list[tuple[str, str, str]]:
    """(setting, value, where it came from) for every setting, in the order shown."""
    settings = transport.settings()
    # s3tools itself exports an endpoint found in ~/.aws/config as AWS_ENDPOINT_URL_S3
    # (for pyarrow): that one came from the profile, not from the user's environment.
    environment = dict(os.environ)
    exported = transport.clients._exported.get("endpoint")
    if exported and environment.get("AWS_ENDPOINT_URL_S3") == exported:
        del environment["AWS_ENDPOINT_URL_S3"]
    origin = config.origins(environment)
    found = [
        ("endpoint", settings.endpoint_label, origin["endpoint_url"]),
        ("region", settings.region, origin["region"]),
        ("profile", settings.profile or "(none)", origin["profile"]),
    ]
    try:
        credentials = session.get_credentials()
    except errors.ConfigError:
        found.append(("credentials", "(none found)",
                      "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"))
    else:
        found += [
            ("access key id", credentials["access_key_id"], credentials["source"]),
            ("secret key", "(set, not shown)", credentials["source"]),
            ("session token", "(set, not shown)" if credentials["temporary"] else "(none)",
             "environment variable AWS_SESSION_TOKEN" if os.environ.get("AWS_SESSION_TOKEN")
             else credentials["source"] if credentials["temporary"] else "default"),
        ]
        if credentials["expires"]:
            found.append(("expires", credentials["expires"], credentials["source"]))
    if settings.proxy:
        proxy = _without_password(settings.proxy)
    elif settings.custom_endpoint:
        proxy = "none (http_proxy and https_proxy are not used for a custom endpoint)"
    else:
        proxy = "http_proxy / https_proxy, if set"
    wanted = os.environ.get("S3TOOLS_GET_CLIENT")
    found += [
        ("proxy", proxy, origin["proxy"]),
        ("max concurrency", str(settings.max_concurrency), origin["max_concurrency"]),
        ("max attempts", str(settings.max_attempts), origin["max_attempts"]),
        ("read timeout", f"{settings.read_timeout:g} s", origin["read_timeout"]),
        ("GET client", transport.get_client_name(),
         "environment variable S3TOOLS_GET_CLIENT" if wanted else "default"),
        ("progress bars", "off" if _switched_off() else "on a terminal or in a notebook",
         origin["progress"]),
        *_access_and_memory(),
        ("AWS config file", os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config",
         "environment variable AWS_CONFIG_FILE" if os.environ.get("AWS_CONFIG_FILE")
         else "default"),
        ("AWS credentials file",
         os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials",
         "environment variable AWS_SHARED_CREDENTIALS_FILE"
         if os.environ.get("AWS_SHARED_CREDENTIALS_FILE") else "default"),
    ]
    return found


def _switched_off() -> bool:
    return os.environ.get("S3TOOLS_PROGRESS", "").strip().lower() in progress.OFF


def run(arguments: argparse.Namespace) -> int:
    table = [("setting", "value", "from"), *rows()]
    widths = [max(len(row[column]) for row in table) for column in (0, 1)]
    for name, value, origin in table:
        print(f"{name:<{widths[0]}}  {value:<{widths[1]}}  {origin}".rstrip())
    return 0
