"""Resolution of every s3tools setting, in one place.

Precedence, highest first:

1. ``s3tools.configure(...)``: it sets the standard variables below in this
   process, so it behaves exactly like exporting them (and the R package uses
   it to pass on what ``Sys.setenv()`` or ``.Renviron`` set after start-up).
2. Environment variables: ``AWS_ENDPOINT_URL_S3``, then ``AWS_ENDPOINT_URL``;
   ``AWS_REGION``, then ``AWS_DEFAULT_REGION``; ``AWS_ACCESS_KEY_ID``,
   ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``; ``AWS_PROFILE``;
   ``S3TOOLS_PROXY`` (a proxy for a custom endpoint); ``S3TOOLS_MAX_CONCURRENCY``;
   ``S3TOOLS_MAX_ATTEMPTS`` (tries per request, transient failures only) and
   ``S3TOOLS_READ_TIMEOUT`` (seconds a connection may stay silent);
   ``S3TOOLS_PROGRESS`` (``false``: no progress bars, see :mod:`s3tools.progress`).
3. The profile in ``~/.aws/config`` / ``~/.aws/credentials`` (``endpoint_url``,
   ``region``, keys), read by botocore.
4. Defaults: AWS itself, region ``us-east-1``.

A custom endpoint (anything but AWS) gets path-style addressing, checksums only
when the operation requires them, and no proxy from ``http_proxy`` /
``https_proxy`` unless ``S3TOOLS_PROXY`` names one: S3-compatible services on a
private network (a Safe Haven's ``http://host:7070``) are never behind the web
proxy that the environment sets for the internet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

import botocore.exceptions
import botocore.session

from .errors import ConfigError, register_secret

DEFAULT_REGION = "us-east-1"
DEFAULT_CONCURRENCY = 16
DEFAULT_ATTEMPTS = 4
# A part (32 MiB) arrives in well under a second on a working network; a
# connection silent for this long has stalled.
DEFAULT_READ_TIMEOUT = 30.0

# Variables whose values decide the settings; a change to any of them is seen
# at the next call.
WATCHED_VARIABLES = (
    "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "S3TOOLS_PROXY",
    "S3TOOLS_MAX_CONCURRENCY", "S3TOOLS_MAX_ATTEMPTS", "S3TOOLS_READ_TIMEOUT",
    "S3TOOLS_GET_CLIENT",
    "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy",
)

_CONFIGURE_TO_VARIABLE = {
    "endpoint_url": "AWS_ENDPOINT_URL",
    "region": "AWS_DEFAULT_REGION",
    "access_key_id": "AWS_ACCESS_KEY_ID",
    "secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "session_token": "AWS_SESSION_TOKEN",
    "profile": "AWS_PROFILE",
    "proxy": "S3TOOLS_PROXY",
    "max_concurrency": "S3TOOLS_MAX_CONCURRENCY",
    "max_attempts": "S3TOOLS_MAX_ATTEMPTS",
    "read_timeout": "S3TOOLS_READ_TIMEOUT",
    "progress": "S3TOOLS_PROGRESS",
}
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
_REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")


@dataclass(frozen=True)
class Settings:
    """What every client is built from."""

    endpoint_url: str | None
    region: str
    profile: str | None
    proxy: str | None
    max_concurrency: int
    max_attempts: int = DEFAULT_ATTEMPTS
    read_timeout: float = DEFAULT_READ_TIMEOUT

    @property
    def custom_endpoint(self) -> bool:
        return self.endpoint_url is not None

    @property
    def endpoint_label(self) -> str:
        return self.endpoint_url or f"AWS S3 ({self.region})"

    def __repr__(self) -> str:  # no credentials live here, but keep the repr short
        return (f"Settings(endpoint_url={self.endpoint_url!r}, region={self.region!r}, "
                f"profile={self.profile!r}, proxy={'set' if self.proxy else None}, "
                f"max_concurrency={self.max_concurrency}, max_attempts={self.max_attempts}, "
                f"read_timeout={self.read_timeout})")


def _profile_value(profile: str | None, name: str) -> str | None:
    """A value from the profile's section of ~/.aws/config (or its ``s3`` sub-section)."""
    session = botocore.session.Session(profile=profile)
    try:
        scoped = session.get_scoped_config()
    except botocore.exceptions.ProfileNotFound as error:
        raise ConfigError(f"{error}. Check AWS_PROFILE and ~/.aws/config.") from None
    value = scoped.get(name)
    if value is None and isinstance(scoped.get("s3"), dict):
        value = scoped["s3"].get(name)
    return value


def _lookup(env: os._Environ | dict, variables: tuple[str, ...], profile: str | None,
            profile_key: str) -> tuple[str | None, str]:
    """The first of ``variables`` set, else the profile's ``profile_key``; and where it was."""
    for name in variables:
        if env.get(name):
            return env[name], f"environment variable {name}"
    value = _profile_value(profile, profile_key)
    if value is not None:
        config_file = env.get("AWS_CONFIG_FILE") or "~/.aws/config"
        return value, f"profile {profile or 'default'} in {config_file}"
    return None, "default"


