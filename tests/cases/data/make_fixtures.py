"""Make the binary fixtures the shared cases seed: one small table in every binary format.

Run from the repository root with the project's venv:

    .venv/bin/python tests/cases/data/make_fixtures.py

The table (``people``) is three rows: name (text, one non-ASCII), age (whole
numbers), score (decimals with one missing). The cases in ``tests/cases/*.json``
say what each format reads back as.

``nan_and_missing`` (Parquet and Feather) holds 1.5, a missing value and NaN
twice: ``plain`` is a float column with no pandas type recorded (as R's arrow
or Spark write it), ``nullable`` is pandas' ``Float64`` (as s3tools writes an
R double holding NaN).

``integers_with_missing`` (Parquet, Feather, and xlsx without ``big``) holds
integer columns (int32, int64 beyond 2^31, int64 beyond 2^53) and a boolean
column with a missing value each, and an int64 column without.
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


def nan_and_missing() -> None:
    import pyarrow as pa
    import pyarrow.feather
    import pyarrow.parquet

    nullable = pd.arrays.FloatingArray(np.array([1.5, 0.0, np.nan]),
                                       np.array([False, True, False]))
    table = pa.Table.from_pandas(pd.DataFrame({"nullable": nullable}), preserve_index=False)
    table = table.add_column(0, "plain", pa.array([1.5, None, float("nan")]))
    pyarrow.parquet.write_table(table, HERE / "nan_and_missing.parquet")
    pyarrow.feather.write_feather(table, HERE / "nan_and_missing.feather")


def integers_with_missing() -> None:
    """Integer and boolean columns with a missing value, as R's arrow or Spark write them
    (no pandas types recorded), and the same table in a workbook (blank cells)."""
    import pyarrow as pa
    import pyarrow.feather
    import pyarrow.parquet

    table = pa.table({
        "count": pa.array([1, None, 3], type=pa.int32()),
        "wide": pa.array([3_000_000_000, None, 5], type=pa.int64()),
        "big": pa.array([9007199254740993, None, -5], type=pa.int64()),
        "flag": pa.array([True, None, False]),
        "full": pa.array([7, 8, 9], type=pa.int64()),
    })
    pyarrow.parquet.write_table(table, HERE / "integers_with_missing.parquet")
    pyarrow.feather.write_feather(table, HERE / "integers_with_missing.feather")
    table.drop_columns(["big"]).to_pandas().to_excel(HERE / "integers_with_missing.xlsx",
                                                      index=False)


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
    nan_and_missing()
    integers_with_missing()
    print("written:", sorted(p.name for p in HERE.iterdir() if p.suffix != ".py"))


if __name__ == "__main__":
    main()
