"""localfiles: new local files created exclusively, never through a link, placed whole."""

from __future__ import annotations

import errno
import os
import stat

import pytest
from conftest import plant_links, untouched

from s3tools import localfiles


@pytest.fixture
def folder(tmp_path):
    made = tmp_path / "files"  # tmp_path also holds the tests' RAM folder
    made.mkdir()
    return made


def test_a_new_file_is_private_and_skips_every_name_taken(monkeypatch, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    links = plant_links(monkeypatch, tmp_path, victim, "tmp", ".csv")
    handle, path = localfiles.create(str(tmp_path), "tmp", ".csv")
    with handle:
        handle.write(b"new")
    assert os.path.dirname(path) == str(tmp_path) and path.endswith(".csv")
    assert not os.path.islink(path) and open(path, "rb").read() == b"new"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert untouched(victim, b"precious", links)


def test_a_folder_where_every_name_is_taken_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setattr(localfiles, "_random_name", lambda: "always-the-same")
    (tmp_path / "always-the-same").symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        localfiles.create(str(tmp_path))
    assert not (tmp_path / "nowhere").exists()


def test_a_replacing_file_appears_whole_and_refuses_what_is_there(folder):
    target = folder / "a.bin"
    with localfiles.replacing(str(target), overwrite=False) as handle:
        handle.write(b"one")
        assert not target.exists()  # not before the block ends
    assert target.read_bytes() == b"one"
    with pytest.raises(FileExistsError) as caught, \
            localfiles.replacing(str(target), overwrite=False) as handle:
        handle.write(b"two")
    assert caught.value.filename == str(target)
    assert target.read_bytes() == b"one" and os.listdir(folder) == ["a.bin"]
    with localfiles.replacing(str(target), overwrite=True) as handle:
        handle.write(b"three")
    assert target.read_bytes() == b"three" and os.listdir(folder) == ["a.bin"]


def test_an_error_in_the_block_leaves_nothing(folder):
    with pytest.raises(KeyboardInterrupt), \
            localfiles.replacing(str(folder / "a.bin"), overwrite=False) as handle:
        handle.write(b"half")
        raise KeyboardInterrupt
    assert os.listdir(folder) == []


def test_without_hard_links_an_existing_target_is_still_refused(monkeypatch, folder):
    # Some network and FAT file systems have no hard links: the check and the rename
    # are then two steps.
    def no_links(source, target):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), source)

    monkeypatch.setattr(os, "link", no_links)
    target = folder / "a.bin"
    with localfiles.replacing(str(target), overwrite=False) as handle:
        handle.write(b"one")
    assert target.read_bytes() == b"one"
    (folder / "b.bin").symlink_to(folder / "nowhere")
    with pytest.raises(FileExistsError), \
            localfiles.replacing(str(folder / "b.bin"), overwrite=False) as handle:
        handle.write(b"two")
    assert sorted(os.listdir(folder)) == ["a.bin", "b.bin"]
    assert not (folder / "nowhere").exists()
