"""Construction and caching of the boto3 client and the s3fs filesystem.

Both are built from one :class:`~s3tools.config.Settings`; when the watched
environment changes, the next call builds new ones. The same settings are
handed to fsspec's defaults, so plain ``pandas.read_csv("s3://...")`` reaches
the same endpoint after ``import s3tools``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.config
import fsspec.config

from . import config, errors

_lock = threading.Lock()
_state: dict[str, Any] = {"fingerprint": None}
_exported: dict[str, str] = {}  # what s3tools itself put into os.environ


def _botocore_options(settings: config.Settings) -> dict[str, Any]:
    """Keyword arguments for ``botocore.config.Config`` (shared by boto3 and s3fs)."""
    options: dict[str, Any] = {
        "retries": {"max_attempts": 4, "mode": "standard"},
        "connect_timeout": 10,
        "read_timeout": 120,
        "max_pool_connections": max(10, settings.max_concurrency),
        "signature_version": "s3v4",
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


def _fsspec_defaults(settings: config.Settings) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "client_kwargs": {"region_name": settings.region},
        "config_kwargs": _botocore_options(settings),
    }
    if settings.endpoint_url:
        defaults["endpoint_url"] = settings.endpoint_url
    # No "profile": botocore reads AWS_PROFILE itself, and an explicit profile
    # would make it ignore AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    return defaults


def _export_endpoint(resolved: config.Settings) -> None:
    """Put an endpoint found only in ~/.aws/config into AWS_ENDPOINT_URL_S3.

    ``pandas.read_parquet("s3://...")`` goes through pyarrow's
    ``FileSystem.from_uri``, which reads the endpoint from the environment
    only; without this it would go to AWS. The variable is taken back when the
    settings are resolved again (say, after AWS_PROFILE changes).
    """
    if resolved.endpoint_url and not (os.environ.get("AWS_ENDPOINT_URL_S3")
                                      or os.environ.get("AWS_ENDPOINT_URL")):
        os.environ["AWS_ENDPOINT_URL_S3"] = resolved.endpoint_url
        _exported["endpoint"] = resolved.endpoint_url


def settings() -> config.Settings:
    """The settings in force now, rebuilding clients if the environment changed."""
    current = config.fingerprint()
    if _state["fingerprint"] != current:
        with _lock:
            if _state["fingerprint"] != current:
                exported = _exported.pop("endpoint", None)
                if exported and os.environ.get("AWS_ENDPOINT_URL_S3") == exported:
                    del os.environ["AWS_ENDPOINT_URL_S3"]
                resolved = config.resolve()
                _export_endpoint(resolved)
                _state.clear()
                _state.update(fingerprint=config.fingerprint(), settings=resolved)
                fsspec.config.conf["s3"] = _fsspec_defaults(resolved)
    return _state["settings"]


def s3_client() -> Any:
    """The boto3 S3 client for the current settings (thread-safe, cached)."""
    resolved = settings()
    client = _state.get("client")
    if client is None:
        with _lock:
            client = _state.get("client")
            if client is None:
                # AWS_PROFILE is read by the session itself: naming the profile
                # here would make botocore ignore keys set in the environment.
                with s3_errors(None):  # an unknown AWS_PROFILE shows up here
                    session = boto3.session.Session()
                    client = session.client(
                        "s3",
                        endpoint_url=resolved.endpoint_url,
                        region_name=resolved.region,
                        config=botocore.config.Config(**_botocore_options(resolved)),
                    )
                _state["session"] = session
                _state["client"] = client
    return client


class _SessionCredentials:
    """Hands obstore the boto3 session's credentials, refreshed as botocore refreshes them."""

    # Temporary credentials are asked for again this often; botocore renews them
    # before they expire.
    _RECHECK = 300

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials

    def __call__(self) -> dict[str, Any]:
        import datetime

        frozen = self.credentials.get_frozen_credentials()
        refreshable = hasattr(self.credentials, "refresh_needed")
        return {
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "token": frozen.token,
            "expires_at": datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(seconds=self._RECHECK) if refreshable else None,
        }


def _proxy_for(resolved: config.Settings, endpoint: str) -> str | None:
    """The proxy botocore would use for ``endpoint``: S3TOOLS_PROXY, or for AWS the
    environment's (honouring no_proxy); never the environment's for a custom endpoint."""
    from urllib.parse import urlparse

    import botocore.utils

    if resolved.proxy:
        return resolved.proxy
    if resolved.custom_endpoint:
        return None
    return botocore.utils.get_environ_proxies(endpoint).get(urlparse(endpoint).scheme)


def _proxy_options(resolved: config.Settings, endpoint: str) -> dict[str, str]:
    """obstore's proxy settings: exactly the proxy botocore would use, and no other.

    Left alone, obstore's HTTP client takes http_proxy/https_proxy/ALL_PROXY
    from the environment for every host, custom endpoints included. An
    explicit proxy switches that off; when no proxy is wanted, the explicit
    one is the endpoint itself, listed as excluded, so it is never used.
    """
    from urllib.parse import urlparse

    proxy = _proxy_for(resolved, endpoint)
    if proxy:
        return {"proxy_url": proxy}
    return {"proxy_url": endpoint, "proxy_excludes": urlparse(endpoint).hostname or ""}


