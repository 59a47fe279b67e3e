"""config and clients: where each setting comes from, and a custom endpoint that just works."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import ACCESS_KEY, BUCKET, SECRET_KEY, get, put

import s3tools
import s3tools.transport
from s3tools import config

DEAD_PROXY = "http://127.0.0.1:9"


def write_profile(tmp_path, monkeypatch, body: str, profile: str = "safe") -> None:
    path = tmp_path / "aws-config"
    path.write_text(body)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    monkeypatch.setenv("AWS_PROFILE", profile)


def test_the_endpoint_comes_from_the_environment(endpoint):
    settings = s3tools.transport.settings()
    assert settings.endpoint_url == endpoint
    assert settings.custom_endpoint
    assert settings.endpoint_label == endpoint
    assert settings.region == "us-east-1"
    assert settings.max_concurrency == config.DEFAULT_CONCURRENCY


def test_s3_specific_variables_win():
    environ = {"AWS_ENDPOINT_URL": "http://general:1", "AWS_ENDPOINT_URL_S3": "http://s3only:2/",
               "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-2"}
    settings = config.resolve(environ)
    assert settings.endpoint_url == "http://s3only:2"
    assert settings.region == "eu-west-2"


def test_defaults_are_aws_in_us_east_1(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    settings = s3tools.transport.settings()
    assert settings.endpoint_url is None
    assert not settings.custom_endpoint
    assert settings.region == "us-east-1"
    assert "AWS" in settings.endpoint_label


def test_profile_values_from_the_config_file(tmp_path, monkeypatch):
    write_profile(tmp_path, monkeypatch,
                  "[profile safe]\nendpoint_url = http://haven:7070\nregion = eu-west-2\n")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    settings = config.resolve()
    assert (settings.endpoint_url, settings.region, settings.profile) == (
        "http://haven:7070", "eu-west-2", "safe")


def test_profile_s3_subsection_endpoint(tmp_path, monkeypatch):
    write_profile(tmp_path, monkeypatch,
                  "[profile safe]\ns3 =\n  endpoint_url = http://haven:7070\n")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert config.resolve().endpoint_url == "http://haven:7070"


def test_environment_wins_over_the_profile(tmp_path, monkeypatch, endpoint):
    write_profile(tmp_path, monkeypatch,
                  "[profile safe]\nendpoint_url = http://haven:7070\nregion = eu-west-2\n")
    settings = config.resolve()
    assert settings.endpoint_url == endpoint
    assert settings.region == "us-east-1"


def test_endpoint_from_profile_with_keys_from_the_environment(seed, tmp_path, monkeypatch,
                                                              endpoint):
    # The Safe Haven set-up: endpoint in ~/.aws/config, keys in .Renviron.
    write_profile(tmp_path, monkeypatch, f"[profile safe]\nendpoint_url = {endpoint}\n")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    put(seed, "a.csv", "x\n1\n")
    assert s3tools.read_file_from_s3(f"{BUCKET}/a.csv") == b"x\n1\n"
    s3tools.write_df_to_csv_in_s3(pd.DataFrame({"x": [2]}), f"{BUCKET}/b.csv")
    assert get(seed, "b.csv") == b"x\n2\n"


def test_unknown_profile_is_a_config_error(tmp_path, monkeypatch):
    write_profile(tmp_path, monkeypatch, "[profile other]\nregion = eu-west-2\n")
    with pytest.raises(s3tools.ConfigError, match="AWS_PROFILE"):
        s3tools.read_file_from_s3(f"{BUCKET}/a.csv")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    with pytest.raises(s3tools.ConfigError, match="AWS_PROFILE"):
        config.resolve()


@pytest.mark.parametrize("bad", ["haven:7070", "ftp://haven", "http://"])
def test_an_endpoint_that_is_not_a_url_is_a_config_error(monkeypatch, bad):
    monkeypatch.setenv("AWS_ENDPOINT_URL", bad)
    with pytest.raises(s3tools.ConfigError, match="not a URL"):
        s3tools.read_file_from_s3(f"{BUCKET}/a.csv")


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_concurrency_must_be_a_positive_whole_number(monkeypatch, bad):
    monkeypatch.setenv("S3TOOLS_MAX_CONCURRENCY", bad)
    with pytest.raises(s3tools.ConfigError, match="S3TOOLS_MAX_CONCURRENCY"):
        s3tools.transport.settings()


@pytest.mark.parametrize(("text", "size"), [("", config.DEFAULT_PREVIEW_LIMIT),
                                             ("1048576", 1048576), ("8MB", 8 * 1024 ** 2),
                                             (" 1.5 GiB ", int(1.5 * 1024 ** 3))])
def test_the_preview_limit_is_a_size(monkeypatch, text, size):
    monkeypatch.setenv("S3TOOLS_PREVIEW_LIMIT", text)
    assert config.value("preview_limit") == size
    assert config.DEFAULT_PREVIEW_LIMIT == 64 * 1024 ** 2


@pytest.mark.parametrize("bad", ["0", "lots", "-1MB"])
def test_a_bad_preview_limit_is_a_configuration_error(seed, monkeypatch, bad):
    put(seed, "a.csv", "x\n1\n")
    monkeypatch.setenv("S3TOOLS_PREVIEW_LIMIT", bad)
    with pytest.raises(s3tools.ConfigError, match="S3TOOLS_PREVIEW_LIMIT"):
        s3tools.s3_path_to_preview_df(f"{BUCKET}/a.csv")
    s3tools.configure(preview_limit="1MB")
    assert config.value("preview_limit") == 1024 ** 2
    assert config.origins()["preview_limit"] == "environment variable S3TOOLS_PREVIEW_LIMIT"


def test_configure_sets_the_standard_variables(monkeypatch, endpoint):
    import os

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://stale:1")
    monkeypatch.setenv("AWS_REGION", "eu-west-9")
    s3tools.configure(endpoint_url=endpoint + "/", region="eu-west-1", max_concurrency=3,
                      profile=None)
    assert os.environ["AWS_ENDPOINT_URL"] == endpoint + "/"
    assert "AWS_ENDPOINT_URL_S3" not in os.environ
    assert "AWS_REGION" not in os.environ
    settings = s3tools.transport.settings()
    assert (settings.endpoint_url, settings.region, settings.max_concurrency) == (
        endpoint, "eu-west-1", 3)
    s3tools.configure(max_concurrency="")
    assert "S3TOOLS_MAX_CONCURRENCY" not in os.environ
    assert s3tools.transport.settings().max_concurrency == config.DEFAULT_CONCURRENCY


def test_configure_rejects_unknown_settings():
    with pytest.raises(s3tools.ConfigError, match="endpoint"):
        s3tools.configure(endpoint="http://x:1")


def test_a_changed_environment_is_seen_at_the_next_call(seed, monkeypatch):
    put(seed, "a.csv", "x\n1\n")
    assert s3tools.s3_file_exists(f"{BUCKET}/a.csv")
    first = s3tools.transport.client()
    assert first.meta.region_name == "us-east-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert s3tools.s3_file_exists(f"{BUCKET}/a.csv")
    second = s3tools.transport.client()
    assert second is not first
    assert second.meta.region_name == "eu-west-2"
    assert s3tools.transport.client() is second  # cached while nothing changes


@pytest.mark.parametrize("name", config.WATCHED_VARIABLES)
def test_setting_or_removing_any_watched_variable_is_seen(monkeypatch, name):
    monkeypatch.delenv(name, raising=False)
    before = config.fingerprint()
    monkeypatch.setenv(name, "changed")
    assert config.fingerprint() != before
    monkeypatch.setenv(name, "changed again")
    changed = config.fingerprint()
    monkeypatch.delenv(name)
    assert config.fingerprint() == before != changed


def test_custom_endpoint_client_options():
    client = s3tools.transport.client()
    options = client.meta.config
    assert options.s3["addressing_style"] == "path"
    assert options.request_checksum_calculation == "when_required"
    assert options.response_checksum_validation == "when_required"
    assert options.proxies == {}


def test_settings_repr_has_no_secret_nor_proxy_credentials(monkeypatch):
    monkeypatch.setenv("S3TOOLS_PROXY", "http://user:proxy-password@127.0.0.1:3128")
    settings = s3tools.transport.settings()
    for text in (repr(settings), str(settings)):
        assert SECRET_KEY not in text
        assert "proxy-password" not in text
        assert ACCESS_KEY not in text


def test_a_dead_environment_proxy_is_not_used_for_the_custom_endpoint(seed, monkeypatch):
    put(seed, "in.csv", "a,b\n1,x\n")
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, DEAD_PROXY)
    assert s3tools.read_file_from_s3(f"{BUCKET}/in.csv") == b"a,b\n1,x\n"
    assert s3tools.s3_path_to_df(f"{BUCKET}/in.csv").shape == (1, 2)
    s3tools.write_df_to_csv_in_s3(pd.DataFrame({"a": [1]}), f"{BUCKET}/out.csv")
    assert get(seed, "out.csv") == b"a\n1\n"
    assert s3tools.list_files_in_buckets(BUCKET, path_only=True) == [
        f"{BUCKET}/in.csv", f"{BUCKET}/out.csv"]


def test_s3tools_proxy_is_used_when_asked_for(seed, monkeypatch, endpoint):
    put(seed, "in.csv", "a\n1\n")
    monkeypatch.setenv("S3TOOLS_PROXY", DEAD_PROXY)
    with pytest.raises(s3tools.S3ConnectionError) as caught:
        s3tools.read_file_from_s3(f"{BUCKET}/in.csv")
    assert isinstance(caught.value, ConnectionError)
    assert endpoint in str(caught.value)
    assert f"{BUCKET}/in.csv" in str(caught.value)


def test_an_unreachable_endpoint_is_a_connection_error_naming_it(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(s3tools.S3ConnectionError, match=r"http://127\.0\.0\.1:9"):
        s3tools.list_files_in_buckets(BUCKET)


def test_r_sends_every_watched_variable():
    """R passes on the variables its pattern matches: every watched one must be among them."""
    from s3tools import r_bridge

    pattern = re.compile(r_bridge.ENVIRONMENT_PATTERN, re.IGNORECASE)
    assert [name for name in config.WATCHED_VARIABLES if not pattern.search(name)] == []
    assert {"NO_PROXY", "no_proxy"} <= set(config.WATCHED_VARIABLES)


# Where os.environ may be read outside config.py, by (module, function): R's variables
# copied into this process, the only reads that are not of a setting.
ENVIRONMENT_SYNC = {("r_bridge.py", "sync_environment")}
SETTING_VARIABLE = re.compile(r"^(S3TOOLS_|AWS_)")


def _environment_reads(tree):
    """(function, line, variable) for each read of one variable of os.environ in a module;
    the variable is ``"?"`` where its name is computed."""
    import ast

    def is_environ(node):
        return (isinstance(node, ast.Attribute) and node.attr == "environ"
                and isinstance(node.value, ast.Name) and node.value.id == "os")

    def read_of(node):  # the node naming the variable, where node reads one
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
            if node.func.attr == "get" and is_environ(node.func.value):
                return node.args[0]
            if node.func.attr == "getenv" and getattr(node.func.value, "id", "") == "os":
                return node.args[0]
        if isinstance(node, ast.Subscript) and is_environ(node.value) \
                and isinstance(node.ctx, ast.Load):
            return node.slice
        if isinstance(node, ast.Compare) and any(map(is_environ, node.comparators)):
            return node.left
        return None

    found = []

    def visit(node, function):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        variable = read_of(node)
        if variable is not None:
            found.append((function, node.lineno,
                          variable.value if isinstance(variable, ast.Constant) else "?"))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "<module>")
    return found


def test_settings_are_read_from_the_environment_in_config_only():
    """Every S3TOOLS_* and AWS_* variable is read by config.py; elsewhere only R's copy
    into os.environ reads variables (a read of a name not written out counts as one)."""
    import ast
    from pathlib import Path

    package = Path(s3tools.__file__).parent
    elsewhere = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "config.py" and path.parent == package:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for function, line, variable in _environment_reads(tree):
            allowed = (path.name, function) in ENVIRONMENT_SYNC
            if variable == "?" and not allowed or SETTING_VARIABLE.match(str(variable)):
                elsewhere.append(f"{path.relative_to(package)}:{line} {variable}")
    assert sorted(set(elsewhere)) == []


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("buckets", "data:read-only, scratch ,", {"data": "read-only", "scratch": None}),
    ("memory_limit", "1.5G", 1536 * 1024 ** 2),
    ("memory_check", " No ", False),
    ("progress", "auto", True),
    ("progress", "off", False),
    ("get_client", "BotoCore", "botocore"),
    ("ram_folder", "/dev/shm", "/dev/shm"),
    ("read_timeout", "2.5", 2.5),
])
def test_each_setting_is_read_by_its_rule_and_says_where_it_came_from(name, text, expected):
    variable = config.SETTINGS[name].variables[0]
    assert config.value(name, {variable: text}) == expected
    assert config.origins({variable: text})[name] == f"environment variable {variable}"


@pytest.mark.parametrize(("name", "text"), [
    ("buckets", "data:owner"), ("memory_limit", "lots"), ("memory_check", "maybe"),
    ("progress", "sometimes"), ("get_client", "curl"), ("max_attempts", "1.5"),
])
def test_a_setting_that_does_not_parse_is_a_config_error_naming_its_variable(name, text):
    variable = config.SETTINGS[name].variables[0]
    with pytest.raises(s3tools.ConfigError, match=variable):
        config.value(name, {variable: text})


def test_unset_or_blank_settings_take_their_defaults():
    for environ in ({}, {variable: "  " for setting in config.SETTINGS.values()
                         for variable in setting.variables if variable.startswith("S3TOOLS_")}):
        assert config.value("progress", environ) is True
        assert config.value("memory_check", environ) is True
        assert config.value("memory_limit", environ) is None
        assert config.value("buckets", environ) == {}
        assert config.value("ram_folder", environ).startswith("/run/user/")
        assert config.origins(environ)["buckets"] == "default"
