"""Scenario 7: the R package's calls, timed against the same calls from Python."""

from __future__ import annotations


def run(context: dict, env: dict, runs: int, log: object) -> list[dict]:
    log("Scenario 7: R side not available yet; skipped.")
    return []