def object_store(bucket: str) -> Any:
    """An obstore S3 store for ``bucket`` with the current settings, or None.

    None when obstore is not installed or no credentials are found (the boto3
    path then reports the problem in its own words). The store gets the same
    endpoint, region, path-style addressing, proxy rule and credentials
    (session token included) as the boto3 client.
    """
    if _state.get("obstore_missing"):
        return None
    s3_client()
    stores = _state.setdefault("stores", {})
    store = stores.get(bucket)
    if store is not None:
        return store
    try:
        from obstore.store import S3Store
    except ImportError:
        _state["obstore_missing"] = True
        return None
    import datetime

    import botocore.utils

    resolved = settings()
    credentials = _state["session"].get_credentials()
    if credentials is None:
        return None
    endpoint = resolved.endpoint_url
    virtual_hosted = endpoint is None and botocore.utils.check_dns_name(bucket) \
        and "." not in bucket
    if endpoint is None:
        endpoint = (f"https://{bucket}.s3.{resolved.region}.amazonaws.com" if virtual_hosted
                    else f"https://s3.{resolved.region}.amazonaws.com")
    store = S3Store(
        bucket,
        endpoint=endpoint,
        region=resolved.region,
        virtual_hosted_style_request=virtual_hosted,
        credential_provider=_SessionCredentials(credentials),
        client_options={
            "allow_http": endpoint.startswith("http://"),
            "connect_timeout": datetime.timedelta(seconds=10),
            "timeout": datetime.timedelta(seconds=600),
            "pool_max_idle_per_host": str(max(10, resolved.max_concurrency)),
            **_proxy_options(resolved, endpoint),
        },
        retry_config={"max_retries": 3, "retry_timeout": datetime.timedelta(seconds=120)},
    )
    stores[bucket] = store
    return store


def arrow_filesystem() -> Any:
    """A ``pyarrow.fs.S3FileSystem`` with the current settings, or None.

    It gets the same endpoint, region, path-style addressing, proxy rule and
    credentials (session token included) as the boto3 client; a new one is
    built when the settings or the session's credentials change (botocore
    renews temporary ones). None when pyarrow's S3 support is missing, no
    credentials are found or the endpoint has a path pyarrow cannot address:
    the caller then uses the boto3/obstore path (also inside R, see below).
    """
    from urllib.parse import urlparse

    if _state.get("arrow_missing") or "rpytools" in sys.modules:
        # Embedded in R by reticulate, Python's exit handlers never run, so
        # pyarrow's finalize_s3() would not either: Arrow then aborts the R
        # process at exit. R keeps to the boto3/obstore path.
        return None
    s3_client()
    resolved = settings()
    credentials = _state["session"].get_credentials()
    if credentials is None:
        return None
    frozen = credentials.get_frozen_credentials()
    key = (frozen.access_key, frozen.secret_key, frozen.token)
    cached = _state.get("arrow")
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        import pyarrow.fs
    except ImportError:
        _state["arrow_missing"] = True
        return None
    options: dict[str, Any] = {
        "access_key": frozen.access_key,
        "secret_key": frozen.secret_key,
        "session_token": frozen.token,
        "region": resolved.region,
        "connect_timeout": 10,
        "request_timeout": 120,
    }
    if resolved.endpoint_url:
        parsed = urlparse(resolved.endpoint_url)
        if parsed.path not in ("", "/") or parsed.query:
            return None
        options.update(endpoint_override=parsed.netloc, scheme=parsed.scheme,
                       force_virtual_addressing=False)
        endpoint = resolved.endpoint_url
    else:
        endpoint = f"https://s3.{resolved.region}.amazonaws.com"
    proxy = _proxy_for(resolved, endpoint)
    if proxy:
        options["proxy_options"] = proxy
    try:
        filesystem = pyarrow.fs.S3FileSystem(**options)
    except Exception:  # noqa: BLE001 - the boto3 path is used instead
        return None
    _state["arrow"] = (key, filesystem)
    return filesystem


def reset() -> None:
    """Forget cached clients (settings are resolved again at the next call)."""
    with _lock:
        _state.clear()
        _state["fingerprint"] = None


@contextlib.contextmanager
def s3_errors(path: object, *, writing: bool = False) -> Iterator[None]:
    """Turn any botocore error raised inside the block into an s3tools error for ``path``."""
    try:
        yield
    except errors.S3ToolsError:
        raise
    except Exception as error:
        translated = errors.translate(error, str(path) if path is not None else None,
                                      writing=writing, endpoint=settings().endpoint_label)
        if translated is error:
            raise
        raise translated from error
