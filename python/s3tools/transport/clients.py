"""The one S3 client, built from the settings in force, and the settings handed to pandas.

Every request s3tools makes goes through a single botocore client (boto3's),
with botocore's own retries switched off: the retry policy is
:mod:`s3tools.transport.policy`'s alone, so a failure is retried once per
policy, never by two layers, and never through another client. A new client is
built when a watched variable changes or :func:`refresh` is called; the choice
is logged once per settings at DEBUG on ``s3tools.requests``.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import boto3
import botocore.config
import fsspec.config

from .. import config, errors

logger = logging.getLogger("s3tools.requests")

_lock = threading.Lock()
_state: dict[str, Any] = {}
_exported: dict[str, str] = {}  # what s3tools itself put into os.environ


def botocore_options(settings: config.Settings, *, retries: bool) -> dict[str, Any]:
    """Keyword arguments for ``botocore.config.Config``.

    s3tools' own client has ``retries=False`` (its policy retries); the options
    handed to pandas' s3fs keep botocore's retries, since no s3tools policy
    wraps those calls.
    """
    options: dict[str, Any] = {
        "retries": {"total_max_attempts": settings.max_attempts if retries else 1,
                    "mode": "standard"},
        "connect_timeout": 10,
        "read_timeout": settings.read_timeout,
        "max_pool_connections": max(10, settings.max_concurrency),
        "signature_version": "s3v4",
        "tcp_keepalive": True,
    }
    if settings.custom_endpoint:
        options["s3"] = {"addressing_style": "path"}
        # botocore 1.36+ sends CRC checksums by default; many S3-compatible
        # services reject them.
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
        # An empty mapping stops botocore from taking http_proxy/https_proxy
        # from the environment.
        options["proxies"] = (
            {"http": settings.proxy, "https": settings.proxy} if settings.proxy else {}
        )
    elif settings.proxy:
        options["proxies"] = {"http": settings.proxy, "https": settings.proxy}
    return options


def _pandas_defaults(settings: config.Settings) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "client_kwargs": {"region_name": settings.region},
        "config_kwargs": botocore_options(settings, retries=True),
    }
    if settings.endpoint_url:
        defaults["endpoint_url"] = settings.endpoint_url
    # No "profile": botocore reads AWS_PROFILE itself, and an explicit profile
    # would make it ignore AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    return defaults


def publish_to_pandas(settings: config.Settings) -> None:
    """Point pandas' ``s3://`` paths (s3fs, and pyarrow for Parquet) at these settings.

    s3fs reads fsspec's defaults. ``pandas.read_parquet("s3://...")`` goes
    through pyarrow's ``FileSystem.from_uri``, which reads the endpoint from
    the environment only, so an endpoint found only in ``~/.aws/config`` is
    put into ``AWS_ENDPOINT_URL_S3`` (and taken back when it no longer applies).
    """
    exported = _exported.pop("endpoint", None)
    if exported and os.environ.get("AWS_ENDPOINT_URL_S3") == exported:
        del os.environ["AWS_ENDPOINT_URL_S3"]
    if settings.endpoint_url and not (os.environ.get("AWS_ENDPOINT_URL_S3")
                                      or os.environ.get("AWS_ENDPOINT_URL")):
        os.environ["AWS_ENDPOINT_URL_S3"] = settings.endpoint_url
        _exported["endpoint"] = settings.endpoint_url
    fsspec.config.conf["s3"] = _pandas_defaults(settings)


def _build(settings: config.Settings) -> Any:
    # AWS_PROFILE is read by the session itself: naming the profile here would
    # make botocore ignore keys set in the environment.
    try:
        session = boto3.session.Session()
        client = session.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            config=botocore.config.Config(**botocore_options(settings, retries=False)),
        )
        credentials = session.get_credentials()
    except Exception as error:
        translated = errors.translate(error, None, endpoint=settings.endpoint_label)
        if translated is error:
            raise
        raise translated from error
    if credentials is not None:
        # Keys from a profile or a credential process: masked wherever they might show.
        frozen = credentials.get_frozen_credentials()
        errors.register_secret(frozen.secret_key)
        errors.register_secret(frozen.token)
    logger.debug("client: botocore %s for %s (region %s, path-style %s, proxy %s, "
                 "read timeout %ss, %s attempts)", botocore.__version__,
                 settings.endpoint_label, settings.region, settings.custom_endpoint,
                 "S3TOOLS_PROXY" if settings.proxy else "none" if settings.custom_endpoint
                 else "from the environment", settings.read_timeout, settings.max_attempts)
    return client


def current() -> tuple[config.Settings, Any]:
    """The settings in force and the client built from them (thread-safe, cached)."""
    settings = config.settings()
    if _state.get("settings") is not settings:
        with _lock:
            if _state.get("settings") is not settings:
                client = _build(settings)
                publish_to_pandas(settings)
                _state.update(settings=settings, client=client)
    return _state["settings"], _state["client"]


def client() -> Any:
    """The botocore S3 client for the settings in force."""
    return current()[1]


def settings() -> config.Settings:
    """The settings in force (the client is built for them if it was not yet)."""
    return current()[0]


def refresh() -> config.Settings:
    """Read the settings again and build a new client (new keys, token, endpoint...)."""
    with _lock:
        config.forget()
        _state.clear()
    return settings()


def reset() -> None:
    """Forget the client and the settings; both are made again at the next request."""
    with _lock:
        config.forget()
        _state.clear()
