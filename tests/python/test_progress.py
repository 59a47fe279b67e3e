"""Progress bars: drawn on a terminal (a pseudo-terminal here), never in a pipe; silenceable.

The bars wait half a second before they appear; these tests set that delay
to 0 so that a short transfer would draw one, and absence means something.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest
from conftest import BUCKET, get, put

import s3tools
from s3tools import paths, progress, transport

# The command, in a Python whose bars appear at once.
WITHOUT_DELAY = ("import sys, s3tools.progress as p; p.DELAY = 0; from s3tools.cli import main; "
                 "sys.exit(main(sys.argv[1:]))")
BAR = "B/s"  # tqdm's rate column: in every bar it draws, in no other output


def run_on_terminal(*arguments: str) -> tuple[int, str]:
    """The command with standard output and error on a pseudo-terminal; its exit code and screen."""
    leader, follower = pty.openpty()
    # A new pseudo-terminal is 0 columns wide, where tqdm draws nothing: make it 100.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "-c", WITHOUT_DELAY, *arguments],
                               stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    return process.wait(timeout=60), screen.decode("utf-8", "replace")


def run_in_pipes(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_DELAY, *arguments], check=False,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **environment})


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024))
    return path


def test_a_terminal_shows_a_bar_for_uploads_and_downloads(seed, big_file, tmp_path):
    code, screen = run_on_terminal("cp", str(big_file), f"s3://{BUCKET}/big.bin")
    assert code == 0, screen
    assert BAR in screen and "big.bin" in screen
    code, screen = run_on_terminal("cp", f"s3://{BUCKET}/big.bin", str(tmp_path / "back.bin"))
    assert code == 0, screen
    assert BAR in screen
    assert (tmp_path / "back.bin").read_bytes() == big_file.read_bytes()


def test_a_recursive_copy_shows_one_bar_counting_files(seed, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(5):
        (folder / f"{number}.bin").write_bytes(os.urandom(100_000))
    code, screen = run_on_terminal("cp", "-r", str(folder), f"s3://{BUCKET}/many/")
    assert code == 0, screen
    assert BAR in screen and "/5 files" in screen


def test_quiet_and_the_variable_switch_the_bar_off_on_a_terminal(seed, big_file, monkeypatch):
    code, screen = run_on_terminal("cp", "--quiet", str(big_file), f"s3://{BUCKET}/a.bin")
    assert code == 0 and BAR not in screen and screen.strip() == ""
    monkeypatch.setenv("S3TOOLS_PROGRESS", "false")
    code, screen = run_on_terminal("cp", str(big_file), f"s3://{BUCKET}/b.bin")
    assert code == 0 and BAR not in screen and "upload:" in screen


def test_no_bar_when_the_output_is_not_a_terminal(seed, big_file, tmp_path):
    result = run_in_pipes("cp", str(big_file), f"s3://{BUCKET}/big.bin")
    assert result.returncode == 0 and BAR not in result.stderr and result.stderr == ""
    result = run_in_pipes("cp", f"s3://{BUCKET}/big.bin", str(tmp_path / "back.bin"))
    assert result.returncode == 0 and result.stderr == ""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_functions_draw_a_bar_on_a_terminal_and_can_be_silenced(seed, big_file, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    s3tools.write_file_to_s3(str(big_file), f"{BUCKET}/big.bin")
    s3tools.download_file_from_s3(f"{BUCKET}/big.bin", str(tmp_path / "back.bin"))
    assert terminal.getvalue().count(BAR) >= 2
    assert "big.bin" in terminal.getvalue()

    terminal.seek(0)
    terminal.truncate()
    monkeypatch.setenv("S3TOOLS_PROGRESS", "false")
    s3tools.download_file_from_s3(f"{BUCKET}/big.bin", str(tmp_path / "again.bin"))
    assert terminal.getvalue() == ""
    monkeypatch.setenv("S3TOOLS_PROGRESS", "true")
    s3tools.configure(progress=False)  # the same, from Python
    s3tools.download_file_from_s3(f"{BUCKET}/big.bin", str(tmp_path / "once-more.bin"))
    assert terminal.getvalue() == ""

    monkeypatch.setenv("S3TOOLS_PROGRESS", "sometimes")
    with pytest.raises(s3tools.ConfigError, match="S3TOOLS_PROGRESS"):
        s3tools.download_file_from_s3(f"{BUCKET}/big.bin", str(tmp_path / "third.bin"))
    assert not (tmp_path / "third.bin").exists()


def test_the_functions_draw_nothing_when_standard_error_is_not_a_terminal(seed, big_file,
                                                                          tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0)
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    s3tools.write_file_to_s3(str(big_file), f"{BUCKET}/big.bin")
    s3tools.download_file_from_s3(f"{BUCKET}/big.bin", str(tmp_path / "back.bin"))
    assert captured.getvalue() == ""


def test_transport_reports_every_byte_once(seed, monkeypatch):
    from s3tools.transport import uploads

    # Small parts, so that a 3 MiB upload goes as a multipart upload of several parts.
    monkeypatch.setattr(uploads, "MULTIPART_THRESHOLD", 1024 * 1024)
    monkeypatch.setattr(uploads, "UPLOAD_PART_SIZE", 512 * 1024)
    body = os.urandom(3 * 1024 * 1024 + 17)
    reported = []
    transport.upload_file(io.BytesIO(body), paths.parse(f"{BUCKET}/parts.bin"), False, True,
                          lambda moved, size: reported.append((moved, size)))
    assert sum(moved for moved, _ in reported) == len(body) and len(reported) == 7
    assert get(seed, "parts.bin") == body

    put(seed, "whole.bin", body)
    reported.clear()
    target = io.BytesIO()
    transport.download(paths.parse(f"{BUCKET}/whole.bin"), target,
                       lambda moved, size: reported.append((moved, size)))
    assert sum(moved for moved, _ in reported) == len(body)
    assert {size for _, size in reported} == {len(body)}
    assert target.getvalue() == body
