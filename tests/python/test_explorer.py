"""The file explorer's HTTP API (s3tools.explorer) against the test server.

The token, buckets with their access, folders page by page past 1,000 keys,
search, previews, Select's code, downloads, errors in s3tools' words, no
secret anywhere, and a server that leaves nothing behind when stopped; then
the same server run for R (a process of its own) and by ``s3tools browse``.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from pathlib import Path

import pytest
from conftest import BUCKET, SECRET_KEY, put, put_many
from record_browser import page as recorded_page

import s3tools
from s3tools import errors, tempfiles
from s3tools.explorer import Explorer, explorer_selections, explorer_start, explorer_stop
from s3tools.explorer.launch import LaunchPage

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_answers: list[bytes] = []  # every body the explorer sent, to look for secrets in


def ask(url: str, route: str = "", method: str = "GET", **query: str) -> tuple[int, bytes]:
    """Status and body of one request to the explorer at ``url`` (its address with the token)."""
    base, _, token = url.partition("/?token=")
    if query.pop("with_token", True):
        query.setdefault("token", token)
    request = urllib.request.Request(f"{base}/{route}?{urllib.parse.urlencode(query)}",
                                     method=method, data=b"" if method == "POST" else None)
    try:
        with _opener.open(request, timeout=60) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    _answers.append(body)
    assert b"Traceback" not in body
    return status, body


def api(url: str, route: str, method: str = "GET", **query: str) -> dict:
    status, body = ask(url, f"api/{route}", method, **query)
    assert status == 200, body
    return json.loads(body)


def failure(url: str, route: str, status: int, **query: str) -> str:
    got, body = ask(url, f"api/{route}", **query)
    assert got == status, body
    return json.loads(body)["error"]


@pytest.fixture
def explorer(seed):
    running = Explorer(page_size=300)
    yield running
    running.stop()




def test_a_request_without_the_token_is_refused(explorer):
    assert explorer.url.startswith("http://127.0.0.1:")
    status, body = ask(explorer.url)
    assert status == 200 and b"S3 file explorer" in body
    for query in ({"with_token": False}, {"token": "wrong"}):
        for route in ("", "api/buckets", "api/list", "api/download"):
            status, body = ask(explorer.url, route, **{"path": f"{BUCKET}/", **query})
            assert status == 403 and b"token" in body and b"test-bucket" not in body
    assert ask(explorer.url, "api/nothing")[0] == 404


def test_buckets_come_with_their_access_levels(seed, explorer, monkeypatch):
    seed.create_bucket(Bucket="scratch")
    monkeypatch.setenv("S3TOOLS_BUCKETS", f"{BUCKET}:read-only,scratch:read-write")
    rows = api(explorer.url, "buckets")["buckets"]
    assert [(row["bucket"], row["access"]) for row in rows] == [
        ("scratch", "read-write"), (BUCKET, "read-only")]
    assert all(row["source"] for row in rows)


def test_a_folder_of_more_than_1000_files_comes_page_by_page(seed, explorer):
    put_many(seed, [f"many/file-{number:04}.csv" for number in range(1010)], "a,b\n1,2\n")
    put(seed, "many/sub/inner.csv", "x\n")
    put(seed, "top.csv", "x\n")
    top = api(explorer.url, "list", path=BUCKET)
    assert [(entry["name"], entry["folder"]) for entry in top["entries"]] == [
        ("many/", True), ("top.csv", False)]
    assert top["next"] is None
    pages, after = [], ""
    while True:
        answer = api(explorer.url, "list", path=f"{BUCKET}/many/", after=after)
        pages.append(answer["entries"])
        after = answer["next"]
        if after is None:
            break
    assert [len(page) for page in pages] == [300, 300, 300, 111]
    entries = [entry for page in pages for entry in page]
    assert [entry["name"] for entry in entries if entry["folder"]] == ["sub/"]
    files = [entry for entry in entries if not entry["folder"]]
    assert len({entry["path"] for entry in files}) == 1010
    assert files[0] == {**files[0], "name": "file-0000.csv", "path": f"{BUCKET}/many/file-0000.csv",
                        "size": 8, "size_readable": "8 B"}
    assert files[0]["modified"][:2] == "20"


def test_search_finds_names_at_any_depth_page_by_page(seed, explorer):
    put_many(seed, [f"many/file-{number:04}.csv" for number in range(1010)], "a,b\n1,2\n")
    put(seed, "many/sub/File-1005-copy.csv", "x\n")
    found = api(explorer.url, "list", path=f"{BUCKET}/many/", search="file-100")
    assert sorted(entry["name"] for entry in found["entries"]) == [
        *(f"file-{number}.csv" for number in range(1000, 1010)), "sub/File-1005-copy.csv"]
    assert found["next"] is None
    assert api(explorer.url, "list", path=f"{BUCKET}/", search="nothing like it")["entries"] == []


def test_a_preview_shows_the_first_rows_as_text(seed, explorer):
    put(seed, "people.csv", "id,name,town\n" + "".join(f"{i},P{i},{'York' if i % 2 else ''}\n"
                                                      for i in range(1, 40)))
    preview = api(explorer.url, "preview", path=f"{BUCKET}/people.csv")
    assert preview["columns"] == ["id", "name", "town"]
    assert preview["rows"][:2] == [["1", "P1", "York"], ["2", "P2", ""]]
    assert len(preview["rows"]) == 10


def test_select_gives_the_code_that_reads_the_file(seed, explorer):
    put(seed, "data/people.csv", "a\n1\n")
    put(seed, 'odd "name"\\.parquet', b"PAR1")
    put(seed, "notes/readme.txt", "hello")
    chosen = api(explorer.url, "select", "POST", path=f"{BUCKET}/data/people.csv")
    assert chosen == {"path": f"{BUCKET}/data/people.csv",
                      "r": f's3_path_to_df("{BUCKET}/data/people.csv")',
                      "python": f's3tools.s3_path_to_df("{BUCKET}/data/people.csv")'}
    odd = api(explorer.url, "select", "POST", path=f'{BUCKET}/odd "name"\\.parquet')
    argument = odd["python"].removeprefix("s3tools.s3_path_to_df(").removesuffix(")")
    assert ast.literal_eval(argument) == f'{BUCKET}/odd "name"\\.parquet'
    text = api(explorer.url, "select", "POST", path=f"{BUCKET}/notes/readme.txt")
    assert text["r"] == f'download_file_from_s3("{BUCKET}/notes/readme.txt", "readme.txt")'
    assert explorer.selected == [f"{BUCKET}/data/people.csv", f'{BUCKET}/odd "name"\\.parquet',
                                 f"{BUCKET}/notes/readme.txt"]


def test_errors_are_said_in_s3tools_words(seed, explorer):
    put(seed, "notes.txt", "hello")
    missing = failure(explorer.url, "preview", 404, path=f"{BUCKET}/none.csv")
    assert missing == errors.not_found(f"{BUCKET}/none.csv").message
    assert "cannot read files of type .txt" in failure(explorer.url, "preview", 422,
                                                       path=f"{BUCKET}/notes.txt")
    assert "No such object or bucket" in failure(explorer.url, "list", 404, path="no-such-bucket/")
    assert "no bucket" in failure(explorer.url, "list", 400, path="")
    assert "folder" in failure(explorer.url, "select", 400, method="POST", path=f"{BUCKET}/d/")
    status, body = ask(explorer.url, "api/download", path=f"{BUCKET}/none.csv")
    assert status == 404 and body.decode().startswith("No such object or bucket")


def test_a_download_streams_the_object(seed, explorer):
    data = os.urandom(300_000)
    put(seed, "folder/big name.bin", data)
    request = urllib.request.Request(
        explorer.url.replace("/?", "/api/download?") + "&path=" + urllib.parse.quote(
            f"{BUCKET}/folder/big name.bin"))
    with _opener.open(request, timeout=60) as answer:
        assert answer.read() == data
        assert answer.headers["Content-Disposition"] == (
            "attachment; filename*=UTF-8''big%20name.bin")


def test_no_secret_in_any_answer_or_log(seed, caplog):
    caplog.set_level(logging.DEBUG, logger="s3tools")
    put(seed, "a.csv", "a\n1\n")
    running = Explorer()
    try:
        for route, query in (("", {}), ("api/buckets", {}), ("api/list", {"path": BUCKET}),
                             ("api/preview", {"path": f"{BUCKET}/a.csv"}),
                             ("api/preview", {"path": f"{BUCKET}/b.csv"})):
            ask(running.url, route, **query)
    finally:
        running.stop()
    assert "/api/list" in caplog.text
    for body in _answers:
        assert SECRET_KEY.encode() not in body
    assert SECRET_KEY not in caplog.text and running.token not in caplog.text


def test_stop_ends_the_server_and_leaves_no_thread(seed):
    put(seed, "a.csv", "a\n1\n")
    before = set(threading.enumerate())
    running = s3tools.file_explorer_s3(show=False)
    assert isinstance(running, Explorer) and running.running
    api(running.url, "list", path=BUCKET)
    api(running.url, "preview", path=f"{BUCKET}/a.csv")
    running.stop()
    running.stop()  # a second stop is harmless
    assert not running.running
    assert set(threading.enumerate()) - before == set()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", running.port), timeout=5).close()
    assert "stopped" in repr(running)


CASES = Path(__file__).resolve().parents[1] / "cases"


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """``BROWSER`` set to a browser that records what it was given (see
    ``tests/cases/record_browser.py``); returns a function that waits for its record."""
    record = tmp_path / "browser.json"
    script = tmp_path / "record-browser"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{CASES / "record_browser.py"}" '
                      f'"{record}" "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(script))
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # BROWSER is read again
    monkeypatch.setattr(webbrowser, "_browsers", {})

    def recorded(process: subprocess.Popen | None = None) -> dict:
        deadline = time.monotonic() + 60  # a hang detector, not a measurement
        while not record.exists():
            assert process is None or process.poll() is None, "s3tools browse stopped"
            assert time.monotonic() < deadline, "no browser was started"
            time.sleep(0.05)
        return json.loads(record.read_text())

    return recorded


def assert_led_there_without_the_token(command_lines: list[str], pages: list[dict],
                                       url: str) -> str:
    """No token on the command lines (the browser's and its parent's), but one private page
    of this user's that leads to ``url``; returns the page's path."""
    token = url.partition("/?token=")[2]
    assert len(token) >= 20
    assert token not in "\0".join(command_lines)
    [page] = pages
    assert page["mode"] == 0o600 and page["uid"] == os.getuid() and not page["link"]
    assert os.path.dirname(page["path"]) == tempfiles.temporary_folder()
    led_to = re.search(r'location\.replace\("([^"]+)"\)', page["text"]).group(1)
    assert led_to == url and f'url={url}"' in page["text"]
    status, body = ask(led_to)
    assert status == 200 and b"S3 file explorer" in body
    return page["path"]


def led_there(found: dict, url: str) -> str:
    """:func:`assert_led_there_without_the_token` on what the recording browser saw."""
    return assert_led_there_without_the_token(found["argv"] + found["parent"], found["pages"],
                                              url)


def test_s3tools_browse_gives_the_browser_a_private_page_not_the_token(seed, browser):
    command = [sys.executable, "-m", "s3tools.cli", "browse"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        page = led_there(browser(process), url)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process.stdout.close()
        process.stderr.close()
    assert not os.path.exists(page)  # removed when the explorer stopped


def test_file_explorer_s3_gives_the_browser_a_private_page_not_the_token(seed, browser,
                                                                         capsys):
    running = s3tools.file_explorer_s3()
    try:
        assert running.url in capsys.readouterr().out
        page = led_there(browser(), running.url)
    finally:
        running.stop()
    assert not os.path.exists(page)


def test_r_gets_a_private_page_for_its_browser(seed):
    started = explorer_start(launch=True)
    try:
        page = assert_led_there_without_the_token(
            [], [recorded_page(started["launch"])], started["url"])
    finally:
        assert explorer_stop(started["url"])
    assert not os.path.exists(page)
    plain = explorer_start()  # show = FALSE, or RStudio's viewer: no page
    try:
        assert plain["launch"] is None
    finally:
        explorer_stop(plain["url"])


def test_a_launch_page_is_removed_after_a_while():
    page = LaunchPage("http://127.0.0.1:1/?token=t", linger=0)
    page._timer.join()
    assert not os.path.exists(page.path)
    page.remove()  # and again, harmlessly


def test_the_token_dies_with_the_explorer(seed):
    # What a notebook keeps in its output (the page in a frame, its address with the
    # token) opens nothing once the explorer has stopped, even on the same port.
    first = Explorer()
    assert ask(first.url)[0] == 200
    first.stop()
    with pytest.raises(OSError):
        ask(first.url)
    second = Explorer(port=first.port)
    try:
        assert second.token != first.token
        assert ask(first.url)[0] == 403
    finally:
        second.stop()


def test_a_taken_port_and_bad_settings_are_refused_before_serving(seed, monkeypatch):
    running = Explorer()
    try:
        with pytest.raises(OSError, match="taken"):
            Explorer(port=running.port)
    finally:
        running.stop()
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "many")
    s3tools.transport.reset()
    with pytest.raises(errors.ConfigError, match="S3TOOLS_MAX_CONCURRENCY"):
        Explorer()


def test_r_runs_it_in_a_process_of_its_own(seed):
    put(seed, "people.csv", "a\n1\n")
    url = explorer_start()["url"]
    try:
        assert explorer_selections(url) == {"running": True, "new": [], "all": []}
        api(url, "select", "POST", path=f"{BUCKET}/people.csv")
        call = f's3_path_to_df("{BUCKET}/people.csv")'
        assert explorer_selections(url, deliver=False)["new"] == [call]
        assert explorer_selections(url) == {"running": True, "new": [call], "all": [call]}
        assert explorer_selections(url)["new"] == []
    finally:
        assert explorer_stop(url)
    assert not explorer_stop(url)
    assert explorer_selections(url)["running"] is False
    with pytest.raises(OSError):
        ask(url, "api/buckets")


def test_r_hears_why_its_explorer_could_not_start(monkeypatch):
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", "many")
    with pytest.raises(errors.ConfigError, match="S3TOOLS_MAX_CONCURRENCY"):
        explorer_start()


def test_s3tools_browse_prints_the_address_first_and_stops_on_sigterm(seed):
    command = [sys.executable, "-m", "s3tools.cli", "browse", "--no-open"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        assert BUCKET in [row["bucket"] for row in api(url, "buckets")["buckets"]]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert "Traceback" not in process.stderr.read()
    process.stdout.close()
    process.stderr.close()


def test_s3tools_browse_exit_codes(seed):
    from s3tools.cli import EXIT_CODES

    config_code = next(code for kind, code, _ in EXIT_CODES if kind is errors.ConfigError)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "s3tools.cli", "browse", "--no-open",
                                 "--port", str(port)], check=False, capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("s3tools: Port") and len(result.stderr.splitlines()) == 1
    result = subprocess.run([sys.executable, "-m", "s3tools.cli", "browse", "--no-open"],
                            check=False, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "S3TOOLS_MAX_CONCURRENCY": "many"})
    assert result.returncode == config_code, result.stderr
