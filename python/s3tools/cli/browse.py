"""``s3tools browse``: the file explorer (:mod:`s3tools.explorer`) until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import webbrowser

from ..explorer import Explorer


def register(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    verb = verbs.add_parser(
        "browse", parents=[common], help="the file explorer: a local web page of your buckets",
        description="Serves the file explorer on 127.0.0.1 (buckets with your access, folders "
                    "and files page by page, search, previews, download, the code that reads a "
                    "file) and opens it in the default browser, through a private local page "
                    "so that the token is not on the browser's command line. The address, "
                    "printed on the first line, holds a token: a request without it is "
                    "refused. Runs until Ctrl-C (or SIGTERM).")
    verb.add_argument("--port", type=int, default=0,
                      help="the port on 127.0.0.1 (default 0: a free one)")
    verb.add_argument("--no-open", action="store_true",
                      help="print the address only; do not open a browser")
    verb.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    explorer = Explorer(port=arguments.port)
    try:
        print(explorer.url, flush=True)
        if not arguments.quiet:
            print("# s3tools browse: the file explorer at the address above until Ctrl-C.",
                  file=sys.stderr)
        if not arguments.no_open:
            webbrowser.open(explorer.launch_page())  # the token stays off its command line
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        explorer.stop()
        if not arguments.quiet:
            print("# s3tools browse: stopped.", file=sys.stderr)
    return 0
