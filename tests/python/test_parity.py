"""R and Python give the same results for every shared case, and write the same bytes.

R runs inside this process (:mod:`embedded_r`: rpy2 embeds it), with the
package loaded from the source tree, against this session's moto server. Each
case runs in R, then in Python, and the two plain descriptions (values, types,
NA against NaN, error kind and message, and the objects and files written) are
compared case by case. R reaches the Python core through reticulate, attached
to this interpreter, as in an R session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from embedded_r import EmbeddedR, r_string
from test_cases import CASES, case_support, run_case

ROOT = Path(__file__).resolve().parents[2]

# The R side of a case: the testthat helpers' runner (the same one test-cases.R uses).
RUNNER = """
parity_root <- {root}
local({{
  old <- setwd(parity_root)
  on.exit(setwd(old))
  for (helper in c("helper-s3server.R", "helper-cases.R")) {{
    sys.source(file.path("tests", "testthat", helper), envir = globalenv())
  }}
}})
parity_case <- function(name, endpoint, local_dir) {{
  old <- setwd(parity_root)
  on.exit(setwd(old), add = TRUE)
  case <- Filter(function(case) identical(case$name, name), load_cases())[[1]]
  outcome <- run_case(case, endpoint, local_dir)
  paste0('{{"result": ', outcome$result, ', "after": ', outcome$after, '}}')
}}
"""

R_PACKAGES = ("reticulate", "pkgload", "jsonlite", "withr", "testthat")


@pytest.fixture(scope="module")
def r_session():
    if shutil.which("R") is None:
        pytest.skip("R is not installed")
    session = EmbeddedR()
    missing = session.evaluate(
        "paste(Filter(function(p) !requireNamespace(p, quietly = TRUE), c({})), collapse = ' ')"
        .format(", ".join(map(r_string, R_PACKAGES))))
    if missing:
        pytest.skip(f"R packages missing: {missing}")
    session.evaluate(f"pkgload::load_all({r_string(str(ROOT))}, quiet = TRUE, "
                     "export_all = FALSE, helpers = FALSE)")
    session.evaluate(RUNNER.format(root=r_string(str(ROOT))))
    return session


# The end of a message about an argument of the wrong type, which names the value or its
# type as each language calls it ("not character." in R, "not str." or "not 'text'." in Python).
_TYPE_NAMED = re.compile(r", not [^,]*\.$")


def _comparable(result: dict) -> dict:
    """A result with the type named at the end of an argument error's message left out:
    the kind and the rest of the message must be the same in both languages."""
    if result.get("type") == "error" and result.get("kind") == "error":
        return {**result, "message": _TYPE_NAMED.sub(", not <type>.", result["message"])}
    return result


def run_r_case(session: EmbeddedR, case: dict, endpoint: str, local_dir: str) -> dict:
    """The case in R; the environment is as it was before (R's bridge copies R's
    variables into os.environ at each call)."""
    saved = dict(os.environ)
    try:
        return json.loads(session.evaluate(
            f"parity_case({r_string(case['name'])}, {r_string(endpoint)}, {r_string(local_dir)})"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_same_result_in_r_and_python(case, r_session, endpoint, tmp_path):
    if case.get("language") == "r":
        pytest.skip("R's alone (test-cases.R runs it)")
    missing = case_support.missing_fixtures(case["name"])
    if missing:
        pytest.skip(f"fixtures not present: {missing}")
    for package in case.get("r_packages", []):
        if r_session.evaluate(f"requireNamespace({r_string(package)}, quietly = TRUE)") != "TRUE":
            pytest.skip(f"R package missing: {package}")
    r = run_r_case(r_session, case, endpoint, str(tmp_path / "r"))
    python = run_case(case, endpoint, str(tmp_path / "python"))
    ignore = case.get("ignore_columns", [])
    own_types = case_support.r_columns(case)
    problems = case_support.compare(_comparable(r["result"]), _comparable(python["result"]),
                                    ignore, own_types)
    # Columns R types its own way: each language against what the case says it gets.
    if own_types:
        problems += case_support.check(case, r["result"], r["after"], "r")
        problems += case_support.check(case, python["result"], python["after"], "python")
    problems += case_support.compare(r["after"], python["after"])
    assert not problems, "\n".join(problems)
