"""tempfiles: private temporary files, in RAM when there is room, always cleaned up."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import plant_links, untouched

import s3tools
from s3tools import tempfiles


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_ram_folder_is_used_when_it_has_room():
    ram = os.environ["S3TOOLS_RAM_DIR"]
    with tempfiles.temporary_path(".sav") as path:
        assert os.path.dirname(path) == os.path.join(ram, f"s3tools-{os.getuid()}")
        assert path.endswith(".sav")
        assert os.path.getsize(path) == 0
        assert mode(path) == 0o600
        assert mode(os.path.dirname(path)) == 0o700
    assert not os.path.exists(path)


def test_a_missing_ram_folder_falls_back_to_the_temp_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("S3TOOLS_RAM_DIR", str(tmp_path / "does-not-exist"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "disk"))
    (tmp_path / "disk").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read again
    with tempfiles.temporary_path(".csv") as path:
        assert path.startswith(str(tmp_path / "disk" / f"s3tools-{os.getuid()}"))
        assert mode(os.path.dirname(path)) == 0o700
    assert not os.path.exists(path)


def test_a_full_ram_folder_falls_back_to_the_temp_dir(monkeypatch):
    # The RAM folder shares a disk with the temp dir here: make it look full.
    ram = os.environ["S3TOOLS_RAM_DIR"]
    real = tempfiles._free_bytes
    monkeypatch.setattr(tempfiles, "_free_bytes",
                        lambda folder: 1024 if folder == ram else real(folder))
    folder = tempfiles.temporary_folder(size_hint=10 * 1024 * 1024)
    assert not folder.startswith(ram)
    assert folder.startswith(tempfile.gettempdir())
    assert mode(folder) == 0o700


def test_no_room_anywhere_is_an_error():
    with pytest.raises(s3tools.S3ToolsError, match="Not enough space"):
        tempfiles.temporary_folder(size_hint=2 ** 62)


def private_folder_made_instead(ram: str, shared: str) -> str:
    """The folder a temporary file goes to when ``shared`` (s3tools-<uid>) may not be used:
    a new one of this user, mode 0700, beside it."""
    with tempfiles.temporary_path(".csv") as path:
        folder = os.path.dirname(path)
        assert folder != shared and not os.path.realpath(path).startswith(
            os.path.realpath(shared) + os.sep)
        assert os.path.dirname(folder) == ram
        assert os.path.basename(folder).startswith(f"s3tools-{os.getuid()}-")
        assert not os.path.islink(folder) and os.stat(folder).st_uid == os.getuid()
        assert mode(folder) == 0o700 and mode(path) == 0o600
    return folder


def test_a_world_writable_folder_is_not_used():
    ram = os.environ["S3TOOLS_RAM_DIR"]
    shared = os.path.join(ram, f"s3tools-{os.getuid()}")
    os.mkdir(shared)
    os.chmod(shared, 0o777)  # anyone could have swapped what is in it
    first = private_folder_made_instead(ram, shared)
    assert mode(shared) == 0o777 and os.listdir(shared) == []
    assert private_folder_made_instead(ram, shared) == first  # one per process


def test_a_link_at_the_folder_is_not_followed(tmp_path):
    ram = os.environ["S3TOOLS_RAM_DIR"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o777)
    shared = os.path.join(ram, f"s3tools-{os.getuid()}")
    os.symlink(elsewhere, shared)
    private_folder_made_instead(ram, shared)
    assert mode(str(elsewhere)) == 0o777 and list(elsewhere.iterdir()) == []
    assert os.readlink(shared) == str(elsewhere)


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_of_another_user_is_not_used():
    ram = os.environ["S3TOOLS_RAM_DIR"]
    shared = os.path.join(ram, f"s3tools-{os.getuid()}")
    os.mkdir(shared, 0o700)
    os.chown(shared, 54321, 54321)
    private_folder_made_instead(ram, shared)
    assert os.stat(shared).st_uid == 54321 and mode(shared) == 0o700
    assert os.listdir(shared) == []


def test_the_folder_made_instead_is_removed_when_the_process_ends(tmp_path):
    ram = tmp_path / "ram-of-a-child"
    ram.mkdir()
    (ram / f"s3tools-{os.getuid()}").mkdir(mode=0o755)
    (ram / f"s3tools-{os.getuid()}").chmod(0o755)  # readable by others: not private
    child = subprocess.run(
        [sys.executable, "-c", "from s3tools import tempfiles; "
         "print(tempfiles.new_private_file('.csv', contents=b'a'))"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "S3TOOLS_RAM_DIR": str(ram)})
    made = os.path.dirname(child.stdout.strip())
    assert os.path.dirname(made) == str(ram) and made != str(ram / f"s3tools-{os.getuid()}")
    assert not os.path.exists(made)


def test_a_new_file_is_never_opened_through_a_planted_link(monkeypatch, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    folder = tempfiles.temporary_folder()
    links = plant_links(monkeypatch, Path(folder), victim, "tmp", ".csv")
    with tempfiles.temporary_path(".csv", contents=b"new") as path:
        assert Path(path) not in links and not os.path.islink(path)
        assert open(path, "rb").read() == b"new" and mode(path) == 0o600
    assert untouched(victim, b"precious", links)


def test_the_file_is_deleted_on_error_and_when_already_gone():
    with pytest.raises(RuntimeError), tempfiles.temporary_path(".xlsx") as path:
        with open(path, "wb") as handle:
            handle.write(b"partial")
        raise RuntimeError("boom")
    assert not os.path.exists(path)
    with tempfiles.temporary_path() as path:
        os.remove(path)  # the user's function may remove it itself
    assert not os.path.exists(path)


def test_each_temporary_file_is_new():
    with tempfiles.temporary_path(".csv") as first, tempfiles.temporary_path(".csv") as second:
        assert first != second
