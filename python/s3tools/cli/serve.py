"""``s3tools serve``: a local S3 server on 127.0.0.1 until Ctrl-C (see :mod:`s3tools.serve`)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .. import serve


def register(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    verb = verbs.add_parser(
        "serve", parents=[common], help="a local S3 server on 127.0.0.1, to try everything offline",
        description="Starts an S3 server (moto) on 127.0.0.1 and prints the lines that point "
                    "s3tools, R, boto3 or the aws CLI at it; runs until Ctrl-C (or SIGTERM). "
                    "It answers only S3 requests signed with the keys it prints, made anew at "
                    "each start.")
    verb.add_argument("--port", type=int, default=0,
                      help="the port on 127.0.0.1 (default: a free one, printed)")
    verb.add_argument("--bucket", metavar="NAME", help="create this bucket")
    verb.add_argument("--seed", metavar="DIR", help="upload this folder's files into --bucket")
    verb.add_argument("--read-only", action="store_true",
                      help="the printed keys may only list and read: every write is refused")
    verb.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    stopping = threading.Event()
    # `kill PID` stops it as cleanly as Ctrl-C does. Ctrl-C is handled here too:
    # a process started in the background by a script inherits SIGINT ignored.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    server = serve.start(port=arguments.port, bucket=arguments.bucket, seed=arguments.seed,
                         read_only=arguments.read_only)
    try:
        kind = "read-only keys" if server.read_only else "keys"
        print(f"# s3tools serve: an S3 server at {server.endpoint} until Ctrl-C ({kind} for "
              "this local server only).")
        if arguments.bucket:
            seeded = f", {server.seeded} files from {arguments.seed}" if arguments.seed else ""
            print(f"# Bucket {arguments.bucket}{seeded}.")
        print("# In another terminal:")
        print("\n".join(server.export_lines()))
        print("# In R (s3tools_serve() does this itself):")
        print("\n".join(server.r_lines()), flush=True)
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("# s3tools serve: stopped.", file=sys.stderr)
    return 0
