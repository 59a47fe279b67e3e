"""The R-facing boundary (s3tools.r_bridge), tested from Python."""

from __future__ import annotations

import ctypes
import os

import numpy as np
import pytest
from conftest import BUCKET, get, put

from s3tools import r_bridge


def test_call_returns_a_value_record(seed):
    put(seed, "a.txt", "abc")
    result = r_bridge.call("read_file_from_s3", {"s3_path": f"{BUCKET}/a.txt"}, [], None)
    handle = result["value"]["data"]
    assert result["ok"] and result["value"]["type"] == "raw" and handle["size"] == 3
    assert ctypes.string_at(int(handle["address"], 16), 3) == b"abc"


def test_call_turns_s3tools_errors_into_records(seed):
    result = r_bridge.call("read_file_from_s3", {"s3_path": f"{BUCKET}/missing"}, [], None)
    assert result["ok"] is False
    assert result["kind"] == "not_found"
    assert result["r_class"] == "s3tools_not_found"
    assert "No such object or bucket" in result["message"]


def test_call_turns_value_and_type_errors_into_plain_s3tools_errors(seed):
    put(seed, "a.csv", "a\n1\n")
    result = r_bridge.call("s3_path_to_preview_df", {"s3_path": f"{BUCKET}/a.csv", "n": -1}, [])
    assert (result["ok"], result["r_class"], result["kind"]) == (False, "s3tools_error", "error")
    assert "n must be a whole number" in result["message"]
    unknown = r_bridge.call("no_such_function", {}, {})
    assert unknown["r_class"] == "s3tools_error"


def test_call_rebuilds_frames_and_rejects_duplicate_arguments(seed):
    frame = {".s3tools": "frame", "nrow": 2, "columns": [
        {"name": "a", "kind": "integer", "data": bytearray(np.array([1, 2], "<i4").tobytes())}]}
    result = r_bridge.call("write_df_to_csv_in_s3", {"df": frame, "s3_path": f"{BUCKET}/o.csv"},
                           {"row.names": False})
    assert result == {"ok": True, "value": {"type": "value", "value": f"{BUCKET}/o.csv"}}
    assert seed.get_object(Bucket=BUCKET, Key="o.csv")["Body"].read() == b"a\n1\n2\n"
    twice = r_bridge.call("s3_path_to_df", {"s3_path": f"{BUCKET}/o.csv"}, {"s3_path": "x"})
    assert "twice" in twice["message"]


def test_secrets_never_reach_a_record(seed, monkeypatch):
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    result = r_bridge.call("read_file_from_s3", {"s3_path": f"{BUCKET}/{secret}"}, [])
    assert secret not in result["message"]


def test_sync_environment_sets_and_unsets_only_watched_names(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "old")
    monkeypatch.setenv("UNRELATED_VARIABLE", "kept")
    wanted = {name: os.environ[name] for name in os.environ
              if r_bridge._ENVIRONMENT_RE.search(name) and name != "AWS_PROFILE"}
    wanted["S3TOOLS_MAX_CONCURRENCY"] = "3"
    r_bridge.sync_environment(wanted)
    assert "AWS_PROFILE" not in os.environ
    assert os.environ["S3TOOLS_MAX_CONCURRENCY"] == "3"
    assert os.environ["UNRELATED_VARIABLE"] == "kept"
    r_bridge.sync_environment(None)  # unchanged since the last call
    assert os.environ["S3TOOLS_MAX_CONCURRENCY"] == "3"
    monkeypatch.delenv("S3TOOLS_MAX_CONCURRENCY")


@pytest.mark.parametrize(("r_options", "writing", "python_options"), [
    ({"row.names": False, "sep": ";"}, True, {"sep": ";"}),
    ({"skip": 2, "n_max": 5}, False, {"skiprows": 2, "nrows": 5}),
    ({"col_names": False}, False, {"header": None}),
    ({"header": True}, False, {"header": 0}),
    ({"col_names": ["a", "b"]}, False, {"names": ["a", "b"], "header": None}),
    ({"col_names": False}, True, {"header": False}),
    ({"sheet": 2}, False, {"sheet_name": 1}),
    ({"sheet": "Totals"}, False, {"sheet_name": "Totals"}),
    ({"na": "-"}, False, {"na_values": ["-"]}),
    ({"na": "NA"}, True, {"na_rep": "NA"}),
    ({"usecols": ["a"]}, False, {"usecols": ["a"]}),
])
def test_translate_options(r_options, writing, python_options):
    assert r_bridge.translate_options(r_options, writing=writing) == python_options


