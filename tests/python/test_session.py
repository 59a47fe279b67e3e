"""session: refresh_credentials and get_credentials, the verbs about settings."""

from __future__ import annotations

import os

import pytest
from conftest import ACCESS_KEY, BUCKET, SECRET_KEY, put

import s3tools


def test_get_credentials_with_no_arguments_refreshes_and_summarises(seed):
    summary = s3tools.get_credentials()
    assert summary["source"].startswith("environment variables")
    assert summary["access_key_id"] == ACCESS_KEY[:4] + "*" * (len(ACCESS_KEY) - 8) + \
        ACCESS_KEY[-4:]
    assert summary["temporary"] is False and summary["expires"] is None
    assert summary["endpoint"] == os.environ["AWS_ENDPOINT_URL"]
    assert SECRET_KEY not in repr(summary) and ACCESS_KEY not in repr(summary)


def test_get_credentials_with_keys_sets_them_for_the_session(seed, monkeypatch, read_only):
    put(seed, "a.txt", "hello")
    read_only()
    reader_key, reader_secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN000000000")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "an-old-token-0123456789")
    with pytest.raises(s3tools.ConfigError):
        s3tools.read_file_from_s3(f"{BUCKET}/a.txt")
    summary = s3tools.get_credentials(key=reader_key, secret=reader_secret)
    assert "AWS_SESSION_TOKEN" not in os.environ  # new static keys drop the old token
    assert summary["access_key_id"].endswith(reader_key[-4:]) and not summary["temporary"]
    assert reader_secret not in repr(summary)
    assert s3tools.read_file_from_s3(f"{BUCKET}/a.txt") == b"hello"


def test_get_credentials_needs_key_and_secret_together():
    with pytest.raises(s3tools.ConfigError, match="key and secret together"):
        s3tools.get_credentials(key="AKIAONLYKEY000000000")


@pytest.mark.parametrize(("arguments", "named"), [
    ({"key": 12345, "secret": "a-secret"}, "key as text, not int"),
    ({"key": "AKIA", "secret": b"a-secret"}, "secret as text, not bytes"),
    ({"token": 1.5}, "token as text, not float"),
    ({"profile": True}, "profile as text, not bool"),
])
def test_get_credentials_takes_text_only_and_sets_nothing_else(arguments, named):
    variables = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    before = {name: os.environ.get(name) for name in variables}
    with pytest.raises(s3tools.ConfigError, match=named) as refused:
        s3tools.get_credentials(**arguments)
    assert "a-secret" not in str(refused.value)
    assert {name: os.environ.get(name) for name in variables} == before
