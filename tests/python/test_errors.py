"""errors: one family under built-in kinds, the translation table, and no secret anywhere."""

from __future__ import annotations

import itertools
import logging
import traceback

import botocore.exceptions
import obstore.exceptions
import pandas as pd
import pytest
from conftest import BUCKET, SECRET_KEY, put
from faults import FaultProxy, listing_page, object_get

import s3tools
import s3tools.transport
from s3tools import error_translation, errors, redaction
from s3tools.transport import sizes

KINDS = [
    (s3tools.PathError, ValueError, "path"),
    (s3tools.NotFoundError, FileNotFoundError, "not_found"),
    (s3tools.AccessDeniedError, PermissionError, "access_denied"),
    (s3tools.AlreadyExistsError, FileExistsError, "exists"),
    (s3tools.FormatError, ValueError, "format"),
    (s3tools.ConfigError, ValueError, "config"),
    (s3tools.S3ConnectionError, ConnectionError, "connection"),
    (s3tools.ArgumentError, TypeError, "argument"),
]


@pytest.mark.parametrize(("cls", "builtin", "kind"), KINDS)
def test_each_error_is_an_s3tools_error_and_a_builtin(cls, builtin, kind):
    error = cls("Something went wrong.", path="b/k.csv")
    assert isinstance(error, s3tools.S3ToolsError)
    assert isinstance(error, builtin)
    assert error.kind == kind
    assert error.r_class == f"s3tools_{kind}"
    assert "b/k.csv" in str(error)
    assert error.path == "b/k.csv"
    assert cls in errors.ERROR_CLASSES


def test_the_path_is_not_repeated_when_the_message_has_it():
    assert str(s3tools.S3ToolsError("b/k is bad", path="b/k")) == "b/k is bad"
    assert str(s3tools.S3ToolsError("bad")) == "bad"


def test_message_helpers():
    assert "read-write" in str(errors.access_denied("b/k", writing=True))
    assert "read-only" in str(errors.access_denied("b/k"))
    assert "admin" in str(errors.access_denied("b/k"))
    assert "overwrite" in str(errors.already_exists("b/k"))
    assert "overwrite" in str(errors.local_exists("/tmp/x"))
    assert "list_files_in_buckets" in str(errors.not_found("b/k"))
    message = str(errors.connection_failed("http://host:7070", "b/k", "refused"))
    assert "http://host:7070" in message and "b/k" in message and "proxy" in message


def client_error(code: str, status: int) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetObject")


@pytest.mark.parametrize(("code", "status", "cls"), [
    ("NoSuchKey", 404, s3tools.NotFoundError),
    ("NoSuchBucket", 404, s3tools.NotFoundError),
    ("404", 404, s3tools.NotFoundError),
    ("AccessDenied", 403, s3tools.AccessDeniedError),
    ("403", 403, s3tools.AccessDeniedError),
    ("InvalidAccessKeyId", 403, s3tools.ConfigError),
    ("SignatureDoesNotMatch", 403, s3tools.ConfigError),
    ("ExpiredToken", 400, s3tools.ConfigError),
    ("PreconditionFailed", 412, s3tools.AlreadyExistsError),
    ("InvalidBucketName", 400, s3tools.PathError),
    ("", 403, s3tools.AccessDeniedError),
    ("SlowDown", 503, s3tools.S3ConnectionError),
    ("InternalError", 500, s3tools.S3ConnectionError),
])
def test_translation_table(code, status, cls):
    original = client_error(code, status)
    translated = error_translation.translate(original, "b/k.csv", endpoint="http://host:7070")
    assert type(translated) is cls
    assert "b/k.csv" in str(translated)


@pytest.mark.parametrize("original", [
    botocore.exceptions.EndpointConnectionError(endpoint_url="http://host:7070"),
    botocore.exceptions.ProxyConnectionError(proxy_url="http://proxy:3128"),
    botocore.exceptions.ConnectTimeoutError(endpoint_url="http://host:7070"),
])
def test_connection_errors_name_the_endpoint(original):
    translated = error_translation.translate(original, "b/k", endpoint="http://host:7070")
    assert isinstance(translated, s3tools.S3ConnectionError)
    assert "http://host:7070" in str(translated)


