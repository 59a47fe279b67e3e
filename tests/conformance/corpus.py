"""Every file of the shared corpus read through s3tools and by its format's usual reader.

Run with ``make conformance``. The corpus (real files nobody here wrote) stays
where it is, ``../shared/corpus`` beside the repository or ``S3TOOLS_CORPUS``;
each file is uploaded to a moto server on 127.0.0.1 and read back with
``s3_path_to_df`` and ``s3_path_to_preview_df``. The usual reader is pandas'
reader for the format, with the options s3tools documents. A file passes when

- both read it: the frames are equal (values, dtypes, missing values), and the
  preview equals the first ``n`` rows of the usual reader's frame, with the
  column types of those rows alone (``nrows=n``) or of the whole file;
- the usual reader cannot: s3tools gives its format error naming the path.

Prints one line per difference and a summary line; exits 1 on any difference.
``--json FILE`` also writes every outcome, for the R side of the check.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import boto3
import pandas as pd
from moto.server import ThreadedMotoServer

import s3tools
from s3tools import formats

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "corpus"
PREVIEW_ROWS = 5
KEY, SECRET = "conformancekey", "conformance-secret"


def corpus_folder() -> Path:
    return Path(os.environ.get("S3TOOLS_CORPUS", ROOT.parent / "shared" / "corpus"))


def corpus_files(folder: Path) -> list[Path]:
    """Every data file of a type s3tools reads (SOURCES.tsv and notes are not data)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == "SOURCES.tsv":
            continue
        try:
            formats.resolve(path.name)
        except s3tools.FormatError:
            continue
        found.append(path)
    return found


def usual_read(path: Path | str, nrows: int | None = None) -> pd.DataFrame:
    """The file as the format's own reader gives it.

    With ``nrows``, the first rows as that reader gives them when asked for
    them alone (``nrows``, ``row_limit``, an iterator's first read).
    """
    path = Path(path)
    fmt, _ = formats.resolve(path.name)
    rows = {} if nrows is None else {"nrows": nrows}
    if fmt.name in ("csv", "tsv"):
        return pd.read_csv(path, sep="," if fmt.name == "csv" else "\t", **rows)
    if fmt.name == "jsonl":
        return pd.read_json(path, lines=True, **rows)
    if fmt.name == "excel":
        return pd.read_excel(path, **rows)
    if fmt.name == "stata" and nrows is not None:
        with pd.read_stata(path, iterator=True) as reader:
            return reader.read(nrows=nrows)
    if fmt.name == "sas" and nrows is not None:
        with pd.read_sas(path, format="sas7bdat", encoding="infer", iterator=True) as reader:
            return reader.read(nrows)
    if fmt.name == "spss" and nrows is not None:
        return pd.read_spss(path, row_limit=nrows)
    if fmt.name == "parquet" and nrows is not None:
        import pyarrow.parquet

        # pyarrow's own way to the first rows: the pages that hold them, no more.
        batch = next(pyarrow.parquet.ParquetFile(path).iter_batches(batch_size=nrows), None)
        return pd.read_parquet(path).head(0) if batch is None else batch.to_pandas()
    readers = {
        "parquet": pd.read_parquet,
        "feather": pd.read_feather,
        "json": pd.read_json,
        "spss": pd.read_spss,
        "stata": pd.read_stata,
        "sas": lambda p: pd.read_sas(p, format="sas7bdat", encoding="infer"),
    }
    frame = readers[fmt.name](path)
    return frame if nrows is None else frame.head(nrows)


def attempt(read):
    """``(frame, None)`` or ``(None, error)``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read(), None
    except Exception as error:  # noqa: BLE001 - every failure is an outcome here
        return None, error


def difference(ours: pd.DataFrame, theirs: pd.DataFrame) -> str | None:
    try:
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    except AssertionError as error:
        return " ".join(str(error).split())[:300]
    except (TypeError, ValueError):
        # Nested values (lists, structs): pandas cannot compare them; their text can.
        if not ours.dtypes.equals(theirs.dtypes) or not ours.astype(str).equals(theirs.astype(str)):
            return "nested values or dtypes differ"
    return None


def compare(name: str, s3_path: str, ours, theirs) -> str | None:
    """What is wrong with s3tools' outcome, or None when it matches."""
    (frame, error), (expected, failure) = ours, theirs
    if failure is not None:
        if isinstance(error, s3tools.FormatError) and s3_path in str(error):
            return None
        got = "a frame" if error is None else f"{type(error).__name__}: {error}"
        return f"the usual reader fails ({type(failure).__name__}), s3tools gave {got}"
    if error is not None:
        return f"s3tools failed where the usual reader reads: {type(error).__name__}: {error}"
    return difference(frame, expected)


