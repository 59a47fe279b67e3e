"""A browser for the explorer's tests, in Python and R: it records what it was given.

Usage: ``python record_browser.py RECORD ADDRESS...`` (the tests set ``BROWSER``,
or R's ``browser`` option, to a script that runs this). RECORD gets JSON: this
process's command line and its parent's as the system shows them to every
local user (``/proc/<pid>/cmdline``, what ``ps`` prints), and for each
``file://`` address the file's mode, owner, whether it is a link, and its
text, read at once (the explorer removes its page soon after).
"""

from __future__ import annotations

import json
import os
import stat
import sys
import urllib.parse


def command_line(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return handle.read().decode("utf-8", "replace").rstrip("\0").split("\0")


def page(address: str) -> dict:
    path = urllib.parse.unquote(urllib.parse.urlsplit(address).path)
    info = os.lstat(path)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return {"path": path, "mode": stat.S_IMODE(info.st_mode), "uid": info.st_uid,
            "link": stat.S_ISLNK(info.st_mode), "text": text}


def main(record: str, addresses: list[str]) -> None:
    found = {"argv": command_line(os.getpid()), "parent": command_line(os.getppid()),
             "pages": [page(address) for address in addresses if address.startswith("file:")]}
    with open(record + ".partial", "w", encoding="utf-8") as handle:
        json.dump(found, handle)
    os.replace(record + ".partial", record)  # whole, for a test waiting on it


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