def test_other_translations():
    assert isinstance(error_translation.translate(botocore.exceptions.NoCredentialsError(), "b/k"),
                      s3tools.ConfigError)
    assert isinstance(error_translation.translate(FileNotFoundError("x"), "b/k"),
                      s3tools.NotFoundError)
    assert isinstance(error_translation.translate(PermissionError("x"), "b/k", writing=True),
                      s3tools.AccessDeniedError)
    unknown = KeyError("x")
    assert error_translation.translate(unknown, "b/k") is unknown
    ours = s3tools.PathError("p")
    assert error_translation.translate(ours, "b/k") is ours


def test_redact_masks_registered_secrets_and_signatures():
    redaction.register_secret("abcd-secret-value")
    text = redaction.redact("key abcd-secret-value and X-Amz-Signature=deadbeef&x=1 "
                         "aws_secret_access_key = hunter22 SessionToken: tok123")
    for leaked in ("abcd-secret-value", "deadbeef", "hunter22", "tok123"):
        assert leaked not in text
    assert "****" in text
    s3tools.transport.settings()  # every call resolves the settings, which registers the key
    assert SECRET_KEY not in str(s3tools.S3ToolsError(f"oops {SECRET_KEY}"))


def test_not_found_keeps_the_original_as_its_cause(seed):
    with pytest.raises(s3tools.NotFoundError) as caught:
        s3tools.read_file_from_s3(f"{BUCKET}/missing.csv")
    # The client's own error (botocore's or obstore's) is kept as the cause.
    assert isinstance(caught.value.__cause__, Exception)
    assert not isinstance(caught.value.__cause__, s3tools.S3ToolsError)
    assert f"{BUCKET}/missing.csv" in str(caught.value)
    with pytest.raises(s3tools.NotFoundError, match="no-such-bucket/a.csv"):
        s3tools.read_file_from_s3("no-such-bucket/a.csv")


def chain(error: BaseException) -> list[BaseException]:
    found = []
    while error is not None and error not in found:
        found.append(error)
        error = error.__cause__ or error.__context__
    return found


def test_no_secret_in_any_message_log_or_printout(seed, read_only, capsys, caplog, tmp_path,
                                                  monkeypatch):
    caplog.set_level(logging.DEBUG, logger="s3tools")
    put(seed, "exists.csv", "a\n1\n")
    put(seed, "bad.parquet", "not parquet")
    frame = pd.DataFrame({"a": [1]})
    failing = [
        lambda: s3tools.read_file_from_s3(f"{BUCKET}/missing.csv"),
        lambda: s3tools.read_file_from_s3("no-such-bucket/a.csv"),
        lambda: s3tools.s3_path_to_df(f"{BUCKET}/bad.parquet"),
        lambda: s3tools.s3_path_to_df(f"{BUCKET}/exists.unknown"),
        lambda: s3tools.write_df_to_csv_in_s3(frame, f"{BUCKET}/exists.csv"),
        lambda: s3tools.read_file_from_s3(f"{BUCKET}/"),
        lambda: s3tools.download_file_from_s3(f"{BUCKET}/missing.csv", str(tmp_path / "x")),
        lambda: s3tools.configure(secret=SECRET_KEY),
    ]
    caught = []
    for call in failing:
        with pytest.raises(Exception) as info:
            call()
        caught.append(info.value)
    read_only()  # from here the keys may only read test-bucket
    reader_secret = __import__("os").environ["AWS_SECRET_ACCESS_KEY"]
    for call in [
        lambda: s3tools.write_df_to_csv_in_s3(frame, f"{BUCKET}/new.csv"),
        lambda: s3tools.write_file_to_s3(__file__, f"{BUCKET}/new.py"),
        lambda: s3tools.accessible_buckets(),
        lambda: s3tools.s3_file_exists("other-bucket/a.csv"),
    ]:
        with pytest.raises(s3tools.AccessDeniedError) as info:
            call()
        caught.append(info.value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    with pytest.raises(s3tools.ConfigError) as info:
        s3tools.read_file_from_s3(f"{BUCKET}/exists.csv")
    caught.append(info.value)
    print(s3tools.transport.settings())
    shown = [repr(s3tools.transport.settings()), str(s3tools.transport.settings())]
    for error in caught:
        for link in chain(error):
            shown += [str(link), repr(link), str(getattr(link, "args", ""))]
    output = capsys.readouterr()
    shown += [output.out, output.err, caplog.text]
    shown += [record.getMessage() for record in caplog.records]
    for text in shown:
        assert SECRET_KEY not in text
        assert reader_secret not in text
    # The s3tools errors themselves are what they should be.
    assert [type(e) for e in caught[:8]] == [
        s3tools.NotFoundError, s3tools.NotFoundError, s3tools.FormatError, s3tools.FormatError,
        s3tools.AlreadyExistsError, s3tools.PathError, s3tools.NotFoundError, s3tools.ConfigError]


# ------------------------------------------------- secrets in the exception chain

# A session token as the test's only one: a server that repeats the request's
# headers in its error body has it, since every signed request carries it.
TOKEN = "IQoJb3JpZ2luX2VjEHQaCXVzLWVhc3QtMSJHMEUCIQ-test-session-token-7c41"
PART = 64 * 1024  # small parts: a few hundred kilobytes make a read of several


@pytest.fixture(params=["obstore", "botocore"])
def echoing(request, endpoint, monkeypatch):
    """s3tools with a session token, through a :class:`FaultProxy` whose "echo"
    answers repeat the request's headers; GETs through each client in turn."""
    monkeypatch.setenv("S3TOOLS_GET_CLIENT", request.param)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "1")
    monkeypatch.setattr(sizes, "PART_SIZE", PART)
    monkeypatch.setattr(sizes, "PIECE_SIZE", PART)
    relay = FaultProxy(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)
    try:
        yield relay
    finally:
        relay.stop()