def check_file(path: Path, key: str, s3_path: str) -> dict:
    whole = attempt(lambda: s3tools.s3_path_to_df(s3_path))
    usual = attempt(lambda: usual_read(path))
    full = compare(key, s3_path, whole, usual)
    ours = attempt(lambda: s3tools.s3_path_to_preview_df(s3_path, PREVIEW_ROWS))
    preview = compare(key, s3_path, ours, attempt(lambda: usual_read(path, PREVIEW_ROWS)))
    if preview and ours[1] is None and usual[1] is None \
            and not difference(ours[0], usual[0].head(PREVIEW_ROWS)):
        preview = None  # types may follow the rows read, or the whole file's
    return {"file": key, "s3_path": s3_path, "readable": usual[1] is None, "full": full,
            "preview": preview, "refusal": None if whole[1] is None else str(whole[1])}


def check(folder: Path, endpoint: str) -> list[dict]:
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY,
                          aws_secret_access_key=SECRET, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    outcomes = []
    for path in corpus_files(folder):
        key = path.relative_to(folder).as_posix()
        client.upload_file(str(path), BUCKET, key)
        outcomes.append(check_file(path, key, f"{BUCKET}/{key}"))
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write every outcome to this file")
    parser.add_argument("--r", action="store_true",
                        help="then check s3tools in R against the same server (Rscript)")
    arguments = parser.parse_args()
    folder = corpus_folder()
    if not folder.is_dir():
        print(f"conformance: no corpus at {folder} (set S3TOOLS_CORPUS); nothing checked.")
        return 0
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3tools.configure(endpoint_url=endpoint, region="us-east-1", access_key_id=KEY,
                          secret_access_key=SECRET, session_token="")
        outcomes = check(folder, endpoint)
        summarise(outcomes)
        report = Path(arguments.json or Path(tempfile.mkdtemp()) / "outcomes.json")
        report.write_text(json.dumps({"endpoint": endpoint, "outcomes": outcomes}))
        r_status = check_r(report, folder, endpoint) if arguments.r else 0
    finally:
        server.stop()
    same_everywhere = all(not o["full"] and not o["preview"] for o in outcomes)
    return 0 if same_everywhere and r_status == 0 else 1


def summarise(outcomes: list[dict]) -> None:
    for outcome in outcomes:
        for part in ("full", "preview"):
            if outcome[part]:
                print(f"DIFFERS {part:7} {outcome['file']}: {outcome[part]}")
    readable = [o for o in outcomes if o["readable"]]
    same = [o for o in readable if not o["full"]]
    previews = [o for o in outcomes if not o["preview"]]
    refused = [o for o in outcomes if not o["readable"] and not o["full"]]
    print(f"conformance (Python): {len(outcomes)} files; {len(same)}/{len(readable)} read as their "
          f"usual reader reads them; {len(previews)}/{len(outcomes)} previews equal; "
          f"{len(refused)}/{len(outcomes) - len(readable)} unreadable files refused with "
          "s3tools' format error naming the path.", flush=True)


def check_r(report: Path, folder: Path, endpoint: str) -> int:
    """corpus.R against the same server; its lines are printed as they come."""
    environment = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": KEY,
                   "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1",
                   "S3TOOLS_PYTHON": sys.executable}
    environment.pop("AWS_SESSION_TOKEN", None)
    finished = subprocess.run(["Rscript", str(ROOT / "tests" / "conformance" / "corpus.R"),
                               str(report), str(folder)], cwd=ROOT, env=environment, check=False)
    return finished.returncode


if __name__ == "__main__":
    sys.exit(main())
