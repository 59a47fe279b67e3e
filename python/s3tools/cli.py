"""The ``s3tools`` command: the library's main verbs from a terminal."""

from __future__ import annotations

import argparse
import sys

from . import transport
from .errors import S3ToolsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s3tools", description=(
        "Browse, preview and move data in S3 (AWS or the endpoint in AWS_ENDPOINT_URL)."))
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("buckets", help="list the buckets these credentials can see")
    ls = verbs.add_parser("ls", help="list objects: s3tools ls bucket[/prefix]")
    ls.add_argument("path", nargs="?")
    ls.add_argument("--max", type=int)
    head = verbs.add_parser("head", help="preview the first rows of a data file")
    head.add_argument("path")
    head.add_argument("-n", type=int, default=5)
    cat = verbs.add_parser("cat", help="write an object's bytes to standard output")
    cat.add_argument("path")
    get = verbs.add_parser("get", help="download an object")
    get.add_argument("path")
    get.add_argument("local_path")
    get.add_argument("--overwrite", action="store_true")
    put = verbs.add_parser("put", help="upload a local file")
    put.add_argument("local_path")
    put.add_argument("path")
    put.add_argument("--overwrite", action="store_true")
    exists = verbs.add_parser("exists", help="exit 0 if the object exists, 1 if not")
    exists.add_argument("path")
    verbs.add_parser("config", help="show the resolved endpoint, region and proxy")
    demo = verbs.add_parser("demo", help="run the demo against an embedded local S3 server")
    demo.set_defaults(verb="demo")
    return parser


def _run(arguments: argparse.Namespace) -> int:
    import s3tools

    verb = arguments.verb
    if verb == "buckets":
        print("\n".join(s3tools.accessible_buckets()))
    elif verb == "ls":
        listing = s3tools.list_files_in_buckets(arguments.path, max=arguments.max)
        columns = ["path", "size_readable", "lastmodified"]
        print(listing[columns].to_string(index=False) if len(listing) else "(no objects)")
    elif verb == "head":
        print(s3tools.s3_path_to_preview_df(arguments.path, n=arguments.n).to_string())
    elif verb == "cat":
        sys.stdout.buffer.write(s3tools.read_file_from_s3(arguments.path))
    elif verb == "get":
        print(s3tools.download_file_from_s3(arguments.path, arguments.local_path,
                                            overwrite=arguments.overwrite))
    elif verb == "put":
        print(s3tools.write_file_to_s3(arguments.local_path, arguments.path,
                                       overwrite=arguments.overwrite))
    elif verb == "exists":
        return 0 if s3tools.s3_file_exists(arguments.path) else 1
    elif verb == "config":
        print(transport.settings())
    elif verb == "demo":
        from .demo import main as demo

        demo()
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        return _run(arguments)
    except S3ToolsError as error:
        print(f"s3tools: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