def origins(environ: os._Environ | dict | None = None) -> dict[str, str]:
    """Where each setting of :func:`resolve` comes from, in words: ``environment variable
    AWS_ENDPOINT_URL``, ``profile default in ~/.aws/config`` or ``default``."""
    env = os.environ if environ is None else environ
    profile = env.get("AWS_PROFILE") or None
    found = {
        "endpoint_url": _lookup(env, _ENDPOINT_VARIABLES, profile, "endpoint_url")[1],
        "region": _lookup(env, _REGION_VARIABLES, profile, "region")[1],
    }
    for name in ("profile", "proxy", "max_concurrency", "max_attempts", "read_timeout",
                 "progress"):
        variable = _CONFIGURE_TO_VARIABLE[name]
        found[name] = f"environment variable {variable}" if env.get(variable) else "default"
    return found


def _check_endpoint(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"The S3 endpoint {url!r} is not a URL: write it as http://host:port or https://host."
        )
    return url.rstrip("/")


def resolve(environ: os._Environ | dict | None = None) -> Settings:
    """Work out the settings from the environment and the AWS config files."""
    env = os.environ if environ is None else environ
    profile = env.get("AWS_PROFILE") or None
    endpoint, _ = _lookup(env, _ENDPOINT_VARIABLES, profile, "endpoint_url")
    region = _lookup(env, _REGION_VARIABLES, profile, "region")[0] or DEFAULT_REGION
    concurrency = _number(env, "S3TOOLS_MAX_CONCURRENCY", DEFAULT_CONCURRENCY, whole=True)
    attempts = _number(env, "S3TOOLS_MAX_ATTEMPTS", DEFAULT_ATTEMPTS, whole=True)
    read_timeout = _number(env, "S3TOOLS_READ_TIMEOUT", DEFAULT_READ_TIMEOUT, whole=False)
    register_secret(env.get("AWS_SECRET_ACCESS_KEY"))
    register_secret(env.get("AWS_SESSION_TOKEN"))
    return Settings(
        endpoint_url=_check_endpoint(endpoint) if endpoint else None,
        region=region,
        profile=profile,
        proxy=env.get("S3TOOLS_PROXY") or None,
        max_concurrency=int(concurrency),
        max_attempts=int(attempts),
        read_timeout=float(read_timeout),
    )


def _number(env: os._Environ | dict, name: str, default: float, whole: bool) -> float:
    text = env.get(name) or str(default)
    try:
        value = float(text)
    except ValueError:
        value = 0
    if value <= 0 or (whole and value != int(value)):
        kind = "a whole number of 1 or more" if whole else "a number of seconds above 0"
        raise ConfigError(f"{name} must be {kind}, not {text!r}.")
    return value


_cache: dict[str, object] = {}


def settings() -> Settings:
    """The settings in force now: resolved again whenever a watched variable changed.

    A plain getter: it neither builds clients nor touches pandas (see
    :mod:`s3tools.transport.clients` for both).
    """
    current = fingerprint()
    cached = _cache.get("settings")
    if cached is None or _cache.get("fingerprint") != current:
        cached = resolve()
        _cache.update(fingerprint=current, settings=cached)
    return cached  # type: ignore[return-value]


def jupyterhub_prefix() -> str | None:
    """Where JupyterHub serves this user's Jupyter server (``JUPYTERHUB_SERVICE_PREFIX``,
    such as ``/user/ann/``, always ending in ``/``), or ``None`` outside JupyterHub.

    The file explorer's web page is reached under it through jupyter-server-proxy
    (``/user/ann/proxy/PORT/``) when the notebook widget cannot be shown.
    """
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "").strip()
    if not prefix:
        return None
    return "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"


def forget() -> None:
    """Resolve the settings again at the next :func:`settings` call."""
    _cache.clear()


def fingerprint() -> tuple:
    """The watched variables as they are now: settings are rebuilt when this changes.

    Each request asks three times (a thousand small objects read: three thousand
    times), so this looks in the dict behind ``os.environ`` where CPython has
    one: 1 µs, where ``os.environ.get`` takes 15 µs, most of it raising KeyError
    for each variable that is not set. ``os.environ[...] = ...`` updates that dict.
    """
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict) and _ENCODED_NAMES:
        return tuple(map(data.get, _ENCODED_NAMES))
    return tuple(os.environ.get(name) for name in WATCHED_VARIABLES)


def _encoded_names() -> tuple:
    encode = getattr(os.environ, "encodekey", None)
    return tuple(map(encode, WATCHED_VARIABLES)) if callable(encode) else ()


_ENCODED_NAMES = _encoded_names()


def set_variables(**settings: object) -> None:
    """Set s3tools' settings for this process, as if the variables had been exported.

    Args:
        endpoint_url, region, access_key_id, secret_access_key, session_token,
        profile, proxy, max_concurrency: a value sets the variable; ``None``
        leaves it; an empty string removes it.

    Raises:
        ConfigError: an unknown setting name.
    """
    unknown = sorted(set(settings) - set(_CONFIGURE_TO_VARIABLE))
    if unknown:
        raise ConfigError(
            f"Unknown setting(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(_CONFIGURE_TO_VARIABLE))}."
        )
    for name, value in settings.items():
        variable = _CONFIGURE_TO_VARIABLE[name]
        if value is None:
            continue
        if value == "":
            os.environ.pop(variable, None)
            if variable == "AWS_ENDPOINT_URL":
                os.environ.pop("AWS_ENDPOINT_URL_S3", None)
        else:
            os.environ[variable] = str(value)
            if variable == "AWS_ENDPOINT_URL":
                # The S3-specific variable would otherwise win over the new value.
                os.environ.pop("AWS_ENDPOINT_URL_S3", None)
            if variable == "AWS_DEFAULT_REGION":
                os.environ.pop("AWS_REGION", None)
