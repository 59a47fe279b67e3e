"""``s3tools ls``: buckets, or what is under a prefix (folders and objects), as ``aws s3 ls``."""

from __future__ import annotations

import argparse
import sys

from .. import folders, paths
from ..display import visible
from ..listing import accessible_buckets, readable_size
from .common import local_time


def register(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ls = verbs.add_parser(
        "ls", parents=[common], help="list buckets, or folders and objects under a prefix",
        description="Without a path: the buckets these credentials can use (where ListBuckets "
                    "is denied, from S3TOOLS_BUCKETS or the caller's IAM policies). With one: "
                    "the folders (PRE) and objects under that prefix, every page (no 1,000-key "
                    "cap).")
    ls.add_argument("path", nargs="?", metavar="PATH", help="s3://bucket[/prefix]")
    ls.add_argument("-r", "--recursive", action="store_true",
                    help="every object under the prefix, with its full key")
    ls.add_argument("-H", "--human-readable", action="store_true",
                    help="sizes as 1.5 MB rather than bytes")
    ls.add_argument("--summarize", action="store_true",
                    help="end with the number of objects and their total size")
    ls.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    if arguments.path is None:
        # Where ListBuckets is denied, the list comes from S3TOOLS_BUCKETS or the caller's
        # IAM policies: said on standard error, so that standard output stays the names.
        buckets = accessible_buckets()
        print("\n".join(visible(bucket) for bucket in buckets))
        source = getattr(buckets, "source", "ListBuckets")
        if source != "ListBuckets" and not arguments.quiet:
            print(f"s3tools: buckets from {source} (ListBuckets is denied)", file=sys.stderr)
        return 0
    prefix = paths.parse(arguments.path)
    # Names are shown from the last "/" of the prefix on, as the aws CLI does.
    folder_length = 0 if arguments.recursive else prefix.key.rfind("/") + 1
    count = total = 0
    for entry in folders.entries(prefix, recursive=arguments.recursive):
        name = visible(entry.key[folder_length:])
        if entry.is_folder:
            print(f"{'PRE':>30} {name}")
            continue
        count += 1
        total += entry.size
        size = readable_size(entry.size) if arguments.human_readable else str(entry.size)
        print(f"{local_time(entry.modified)} {size:>10} {name}")
    if arguments.summarize:
        size = readable_size(total) if arguments.human_readable else f"{total} bytes"
        print(f"\nTotal objects: {count}\n   Total size: {size}")
    return 0
