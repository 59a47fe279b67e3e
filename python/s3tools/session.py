"""The user's verbs about settings: set them, and take up new ones without a restart."""

from __future__ import annotations

from . import config, errors, transport


def configure(**settings: object) -> None:
    """Set s3tools' settings for this process, as if the variables had been exported.

    Args:
        endpoint_url, region, access_key_id, secret_access_key, session_token,
        profile, proxy, max_concurrency, max_attempts, read_timeout, preview_limit:
        a value sets the variable; ``None`` leaves it; an empty string removes it.

    Raises:
        ConfigError: an unknown setting name.

    Example: ``configure(endpoint_url="http://nsh-fs02:7070", region="us-east-1")``.
    """
    config.set_variables(**settings)
    refresh_credentials()


def refresh_credentials() -> None:
    """Read the settings and credentials again and rebuild the client.

    After new keys or a new session token are put in the environment (or in
    ``~/.aws/credentials``), the next request uses them: no restart of R or
    the kernel. pandas' ``s3://`` paths follow too.

    Raises:
        ConfigError: a setting is not valid (it names which and how to fix it).
    """
    transport.refresh()


# Where botocore found the keys, in the user's words.
_SOURCES = {
    "env": "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
    "shared-credentials-file": "~/.aws/credentials (AWS_PROFILE)",
    "config-file": "~/.aws/config (AWS_PROFILE)",
    "assume-role": "an assumed role (~/.aws/config)",
    "assume-role-with-web-identity": "a web identity role (AWS_WEB_IDENTITY_TOKEN_FILE)",
    "sso": "AWS SSO (aws sso login)",
    "container-role": "the container's role",
    "iam-role": "the instance's role",
    "custom-process": "a credential process (~/.aws/config)",
}


def _masked(access_key_id: str | None) -> str | None:
    if not access_key_id:
        return None
    shown = 4 if len(access_key_id) >= 12 else 1
    return access_key_id[:shown] + "*" * (len(access_key_id) - 2 * shown) + access_key_id[-shown:]


def check_credential_arguments(key: str | None = None, secret: str | None = None,
                               token: str | None = None, profile: str | None = None) -> None:
    """Refuse arguments :func:`get_credentials` cannot take, before anything is set (R
    calls it before it sets its own variables).

    Raises:
        ConfigError: only one of ``key`` and ``secret``, or a value that is not text.
    """
    if (key is None) != (secret is None):
        raise errors.ConfigError("get_credentials() needs key and secret together (or "
                                 "neither, to read them from the environment).")
    given = {"key": key, "secret": secret, "token": token, "profile": profile}
    for name, value in given.items():
        if value is not None and not isinstance(value, str):
            raise errors.ConfigError(
                f"get_credentials() needs {name} as text, not {type(value).__name__}.")


def get_credentials(key: str | None = None, secret: str | None = None,
                    token: str | None = None, profile: str | None = None) -> dict:
    """Kept for scripts written for s3tools 0.0.9: take up (or set) the credentials.

    With no arguments it is :func:`refresh_credentials`; with arguments it sets
    them for this session first (``key`` and ``secret`` go together; ``token``
    for temporary keys; ``profile`` names a profile of ``~/.aws/config``).

    Returns:
        A summary that never holds the secret: where the keys came from, the
        access key id masked, when they expire (if they do), the endpoint and
        the region.

    Raises:
        ConfigError: only one of ``key`` and ``secret``, a value that is not text, or
            no credentials at all.
    """
    check_credential_arguments(key, secret, token, profile)
    if key is not None:
        config.set_variables(access_key_id=key, secret_access_key=secret,
                             session_token=token if token is not None else "")
    elif token is not None:
        config.set_variables(session_token=token)
    if profile is not None:
        config.set_variables(profile=profile)
    refresh_credentials()
    settings = transport.settings()
    credentials = transport.credentials()
    if credentials is None:
        raise errors.no_credentials()
    frozen = credentials.get_frozen_credentials()
    expiry = getattr(credentials, "_expiry_time", None)
    method = getattr(credentials, "method", "") or ""
    return {
        "source": _SOURCES.get(method, method or "unknown"),
        "access_key_id": _masked(frozen.access_key),
        "temporary": bool(frozen.token),
        "expires": expiry.isoformat() if expiry is not None else None,
        "endpoint": settings.endpoint_label,
        "region": settings.region,
    }
