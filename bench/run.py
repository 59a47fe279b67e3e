"""The s3tools benchmark: s3tools against the usual ways of doing the same job.

Starts a SeaweedFS S3 server on 127.0.0.1, writes deterministic data into it,
runs every scenario for s3tools, each peer and the limit (the raw transfer by
the fastest plain means plus the local parse of the same bytes), alternating
them run after run, and prints the medians. The table also goes to
``bench/results/latest.md`` (and the raw numbers to ``latest.json``). The
server and its data folder are removed at the end, also on failure.

    python bench/run.py            # full sizes, about 12 minutes
    python bench/run.py --quick    # small sizes, about a minute
    python bench/run.py --only 1 4 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import baseline
import cases
import data
import r_side
import report
import server

_CLEARED_VARIABLES = ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_SESSION_TOKEN",
                      "AWS_DEFAULT_PROFILE", "S3TOOLS_PROXY", "S3TOOLS_MAX_CONCURRENCY",
                      "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                      "all_proxy", "NO_PROXY", "no_proxy")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Workers:
    """One long-lived worker process per library family, stopped by PID at the end."""

    def __init__(self, context: dict, env: dict) -> None:
        self.context = context
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}
        self.r_env: dict | None = None
        self.baseline: baseline.Baseline | None = None

    def _start(self, group: str) -> subprocess.Popen:
        cwd = ROOT
        if group == "r":
            command, env = r_side.command(), self.r_env
        elif group == baseline.GROUP:
            command, env = self.baseline.command(), self.baseline.environment(self.env)
            cwd = self.baseline.root
        else:
            command, env = [sys.executable, os.path.join(HERE, "worker.py")], self.env
            if group == cases.PYTHON_AS_R:
                env = {**env, **r_side.ALLOCATION}
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True, bufsize=1)
        process.stdin.write(json.dumps(self.context) + "\n")
        return process

    def ask(self, group: str, scenario: str, peer: str, run: int) -> dict:
        process = self.processes.get(group)
        if process is None:
            process = self.processes[group] = self._start(group)
        process.stdin.write(json.dumps({"scenario": scenario, "peer": peer, "run": run}) + "\n")
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"The {group} worker died (exit status {process.poll()}).")
        return json.loads(line)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    process.stdin.close()
                    process.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    process.kill()
                    process.wait()


def run_scenario(scenario: cases.Scenario, workers: Workers, srv: server.Server,
                 runs: int) -> list[dict]:
    entries = [*scenario.cases, *([scenario.limit] if scenario.limit else [])]
    samples: dict[str, list[dict]] = {case.peer: [] for case in entries}

    def call(case: cases.Case, run: int) -> dict:
        before = server.traffic(srv)
        answer = workers.ask(case.group, scenario.id, case.asks or case.peer, run)
        after = server.traffic(srv)
        if "error" in answer:
            raise RuntimeError(f"Scenario {scenario.id}, {case.peer}:\n{answer['error']}")
        answer["traffic_mb"] = sum(after[d] - before[d] for d in after) / 1e6
        return answer

    for case in entries:
        if case.warm_up:
            call(case, -1)
    runs = max(runs, scenario.min_runs)
    for run in range(runs):
        # Rotate the order each run so no peer always goes first (or last).
        shift = run % len(entries)
        for case in entries[shift:] + entries[:shift]:
            if run < (case.runs or runs):
                samples[case.peer].append(call(case, run))
    results = []
    for case in entries:
        taken = samples[case.peer]
        peaks = [s["peak_mb"] for s in taken if s.get("peak_mb") is not None]
        row = {
            "scenario": scenario.id, "title": scenario.title, "peer": case.peer,
            "runs": len(taken), "seconds": [s["seconds"] for s in taken],
            "median": statistics.median(s["seconds"] for s in taken),
            "peak_mb": statistics.median(peaks) if peaks else None,
            "traffic_mb": statistics.median(s["traffic_mb"] for s in taken),
            "is_limit": case is scenario.limit,
            "baseline": case.baseline,
        }
        worker_peaks = [s["worker_peak_mb"] for s in taken if "worker_peak_mb" in s]
        if worker_peaks:
            row["worker_peak_mb"] = statistics.median(worker_peaks)
        if "limit" in taken[0]:  # the limit, or a peer timed in parts and added
            row["parts"] = {part: statistics.median(s["limit"][part] for s in taken)
                            for part in taken[0]["limit"]}
        results.append(row)
        peak = "" if row["peak_mb"] is None else f"{row['peak_mb']:8.0f} MB"
        log(f"  {case.peer:<40} {row['median']:8.3f} s  {peak}")
    return results


def serve(env: dict, layout: data.Layout) -> int:
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_DEFAULT_REGION"):
        print(f"export {name}={env[name]}")
    print(f"# bucket {data.BUCKET}: {json.dumps(layout.to_dict())[:300]}...", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per case")
    parser.add_argument("--only", nargs="*", default=None, help="scenario ids (1 2 3a ...)")
    parser.add_argument("--output", default=os.path.join(HERE, "results", "latest.md"))
    parser.add_argument("--no-r", action="store_true", help="skip the R scenarios")
    parser.add_argument("--against", metavar="REV", default=None,
                        help="also run the s3tools case of each scenario from this commit, "
                             "alternated with the rest (bench/baseline.py)")
    parser.add_argument("--serve", action="store_true",
                        help="start the server with the data, print its settings, wait for "
                             "Ctrl-C (for profiling by hand)")
    options = parser.parse_args(argv)
    # A plain `kill` of the harness still stops the server and removes its data.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    quick = options.quick or os.environ.get("QUICK") not in (None, "", "0")
    runs = options.runs or (2 if quick else 3)
    sizes = data.QUICK if quick else data.FULL
    started = time.perf_counter()

    env = {name: value for name, value in os.environ.items() if name not in _CLEARED_VARIABLES}
    work_dir = tempfile.mkdtemp(prefix="s3tools-bench-work-")
    workers = None
    try:
        against = baseline.extract(ROOT, options.against, work_dir) if options.against else None
        with server.running(os.path.join(work_dir, "seaweedfs.log")) as srv:
            log(f"SeaweedFS {srv.endpoint} (pid {srv.pid}); generating data "
                f"({'quick' if quick else 'full'} sizes)...")
            layout = data.seed_server(srv.endpoint, server.ACCESS_KEY, server.SECRET_KEY,
                                      server.REGION, sizes, work_dir, log=log)
            env.update({
                "AWS_ENDPOINT_URL": srv.endpoint, "AWS_ACCESS_KEY_ID": server.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": server.SECRET_KEY, "AWS_DEFAULT_REGION": server.REGION,
                "AWS_CONFIG_FILE": os.path.join(work_dir, "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(work_dir, "no-aws-credentials"),
                "PYTHONPATH": os.pathsep.join([HERE, os.path.join(ROOT, "python")]),
            })
            if options.serve:
                return serve(env, layout)
            context = {"endpoint": srv.endpoint, "access_key": server.ACCESS_KEY,
                       "secret_key": server.SECRET_KEY, "region": server.REGION,
                       "bucket": data.BUCKET, "listing_bucket": data.LISTING_BUCKET,
                       "layout": layout.to_dict(), "quick": quick}
            workers = Workers(context, env)
            workers.baseline = against
            wanted = [scenario for scenario in cases.scenarios(quick)
                      if not options.only or scenario.id in options.only]
            if any(s.id in cases.R_SCENARIOS for s in wanted):
                workers.r_env = None if options.no_r else r_side.prepare(work_dir, env, log)
                if workers.r_env is None:
                    wanted = [s for s in wanted if s.id not in cases.R_SCENARIOS]
            if against is not None:
                wanted = baseline.with_baseline(wanted, against, quick, env)
            results: list[dict] = []
            for scenario in wanted:
                log(f"Scenario {scenario.id}: {scenario.title}")
                results.extend(run_scenario(scenario, workers, srv, runs))
    finally:
        if workers is not None:
            workers.stop()
        import shutil

        shutil.rmtree(work_dir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    text = report.render(results, sizes, quick, runs, elapsed, layout.groupby_rows)
    os.makedirs(os.path.dirname(options.output), exist_ok=True)
    with open(options.output, "w") as handle:
        handle.write(text)
    with open(os.path.splitext(options.output)[0] + ".json", "w") as handle:
        json.dump({"quick": quick, "runs": runs, "elapsed": elapsed, "results": results},
                  handle, indent=1)
    print(text)
    log(f"Written to {options.output} ({elapsed:.0f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
