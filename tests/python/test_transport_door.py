"""transport's door (its ``__init__``): the rest of s3tools reaches the transport through
the package alone, and whatever goes wrong at the wire comes out of the door as one of
s3tools' public errors, never a client's or the network's own exception."""

from __future__ import annotations

import ast
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import BUCKET, put

import s3tools
from s3tools import errors, paths, transport

PACKAGE = Path(s3tools.__file__).parent
DATA = np.random.default_rng(17).bytes(200_000)


def _module_name(path: Path) -> tuple[str, str]:
    """The module a file of s3tools is, and the package its relative imports start from."""
    parts = ["s3tools", *path.relative_to(PACKAGE).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _imported(node: ast.AST, package: str) -> list[str]:
    """The modules (and names within them) an import statement reaches, absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = package.split(".")
    base = base[:len(base) - node.level + 1] if node.level else []
    module = ".".join([*base, *([node.module] if node.module else [])])
    return [module, *(f"{module}.{alias.name}" for alias in node.names)]


def test_no_module_outside_the_transport_reaches_into_it():
    # transport.download is the door's function of that name, not its module.
    submodules = {path.stem for path in (PACKAGE / "transport").glob("*.py")} \
        - {"__init__", *transport.__all__}
    reaching = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name, package = _module_name(path)
        if name == "s3tools.transport" or name.startswith("s3tools.transport."):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            inside = [module for module in _imported(node, package)
                      if module.startswith("s3tools.transport.")]
            # transport.sizes.PART_SIZE: a submodule reached as the package's attribute
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "transport" and node.attr in submodules:
                inside.append(f"transport.{node.attr}")
            reaching += [f"{name}:{node.lineno}: {module}" for module in inside]
    assert reaching == []


def test_every_name_the_door_exports_is_there():
    assert sorted(transport.__all__) == sorted(set(transport.__all__))
    assert [name for name in transport.__all__ if not hasattr(transport, name)] == []


def _read_whole(opener: Callable[[paths.S3Path], transport.ObjectFile]
                ) -> Callable[[paths.S3Path], bytes]:
    def read(path: paths.S3Path) -> bytes:
        with opener(path) as file:
            return file.read()

    return read


def _copy(path: paths.S3Path) -> None:
    transport.copy(path, paths.parse_file(f"{BUCKET}/copied.bin"), True, len(DATA))


USES: dict[str, Callable[[paths.S3Path], object]] = {
    "fetch": transport.fetch,
    "get_range": lambda path: transport.get_range(path, 0, 1000),
    "open_stream": _read_whole(transport.open_stream),
    "open_file": _read_whole(transport.open_file),
    "download": lambda path: transport.download(path, io.BytesIO()),
    "put": lambda path: transport.put(path, b"new", overwrite=True),
    "upload_file": lambda path: transport.upload_file(io.BytesIO(DATA), path, True, False),
    "copy": _copy,
}
FAILURES = {
    "denied": ({"fault": "status", "status": 403, "code": "AccessDenied"},
               s3tools.AccessDeniedError),
    "unavailable": ({"fault": "status", "status": 503}, s3tools.S3ConnectionError),
    "reset": ({"fault": "reset"}, s3tools.S3ConnectionError),
}


# Each use meets one kind of failure; each kind is met by uses of several requests.
CASES = [("fetch", "reset"), ("get_range", "unavailable"), ("open_stream", "denied"),
         ("open_file", "reset"), ("download", "unavailable"), ("put", "denied"),
         ("upload_file", "reset"), ("copy", "unavailable")]


def test_every_use_and_every_failure_is_met():
    assert {use for use, _ in CASES} == set(USES)
    assert {failure for _, failure in CASES} == set(FAILURES)


@pytest.mark.parametrize(("use", "failure"), CASES)
def test_what_fails_at_the_wire_comes_out_as_a_public_error(use, failure, fault_proxy, seed,
                                                            monkeypatch):
    monkeypatch.setenv("S3TOOLS_MAX_ATTEMPTS", "2")
    put(seed, "data.bin", DATA)
    fault, expected = FAILURES[failure]
    if failure == "reset" and use in ("put", "upload_file"):
        fault = {"fault": "cut_request"}  # a PUT's answer has no body to cut
    fault_proxy.add(**fault, times=None)
    with pytest.raises(errors.S3ToolsError) as caught:
        USES[use](paths.parse_file(f"{BUCKET}/data.bin"))
    assert type(caught.value) is expected
    assert type(caught.value) in errors.ERROR_CLASSES
    assert fault_proxy.count() >= 1