def every_other(matches):
    """``matches``, on the second request it accepts, the fourth, and so on."""
    seen = itertools.count()
    return lambda method, target: matches(method, target) and next(seen) % 2 == 1


ECHOED_FAILURES = {
    # name: (fault rule, what to run, the s3tools error, what the chained error says)
    "read denied": (dict(matches=object_get, status=403, code="AccessDenied"),
                    lambda: s3tools.read_file_from_s3(f"{BUCKET}/a.csv"),
                    s3tools.AccessDeniedError, "403"),
    "token expired": (dict(matches=object_get, status=400, code="ExpiredToken"),
                      lambda: s3tools.s3_path_to_df(f"{BUCKET}/a.csv"),
                      s3tools.ConfigError, "ExpiredToken"),
    "unknown code": (dict(matches=object_get, status=400, code="InvalidArgument"),
                     lambda: s3tools.s3_path_to_preview_df(f"{BUCKET}/a.csv"),
                     s3tools.S3ToolsError, "InvalidArgument"),
    "listing denied": (dict(matches=listing_page, status=403, code="AccessDenied"),
                       lambda: s3tools.list_files_in_buckets(BUCKET),
                       s3tools.AccessDeniedError, "AccessDenied"),
    "write denied": (dict(matches=lambda method, target: method == "PUT", status=403,
                          code="AccessDenied"),
                     lambda: s3tools.write_file_to_s3(__file__, f"{BUCKET}/new.py"),
                     s3tools.AccessDeniedError, "AccessDenied"),
    "overloaded": (dict(matches=object_get, status=503, code="SlowDown"),
                   lambda: s3tools.read_file_from_s3(f"{BUCKET}/a.csv"),
                   s3tools.S3ConnectionError, "SlowDown"),
    # Every part after the first refused as changed (412): the read restarts, then gives up.
    "changed mid-read": (dict(matches=every_other(object_get), status=412,
                              code="PreconditionFailed"),
                         lambda: s3tools.read_file_from_s3(f"{BUCKET}/big.bin"),
                         s3tools.ObjectChangedError, None),
}


def everything_printed(error: BaseException) -> str:
    """What a default traceback shows, and every text held in the chain besides."""
    texts = ["".join(traceback.format_exception(error))]
    for link in chain_of(error):
        texts += [str(link), repr(link), repr(link.args), repr(vars(link)),
                  repr(getattr(link, "response", ""))]
    return "\n".join(texts)


def chain_of(error: BaseException) -> list[BaseException]:
    """Every exception reachable through ``__cause__`` and ``__context__``."""
    found, pending = [], [error]
    while pending:
        link = pending.pop()
        if link is not None and all(link is not seen for seen in found):
            found.append(link)
            pending += [link.__cause__, link.__context__]
    return found


