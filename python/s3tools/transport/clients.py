"""The clients, built from the settings in force, and the settings handed to pandas.

Every request s3tools makes goes through botocore (boto3's client), except the
GETs of object bytes, which go through obstore (a Rust client) when it is
installed: on many small objects and on large parallel reads it is several
times faster (bench/, scenarios 1 and 4). The choice is made once per settings,
per kind of request, and logged at DEBUG on ``s3tools.requests``; a request is
never sent again through the other client. Both clients have their own
retries switched off: the retry policy is :mod:`s3tools.transport.policy`'s
alone. ``S3TOOLS_GET_CLIENT=botocore`` makes the GETs go through botocore too.
New clients are built when a watched variable changes or :func:`refresh` is
called.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import botocore.config
import botocore.loaders
import botocore.session
import fsspec.config

from .. import config, error_translation, errors, redaction

logger = logging.getLogger("s3tools.requests")

_lock = threading.Lock()
_state: dict[str, Any] = {}


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


def fsspec_options(settings: config.Settings) -> dict[str, Any]:
    """What s3fs needs to reach the endpoint as s3tools does (no credentials): the
    endpoint, region, path-style addressing, checksum rule, timeouts and the proxy
    decision (an empty ``proxies`` keeps ``http_proxy`` away from a custom endpoint)."""
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
    put there (:func:`s3tools.config.publish_endpoint`).
    """
    config.publish_endpoint(settings.endpoint_url)
    fsspec.config.conf["s3"] = fsspec_options(settings)


_loader_lock = threading.Lock()
_loader: list[Any] = []  # botocore's loader of its service models, made once


def _shared_loader(session: Any) -> Any:
    """One loader of botocore's JSON service models for every session s3tools makes: a
    loader keeps what it has read, and a session with a loader of its own reads and
    parses the S3 model and the endpoint rules again (most of the time of a client)."""
    with _loader_lock:
        if not _loader:
            # where the first session looks (AWS_DATA_PATH too, read by botocore)
            _loader.append(botocore.loaders.create_loader(
                session.get_config_variable("data_path")))
        return _loader[0]


def _build(settings: config.Settings) -> tuple[Any, Any, Any]:
    # AWS_PROFILE is read by the session itself: naming the profile here would
    # make botocore ignore keys set in the environment.
    try:
        session = botocore.session.get_session()
        session.register_component("data_loader", _shared_loader(session))
        client = _service_client(session, "s3", settings)
        credentials = session.get_credentials()
    except Exception as error:
        translated = error_translation.translate(error, None, endpoint=settings.endpoint_label)
        if translated is error:
            raise
        raise translated from error
    if credentials is not None:
        # Keys from a profile or a credential process: masked wherever they might show.
        frozen = credentials.get_frozen_credentials()
        redaction.register_secret(frozen.secret_key)
        redaction.register_secret(frozen.token)
    return session, client, credentials


def _service_client(session: Any, service: str, settings: config.Settings) -> Any:
    """A client with s3tools' options: S3, or STS and IAM for the access lookups.

    STS and IAM get the same endpoint (S3-compatible services that have them,
    and moto, serve them there; on AWS the endpoint is AWS's own), the same
    proxy rule and timeouts, and botocore's own signature version for them.
    """
    options = botocore_options(settings, retries=False)
    if service != "s3":
        del options["signature_version"]
    return session.create_client(service, endpoint_url=settings.endpoint_url,
                                 region_name=settings.region,
                                 config=botocore.config.Config(**options))


class _SessionCredentials:
    """Hands obstore the botocore session's credentials, refreshed as botocore refreshes them."""

    # Temporary credentials are asked for again this often; botocore renews them
    # before they expire.
    _RECHECK = 300

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials

    def __call__(self) -> dict[str, Any]:
        import datetime

        frozen = self.credentials.get_frozen_credentials()
        # Renewed temporary credentials are new secrets to mask.
        redaction.register_secret(frozen.secret_key)
        redaction.register_secret(frozen.token)
        refreshable = hasattr(self.credentials, "refresh_needed")
        return {
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "token": frozen.token,
            "expires_at": datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(seconds=self._RECHECK) if refreshable else None,
        }


