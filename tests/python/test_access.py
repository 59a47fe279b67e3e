"""access: which buckets, from where, at which level; writes to read-only buckets refused early.

Against the moto server with IAM checks on: every request s3tools sends is
counted at a proxy in front of it (:class:`faults.FaultProxy`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from case_support import (
    assume_role_with_policy,
    bucket_statement,
    create_user_with_policy,
)
from conftest import BUCKET, ON_SEAWEEDFS, keys, moto_api, put, set_auth
from faults import FaultProxy

import s3tools
from s3tools import access

READ = ["s3:GetObject", "s3:ListBucket"]
WRITE = [*READ, "s3:PutObject", "s3:DeleteObject"]
ANALYST_BUCKETS = ("data-admin", "data-ro", "data-rw")


@pytest.fixture
def counted(fault_proxy):
    """s3tools talks to the server through a proxy that records every request."""
    return fault_proxy


@pytest.fixture
def signed_in(endpoint, monkeypatch):
    """``sign_in(key)``: s3tools uses that access key record, and moto checks IAM."""
    if ON_SEAWEEDFS:
        pytest.skip("moto only: IAM users are simulated by moto")

    def sign_in(key: dict) -> None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        if key.get("SessionToken"):
            monkeypatch.setenv("AWS_SESSION_TOKEN", key["SessionToken"])
        set_auth(endpoint, 0)

    try:
        yield sign_in
    finally:
        set_auth(endpoint, float("inf"))
        moto_api(endpoint, "reset")


def analyst_statements() -> list[dict]:
    return [bucket_statement("data-ro", READ), bucket_statement("data-rw", WRITE),
            bucket_statement("data-admin", ["s3:*"])]


def create_analyst_buckets(seed) -> None:
    for name in ANALYST_BUCKETS:
        seed.create_bucket(Bucket=name)


def list_buckets_sent(proxy: FaultProxy) -> int:
    return sum(1 for method, target, _ in proxy.requests if method == "GET" and target == "/")


def test_with_list_buckets_allowed_the_list_says_so(seed, monkeypatch):
    seed.create_bucket(Bucket="second-bucket")
    found = s3tools.accessible_buckets()
    assert found == ["second-bucket", BUCKET] and found.source == "ListBuckets"
    monkeypatch.setenv("S3TOOLS_BUCKETS", f"{BUCKET}:read-write")
    frame = s3tools.accessible_buckets(access=True)
    assert list(frame.columns) == ["bucket", "access", "source"]
    assert frame.to_dict("records") == [
        {"bucket": "second-bucket", "access": "unknown", "source": "ListBuckets"},
        {"bucket": BUCKET, "access": "read-write", "source": "ListBuckets"}]


def test_no_buckets_is_an_empty_list_and_a_frame_of_text_columns():
    assert s3tools.accessible_buckets() == []
    frame = s3tools.accessible_buckets(access=True)
    assert frame.empty and list(frame.columns) == ["bucket", "access", "source"]
    assert all(pd.api.types.is_string_dtype(frame[name]) for name in frame.columns)


def test_listing_denied_the_list_comes_from_s3tools_buckets(seed, read_only, counted,
                                                           monkeypatch):
    seed.create_bucket(Bucket="other-bucket")
    read_only()
    monkeypatch.setenv("S3TOOLS_BUCKETS", f" {BUCKET}:read-only, other-bucket ,")
    found = s3tools.accessible_buckets()
    assert found == ["other-bucket", BUCKET] and found.source == "S3TOOLS_BUCKETS"
    frame = s3tools.accessible_buckets(access=True)
    assert frame.to_dict("records") == [
        {"bucket": "other-bucket", "access": "unknown", "source": "S3TOOLS_BUCKETS"},
        {"bucket": BUCKET, "access": "read-only", "source": "S3TOOLS_BUCKETS"}]
    # The refusal is remembered for these settings: ListBuckets went out once.
    assert list_buckets_sent(counted) == 1


def test_listing_denied_the_list_comes_from_the_users_policies(endpoint, seed, signed_in,
                                                              counted):
    create_analyst_buckets(seed)
    put(seed, "a.csv", "x\n1\n", bucket="data-ro")
    signed_in(create_user_with_policy(endpoint, "analyst", analyst_statements()))
    found = s3tools.accessible_buckets()
    assert found == list(ANALYST_BUCKETS)
    assert found.source == "IAM policies of user analyst"
    frame = s3tools.accessible_buckets(access=True)
    assert dict(zip(frame["bucket"], frame["access"])) == {
        "data-admin": "admin", "data-ro": "read-only", "data-rw": "read-write"}
    assert set(frame["source"]) == {"IAM policies of user analyst"}
    # Each request once: ListBuckets (refused), then STS and IAM; the second call sends none.
    assert list_buckets_sent(counted) == 1
    # GetCallerIdentity; the inline policies (list, get one); the attached ones (list, then
    # the policy and its version).
    assert counted.count("POST") == 1 + 2 + 1 + 2
    # The levels are the truth the server enforces.
    assert s3tools.s3_path_to_df("data-ro/a.csv")["x"].tolist() == [1]
    s3tools.write_df_to_csv_in_s3(pd.DataFrame({"x": [2]}), "data-rw/b.csv")


def test_listing_denied_the_list_comes_from_an_assumed_roles_policies(endpoint, seed,
                                                                     signed_in):
    create_analyst_buckets(seed)
    signed_in(assume_role_with_policy(endpoint, "alpha_user_analyst", analyst_statements()))
    found = s3tools.accessible_buckets()
    assert found == list(ANALYST_BUCKETS)
    assert found.source == "IAM policies of role alpha_user_analyst"
    frame = s3tools.accessible_buckets(access=True)
    assert frame["access"].tolist() == ["admin", "read-only", "read-write"]


def test_with_nothing_to_go_on_the_error_says_how_to_set_s3tools_buckets(seed, read_only,
                                                                        counted):
    read_only()
    for _ in range(2):
        with pytest.raises(s3tools.AccessDeniedError, match="S3TOOLS_BUCKETS=") as caught:
            s3tools.accessible_buckets()
    assert "ListBuckets" in str(caught.value) and "IAM policies" in str(caught.value)
    # ListBuckets, GetCallerIdentity and the refused ListUserPolicies: once each.
    assert [(method, outcome) for method, _, outcome in counted.requests] == [
        ("GET", "403"), ("POST", "200"), ("POST", "403")]
    assert os.environ["AWS_SECRET_ACCESS_KEY"] not in str(caught.value)


def test_a_bad_access_level_in_s3tools_buckets_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("S3TOOLS_BUCKETS", "a-bucket:rw")
    with pytest.raises(s3tools.ConfigError, match="S3TOOLS_BUCKETS.*read-only, read-write"):
        access.configured()


WRITES = {
    "write_df_to_csv_in_s3": lambda path, tmp: s3tools.write_df_to_csv_in_s3(
        pd.DataFrame({"a": [2]}), path),
    "write_df_to_table_in_s3": lambda path, tmp: s3tools.write_df_to_table_in_s3(
        pd.DataFrame({"a": [2]}), path.replace(".csv", ".parquet"), overwrite=True),
    "write_file_to_s3": lambda path, tmp: s3tools.write_file_to_s3(
        _local_file(tmp), path, overwrite=True),
    "write_using": lambda path, tmp: s3tools.write_using(
        "a\n2\n", lambda text, local: Path(local).write_text(text), path),
}


def _local_file(tmp) -> str:
    local = tmp / "new.csv"
    local.write_text("a\n2\n")
    return str(local)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_to_a_bucket_configured_read_only_sends_no_request(name, seed, counted,
                                                                  monkeypatch, tmp_path):
    put(seed, "kept.csv", "a\n1\n")
    monkeypatch.setenv("S3TOOLS_BUCKETS", f"{BUCKET}:read-only,elsewhere:read-write")
    with pytest.raises(s3tools.AccessDeniedError) as caught:
        WRITES[name](f"{BUCKET}/new.csv", tmp_path)
    message = str(caught.value)
    assert f"{BUCKET} is read-only for these credentials (S3TOOLS_BUCKETS)" in message
    assert "read-write" in message and "Ask the bucket's admin" in message
    assert counted.requests == []
    # The admin keys in use could have written: the configuration alone refused.
    monkeypatch.setenv("S3TOOLS_BUCKETS", f"{BUCKET}:read-write")
    WRITES[name](f"{BUCKET}/new.csv", tmp_path)
    assert "kept.csv" in keys(seed) and len(keys(seed)) == 2


def test_a_write_to_a_bucket_the_policies_make_read_only_sends_no_request(endpoint, seed,
                                                                         signed_in, counted):
    create_analyst_buckets(seed)
    signed_in(create_user_with_policy(endpoint, "analyst", analyst_statements()))
    frame = pd.DataFrame({"x": [1]})
    s3tools.accessible_buckets(access=True)
    counted.clear()
    with pytest.raises(s3tools.AccessDeniedError,
                       match=r"data-ro is read-only .*\(IAM policies of user analyst\)"):
        s3tools.write_df_to_csv_in_s3(frame, "data-ro/new.csv")
    assert counted.requests == []
    assert s3tools.write_df_to_csv_in_s3(frame, "data-rw/new.csv") == "data-rw/new.csv"
    # New settings start afresh: the server's own refusal then speaks.
    s3tools.refresh_credentials()
    counted.clear()
    with pytest.raises(s3tools.AccessDeniedError, match="read-write"):
        s3tools.write_df_to_csv_in_s3(frame, "data-ro/new.csv")
    assert counted.count() >= 1
    set_auth(endpoint, float("inf"))
    assert "new.csv" not in keys(seed, bucket="data-ro")


@pytest.mark.parametrize(("statements", "bucket", "level"), [
    ([bucket_statement("b", READ)], "b", "read-only"),
    ([bucket_statement("b", WRITE)], "b", "read-write"),
    ([bucket_statement("b", ["s3:*"])], "b", "admin"),
    ([bucket_statement("b", ["s3:ListBucket"])], "b", "unknown"),
    ([bucket_statement("b", READ)], "other", "unknown"),
    # A folder of the bucket counts; wildcards in actions and bucket names too.
    ([{"Effect": "Allow", "Action": "s3:*Object", "Resource": "arn:aws:s3:::b/team-a/*"}],
     "b", "read-write"),
    ([{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::alpha-*"}],
     "alpha-x", "read-only"),
    ([{"Effect": "Allow", "Action": "*", "Resource": "*"}], "anything", "admin"),
    # An unconditional Deny takes away; a conditional one is not counted.
    ([bucket_statement("b", ["s3:*"]),
      {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}],
     "b", "read-only"),
    ([bucket_statement("b", WRITE),
      {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*",
       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}], "b", "read-write"),
    ([{"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}], "b", "unknown"),
])
def test_levels_from_policy_statements(statements, bucket, level):
    assert access.level_in(bucket, statements) == level


def test_only_buckets_named_outright_are_listed():
    statements = [
        bucket_statement("named", READ),
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::folder/in/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::alpha-*"},
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::home-${aws:username}/*"},
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:s3:::not-s3-actions"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::denied"},
    ]
    assert access.granted_buckets(statements) == ["folder", "named"]