def test_temporary_helpers(seed, tmp_path):
    put(seed, "book.xlsx", b"PK")
    call = r_bridge.call("temporary_copy", {"s3_path": f"{BUCKET}/book.xlsx"}, {}, None)
    local = call["value"]["value"]
    try:
        assert local.endswith(".xlsx")
        assert os.stat(local).st_mode & 0o777 == 0o600  # the same private copy as Python's
        with open(local, "rb") as handle:
            assert handle.read() == b"PK"
    finally:
        os.remove(local)
    target = r_bridge.temporary_upload_path(f"{BUCKET}/new.rds")
    assert target.endswith(".rds") and os.path.exists(target)
    os.remove(target)
    with pytest.raises(FileExistsError):
        r_bridge.temporary_upload_path(f"{BUCKET}/book.xlsx")


def test_upload_temporary_is_a_conditional_write(seed, tmp_path):
    """The key appeared after R's write_using checked it: the upload does not replace it."""
    local = tmp_path / "written.csv"
    local.write_bytes(b"from R\n")
    assert r_bridge.upload_temporary(str(local), f"{BUCKET}/r.csv") == f"{BUCKET}/r.csv"
    assert get(seed, "r.csv") == b"from R\n"
    put(seed, "raced.csv", b"first\n")
    failed = r_bridge.call("upload_temporary", {"local_path": str(local),
                                                "s3_path": f"{BUCKET}/raced.csv"}, {}, None)
    assert failed["r_class"] == "s3tools_exists"
    assert get(seed, "raced.csv") == b"first\n"
    r_bridge.upload_temporary(str(local), f"{BUCKET}/raced.csv", overwrite=True)
    assert get(seed, "raced.csv") == b"from R\n"


def test_public_signatures_name_every_function():
    import inspect

    import s3tools
    from s3tools import ddf

    signatures = r_bridge.public_signatures()
    public = {name for name in s3tools.__all__ if callable(getattr(s3tools, name))
              and not isinstance(getattr(s3tools, name), type)}
    # configure() is Python's way to set what R users set in .Renviron; Dask is Python's.
    assert set(signatures) == public - {"configure", *ddf.PYTHON_ONLY}
    for name, arguments in signatures.items():
        parameters = inspect.signature(getattr(s3tools, name)).parameters
        # R takes keyword-only arguments after its `...`: they come last.
        order = [p for p in parameters.values() if p.kind != p.KEYWORD_ONLY] + \
            [p for p in parameters.values() if p.kind == p.KEYWORD_ONLY]
        assert [argument[0] for argument in arguments] == [p.name for p in order], name
        for argument, default, required, var_keyword in arguments:
            parameter = parameters[argument]
            assert required is (parameter.default is parameter.empty), (name, argument)
            assert default == (None if required else parameter.default), (name, argument)
            assert var_keyword is (parameter.kind == parameter.VAR_KEYWORD), (name, argument)
    assert signatures["s3_path_to_preview_df"][:2] == [["s3_path", None, True, False],
                                                        ["n", 5, False, False]]


def test_a_folder_read_for_r_joins_files_parsed_by_pandas_and_by_pyarrow(seed):
    from test_r_types import r_gets

    put(seed, "mixed/a.csv", "n,x,flag\n1,1.5,True\n,NaN,\n")  # small: pandas' parser
    large = "n,x,flag\n" + "2,2.5,False\n" * 40_000 + ",NaN,\n"  # beyond the sample: pyarrow's
    put(seed, "mixed/b.csv", large)
    result = r_bridge.call("s3_path_to_df", {"s3_path": f"{BUCKET}/mixed/"}, [], None)
    assert result["ok"], result
    columns = {record["name"]: r_gets(record) for record in result["value"]["columns"]}
    r_bridge.r_codec.release()
    assert columns["n"][0] == "integer" and columns["n"][1][:2] == [1, None]
    assert columns["n"][1][-2:] == [2, None]
    assert columns["x"][0] == "double"
    assert columns["x"][1][:2] == [1.5, "NaN"] and columns["x"][1][-1] == "NaN"
    assert columns["flag"] == ("logical", [1, None] + [0] * 40_000 + [None])