@pytest.mark.parametrize("name", ECHOED_FAILURES)
def test_an_error_body_that_repeats_the_headers_leaves_no_secret_in_the_chain(
        name, echoing, seed):
    rule, run, expected, detail = ECHOED_FAILURES[name]
    put(seed, "a.csv", "a,b\n1,2\n")
    seed.put_object(Bucket=BUCKET, Key="big.bin", Body=bytes(2 * PART))
    echoing.add("echo", times=None, **rule)
    with pytest.raises(expected) as caught:
        run()
    assert any("echo" in outcome for _, _, outcome in echoing.requests)
    printed = everything_printed(caught.value)
    assert TOKEN not in printed and SECRET_KEY not in printed
    assert "x-amz-security-token" not in printed.lower() and "Signature=" not in printed
    # What helps stays: the client's error type, the status or code, the request id.
    if detail is not None:
        causes = [link for link in chain_of(caught.value)
                  if not isinstance(link, s3tools.S3ToolsError)]
        assert causes and any(detail in str(link) for link in causes), printed[-2000:]
        assert any("FAULT0001" in str(link) for link in causes), printed[-2000:]


@pytest.mark.parametrize("echo", [
    "x-amz-security-token: {token}\nauthorization: AWS4-HMAC-SHA256 Credential=AKIA/x, "
    "SignedHeaders=host, Signature=abc",
    '{{"X-Amz-Security-Token": ["{token}"]}}',
    "<td>X-Amz-Security-Token</td><td>{token}</td>",
])
def test_scrub_keeps_no_echoed_token_it_was_never_told_of(echo):
    # A token renewed inside botocore is not among the secrets s3tools knows.
    unknown = "unregistered-token-31f9a0c2"
    body = echo.format(token=unknown)
    botocore_error = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDenied", "Message": f"denied, you sent: {body}",
                   "RequestHeaders": body},
         "ResponseMetadata": {"HTTPStatusCode": 403, "RequestId": "REQ1",
                              "HTTPHeaders": {"x-echo": body, "etag": '"e"'}}}, "GetObject")
    obstore_error = obstore.exceptions.PermissionDeniedError(
        "Error performing GET http://127.0.0.1:1/b/k in 1ms - Server returned non-2xx "
        f"status code: 403 Forbidden: <Error><Code>AccessDenied</Code><Message>{body}"
        f"</Message><RequestId>REQ1</RequestId></Error>\n\nDebug source: body: {body!r}")
    for original in (botocore_error, obstore_error):
        try:
            try:
                raise original
            except Exception as error:
                raise error_translation.translate(error, "b/k") from error
        except s3tools.AccessDeniedError as translated:
            printed = everything_printed(translated)
        assert unknown not in printed
        assert "AccessDenied" in printed and "REQ1" in printed
        assert error_translation.server_answer(original) == (403, "AccessDenied")
    assert botocore_error.response["ResponseMetadata"]["HTTPHeaders"] == {"etag": '"e"'}


def test_a_server_message_without_credentials_is_kept():
    error = botocore.exceptions.ClientError(
        {"Error": {"Code": "AuthorizationHeaderMalformed",
                   "Message": "the region 'us-east-1' is wrong; expecting 'eu-west-2'"},
         "ResponseMetadata": {"HTTPStatusCode": 400}}, "GetObject")
    error_translation.scrub(error)
    assert "expecting 'eu-west-2'" in str(error)
    assert error.response["Error"]["Message"].endswith("expecting 'eu-west-2'")


# ------------------------------------------------- what a parser's failure means

class _File:
    """What a parser reads through: a transport file that may have failed."""

    def __init__(self, failure=None):
        self.failure = failure


def test_a_parser_s_failure_is_the_network_s_when_its_file_failed_first():
    broken = errors.connection_failed("http://host:7070", "b/k.csv", "the connection broke")
    parser = ValueError("Expected 3 fields in line 7, saw 2")
    assert errors.parse_failure(parser, _File(broken), "b/k.csv", "csv",
                                lambda error: "advice") is broken
    assert errors.source_failure(_File(broken)) is broken
    for source in (_File(), b"a,b\n1,2\n", None):
        assert errors.source_failure(source) is None
        failed = errors.parse_failure(parser, source, "b/k.csv", "csv",
                                      lambda error: f"about {type(error).__name__}")
        assert isinstance(failed, s3tools.FormatError) and failed.__cause__ is parser
        assert str(failed) == ("Could not read b/k.csv as csv: Expected 3 fields in line 7, "
                               "saw 2. about ValueError")


def test_a_format_error_says_the_first_line_of_the_reader_s_complaint():
    failed = errors.format_error("b/k.parquet", "Parquet", ValueError("bad footer\nat 1234"),
                                 "Read one file at a time.", verb="preview")
    assert str(failed) == "Could not preview b/k.parquet as Parquet: bad footer. Read one " \
        "file at a time."
