"""What both case runners share: seeding the server, collecting what a case left, judging results.

The cases (``tests/cases/*.json``) are run by pytest (``tests/python/test_cases.py``)
and by testthat (``tests/testthat/test-cases.R``, through reticulate). Each
runner calls the s3tools function in its own language and describes the result
in one plain form (:func:`normalise` here, ``normalise_result()`` in R):

- ``{"type": "frame", "names": [...], "columns": {name: {"type", "values", "tz", "levels"}}}``
  with R's type names (integer, double, character, logical, Date, POSIXct, factor,
  integer64); doubles as ``"%.17g"`` text, NA as ``None``, NaN as ``"NaN"``; dates
  as ISO text; date-times as seconds since the epoch (``"%.17g"``); integer64 as
  decimal text.

Where R's types keep more than pandas' (:mod:`s3tools.r_types`), a column of a
case's expected frame says what R gets under ``"r"`` (``{"type", "values"}``);
the rest holds for both. A case with ``"language": "r"`` is R's alone, and
``"r_packages"`` names the R packages it needs.
- ``{"type": "raw", "base64": ...}``, ``{"type": "character", "values": [...]}``,
  ``{"type": "logical", "values": [...]}``, ``{"type": "raw_list", "names", "base64"}``,
  ``{"type": "null"}``, ``{"type": "error", "kind", "message"}``.

The server is seeded with a plain boto3 client, never with s3tools.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import os
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import botocore.config

HERE = Path(__file__).resolve().parent
BUCKET = "test-bucket"
ADMIN_KEY = "AKIATESTKEY000000001"
ADMIN_SECRET = "s3tools-test-secret-do-not-print-8d1f"
CASE_FILES = ("read.json", "write.json", "listing.json", "errors.json")

READ_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
    }],
}


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for name in CASE_FILES:
        with open(HERE / name, encoding="utf-8") as handle:
            cases.extend(json.load(handle))
    return cases


def case_by_name(name: str) -> dict[str, Any]:
    for case in load_cases():
        if case["name"] == name:
            return case
    raise KeyError(name)


def load_frames() -> dict[str, Any]:
    with open(HERE / "frames.json", encoding="utf-8") as handle:
        return json.load(handle)


def _post(endpoint: str, action: str, body: bytes, content_type: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/{action}", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(request).read()


def reset(endpoint: str) -> None:
    """An empty server with IAM checks off."""
    set_auth(endpoint, float("inf"))
    _post(endpoint, "reset", b"{}", "application/json")


def set_auth(endpoint: str, free_requests: float) -> None:
    """moto's IAM checks: on after ``free_requests`` more requests (``inf``: off)."""
    _post(endpoint, "reset-auth", str(free_requests).encode(), "text/plain")


def admin_client(endpoint: str, service: str = "s3") -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=ADMIN_KEY, aws_secret_access_key=ADMIN_SECRET,
        config=botocore.config.Config(proxies={}, s3={"addressing_style": "path"}),
    )


def missing_fixtures(name: str) -> list[str]:
    """Optional fixture files a case needs that are not here (tests/data is not in the R build)."""
    case = case_by_name(name)
    return [spec["file"] for spec in case.get("seed", {}).values()
            if "file" in spec and spec.get("optional") and not (HERE / "data" / spec["file"]).exists()]


def _body(spec: dict[str, Any]) -> bytes:
    if "text" in spec:
        return spec["text"].encode("utf-8")
    if "file" in spec:
        return (HERE / "data" / spec["file"]).read_bytes()
    return base64.b64decode(spec["base64"])


