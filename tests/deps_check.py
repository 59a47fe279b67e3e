"""Whether ``pip install s3tools`` still resolves at once, and to current s3fs: ``make deps-check``.

pip takes minutes in a new environment when boto3 is left free: the newest
boto3 needs a botocore newer than the one s3fs's aiobotocore allows, and pip
tries boto3 releases one by one. So pyproject.toml caps boto3 just above the
botocore window of the aiobotocore that the newest s3fs takes. This check,
in a new venv (asking the package index, so not part of ``make test``):

1. resolves pyproject.toml's dependencies (``pip install --dry-run --report``)
   and fails if that takes more than 60 s;
2. resolves the newest s3fs alone, reads the botocore range its aiobotocore
   allows, and fails if boto3's cap in pyproject.toml is not that range's
   upper end, or if the dependencies resolved to an older s3fs;

and says what to change. Exit status 0 when all is well, 1 otherwise.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_SECONDS = 60.0


def dependencies() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["dependencies"]


def resolve(pip: Path, requirements: list[str], report: Path) -> tuple[dict[str, dict], float]:
    """What pip would install for ``requirements`` in an empty venv: each package's metadata
    by its lower-case name, and the seconds pip took."""
    started = time.monotonic()
    subprocess.run([str(pip), "install", "--dry-run", "--quiet", "--disable-pip-version-check",
                    "--ignore-installed", "--report", str(report), *requirements], check=True)
    seconds = time.monotonic() - started
    installed = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"].lower(): item["metadata"] for item in installed}, seconds


def requirement_of(metadata: dict, name: str) -> str:
    """The version range that a package's metadata requires of ``name``, such as
    ``<1.43.118,>=1.43.115``."""
    pattern = rf"{re.escape(name)}\s*(\[[^\]]*\])?\s*\(?\s*([<>=!~][^;()]*)\)?\s*(;.*)?$"
    for line in metadata.get("requires_dist", []):
        match = re.match(pattern, line, re.IGNORECASE)
        if match and "extra" not in (match.group(3) or ""):
            return match.group(2).strip()
    raise LookupError(f"{metadata['name']} {metadata['version']} does not require {name}")


def upper_bound(specifier: str) -> str | None:
    match = re.search(r"<\s*([0-9][0-9.]*)", specifier)
    return match.group(1) if match else None


def main() -> int:
    declared = next(item for item in dependencies() if re.match(r"boto3\b", item))
    with tempfile.TemporaryDirectory(prefix="s3tools-deps-") as folder:
        venv = Path(folder) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = venv / "bin" / "pip"
        resolved, seconds = resolve(pip, dependencies(), Path(folder) / "project.json")
        newest, _ = resolve(pip, ["s3fs"], Path(folder) / "s3fs.json")
    window = requirement_of(newest["aiobotocore"], "botocore")
    problems = []
    print(f"pyproject.toml's dependencies resolved in {seconds:.0f} s: " + ", ".join(
        f"{name} {resolved[name]['version']}"
        for name in ("boto3", "botocore", "aiobotocore", "s3fs", "pandas", "pyarrow")))
    print(f"The newest s3fs, {newest['s3fs']['version']}, takes aiobotocore "
          f"{newest['aiobotocore']['version']}, which allows botocore {window}.")
    if seconds > LIMIT_SECONDS:
        problems.append(f"pip took {seconds:.0f} s (more than {LIMIT_SECONDS:.0f} s) to resolve")
    if upper_bound(declared) != upper_bound(window):
        problems.append(f'boto3 is declared as "{declared}": make its cap botocore\'s, '
                        f'"boto3>=1.35,<{upper_bound(window)}", in pyproject.toml')
    if resolved["s3fs"]["version"] != newest["s3fs"]["version"]:
        problems.append(f"the dependencies resolve to s3fs {resolved['s3fs']['version']}, "
                        f"not the newest, {newest['s3fs']['version']}: see what holds it back")
    for problem in problems:
        print(f"deps-check: {problem}.")
    if not problems:
        print("deps-check: boto3's cap matches aiobotocore's botocore window.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
