"""Every s3tools setting, in one place: where it is read from, its default, how it is read.

Precedence, highest first:

1. ``s3tools.configure(...)``: it sets the setting's variable in this process,
   so it behaves exactly like exporting it (and the R package uses it to pass
   on what ``Sys.setenv()`` or ``.Renviron`` set after start-up).
2. Environment variables, each setting's listed in :data:`SETTINGS` (where a
   setting has two, the first set wins: ``AWS_ENDPOINT_URL_S3`` before
   ``AWS_ENDPOINT_URL``, ``AWS_REGION`` before ``AWS_DEFAULT_REGION``). A
   variable set to blank text counts as not set.
3. The profile in ``~/.aws/config`` / ``~/.aws/credentials`` (``endpoint_url``,
   ``region``, keys), read by botocore.
4. Defaults: AWS itself, region ``us-east-1``, and each setting's own.

Two kinds of setting. The clients' (endpoint, region, keys, profile, the AWS
files, proxy, concurrency, attempts, read timeout, GET client) are resolved
together into :class:`Settings`, again whenever one of
:data:`WATCHED_VARIABLES` changes: the transport asks for them at every
request, so that check is kept cheap (:func:`fingerprint`). The others
(progress bars, the memory check and limit, the preview limit, the buckets
handed out, the RAM folder) are read where they are used, with :func:`value`,
each time.
:func:`origins` says where each setting came from.

A custom endpoint (anything but AWS) gets path-style addressing, checksums only
when the operation requires them, and no proxy from ``http_proxy`` /
``https_proxy`` unless ``S3TOOLS_PROXY`` names one: S3-compatible services on a
private network (a Safe Haven's ``http://host:7070``) are never behind the web
proxy that the environment sets for the internet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import botocore.exceptions
import botocore.session

from .errors import ConfigError
from .redaction import register_secret

DEFAULT_REGION = "us-east-1"
DEFAULT_CONCURRENCY = 16
DEFAULT_ATTEMPTS = 4
# A read part (the transport's PART_SIZE) arrives in well under a second on a
# working network; a connection silent for this long has stalled.
DEFAULT_READ_TIMEOUT = 30.0
# The access S3TOOLS_BUCKETS may give a bucket after its name.
ACCESS_LEVELS = ("read-only", "read-write", "admin")
GET_CLIENTS = ("obstore", "botocore")
# What a preview may hold of decompressed text or decoded values: the first rows of any
# real file fit many times over, and a file that claims more cannot fill the memory.
DEFAULT_PREVIEW_LIMIT = 64 * 1024 ** 2

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}


# ------------------------------------------------------------- parse rules
# Each takes the text found and the name it was found under (for the message).

def _text(text: str, name: str) -> str:
    return text


def _endpoint(text: str, name: str) -> str:
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"The S3 endpoint {text!r} is not a URL: write it as http://host:port or https://host."
        )
    return text.rstrip("/")


def _number(text: str, name: str, whole: bool) -> float:
    try:
        number = float(text)
    except ValueError:
        number = 0
    if number <= 0 or (whole and number != int(number)):
        kind = "a whole number of 1 or more" if whole else "a number of seconds above 0"
        raise ConfigError(f"{name} must be {kind}, not {text!r}.")
    return number


def _count(text: str, name: str) -> int:
    return int(_number(text, name, whole=True))


def _seconds(text: str, name: str) -> float:
    return float(_number(text, name, whole=False))


def _switch(text: str, name: str) -> bool:
    word = text.strip().lower()
    if word not in _TRUE + _FALSE:
        raise ConfigError(f"{name} must be true or false, not {word!r}.")
    return word in _TRUE


def _progress(text: str, name: str) -> bool:
    # "auto": on where there is a terminal or a notebook to draw on, as when unset.
    return text.strip().lower() == "auto" or _switch(text, name)


def _get_client(text: str, name: str) -> str:
    wanted = text.strip().lower()
    if wanted not in GET_CLIENTS:
        raise ConfigError(f"{name} must be {' or '.join(GET_CLIENTS)}, not {wanted!r}.")
    return wanted


def parse_size(text: str, name: str) -> int:
    """``1048576``, ``500MB``, ``1.5G``, ``12GiB``: bytes (units are powers of 1024).

    Raises:
        ConfigError: not a size; the message names ``name``.
    """
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?", text.strip().upper())
    if match is None:
        raise ConfigError(f"{name} must be a size such as 500MB or 12GB, not {text!r}.")
    return int(float(match[1]) * _SIZE_UNITS[match[2]])


def _limit(text: str, name: str) -> int:
    size = parse_size(text, name)
    if size < 1:
        raise ConfigError(f"{name} must be a size of 1 byte or more, such as 64MB, not {text!r}.")
    return size


def _buckets(text: str, name: str) -> dict[str, str | None]:
    """``project-data:read-only,project-scratch`` as ``{bucket: access or None}``."""
    found: dict[str, str | None] = {}
    for entry in text.split(","):
        bucket, colon, level = (part.strip() for part in entry.strip().partition(":"))
        if not bucket:
            continue
        if colon and level not in ACCESS_LEVELS:
            raise ConfigError(
                f"{name} gives {entry.strip()!r}: the access after ':' must be "
                "read-only, read-write or admin (or leave it out).")
        found[bucket] = level or None
    return found


def _url_path(text: str, name: str) -> str:
    return "/" + "".join(part + "/" for part in text.strip().split("/") if part)


def _user_run_folder() -> str:
    return f"/run/user/{os.getuid()}"


# ------------------------------------------------------------- the settings

@dataclass(frozen=True)
class Setting:
    """One setting: where it is read from, its default, and how its text is read."""

    variables: tuple[str, ...]  # the first one set wins; configure() sets the last
    default: Any = None  # a callable is called for it, each time
    parse: Callable[[str, str], Any] = _text  # (text, name found under) -> value
    profile_key: str | None = None  # then this key of the AWS profile
    clients: bool = False  # a change means new clients (see WATCHED_VARIABLES)
    configurable: bool = False  # s3tools.configure() takes it by its name


SETTINGS: dict[str, Setting] = {
    "endpoint_url": Setting(("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"), None, _endpoint,
                            "endpoint_url", clients=True, configurable=True),
    "region": Setting(("AWS_REGION", "AWS_DEFAULT_REGION"), DEFAULT_REGION, _text, "region",
                      clients=True, configurable=True),
    "access_key_id": Setting(("AWS_ACCESS_KEY_ID",), clients=True, configurable=True),
    "secret_access_key": Setting(("AWS_SECRET_ACCESS_KEY",), clients=True, configurable=True),
    "session_token": Setting(("AWS_SESSION_TOKEN",), clients=True, configurable=True),
    "profile": Setting(("AWS_PROFILE",), clients=True, configurable=True),
    "config_file": Setting(("AWS_CONFIG_FILE",), "~/.aws/config", clients=True),
    "credentials_file": Setting(("AWS_SHARED_CREDENTIALS_FILE",), "~/.aws/credentials",
                                clients=True),
    # A proxy for a custom endpoint (none is used for one otherwise).
    "proxy": Setting(("S3TOOLS_PROXY",), clients=True, configurable=True),
    "max_concurrency": Setting(("S3TOOLS_MAX_CONCURRENCY",), DEFAULT_CONCURRENCY, _count,
                               clients=True, configurable=True),
    # Tries per request, transient failures only.
    "max_attempts": Setting(("S3TOOLS_MAX_ATTEMPTS",), DEFAULT_ATTEMPTS, _count,
                            clients=True, configurable=True),
    # Seconds a connection may stay silent.
    "read_timeout": Setting(("S3TOOLS_READ_TIMEOUT",), DEFAULT_READ_TIMEOUT, _seconds,
                            clients=True, configurable=True),
    # The client for GETs of object bytes; unset: obstore when installed.
    "get_client": Setting(("S3TOOLS_GET_CLIENT",), None, _get_client, clients=True),
    # false: no progress bars (see s3tools.progress).
    "progress": Setting(("S3TOOLS_PROGRESS",), True, _progress, configurable=True),
    # false: whole reads are not checked against the memory left (see s3tools.memory).
    "memory_check": Setting(("S3TOOLS_MEMORY_CHECK",), True, _switch),
    # The memory a process may use, instead of the one measured.
    "memory_limit": Setting(("S3TOOLS_MEMORY_LIMIT",), None, parse_size),
    # The most decompressed text or decoded values a preview may hold (see s3tools.bounded).
    "preview_limit": Setting(("S3TOOLS_PREVIEW_LIMIT",), DEFAULT_PREVIEW_LIMIT, _limit,
                             configurable=True),
    # The buckets handed out for these keys, with their access (see s3tools.access).
    "buckets": Setting(("S3TOOLS_BUCKETS",), dict, _buckets),
    # The RAM-backed folder for temporary files (see s3tools.tempfiles).
    "ram_folder": Setting(("S3TOOLS_RAM_DIR",), _user_run_folder),
    # Where JupyterHub serves this user's Jupyter server (/user/ann/, set by JupyterHub;
    # None outside it): the explorer's page goes through jupyter-server-proxy under it.
    "jupyterhub_prefix": Setting(("JUPYTERHUB_SERVICE_PREFIX",), None, _url_path),
}

# Variables whose values decide the clients; a change to any of them is seen at
# the next request. The proxy variables are botocore's and obstore's, not s3tools'.
WATCHED_VARIABLES = (
    *(variable for setting in SETTINGS.values() if setting.clients
      for variable in setting.variables),
    "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy",
)


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
    get_client: str | None = None  # the client asked for; None: s3tools chooses

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
                f"read_timeout={self.read_timeout}, get_client={self.get_client!r})")


Environment = Mapping[str, str]


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


def _found(name: str, env: Environment) -> tuple[str | None, str, str]:
    """The setting's text (None where it is not set), the name it was found under, and
    where that is in words: ``environment variable AWS_ENDPOINT_URL``, ``profile default
    in ~/.aws/config`` or ``default``."""
    setting = SETTINGS[name]
    for variable in setting.variables:
        text = env.get(variable)
        if text and not text.isspace():
            return text, variable, f"environment variable {variable}"
    if setting.profile_key is not None:
        profile = _found("profile", env)[0]
        text = _profile_value(profile, setting.profile_key)
        if text is not None:
            config_file = _found("config_file", env)[0] or SETTINGS["config_file"].default
            return text, setting.profile_key, f"profile {profile or 'default'} in {config_file}"
    return None, name, "default"


def _value(name: str, env: Environment) -> Any:
    text, found_as, _ = _found(name, env)
    setting = SETTINGS[name]
    if text is None:
        return setting.default() if callable(setting.default) else setting.default
    return setting.parse(text, found_as)


def value(name: str, environ: Environment | None = None) -> Any:
    """One setting as it is now, read and checked at this call (for the ones read where
    they are used: ``progress``, ``memory_check``, ``memory_limit``, ``preview_limit``,
    ``buckets``, ``ram_folder``, ``jupyterhub_prefix``; the clients' come together from
    :func:`settings`).

    Args:
        name: a key of :data:`SETTINGS`.
        environ: the variables to read instead of ``os.environ``.

    Returns:
        The parsed value, or the setting's default when it is not set.

    Raises:
        ConfigError: the setting's text is not valid (the message names its variable).
    """
    return _value(name, os.environ if environ is None else environ)


def origins(environ: Environment | None = None) -> dict[str, str]:
    """Where each setting of :data:`SETTINGS` comes from, in words: ``environment
    variable AWS_ENDPOINT_URL``, ``profile default in ~/.aws/config`` or ``default``.

    A variable that s3tools itself set (see :func:`publish_endpoint`) is not the
    user's: the setting comes from wherever it came from before.
    """
    env = dict(os.environ if environ is None else environ)
    for variable, published in _published.items():
        if env.get(variable) == published:
            del env[variable]
    return {name: _found(name, env)[2] for name in SETTINGS}


def resolve(environ: Environment | None = None) -> Settings:
    """Work out the clients' settings from the environment and the AWS config files.

    Raises:
        ConfigError: a setting is not valid, or AWS_PROFILE names no profile.
    """
    env = os.environ if environ is None else environ
    register_secret(_value("secret_access_key", env))
    register_secret(_value("session_token", env))
    return Settings(
        endpoint_url=_value("endpoint_url", env),
        region=_value("region", env),
        profile=_value("profile", env),
        proxy=_value("proxy", env),
        max_concurrency=_value("max_concurrency", env),
        max_attempts=_value("max_attempts", env),
        read_timeout=_value("read_timeout", env),
        get_client=_value("get_client", env),
    )


_cache: dict[str, object] = {}


def settings() -> Settings:
    """The clients' settings in force now: resolved again whenever a watched variable changed.

    A plain getter: it neither builds clients nor touches pandas (see
    :mod:`s3tools.transport.clients` for both).
    """
    current = fingerprint()
    cached = _cache.get("settings")
    if cached is None or _cache.get("fingerprint") != current:
        cached = resolve()
        _cache.update(fingerprint=current, settings=cached)
    return cached  # type: ignore[return-value]


def forget() -> None:
    """Resolve the settings again at the next :func:`settings` call."""
    _cache.clear()


def fingerprint() -> tuple:
    """The watched variables as they are now: settings are rebuilt when this changes.

    Each request asks several times, so this looks in the dict behind
    ``os.environ`` where CPython has one: ``os.environ.get`` raises and catches
    a KeyError for each variable that is not set, many times slower.
    ``os.environ[...] = ...`` updates that dict.
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
        profile, proxy, max_concurrency, max_attempts, read_timeout, progress,
        preview_limit: a value sets the setting's variable (and removes the others that would
        win over it); ``None`` leaves it; an empty string removes them all.

    Raises:
        ConfigError: an unknown setting name.
    """
    known = sorted(name for name, setting in SETTINGS.items() if setting.configurable)
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ConfigError(f"Unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}.")
    for name, given in settings.items():
        if given is None:
            continue
        *others, variable = SETTINGS[name].variables
        for other in others:
            os.environ.pop(other, None)
        if given == "":
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = str(given)


_published: dict[str, str] = {}  # variables s3tools itself set, and their values


def publish_endpoint(endpoint_url: str | None) -> None:
    """Put an endpoint that no variable names (one from a profile) into
    ``AWS_ENDPOINT_URL_S3``, for the tools that read it from the environment
    only (pyarrow's ``FileSystem.from_uri``); the one put there before is taken
    back first, if it is still there.
    """
    variables = SETTINGS["endpoint_url"].variables
    previous = _published.pop(variables[0], None)
    if previous is not None and os.environ.get(variables[0]) == previous:
        del os.environ[variables[0]]
    if endpoint_url and not any(os.environ.get(variable) for variable in variables):
        os.environ[variables[0]] = endpoint_url
        _published[variables[0]] = endpoint_url