def prepare(endpoint: str, case: dict[str, Any], local_dir: str) -> dict[str, str]:
    """Reset and seed the server and the local folder for a case.

    Returns the environment variables the runner must set for the call: the
    read-only user's keys when the case asks for ``"access": "read_only"``
    (the runner then calls :func:`set_auth` with 0 just before the call).
    """
    reset(endpoint)
    client = admin_client(endpoint)
    for bucket in [BUCKET, *case.get("buckets", [])]:
        client.create_bucket(Bucket=bucket)
    for key, spec in case.get("seed", {}).items():
        client.put_object(Bucket=spec.get("bucket", BUCKET), Key=key, Body=_body(spec))
    os.makedirs(local_dir, exist_ok=True)
    for name, text in case.get("local_files", {}).items():
        Path(local_dir, name).write_text(text, encoding="utf-8")
    environment = dict(case.get("environment", {}))
    if case.get("access") == "read_only":
        key = create_read_only_user(endpoint)
        environment.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                           AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    return environment


def create_read_only_user(endpoint: str) -> dict[str, str]:
    """An IAM user allowed only to read ``test-bucket``; returns its access key record."""
    iam = admin_client(endpoint, "iam")
    iam.create_user(UserName="reader")
    policy = iam.create_policy(PolicyName="read-only-test-bucket",
                               PolicyDocument=json.dumps(READ_ONLY_POLICY))
    iam.attach_user_policy(UserName="reader", PolicyArn=policy["Policy"]["Arn"])
    return iam.create_access_key(UserName="reader")["AccessKey"]


# What a user or role needs to read its own policies (accessible_buckets() reads them
# where ListBuckets is denied).
READ_OWN_POLICIES = {
    "Effect": "Allow",
    "Action": ["iam:ListUserPolicies", "iam:GetUserPolicy", "iam:ListAttachedUserPolicies",
               "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
               "iam:GetPolicy", "iam:GetPolicyVersion"],
    "Resource": "*",
}


def bucket_statement(bucket: str, actions: list[str]) -> dict[str, Any]:
    """An IAM statement allowing ``actions`` on a bucket and its objects."""
    return {"Effect": "Allow", "Action": actions,
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}


def _document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def create_user_with_policy(endpoint: str, name: str,
                            statements: list[dict[str, Any]]) -> dict[str, str]:
    """An IAM user with one attached policy of ``statements``, allowed to read its own
    policies (an inline one); returns its access key record."""
    iam = admin_client(endpoint, "iam")
    iam.create_user(UserName=name)
    policy = iam.create_policy(PolicyName=f"{name}-buckets", PolicyDocument=_document(statements))
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Policy"]["Arn"])
    iam.put_user_policy(UserName=name, PolicyName="read-own-policies",
                        PolicyDocument=_document([READ_OWN_POLICIES]))
    return iam.create_access_key(UserName=name)["AccessKey"]


def assume_role_with_policy(endpoint: str, name: str,
                            statements: list[dict[str, Any]]) -> dict[str, str]:
    """Temporary credentials (with a session token) of a role whose inline policy holds
    ``statements``, allowed to read its own policies, as platforms hand them out."""
    iam = admin_client(endpoint, "iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=name, PolicyName="buckets",
                        PolicyDocument=_document([*statements, READ_OWN_POLICIES]))
    return admin_client(endpoint, "sts").assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="analyst")["Credentials"]


def substitute(value: Any, local_dir: str) -> Any:
    """``$LOCAL/name`` in an argument is a file in the case's local folder."""
    if isinstance(value, str) and value.startswith("$LOCAL/"):
        return str(Path(local_dir, value[len("$LOCAL/"):]))
    return value


def collect(endpoint: str, case: dict[str, Any], local_dir: str) -> dict[str, Any]:
    """The objects and local files the case wants to look at afterwards (IAM checks off)."""
    set_auth(endpoint, float("inf"))
    client = admin_client(endpoint)
    objects: dict[str, str | None] = {}
    for key in case.get("objects", {}):
        try:
            body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            objects[key] = base64.b64encode(body).decode()
        except client.exceptions.NoSuchKey:
            objects[key] = None
    wanted = {**case.get("expected", {}).get("local_files", {}), **case.get("local_files_after", {})}
    local = {}
    for name in wanted:
        path = Path(local_dir, name)
        local[name] = path.read_text(encoding="utf-8") if path.exists() else None
    return {"objects": objects, "local_files": local}


# --------------------------------------------------------------- judging

def number_text(value: float) -> str | None:
    if value is None:
        return None
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return format(float(value), ".17g")


