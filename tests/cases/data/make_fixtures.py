"""Make the binary fixtures the shared cases seed: one small table in every binary format.

Run from the repository root with the project's venv:

    .venv/bin/python tests/cases/data/make_fixtures.py

The table (``people``) is three rows: name (text, one non-ASCII), age (whole
numbers), score (decimals with one missing). The cases in ``tests/cases/*.json``
say what each format reads back as.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def people() -> pd.DataFrame:
    return pd.DataFrame({
        "name": pd.Series(["Ann", "Bob", "Zoë"], dtype=object),
        "age": np.array([31, 45, 27], dtype="int64"),
        "score": [1.5, np.nan, 3.25],
    })


def main() -> None:
    frame = people()
    csv = frame.to_csv(index=False, lineterminator="\n").encode()
    (HERE / "people.csv.gz").write_bytes(gzip.compress(csv, mtime=0))
    frame.to_parquet(HERE / "people.parquet", index=False)
    frame.to_feather(HERE / "people.feather")
    frame.to_excel(HERE / "people.xlsx", index=False)
    frame.to_stata(HERE / "people.dta", write_index=False)
    import pyreadstat

    pyreadstat.write_sav(frame, str(HERE / "people.sav"))
    print("written:", sorted(p.name for p in HERE.iterdir() if p.suffix != ".py"))


if __name__ == "__main__":
    main()
