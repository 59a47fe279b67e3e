"""``--against REV``: the same s3tools calls from an earlier commit, in the same run.

Comparing two separate runs mixes the change with the machine's drift: the
same call varies by 10-40 % between runs here (see README.md). With
``--against REV``, the commit's ``python/`` and ``bench/`` are extracted
(``git archive``) into the work folder, and a worker of its own runs that
commit's ``s3tools`` case of each scenario, against the same server and data,
alternated with everything else. Its row is labelled ``s3tools @ <commit>``;
its ratio is the current tree's time over the commit's. It is not a peer: the
targets ignore it. The R scenarios (7) are not compared this way.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import tarfile

import cases

GROUP = "baseline"
_ASKED = "s3tools"  # the case each scenario's baseline runs, by its name in that commit


@dataclasses.dataclass(frozen=True)
class Baseline:
    label: str  # "s3tools @ <short commit>"
    root: str  # where the commit's python/ and bench/ were extracted

    def environment(self, env: dict) -> dict:
        return {**env, "PYTHONPATH": os.pathsep.join([os.path.join(self.root, "bench"),
                                                       os.path.join(self.root, "python")])}

    def command(self) -> list[str]:
        return [sys.executable, os.path.join(self.root, "bench", "worker.py")]


def extract(repository: str, revision: str, work_dir: str) -> Baseline:
    """The commit's ``python/`` and ``bench/`` under ``work_dir``.

    Raises:
        SystemExit: ``revision`` is not a commit of ``repository``, or has no bench worker.
    """
    def git(*arguments: str) -> bytes:
        done = subprocess.run(["git", "-C", repository, *arguments], capture_output=True,
                              check=False)
        if done.returncode != 0:
            raise SystemExit(f"--against {revision}: {done.stderr.decode().strip()}")
        return done.stdout

    short = git("rev-parse", "--short", f"{revision}^{{commit}}").decode().strip()
    root = os.path.join(work_dir, f"baseline-{short}")
    with tarfile.open(fileobj=io.BytesIO(git("archive", short, "python", "bench"))) as archive:
        archive.extractall(root, filter="data")
    if not os.path.exists(os.path.join(root, "bench", "worker.py")):
        raise SystemExit(f"--against {revision}: commit {short} has no bench/worker.py.")
    return Baseline(f"s3tools @ {short}", root)


def with_baseline(scenarios: list[cases.Scenario], baseline: Baseline, quick: bool,
                  env: dict) -> list[cases.Scenario]:
    """Each scenario with a row for the commit's ``s3tools`` case, where the commit has
    that scenario (R scenarios excepted)."""
    script = ("import cases, json; print(json.dumps([s.id for s in "
              f"cases.scenarios({quick!r}) if any(c.peer == {_ASKED!r} for c in s.cases)]))")
    listing = subprocess.run([sys.executable, "-c", script], env=baseline.environment(env),
                             cwd=baseline.root, capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise SystemExit(f"--against: could not list the scenarios of {baseline.label}:\n"
                         f"{listing.stderr[-2000:]}")
    known = set(json.loads(listing.stdout))
    return [dataclasses.replace(scenario, cases=[
        *scenario.cases, cases.Case(baseline.label, GROUP, _not_here, asks=_ASKED,
                                    baseline=True)])
            if scenario.id in known and scenario.id not in cases.R_SCENARIOS else scenario
            for scenario in scenarios]


def _not_here(ctx: dict) -> None:
    raise AssertionError("a baseline case runs in the commit's own worker")
