"""Secrets never reach a message or a log: what looks like one is masked.

Keys and tokens that s3tools resolves are registered here when the settings
are read, and anything shaped like a signature, a credential pair or a session
token is masked wherever it appears.
"""

from __future__ import annotations

import re

# A secret must never reach a message: anything that looks like a signature,
# a credential pair or a session token is cut out before an error is built.
_SECRET_PATTERNS = [
    re.compile(r"(Signature=|X-Amz-Signature=|X-Amz-Security-Token=|X-Amz-Credential=)[^&\s'\"]+"),
    re.compile(r"(aws_secret_access_key|aws_session_token|SecretAccessKey|SessionToken"
               r"|x-amz-security-token|secret_key|session_token|token)"
               r"(['\"]?\s*[:=]\s*b?['\"]?)[^\s'\",}]+", re.IGNORECASE),
]
_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that it is masked if it ever shows up in a message."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret and every secret-shaped value masked."""
    for secret in _known_secrets:
        text = text.replace(secret, "****")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(
            lambda m: m.group(1) + (m.group(2) if m.lastindex == 2 else "") + "****", text)
    return text