def normalise(value: Any) -> dict[str, Any]:
    """A Python result in the shared plain form (see the module docstring)."""
    import pandas as pd

    if value is None:
        return {"type": "null"}
    if isinstance(value, pd.DataFrame):
        return _normalise_frame(value)
    if isinstance(value, (bytes, bytearray)):
        return {"type": "raw", "base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, bool):
        return {"type": "logical", "values": [value]}
    if isinstance(value, str):
        return {"type": "character", "values": [value]}
    if isinstance(value, dict):
        return {"type": "raw_list", "names": list(value),
                "base64": [base64.b64encode(bytes(v)).decode() for v in value.values()]}
    if isinstance(value, (list, tuple)):
        return {"type": "character", "values": list(value)}
    return {"type": "other", "repr": repr(value)}


def r_type(column: Any) -> str:
    """The R type a pandas column becomes (the mapping documented in s3tools.r_codec)."""
    import numpy as np
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "factor"
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return "POSIXct"
    if pd.api.types.is_bool_dtype(dtype):
        return "logical"
    if pd.api.types.is_integer_dtype(dtype):
        present = [int(value) for value in column.dropna()]
        if not present or (min(present) > -2**31 and max(present) < 2**31):
            return "integer"
        if -2**53 <= min(present) and max(present) <= 2**53:
            return "double"
        return "integer64" if -2**63 < min(present) and max(present) < 2**63 else "double"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    if inferred == "date":
        return "Date"
    if inferred == "boolean":
        return "logical"
    if inferred == "empty":
        return "logical"
    return "character"


def _normalise_frame(frame: Any) -> dict[str, Any]:
    import numpy as np

    columns = {}
    for name in frame.columns:
        column = frame[name]
        kind = r_type(column)
        missing = column.isna().to_numpy()
        entry: dict[str, Any] = {"type": kind}
        if kind == "double":
            nan_kept = not isinstance(column.dtype, np.dtype)
            data = column.to_numpy(dtype=np.float64, na_value=np.nan)
            entry["values"] = [None if m or (not nan_kept and math.isnan(v)) else number_text(v)
                               for v, m in zip(data, missing)]
        elif kind == "integer":
            entry["values"] = [None if m else int(v) for v, m in zip(column.to_numpy(dtype=object), missing)]
        elif kind == "integer64":
            entry["values"] = [None if m else str(int(v)) for v, m in zip(column.to_numpy(dtype=object), missing)]
        elif kind == "logical":
            entry["values"] = [None if m else bool(v) for v, m in zip(column.to_numpy(dtype=object), missing)]
        elif kind == "Date":
            entry["values"] = [None if m else str(v) for v, m in zip(column.to_numpy(dtype=object), missing)]
        elif kind == "POSIXct":
            tz = getattr(column.dtype, "tz", None)
            utc = column.dt.tz_convert("UTC").dt.tz_localize(None) if tz is not None else column
            micro = utc.to_numpy().astype("datetime64[us]").astype(np.int64)
            entry["values"] = [None if m else number_text(v / 1e6) for v, m in zip(micro, missing)]
            entry["tz"] = str(tz) if tz is not None else ""
        elif kind == "factor":
            entry["levels"] = [str(level) for level in column.cat.categories]
            entry["values"] = [None if m else str(v) for v, m in zip(column.to_numpy(dtype=object), missing)]
        else:
            entry["values"] = [None if m else str(v) for v, m in zip(column.to_numpy(dtype=object), missing)]
        columns[str(name)] = entry
    return {"type": "frame", "names": [str(n) for n in frame.columns], "columns": columns,
            "rows": len(frame)}


def normalise_error(error: BaseException) -> dict[str, Any]:
    return {"type": "error", "kind": getattr(error, "kind", "error"), "message": str(error)}


def _same_number(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, str) or isinstance(actual, str) and not _is_number(actual):
        return str(expected) == str(actual)
    return float(expected) == float(actual) or math.isclose(float(expected), float(actual),
                                                            rel_tol=1e-15)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text not in ("NaN", "Inf", "-Inf")


# What a case may say, and what its ``expected`` may hold: a misspelt name would be a
# check that is silently never made.
CASE_FIELDS = {"name", "call", "arguments", "expected", "seed", "objects", "local_files",
               "local_files_after", "environment", "buckets", "access", "ignore_columns",
               "language", "r_packages"}
EXPECTATIONS = {"error", "raw_text", "character", "logical", "null", "raw_list", "rows", "frame",
                "local_files"}
_FIELDS = {"error": ({"kind", "message"}, {"absent"}),
           "object": (set(), {"absent", "exists", "text", "gzip_text"}),
           "column": ({"type"}, {"values", "tz", "levels", "r"}),
           "R's column": ({"type"}, {"values"})}


def malformed(case: dict[str, Any]) -> list[str]:
    """What in a case's own text would make a check silently pass: an empty ``expected``,
    or a name that is not one of the fields the checker knows."""
    problems = [f"unknown case field {name!r}" for name in sorted(set(case) - CASE_FIELDS)]
    expected = case.get("expected")
    if not isinstance(expected, dict) or not expected:
        return [*problems, "expected is empty: say what the call returns or raises"]
    problems += [f"unknown expectation {name!r} (known: {', '.join(sorted(EXPECTATIONS))})"
                 for name in sorted(set(expected) - EXPECTATIONS)]
    specs = [("error", expected["error"])] if "error" in expected else []
    specs += [("object", spec) for spec in case.get("objects", {}).values()]
    specs += [("column", spec) for spec in expected.get("frame", {}).values()]
    specs += [("R's column", spec["r"]) for spec in expected.get("frame", {}).values()
              if isinstance(spec, dict) and "r" in spec]
    for what, spec in specs:
        required, optional = _FIELDS[what]
        if not isinstance(spec, dict):
            problems.append(f"{what} expectation {spec!r} is not an object")
            continue
        problems += [f"{what} expectation lacks {name!r}" for name in sorted(required - set(spec))]
        problems += [f"unknown {what} field {name!r}"
                     for name in sorted(set(spec) - required - optional)]
    return problems


def r_columns(case: dict[str, Any]) -> list[str]:
    """The columns of a case's expected frame that R gets in its own types."""
    frame = case["expected"].get("frame", {})
    return [name for name, spec in frame.items() if "r" in spec]


def check(case: dict[str, Any], result: dict[str, Any], after: dict[str, Any],
          language: str = "python") -> list[str]:
    """What is wrong with a normalised result and what the case left behind ([] when all
    is right); ``language`` is the runner's ("python" or "r")."""
    problems = malformed(case)
    if problems:
        return problems
    expected = case["expected"]
    kind = result.get("type")
    if "error" in expected:
        want = expected["error"]
        if kind != "error":
            return [f"expected a {want['kind']} error, got {json.dumps(result)[:300]}"]
        if result["kind"] != want["kind"]:
            problems.append(f"error kind {result['kind']!r}, expected {want['kind']!r} "
                            f"({result['message']})")
        if want["message"].lower() not in result["message"].lower():
            problems.append(f"message {result['message']!r} lacks {want['message']!r}")
        if want.get("absent") and want["absent"] in result["message"]:
            problems.append(f"message shows {want['absent']!r}")
    elif kind == "error":
        return [f"unexpected error {result['kind']}: {result['message']}"]
    simple = {
        "raw_text": lambda want: kind == "raw" and base64.b64decode(result["base64"]) ==
        want.encode(),
        "character": lambda want: kind == "character" and result["values"] == want,
        "logical": lambda want: kind == "logical" and result["values"] == want,
        "null": lambda want: (kind == "null") == want,
    }
    for key, holds in simple.items():
        if key in expected and not holds(expected[key]):
            problems.append(f"expected {key} {expected[key]!r}, got "
                            f"{json.dumps(result, ensure_ascii=False)[:300]}")
    if "raw_list" in expected:
        want = expected["raw_list"]
        got = dict(zip(result.get("names", []), result.get("base64", [])))
        if kind != "raw_list" or list(got) != list(want) or any(
                base64.b64decode(got[k]) != v.encode() for k, v in want.items()):
            problems.append(f"expected {want!r}, got {json.dumps(result)[:300]}")
    if "rows" in expected and (kind != "frame" or result["rows"] != expected["rows"]):
        problems.append(f"expected {expected['rows']} rows, got {json.dumps(result)[:300]}")
    if "frame" in expected:
        frame = expected["frame"]
        if language == "r":
            frame = {name: {**spec, **spec["r"]} if "r" in spec else spec
                     for name, spec in frame.items()}
        problems.extend(_check_frame(frame, result))
    for name, text in expected.get("local_files", {}).items():
        if after["local_files"].get(name) != text:
            problems.append(f"local file {name}: {after['local_files'].get(name)!r}, expected {text!r}")
    for name, text in case.get("local_files_after", {}).items():
        if after["local_files"].get(name) != text:
            problems.append(f"local file {name}: {after['local_files'].get(name)!r}, expected {text!r}")
    for key, spec in case.get("objects", {}).items():
        stored = after["objects"].get(key)
        body = base64.b64decode(stored) if stored is not None else None
        if spec.get("absent") or spec.get("exists") is False:
            if body is not None:
                problems.append(f"object {key} should not exist")
            continue
        if body is None:
            problems.append(f"object {key} is missing")
        elif "text" in spec and body != spec["text"].encode():
            problems.append(f"object {key} holds {body[:200]!r}, expected {spec['text']!r}")
        elif "gzip_text" in spec and gzip.decompress(body) != spec["gzip_text"].encode():
            problems.append(f"object {key} unzips to {gzip.decompress(body)[:200]!r}")
    return problems


def _check_frame(want: dict[str, Any], result: dict[str, Any]) -> list[str]:
    if result.get("type") != "frame":
        return [f"expected a data frame, got {json.dumps(result)[:300]}"]
    problems = []
    if result["names"] != list(want):
        problems.append(f"columns {result['names']}, expected {list(want)}")
    for name, spec in want.items():
        got = result["columns"].get(name)
        if got is None:
            continue
        if got["type"] != spec["type"]:
            problems.append(f"column {name} is {got['type']}, expected {spec['type']}")
        if "values" not in spec:
            continue
        values = got.get("values", [])
        if len(values) != len(spec["values"]) or not all(
                _same_number(e, a) if spec["type"] == "double" else e == a
                for e, a in zip(spec["values"], values)):
            problems.append(f"column {name} holds {values}, expected {spec['values']}")
    return problems


def compare(left: dict[str, Any], right: dict[str, Any], ignore_columns: list[str] = (),
            own_types: list[str] = ()) -> list[str]:
    """Differences between two normalised results (R's and Python's for one case).

    ``ignore_columns``: columns whose values differ by nature (their types must not);
    ``own_types``: columns each language types its own way (see :func:`r_columns`),
    left out here and judged by :func:`check` in each language.
    """
    def trimmed(result: dict[str, Any]) -> dict[str, Any]:
        result = json.loads(json.dumps(result))
        if result.get("type") == "frame":
            for name in ignore_columns:
                if name in result["columns"]:
                    result["columns"][name].pop("values", None)
            for name in own_types:
                result["columns"].pop(name, None)
        return result

    a, b = trimmed(left), trimmed(right)
    if a == b:
        return []
    return [f"R:      {json.dumps(a, ensure_ascii=False)[:600]}",
            f"Python: {json.dumps(b, ensure_ascii=False)[:600]}"]


# ---------------------------------------------------- entry points for R

def prepare_named(endpoint: str, name: str, local_dir: str) -> dict[str, str]:
    return prepare(endpoint, case_by_name(name), local_dir)


def collect_json(endpoint: str, name: str, local_dir: str) -> str:
    return json.dumps(collect(endpoint, case_by_name(name), local_dir))


def check_json(name: str, result_json: str, after_json: str, language: str = "r") -> list[str]:
    return check(case_by_name(name), json.loads(result_json), json.loads(after_json), language)
