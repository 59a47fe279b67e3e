"""The user's verbs about settings: set them, and take up new ones without a restart."""

from __future__ import annotations

from . import config, transport


def configure(**settings: object) -> None:
    """Set s3tools' settings for this process, as if the variables had been exported.

    Args:
        endpoint_url, region, access_key_id, secret_access_key, session_token,
        profile, proxy, max_concurrency, max_attempts, read_timeout: a value
        sets the variable; ``None`` leaves it; an empty string removes it.

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
