"""The explorer in a process of its own, for R (see :func:`s3tools.explorer.explorer_start`).

Python threads cannot run while R holds reticulate's interpreter (reticulate
1.28 keeps its lock while R works or waits at the console), so R's explorer
runs here. Its arguments: the port, and ``launch`` to make a page a browser
can open (:meth:`Explorer.launch_page`). The first line on standard output
is JSON: ``{"url": ..., "launch": ...}``, or ``{"error": ..., "kind": ...}``
if it could not start. It serves until its standard input closes (R asked it
to stop, or R is gone) or SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from .. import errors
from .server import Explorer


def main(port: int, launch: bool = False) -> int:
    try:
        explorer = Explorer(port)
        started = {"url": explorer.url, "launch": explorer.launch_page() if launch else None}
    except (errors.S3ToolsError, OSError) as error:
        kind = error.kind if isinstance(error, errors.S3ToolsError) else "error"
        print(json.dumps({"error": str(error), "kind": kind}), flush=True)
        return 1
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    # Standard input ends when R closes it or exits, however it exits.
    threading.Thread(target=lambda: (sys.stdin.read(), stopping.set()), daemon=True).start()
    print(json.dumps(started), flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    explorer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0, "launch" in sys.argv[2:]))
