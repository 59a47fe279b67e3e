"""tempfiles: private temporary files, in RAM when there is room, always cleaned up."""

from __future__ import annotations

import os
import stat
import tempfile

import pytest

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


def test_a_loose_folder_is_made_private_again():
    ram = os.environ["S3TOOLS_RAM_DIR"]
    folder = os.path.join(ram, f"s3tools-{os.getuid()}")
    os.makedirs(folder, mode=0o777)
    os.chmod(folder, 0o777)
    with tempfiles.temporary_path() as path:
        assert os.path.dirname(path) == folder
    assert mode(folder) == 0o700


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
