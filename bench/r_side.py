"""Scenario 7: the R package, installed into a temporary library and run by Rscript.

The R process gets no LD_LIBRARY_PATH (R's own would make the embedded Python
load the wrong libpython) and points S3TOOLS_PYTHON at this Python, whose
s3tools is the checkout being measured.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "r", "worker.R")


# Large blocks straight from (and back to) the system, so the peak memory of one call is
# not hidden by what an earlier call freed. The Python peers of scenario 7 run with the
# same setting (cases.PYTHON_AS_R), so that both sides pay for fresh pages alike.
ALLOCATION = {"MALLOC_MMAP_THRESHOLD_": "1048576"}


def prepare(work_dir: str, env: dict, log: object) -> dict | None:
    """Install the package; return the environment for Rscript, or None when R is missing."""
    if shutil.which("Rscript") is None or shutil.which("R") is None:
        log("Scenario 7: R is not installed; skipped.")
        return None
    if not os.path.exists(os.path.join(ROOT, "DESCRIPTION")):
        log("Scenario 7: the R package is not in this checkout; skipped.")
        return None
    library = os.path.join(work_dir, "rlib")
    os.makedirs(library, exist_ok=True)
    r_env = {name: value for name, value in env.items() if name != "LD_LIBRARY_PATH"}
    r_env.update({"S3TOOLS_PYTHON": sys.executable, "TZ": "UTC", **ALLOCATION,
                  "R_LIBS": os.pathsep.join([library, r_env.get("R_LIBS", "")]).rstrip(":")})
    # --preclean: object files a development load left in src/ (pkgload compiles them
    # without optimisation) would otherwise be linked as they are.
    done = subprocess.run(
        ["R", "CMD", "INSTALL", "--preclean", "--no-docs", "--no-html", "--no-multiarch",
         "--no-test-load", f"--library={library}", ROOT],
        env=r_env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        log(f"Scenario 7: R CMD INSTALL failed; skipped.\n{done.stderr[-2000:]}")
        return None
    return r_env


def command() -> list[str]:
    return ["Rscript", "--vanilla", WORKER]