def _proxy_options(settings: config.Settings, endpoint: str) -> dict[str, str]:
    """obstore's proxy: exactly the one botocore would use, and no other.

    Left alone, obstore takes http_proxy/https_proxy/ALL_PROXY from the
    environment for every host, custom endpoints included. An explicit proxy
    switches that off; when no proxy is wanted, the explicit one is the
    endpoint itself, listed as excluded, so it is never used.
    """
    from urllib.parse import urlparse

    import botocore.utils

    if settings.proxy:
        return {"proxy_url": settings.proxy}
    if not settings.custom_endpoint:
        proxy = botocore.utils.get_environ_proxies(endpoint).get(urlparse(endpoint).scheme)
        if proxy:
            return {"proxy_url": proxy}
    return {"proxy_url": endpoint, "proxy_excludes": urlparse(endpoint).hostname or ""}


def _choose_get_client(settings: config.Settings) -> str:
    """Which client sends the GETs of object bytes for these settings."""
    wanted = settings.get_client
    if wanted == "botocore":
        return "botocore"
    try:
        import obstore  # noqa: F401
    except ImportError:
        if wanted == "obstore":
            raise errors.ConfigError("S3TOOLS_GET_CLIENT=obstore, but obstore is not "
                                     "installed: pip install obstore.") from None
        return "botocore"
    return "obstore"


def object_store(bucket: str, part_size: int) -> Any:
    """The obstore store for ``bucket`` with the settings in force (cached per bucket).

    It gets the same endpoint, region, path-style addressing, proxy rule and
    credentials (session token included) as the botocore client; its own
    retries are off, and a request may take as long as one part needs at
    1 MiB/s on top of the read timeout.
    """
    settings, _ = current()
    stores = _state.setdefault("stores", {})
    store = stores.get(bucket)
    if store is not None:
        return store
    import datetime

    import botocore.utils
    from obstore.store import S3Store

    credentials = _state.get("credentials")
    if credentials is None:
        raise errors.no_credentials()
    endpoint = settings.endpoint_url
    virtual_hosted = endpoint is None and botocore.utils.check_dns_name(bucket) \
        and "." not in bucket
    if endpoint is None:
        endpoint = (f"https://{bucket}.s3.{settings.region}.amazonaws.com" if virtual_hosted
                    else f"https://s3.{settings.region}.amazonaws.com")
    seconds = settings.read_timeout + part_size / (1024 * 1024)
    store = S3Store(
        bucket,
        endpoint=endpoint,
        region=settings.region,
        virtual_hosted_style_request=virtual_hosted,
        credential_provider=_SessionCredentials(credentials),
        client_options={
            "allow_http": endpoint.startswith("http://"),
            "connect_timeout": datetime.timedelta(seconds=min(10.0, settings.read_timeout)),
            "timeout": datetime.timedelta(seconds=seconds),
            "pool_max_idle_per_host": str(max(10, settings.max_concurrency)),
            **_proxy_options(settings, endpoint),
        },
        retry_config={"max_retries": 0, "retry_timeout": datetime.timedelta(seconds=seconds)},
    )
    stores[bucket] = store
    return store


def credentials() -> Any:
    """botocore's credentials for the settings in force (None when there are none)."""
    current()
    return _state.get("credentials")


def get_client_name() -> str:
    """``"obstore"`` or ``"botocore"``: the name of the client that sends GETs of object bytes."""
    current()
    return _state["get_client_name"]


def current() -> tuple[config.Settings, Any]:
    """The settings in force and the client built from them (thread-safe, cached)."""
    settings = config.settings()
    if _state.get("settings") is not settings:
        with _lock:
            if _state.get("settings") is not settings:
                session, client, credentials = _build(settings)
                chosen = _choose_get_client(settings)
                publish_to_pandas(settings)
                _state.clear()
                _state.update(settings=settings, client=client, credentials=credentials,
                              get_client_name=chosen, session=session, services={})
                logger.debug(
                    "clients for %s: GETs of object bytes through %s, every other request "
                    "through botocore %s (region %s, path-style %s, proxy %s, read timeout "
                    "%ss, %s attempts)", settings.endpoint_label, chosen, botocore.__version__,
                    settings.region, settings.custom_endpoint,
                    "S3TOOLS_PROXY" if settings.proxy else "none" if settings.custom_endpoint
                    else "from the environment", settings.read_timeout, settings.max_attempts)
    return _state["settings"], _state["client"]


def client(service: str = "s3") -> Any:
    """The botocore client for the settings in force: S3, or ``sts`` / ``iam`` (built at
    their first use: only the access lookups of ``accessible_buckets()`` need them)."""
    settings, s3 = current()
    if service == "s3":
        return s3
    with _lock:
        services = _state["services"]
        if service not in services:
            services[service] = _service_client(_state["session"], service, settings)
        return services[service]


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
