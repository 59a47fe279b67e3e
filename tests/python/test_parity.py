"""R and Python give the same results for every shared case, and write the same bytes.

R runs all cases once (``Rscript tests/cases/run_cases.R``) against this
session's moto server; each case is then run in Python and the two plain
descriptions (values, types, missing values, error kind and message, and the
objects written) are compared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cases import CASES, case_support, run_case

ROOT = Path(__file__).resolve().parents[2]


R_PACKAGES_PROBE = ("for (p in c('reticulate','pkgload','jsonlite','withr','testthat')) "
                    "if (!requireNamespace(p, quietly=TRUE)) quit(status=1)")


def _r_ready() -> str | None:
    if shutil.which("Rscript") is None:
        return "Rscript is not installed"
    probe = subprocess.run(["Rscript", "-e", R_PACKAGES_PROBE], capture_output=True,
                           env=_r_environment({}), check=False)
    return None if probe.returncode == 0 else "R packages reticulate/pkgload/jsonlite are missing"


def _r_environment(extra: dict[str, str]) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if name != "LD_LIBRARY_PATH"}  # R's own libpython must not leak into Python
    environment.update(TZ="UTC", S3TOOLS_PYTHON=sys.executable, **extra)
    return environment


@pytest.fixture(scope="module")
def r_results(endpoint, tmp_path_factory):
    reason = _r_ready()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("parity")
    output = folder / "r-results.json"
    environment = _r_environment({
        "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": case_support.ADMIN_KEY,
        "AWS_SECRET_ACCESS_KEY": case_support.ADMIN_SECRET,
        "AWS_CONFIG_FILE": str(folder / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "no-aws-credentials"),
        "S3TOOLS_RAM_DIR": str(folder / "ram"),
    })
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN",
                 "S3TOOLS_PROXY", "S3TOOLS_MAX_CONCURRENCY", "http_proxy", "https_proxy",
                 "HTTP_PROXY", "HTTPS_PROXY", "RETICULATE_PYTHON"):
        environment.pop(name, None)
    completed = subprocess.run(
        ["Rscript", str(ROOT / "tests" / "cases" / "run_cases.R"), endpoint, str(output)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(output.read_text(encoding="utf-8"))


def _comparable(result: dict) -> dict:
    """Errors raised by R itself (bad argument types) name R's types: compare their kind only."""
    if result.get("type") == "error" and result.get("kind") == "error":
        return {"type": "error", "kind": "error"}
    return result


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_same_result_in_r_and_python(case, r_results, endpoint, tmp_path):
    r = r_results[case["name"]]
    if r.get("skipped"):
        pytest.skip(r["skipped"])
    python = run_case(case, endpoint, str(tmp_path / "local"))
    ignore = case.get("ignore_columns", [])
    problems = case_support.compare(_comparable(r["result"]), _comparable(python["result"]),
                                    ignore)
    problems += case_support.compare(r["after"], python["after"])
    assert not problems, "\n".join(problems)
