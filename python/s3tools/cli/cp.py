"""``s3tools cp``: local to S3, S3 to local, S3 to S3; one file, or a folder with --recursive.

Existing targets are refused unless ``--overwrite``, by the same rules as the
functions (the exact key or file; a refused copy changes nothing). For a
folder every target is checked before the first byte moves, so a refusal
copies nothing at all; the files then go concurrently, under one progress
bar. S3 to S3 copies stay on the server (CopyObject).
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass

from .. import errors, folders, paths, progress, transport
from ..display import visible
from ..listing import readable_size, s3_file_exists
from ..paths import S3Path
from ..read import download_file_from_s3
from ..write import write_file_to_s3
from .common import UsageError, is_s3, shown


@dataclass(frozen=True)
class Transfer:
    """One file to copy: a local path (str) or an S3 path on each side."""

    source: str | S3Path
    target: str | S3Path
    size: int | None

    @property
    def kind(self) -> str:
        if isinstance(self.source, str):
            return "upload"
        return "download" if isinstance(self.target, str) else "copy"


def register(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cp = verbs.add_parser(
        "cp", parents=[common], help="copy files: local to S3, S3 to local, S3 to S3",
        description="S3 paths start with s3://. A TARGET ending in / (or an existing local "
                    "folder) receives the file under its own name. An existing target is "
                    "refused unless --overwrite.")
    cp.add_argument("source", metavar="SOURCE", help="a local path or s3://bucket/key")
    cp.add_argument("target", metavar="TARGET", help="a local path or s3://bucket/key")
    cp.add_argument("-r", "--recursive", action="store_true",
                    help="copy everything in a folder (or under a prefix), concurrently")
    cp.add_argument("--overwrite", action="store_true", help="replace targets that exist")
    cp.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    copy(arguments.source, arguments.target, recursive=arguments.recursive,
         overwrite=arguments.overwrite, quiet=arguments.quiet)
    return 0


def copy(source: str, target: str, recursive: bool = False, overwrite: bool = False,
         quiet: bool = False) -> list[Transfer]:
    """Copy as ``s3tools cp`` does; returns what was copied.

    Raises:
        UsageError, AlreadyExistsError, NotFoundError, and the errors of the transfers.
    """
    if not is_s3(source) and not is_s3(target):
        raise UsageError("one of SOURCE and TARGET must be an S3 path (s3://bucket/key)")
    transfers = _folder(source, target) if recursive else [_file(source, target)]
    if not overwrite:
        _refuse_existing(transfers, checked_by_function=not recursive)
    _perform(transfers, overwrite, quiet)
    if not quiet:
        first = transfers[0]
        if len(transfers) == 1:
            print(f"{first.kind}: {_shown(first.source)} to {_shown(first.target)}")
        else:
            size = sum(transfer.size or 0 for transfer in transfers)
            print(f"{first.kind}: {len(transfers)} files ({readable_size(size)}) from "
                  f"{_shown_folder(source)} to {_shown_folder(target)}")
    return transfers


def _shown(side: str | S3Path) -> str:
    return visible(side) if isinstance(side, str) else shown(side)


def _shown_folder(text: str) -> str:
    return shown(paths.parse(text)) if is_s3(text) else visible(text)


def _as_folder(path: S3Path) -> S3Path:
    return path if path.is_folder else S3Path(path.bucket, path.key + "/")


def _into(path: S3Path, name: str) -> S3Path:
    """``path`` itself, or ``path`` + ``name`` when it names a folder."""
    return path.child(path.key + name) if path.is_folder else path


def _file(source: str, target: str) -> Transfer:
    if not is_s3(source):
        if os.path.isdir(source):
            raise UsageError(f"{source} is a folder: add --recursive to copy what is in it")
        size = os.path.getsize(source) if os.path.isfile(source) else None
        return Transfer(source, _into(paths.parse(target), os.path.basename(source)), size)
    origin = paths.parse(source)
    if origin.is_folder:
        raise UsageError(f"{shown(origin)} is a folder (it ends with /): add --recursive to "
                         "copy what is under it")
    origin = paths.parse_file(origin)
    if not is_s3(target):
        if os.path.isdir(target) or target.endswith(("/", os.sep)):
            target = os.path.join(target, origin.name)
        return Transfer(origin, target, None)
    # The size decides how the server copies; a missing source is reported by its own name.
    answer = transport.request("head_object", str(origin), Bucket=origin.bucket, Key=origin.key)
    return Transfer(origin, _into(paths.parse(target), origin.name), int(answer["ContentLength"]))


def _folder(source: str, target: str) -> list[Transfer]:
    if not is_s3(source):
        if not os.path.isdir(source):
            if os.path.exists(source):
                raise UsageError(f"--recursive copies a folder, and {source} is a file: "
                                 "leave out --recursive")
            raise errors.NotFoundError(f"No such local folder: {source}.", path=source)
        prefix = _as_folder(paths.parse(target))
        found = []
        for folder, subfolders, names in os.walk(source):
            subfolders.sort()
            for name in sorted(names):
                local = os.path.join(folder, name)
                if os.path.isfile(local):
                    relative = os.path.relpath(local, source).replace(os.sep, "/")
                    found.append(Transfer(local, prefix.child(prefix.key + relative),
                                          os.path.getsize(local)))
    else:
        origin = _as_folder(paths.parse(source))
        found = []
        for entry in folders.entries(origin, recursive=True):
            relative = entry.key[len(origin.key):]
            if not relative or relative.endswith("/"):
                continue  # a folder marker, not a file
            if is_s3(target):
                destination = _as_folder(paths.parse(target))
                found.append(Transfer(origin.child(entry.key),
                                      destination.child(destination.key + relative), entry.size))
            else:
                found.append(Transfer(origin.child(entry.key), _local_path(target, relative),
                                      entry.size))
    if not found:
        raise errors.NotFoundError(f"Nothing to copy: {_shown_folder(source)} holds no files.",
                                   path=source)
    return found


def _local_path(folder: str, relative: str) -> str:
    """Where a key lands under a local folder; keys that would land outside it are refused."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise errors.PathError(f"The key part {relative!r} has empty, '.' or '..' segments and "
                               f"cannot be a file under {folder}: copy it on its own.",
                               path=relative)
    return os.path.join(folder, *parts)


