"""The shared cases of tests/cases/, run in Python (testthat runs the same table in R)."""

from __future__ import annotations

import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import s3tools

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cases"))
import case_support

CASES = case_support.load_cases()
FRAMES = case_support.load_frames()

FUNCTIONS = {
    "read_bytes": lambda path: Path(path).read_bytes(),
    "file_extension": lambda path: os.path.splitext(path)[1],
    "write_text": lambda obj, path: Path(path).write_text(obj, encoding="utf-8"),
    "ignore_chunk": lambda chunk: None,
}


def append_first_column(path: str):
    """A chunk callback that appends each chunk's first column to a file, a value a line."""
    def append(chunk: pd.DataFrame) -> None:
        with open(path, "a", encoding="utf-8") as handle:
            handle.writelines(f"{value}\n" for value in chunk.iloc[:, 0])
    return append


# Functions made for a file of the case's local folder: {"function": name, "file": "$LOCAL/x"}.
FILE_FUNCTIONS = {"append_first_column": append_first_column}


def build_column(spec: dict[str, Any]) -> Any:
    """A column as the R package hands it to Python (the mapping in s3tools.r_codec)."""
    values = spec["values"]
    missing = any(value is None for value in values)
    kind = spec["type"]
    if kind == "integer":
        return pd.array(values, dtype="Int32") if missing else np.array(values, dtype=np.int32)
    if kind == "double":
        numbers = np.array([np.nan if value is None else float(value) for value in values])
        if "NaN" in values:  # an R double holding NaN reaches Python as Float64
            return pd.arrays.FloatingArray(numbers, np.array([value is None for value in values]))
        return numbers
    if kind == "logical":
        return pd.array(values, dtype="boolean") if missing else np.array(values, dtype=bool)
    if kind == "Date":
        return pd.Series([None if value is None else datetime.date.fromisoformat(value)
                          for value in values], dtype=object)
    return pd.Series(values)


def build_frame(name: str) -> pd.DataFrame:
    return pd.DataFrame({column: build_column(spec) for column, spec in FRAMES[name].items()})


def argument(value: Any, local_dir: str) -> Any:
    if isinstance(value, dict) and "frame" in value:
        return build_frame(value["frame"])
    if isinstance(value, dict) and "function" in value and "file" in value:
        return FILE_FUNCTIONS[value["function"]](case_support.substitute(value["file"], local_dir))
    if isinstance(value, dict) and "function" in value:
        return FUNCTIONS[value["function"]]
    return case_support.substitute(value, local_dir)


def run_case(case: dict[str, Any], endpoint: str, local_dir: str) -> dict[str, Any]:
    """Seed, call the Python function, and describe the result and what it left."""
    variables = case_support.prepare(endpoint, case, local_dir)
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        arguments = {name: argument(value, local_dir)
                     for name, value in case.get("arguments", {}).items()}
        if case.get("access") == "read_only":
            case_support.set_auth(endpoint, 0)
        try:
            result = case_support.normalise(getattr(s3tools, case["call"])(**arguments))
        except Exception as error:  # noqa: BLE001 - errors are results here
            result = case_support.normalise_error(error)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    # The local folder differs between runs (and languages): show it as $LOCAL.
    result = json.loads(json.dumps(result).replace(json.dumps(local_dir)[1:-1], "$LOCAL"))
    return {"result": result, "after": case_support.collect(endpoint, case, local_dir)}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case, endpoint, tmp_path):
    if case.get("language") == "r":
        pytest.skip("R's alone (test-cases.R runs it)")
    missing = case_support.missing_fixtures(case["name"])
    if missing:
        pytest.skip(f"fixtures not present: {missing}")
    outcome = run_case(case, endpoint, str(tmp_path / "local"))
    problems = case_support.check(case, outcome["result"], outcome["after"])
    assert not problems, "\n".join(problems)


def test_case_names_are_unique():
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))


def test_every_public_function_has_a_case():
    called = {case["call"] for case in CASES}
    public = {name for name in s3tools.__all__
              if callable(getattr(s3tools, name)) and not isinstance(getattr(s3tools, name), type)}
    # get_credentials returns a summary that depends on the machine: test_session.py
    # and test-session.R check it. Dask is Python's alone: test_ddf.py. The file explorer
    # starts a web server: test_explorer.py, test_explorer_browser.py and test-explorer.R.
    assert public - called <= {"configure", "get_credentials", "file_explorer_s3",
                               *s3tools.ddf.PYTHON_ONLY}


def test_every_error_kind_has_a_case():
    kinds = {case["expected"]["error"]["kind"] for case in CASES if "error" in case["expected"]}
    # An object replaced mid-read needs a writer racing the reader: test_transport.py.
    assert {cls.kind for cls in s3tools.errors.ERROR_CLASSES} - {"changed"} <= kinds


def test_every_case_says_what_it_expects():
    assert {case["name"]: case_support.malformed(case) for case in CASES
            if case_support.malformed(case)} == {}


@pytest.mark.parametrize(("change", "problem"), [
    ({"expected": {}}, "expected is empty"),
    ({"expected": {"fram": {"a": {"type": "integer", "values": [1]}}}}, "unknown expectation"),
    ({"expected": {"error": {"kind": "not_found"}}}, "lacks 'message'"),
    ({"expected": {"error": {"kind": "not_found", "mesage": "x"}}}, "lacks 'message'"),
    ({"expected": {"frame": {"a": {"typ": "integer"}}}}, "lacks 'type'"),
    ({"objetcs": {"a.csv": {"text": "x"}}}, "unknown case field"),
    ({"objects": {"a.csv": {"txt": "x"}}}, "unknown object field"),
    ({"expected": {"frame": {"a": {"type": "double", "r": {"typ": "integer"}}}}},
     "R's column expectation lacks 'type'"),
    ({"expected": {"frame": {"a": {"type": "double", "r": {"type": "integer", "tz": ""}}}}},
     "unknown R's column field 'tz'"),
])
def test_the_checker_refuses_a_case_that_could_not_fail(change, problem):
    """An empty or misspelt expectation would be a check never made: whatever the result,
    the checker says what is wrong with the case."""
    case = {**case_support.case_by_name("csv"), **change}
    nothing = {"objects": {}, "local_files": {}}
    for result in ({"type": "null"}, {"type": "error", "kind": "not_found", "message": "x"}):
        problems = case_support.check(case, result, nothing)
        assert any(problem in line for line in problems), problems
