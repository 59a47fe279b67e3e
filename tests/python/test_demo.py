"""``make demo``: the command line, Python and R against one ``s3tools serve``, stopped by PID."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys

import pytest


def r_with_pkgload() -> bool:
    if shutil.which("Rscript") is None:
        return False
    check = subprocess.run(["Rscript", "-e", 'quit(status = !requireNamespace("pkgload"))'],
                           check=False, capture_output=True, timeout=60)
    return check.returncode == 0


@pytest.mark.skipif(not r_with_pkgload(), reason="R with pkgload is not installed (make r-deps)")
def test_the_demo_runs_in_python_and_r_and_stops_its_server():
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("AWS_", "S3TOOLS_"))}
    result = subprocess.run([sys.executable, "-m", "s3tools.demo"], check=False,
                            capture_output=True, text=True, timeout=300, env=environment)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    output = result.stdout
    assert "Traceback" not in output + result.stderr
    assert "== $ s3tools head s3://Request4_CT/cohort/patients.parquet -n 3" in output
    assert "Python: s3_path_to_df" in output and "1000 rows" in output
    # R read the summary that Python wrote, and wrote its own, on the same server.
    r_part = output[output.index("== R: accessible_buckets()"):]
    assert "Request4_CT/outputs/summary.csv" in r_part and "1000 rows" in r_part
    assert "Writing again is refused" in r_part and "DICOM magic DICM" in r_part
    assert output.rstrip().endswith("Demo finished.")
    assert "s3tools serve: stopped." in result.stderr
    port = int(re.search(r"AWS_ENDPOINT_URL=http://127\.0\.0\.1:(\d+)", output).group(1))
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # the server is gone