def _refuse_existing(transfers: list[Transfer], checked_by_function: bool) -> None:
    """Refuse the whole copy if any target exists. Uploads and downloads of one file are
    checked by the functions themselves; folders are checked here, all before the first
    byte moves, with one listing of the target prefix."""
    first = transfers[0]
    if checked_by_function and first.kind != "copy":
        return
    if isinstance(first.target, str):
        existing = [t.target for t in transfers if os.path.lexists(t.target)]  # links too
    elif len(transfers) == 1:
        existing = [first.target] if s3_file_exists(str(first.target)) else []
    else:
        prefix = S3Path(first.target.bucket, "")
        keys = {t.target.key for t in transfers}
        common = os.path.commonprefix(sorted(keys))
        prefix = prefix.child(common[:common.rfind("/") + 1])
        listed = {entry.key for entry in folders.entries(prefix, recursive=True)}
        existing = [t.target for t in transfers if t.target.key in listed]
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        them = "them" if len(existing) > 1 else "it"
        raise errors.AlreadyExistsError(
            f"{_shown(existing[0])} already exists{more}: nothing was copied. Pass --overwrite "
            f"to replace {them}.", path=str(existing[0]))


def _one(transfer: Transfer, overwrite: bool) -> None:
    if transfer.kind == "upload":
        write_file_to_s3(transfer.source, str(transfer.target), overwrite=overwrite)
    elif transfer.kind == "download":
        download_file_from_s3(str(transfer.source), transfer.target, overwrite=overwrite)
    else:
        with progress.transfer(transfer.target.name) as advance:
            transport.copy(transfer.source, transfer.target, overwrite, transfer.size)
            if advance is not None:
                advance(transfer.size, transfer.size)


def _perform(transfers: list[Transfer], overwrite: bool, quiet: bool) -> None:
    """Every transfer, concurrently, under one bar; stops at the first failure."""
    sizes = [transfer.size for transfer in transfers]
    total = None if None in sizes else sum(sizes)
    with progress.one_bar(transfers[0].kind, len(transfers), total, enabled=not quiet):
        if len(transfers) == 1:
            _one(transfers[0], overwrite)
            return
        workers = min(transport.settings().max_concurrency, len(transfers))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_one, transfer, overwrite) for transfer in transfers]
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
            finally:
                for future in futures:  # those not started yet (all of them on Ctrl-C)
                    future.cancel()
        failures = [f.exception() for f in futures if not f.cancelled() and f.exception()]
    if failures:
        copied = sum(1 for f in futures if not f.cancelled() and f.exception() is None)
        first = failures[0]
        if isinstance(first, errors.S3ToolsError):
            raise type(first)(f"{first.message} ({copied} of {len(transfers)} files were "
                              "copied.)", path=first.path) from first
        raise first
