"""The s3tools command, run as a user runs it (a subprocess) against the test server.

Every verb, the exit code of every kind of error, refusals of existing
targets, recursive copies both ways, and no traceback in any output.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import (BUCKET, SECRET_KEY, get, keys, moto_only, plant_links, put, put_many,
                      untouched)

from s3tools.cli import EXIT_CODES
from s3tools.errors import AlreadyExistsError

COMMAND = Path(sys.executable).with_name("s3tools")
CODES = {kind.__name__: code for kind, code, _ in EXIT_CODES}


def s3tools(*arguments: str, cwd: Path | None = None, **environment: str):
    """Run the command; every run must end without a traceback."""
    command = [str(COMMAND)] if COMMAND.exists() else [sys.executable, "-m", "s3tools.cli"]
    result = subprocess.run([*command, *arguments], check=False, capture_output=True, timeout=300,
                            cwd=cwd, env={**os.environ, **environment})
    result.out = result.stdout.decode("utf-8", "replace")
    result.err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in result.out + result.err, result.err
    return result


def failed(result, code: int) -> str:
    """The one-line message of a failed run, after checking its exit code."""
    assert result.returncode == code, (result.returncode, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("s3tools: "), result.err
    return lines[0]


def test_help_lists_every_exit_code():
    result = s3tools("--help")
    assert result.returncode == 0
    for _, code, meaning in EXIT_CODES:
        assert f"  {code}  {meaning}" in result.out
    assert "  2  bad usage" in result.out
    for verb in ("ls", "cp", "cat", "head", "exists", "config", "serve"):
        assert f"    {verb} " in result.out


@pytest.mark.parametrize("arguments", [
    ("frobnicate",),
    ("cp", "only-one"),
    ("cp", "local-a", "local-b"),
    ("head", "s3://b/k.csv", "-n", "-3"),
    ("ls", "s3:///key"),
])
def test_bad_usage_exits_2_with_one_line(arguments):
    failed(s3tools(*arguments), 2)


def test_ls_buckets_folders_objects_and_every_page(seed):
    seed.create_bucket(Bucket="Request4_CT")
    put(seed, "cohort/patients.csv", "a,b\n1,2\n")
    put(seed, "cohort/2024/visits.csv", "x\n")
    put(seed, "readme.txt", "hello")
    buckets = s3tools("ls")
    assert buckets.returncode == 0 and buckets.err == ""
    assert buckets.out.splitlines() == ["Request4_CT", BUCKET]

    top = s3tools("ls", f"s3://{BUCKET}")
    assert top.returncode == 0
    assert top.out.splitlines()[0].split() == ["PRE", "cohort/"]
    assert top.out.splitlines()[1].split()[-2:] == ["5", "readme.txt"]

    inside = s3tools("ls", f"{BUCKET}/cohort/", "--human-readable")
    lines = [line.split() for line in inside.out.splitlines()]
    assert lines[0] == ["PRE", "2024/"]
    assert lines[1][-3:] == ["8", "B", "patients.csv"]

    recursive = s3tools("ls", f"s3://{BUCKET}/", "--recursive", "--summarize")
    assert [line.split()[-1] for line in recursive.out.splitlines()[:3]] == [
        "cohort/2024/visits.csv", "cohort/patients.csv", "readme.txt"]
    assert "Total objects: 3" in recursive.out


def test_ls_pages_past_1000_keys(seed):
    put_many(seed, [f"many/file-{number:04}.dcm" for number in range(1005)], b"x")
    put(seed, "many/sub/inner.dcm", b"y")
    result = s3tools("ls", f"s3://{BUCKET}/many/")
    names = [line.split()[-1] for line in result.out.splitlines()]
    assert len(names) == 1006 and "sub/" in names and "file-1004.dcm" in names
    assert len(s3tools("ls", f"s3://{BUCKET}/many", "-r").out.splitlines()) == 1006


def test_cat_writes_the_exact_bytes(seed):
    body = bytes(range(256)) * 1000
    put(seed, "scan.dcm", body)
    result = s3tools("cat", f"s3://{BUCKET}/scan.dcm")
    assert result.returncode == 0 and result.stdout == body


def test_head_prints_the_first_rows_of_any_format(seed):
    frame = pd.DataFrame({"patient": [1, 2, 3, 4], "site": ["Leith", "Govan", "Ayr", "Oban"]})
    put(seed, "people.csv", frame.to_csv(index=False))
    parquet = io.BytesIO()
    frame.to_parquet(parquet, index=False)
    put(seed, "people.parquet", parquet.getvalue())
    put(seed, "people.txt", frame.to_csv(index=False))
    for key in ("people.csv", "people.parquet"):
        result = s3tools("head", f"s3://{BUCKET}/{key}", "-n", "2")
        assert result.returncode == 0, result.err
        assert [line.split() for line in result.out.splitlines()] == [
            ["patient", "site"], ["1", "Leith"], ["2", "Govan"]]
    message = failed(s3tools("head", f"s3://{BUCKET}/people.txt"), CODES["FormatError"])
    assert "--type" in message and "file_type" not in message and "read_using" not in message
    as_csv = s3tools("head", f"{BUCKET}/people.txt", "--type", "csv", "-n", "1")
    assert as_csv.out.split() == ["patient", "site", "1", "Leith"]


def test_exists_answers_with_its_exit_code(seed):
    put(seed, "folder/a.csv", "a\n")
    assert s3tools("exists", f"s3://{BUCKET}/folder/a.csv").returncode == 0
    assert s3tools("exists", f"s3://{BUCKET}/folder/").returncode == 0
    missing = s3tools("exists", f"s3://{BUCKET}/folder/b.csv")
    assert missing.returncode == 1 and missing.out == missing.err == ""


def test_not_found_exits_3(seed, tmp_path):
    message = failed(s3tools("cat", f"s3://{BUCKET}/nothing.csv"), CODES["NotFoundError"])
    assert f"{BUCKET}/nothing.csv" in message and "s3tools ls" in message
    assert "list_files_in_buckets" not in message
    failed(s3tools("ls", "s3://no-such-bucket/"), CODES["NotFoundError"])
    failed(s3tools("cp", str(tmp_path / "absent.csv"), f"s3://{BUCKET}/a.csv"),
           CODES["NotFoundError"])


@moto_only  # SeaweedFS creates a missing bucket on the first PUT into it
def test_a_copy_into_a_missing_bucket_says_it_in_the_commands_words(seed, tmp_path):
    local = tmp_path / "report.csv"
    local.write_text("a\n1\n")
    message = failed(s3tools("cp", str(local), "s3://test-bukcet/report.csv"),
                     CODES["NotFoundError"])
    assert "The bucket test-bukcet does not exist, or is not yours" in message
    assert "s3tools ls lists the buckets" in message and "accessible_buckets" not in message


def test_cp_uploads_and_refuses_an_existing_key_without_overwrite(seed, tmp_path):
    local = tmp_path / "report.csv"
    local.write_text("v\n1\n")
    result = s3tools("cp", str(local), f"s3://{BUCKET}/out/")
    assert result.returncode == 0 and f"to s3://{BUCKET}/out/report.csv" in result.out
    assert get(seed, "out/report.csv") == b"v\n1\n"

    local.write_text("v\n2\n")
    message = failed(s3tools("cp", str(local), f"s3://{BUCKET}/out/report.csv"),
                     CODES["AlreadyExistsError"])
    assert "--overwrite" in message and "overwrite=" not in message
    assert get(seed, "out/report.csv") == b"v\n1\n"
    assert s3tools("cp", str(local), f"s3://{BUCKET}/out/report.csv",
                   "--overwrite").returncode == 0
    assert get(seed, "out/report.csv") == b"v\n2\n"


def test_cp_downloads_and_refuses_an_existing_file_without_overwrite(seed, tmp_path):
    tmp_path = tmp_path / "here"
    tmp_path.mkdir()
    put(seed, "data/a.csv", "new\n")
    result = s3tools("cp", f"s3://{BUCKET}/data/a.csv", ".", cwd=tmp_path)
    assert result.returncode == 0, result.err
    assert (tmp_path / "a.csv").read_text() == "new\n"
    (tmp_path / "a.csv").write_text("mine\n")
    message = failed(s3tools("cp", f"s3://{BUCKET}/data/a.csv", str(tmp_path / "a.csv")),
                     CODES["AlreadyExistsError"])
    assert "--overwrite" in message and "overwrite=" not in message
    assert (tmp_path / "a.csv").read_text() == "mine\n"
    assert s3tools("cp", f"s3://{BUCKET}/data/a.csv", str(tmp_path / "a.csv"),
                   "--overwrite").returncode == 0
    assert (tmp_path / "a.csv").read_text() == "new\n"
    assert sorted(os.listdir(tmp_path)) == ["a.csv"]  # no partial file left


def test_cp_never_writes_through_a_planted_link(seed, monkeypatch, tmp_path):
    put(seed, "data/a.csv", "new\n")
    put(seed, "data/b.csv", "other\n")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    here = tmp_path / "here"
    here.mkdir()
    links = [here / ".a.csv.s3tools-partial"]  # the partial file's name in earlier versions
    links[0].symlink_to(victim)
    result = s3tools("cp", f"s3://{BUCKET}/data/a.csv", str(here))
    assert result.returncode == 0, result.err
    # The random names are made known in this process only: the copy runs in it.
    from s3tools.cli.cp import copy

    links += plant_links(monkeypatch, here, victim, ".b.csv.", ".s3tools-partial")
    copy(f"s3://{BUCKET}/data/b.csv", str(here), quiet=True)
    assert (here / "a.csv").read_bytes() == b"new\n" and not (here / "a.csv").is_symlink()
    assert (here / "b.csv").read_bytes() == b"other\n" and not (here / "b.csv").is_symlink()
    assert untouched(victim, b"precious", links)


def test_cp_recursive_refuses_a_link_at_a_target_before_copying_anything(seed, tmp_path):
    from s3tools.cli.cp import copy

    put(seed, "in/a.csv", "a\n")
    put(seed, "in/b.csv", "b\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.csv").symlink_to(tmp_path / "nowhere")  # a link is something there
    with pytest.raises(AlreadyExistsError, match="nothing was copied"):
        copy(f"s3://{BUCKET}/in/", str(out), recursive=True, quiet=True)
    assert os.listdir(out) == ["b.csv"] and not (tmp_path / "nowhere").exists()


def test_cp_copies_between_keys_on_the_server(seed):
    put(seed, "a.csv", "one\n")
    put(seed, "b.csv", "two\n")
    seed.create_bucket(Bucket="other")
    assert s3tools("cp", f"s3://{BUCKET}/a.csv", "s3://other/copies/").returncode == 0
    assert get(seed, "copies/a.csv", bucket="other") == b"one\n"
    message = failed(s3tools("cp", f"s3://{BUCKET}/a.csv", f"s3://{BUCKET}/b.csv"),
                     CODES["AlreadyExistsError"])
    assert "--overwrite" in message
    assert get(seed, "b.csv") == b"two\n"
    assert s3tools("cp", f"s3://{BUCKET}/a.csv", f"s3://{BUCKET}/b.csv",
                   "--overwrite").returncode == 0
    assert get(seed, "b.csv") == b"one\n"
    failed(s3tools("cp", f"s3://{BUCKET}/none.csv", f"s3://{BUCKET}/c.csv"),
           CODES["NotFoundError"])


def make_folder(root: Path, count: int) -> dict[str, bytes]:
    """``count`` small files in nested folders; returns their relative paths and contents."""
    files = {}
    for number in range(count):
        relative = f"series-{number % 3}/image-{number:03}.dcm"
        data = f"image {number}\n".encode() * (number + 1)
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
        files[relative] = data
    return files


def test_cp_recursive_uploads_a_folder_and_refuses_it_whole_the_second_time(seed, tmp_path):
    files = make_folder(tmp_path / "study", 150)
    result = s3tools("cp", "--recursive", str(tmp_path / "study"), f"s3://{BUCKET}/study")
    assert result.returncode == 0, result.err
    assert "150 files" in result.out
    assert keys(seed) == {f"study/{name}": data for name, data in files.items()}

    (tmp_path / "study" / "series-0" / "image-000.dcm").write_bytes(b"changed")
    (tmp_path / "study" / "series-0" / "new.dcm").write_bytes(b"new")
    message = failed(s3tools("cp", "-r", str(tmp_path / "study"), f"s3://{BUCKET}/study/"),
                     CODES["AlreadyExistsError"])
    assert "(and 149 more)" in message and "--overwrite" in message
    assert keys(seed) == {f"study/{name}": data for name, data in files.items()}  # nothing moved
    assert s3tools("cp", "-r", str(tmp_path / "study"), f"s3://{BUCKET}/study/",
                   "--overwrite").returncode == 0
    assert get(seed, "study/series-0/image-000.dcm") == b"changed"
    assert get(seed, "study/series-0/new.dcm") == b"new"


def test_cp_recursive_downloads_a_prefix_and_refuses_existing_files(seed, tmp_path):
    files = make_folder(tmp_path / "source", 120)
    for name, data in files.items():
        put(seed, f"study/{name}", data)
    put(seed, "study/", b"")  # a folder marker is not a file
    put(seed, "studyX/other.dcm", b"not under study/")
    result = s3tools("cp", "-r", f"s3://{BUCKET}/study", str(tmp_path / "copy"))
    assert result.returncode == 0, result.err
    copied = {str(path.relative_to(tmp_path / "copy")): path.read_bytes()
              for path in (tmp_path / "copy").rglob("*") if path.is_file()}
    assert copied == files

    (tmp_path / "copy" / "series-1" / "image-001.dcm").write_bytes(b"mine")
    failed(s3tools("cp", "-r", f"s3://{BUCKET}/study/", str(tmp_path / "copy")),
           CODES["AlreadyExistsError"])
    assert (tmp_path / "copy" / "series-1" / "image-001.dcm").read_bytes() == b"mine"


def test_cp_recursive_copies_a_prefix_on_the_server(seed):
    for number in range(30):
        put(seed, f"in/{number:02}.csv", f"{number}\n")
    result = s3tools("cp", "-r", f"s3://{BUCKET}/in/", f"s3://{BUCKET}/out/")
    assert result.returncode == 0, result.err
    everything = keys(seed)
    assert {key: data for key, data in everything.items() if key.startswith("out/")} == {
        f"out/{number:02}.csv": f"{number}\n".encode() for number in range(30)}


def test_cp_recursive_of_nothing_is_not_found(seed, tmp_path):
    failed(s3tools("cp", "-r", f"s3://{BUCKET}/empty/", str(tmp_path)), CODES["NotFoundError"])
    (tmp_path / "file.csv").write_text("a\n")
    failed(s3tools("cp", "-r", str(tmp_path / "file.csv"), f"s3://{BUCKET}/"), 2)
    failed(s3tools("cp", str(tmp_path), f"s3://{BUCKET}/"), 2)


@moto_only
def test_ls_names_the_configured_buckets_where_listing_them_is_denied(seed, read_only):
    read_only()
    result = s3tools("ls", S3TOOLS_BUCKETS=f"{BUCKET}:read-only")
    assert result.returncode == 0, result.err
    assert result.out.splitlines() == [BUCKET]
    assert "S3TOOLS_BUCKETS" in result.err


@moto_only
def test_access_denied_exits_4(seed, read_only, tmp_path):
    put(seed, "a.csv", "a\n")
    read_only()
    local = tmp_path / "b.csv"
    local.write_text("b\n")
    assert s3tools("cat", f"s3://{BUCKET}/a.csv").stdout == b"a\n"
    message = failed(s3tools("cp", str(local), f"s3://{BUCKET}/b.csv"),
                     CODES["AccessDeniedError"])
    assert "read-write" in message


def test_a_dead_endpoint_exits_7():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = failed(s3tools("ls", f"s3://{BUCKET}/", AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
                             S3TOOLS_MAX_ATTEMPTS="1"), CODES["S3ConnectionError"])
    assert f"127.0.0.1:{port}" in message


def test_bad_settings_exit_8():
    message = failed(s3tools("ls", S3TOOLS_MAX_CONCURRENCY="many"), CODES["ConfigError"])
    assert "S3TOOLS_MAX_CONCURRENCY" in message
    failed(s3tools("ls", AWS_ENDPOINT_URL="not a url"), CODES["ConfigError"])


def test_config_says_where_each_setting_came_from_and_hides_secrets(endpoint, tmp_path):
    result = s3tools("config", AWS_SESSION_TOKEN="token-that-must-not-show-1234")
    assert result.returncode == 0, result.err
    rows = {line[:22].strip(): line[22:] for line in result.out.splitlines()}
    assert endpoint in rows["endpoint"]
    assert "environment variable AWS_ENDPOINT_URL" in rows["endpoint"]
    assert "environment variable AWS_DEFAULT_REGION" in rows["region"]
    assert "(set, not shown)" in rows["secret key"]
    assert "(set, not shown)" in rows["session token"]
    assert "default" in rows["max concurrency"]
    assert SECRET_KEY not in result.out + result.err
    assert "token-that-must-not-show-1234" not in result.out + result.err
    assert "AKIATESTKEY000000001" not in result.out  # the access key id is masked
    assert "Settings(" not in result.out  # a table, not a Python repr
    assert "default" in rows["memory check"] and "on" in rows["memory check"]
    assert "64.0 MB" in rows["preview limit"] and "default" in rows["preview limit"]

    result = s3tools("config", S3TOOLS_BUCKETS="alpha:read-only,beta",
                     S3TOOLS_MEMORY_LIMIT="2GB", S3TOOLS_MEMORY_CHECK="false",
                     S3TOOLS_PREVIEW_LIMIT="256MB")
    rows = {line[:22].strip(): line[22:] for line in result.out.splitlines()}
    assert "alpha:read-only,beta" in rows["buckets"]
    assert "environment variable S3TOOLS_BUCKETS" in rows["buckets"]
    assert "off" in rows["memory check"]
    assert "2.0 GB" in rows["memory left"] and "S3TOOLS_MEMORY_LIMIT" in rows["memory left"]
    assert "256.0 MB" in rows["preview limit"]
    assert "environment variable S3TOOLS_PREVIEW_LIMIT" in rows["preview limit"]

    profile = tmp_path / "aws-config"
    profile.write_text("[profile lab]\nregion = eu-west-2\nendpoint_url = http://127.0.0.1:1\n")
    result = s3tools("config", AWS_PROFILE="lab", AWS_CONFIG_FILE=str(profile),
                     AWS_ENDPOINT_URL="", AWS_DEFAULT_REGION="")
    rows = {line[:22].strip(): line[22:] for line in result.out.splitlines()}
    assert "http://127.0.0.1:1" in rows["endpoint"]
    assert f"profile lab in {profile}" in rows["endpoint"]
    assert "eu-west-2" in rows["region"] and f"profile lab in {profile}" in rows["region"]
    assert "environment variable AWS_PROFILE" in rows["profile"]
