"""transport.policy: the one retry policy every request goes through, GETs of bytes too."""

from __future__ import annotations

import botocore.exceptions
import pytest
from conftest import BUCKET, put
from faults import listing_page

import s3tools
from s3tools.transport import policy


def _failing(failures: list[BaseException]):
    """An attempt that raises these, one per call, then answers; and its calls."""
    calls = []

    def attempt(number: int) -> str:
        calls.append(number)
        if failures:
            raise failures.pop(0)
        return "answer"

    return attempt, calls


def _refused(status: int, code: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject")


def test_transient_failures_are_tried_again(monkeypatch):
    monkeypatch.setenv("S3TOOLS_MAX_ATTEMPTS", "3")
    monkeypatch.setattr(policy, "FIRST_WAIT", 0.001)
    attempt, calls = _failing([_refused(503, "SlowDown"),
                               botocore.exceptions.EndpointConnectionError(endpoint_url="x")])
    assert policy.retrying(attempt, "b/k") == "answer"
    assert calls == [1, 2, 3]


def test_the_last_failure_becomes_the_s3tools_error(monkeypatch):
    monkeypatch.setenv("S3TOOLS_MAX_ATTEMPTS", "2")
    monkeypatch.setattr(policy, "FIRST_WAIT", 0.001)
    attempt, calls = _failing([_refused(500, "InternalError")] * 3)
    with pytest.raises(s3tools.S3ConnectionError, match="500") as caught:
        policy.retrying(attempt, "b/k")
    assert calls == [1, 2] and isinstance(caught.value.__cause__,
                                          botocore.exceptions.ClientError)


@pytest.mark.parametrize("failure", [
    _refused(403, "AccessDenied"), _refused(404, "NoSuchKey"),
    s3tools.ObjectChangedError("b/k was replaced"), policy.Stopped()])
def test_other_failures_are_final_at_once(failure):
    attempt, calls = _failing([failure])
    with pytest.raises((s3tools.S3ToolsError, policy.Stopped)):
        policy.retrying(attempt, "b/k")
    assert calls == [1]


def test_each_attempt_of_a_request_is_one_record(fault_proxy, seed, caplog):
    put(seed, "a.txt", "x")
    fault_proxy.add("status", listing_page, times=1, status=503)
    with caplog.at_level("DEBUG", logger="s3tools.requests"):
        assert s3tools.list_files_in_buckets(BUCKET, path_only=True) == [f"{BUCKET}/a.txt"]
    records = [r.getMessage() for r in caplog.records if r.name == "s3tools.requests"
               and r.getMessage().startswith("GET ")]
    assert len(records) == sum(listing_page(method, target)
                               for method, target, _ in fault_proxy.requests) == 2
    assert "-> 503" in records[0] and "attempt 1" in records[0]
    assert "-> 200" in records[1] and "attempt 2" in records[1]
