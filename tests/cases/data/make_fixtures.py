"""Make the binary fixtures the shared cases seed: one small table in every binary format.

Run from the repository root with the project's venv:

    .venv/bin/python tests/cases/data/make_fixtures.py

The table (``people``) is three rows: name (text, one non-ASCII), age (whole
numbers), score (decimals with one missing). The cases in ``tests/cases/*.json``
say what each format reads back as. Beside it, files of the kinds that went
wrong once: Parquet files encrypted with keys nobody has, a CSV longer than
pandas' sample whose header repeats a name, a Stata file whose first missing
value comes after a preview's rows, and a zip that holds two files.

``nan_and_missing`` (Parquet and Feather) holds 1.5, a missing value and NaN
twice: ``plain`` is a float column with no pandas type recorded (as R's arrow
or Spark write it), ``nullable`` is pandas' ``Float64`` (as s3tools writes an
R double holding NaN).

``integers_with_missing`` (Parquet, Feather, and xlsx without ``big``) holds
integer columns (int32, int64 beyond 2^31, int64 beyond 2^53) and a boolean
column with a missing value each, and an int64 column without.
"""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from pathlib import Path
from typing import Any

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


class ToyKms:
    """A key management service in memory for the encryption API (the "wrapped" key is the
    key itself): the files it encrypts are Parquet's real encrypted files."""

    def __new__(cls, _config: Any) -> Any:
        import pyarrow.parquet.encryption as encryption

        class Client(encryption.KmsClient):
            def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> bytes:
                return base64.b64encode(key_bytes)

            def unwrap_key(self, wrapped_key: bytes, master_key_identifier: str) -> bytes:
                return base64.b64decode(wrapped_key)

        return Client()


def write_encrypted_parquet(sink: Any, plaintext_footer: bool) -> None:
    """``people`` with Parquet modular encryption, its ``name`` column under a key of its own.

    With ``plaintext_footer`` a reader without the keys sees the schema but cannot
    decrypt that column's metadata (the kind that ended pyarrow's process); otherwise
    the footer itself is encrypted.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyarrow.parquet.encryption as encryption

    table = pa.Table.from_pandas(people(), preserve_index=False)
    factory = encryption.CryptoFactory(ToyKms)
    connection = encryption.KmsConnectionConfig()
    config = encryption.EncryptionConfiguration(
        footer_key="footer", column_keys={"names": ["name"]},
        plaintext_footer=plaintext_footer, double_wrapping=False)
    properties = factory.file_encryption_properties(connection, config)
    with pq.ParquetWriter(sink, table.schema, encryption_properties=properties) as writer:
        writer.write_table(table)


def repeated_names_csv() -> bytes:
    """A CSV longer than the sample pandas' parser reads first (256 KiB), whose header
    names ``a`` twice: text first, whole numbers second."""
    rows = "".join(f"x{i % 10},{i % 10},{i % 7},{i % 3}\n" for i in range(40000))
    return f"a,b,a,d\n{rows}".encode()


def missing_later_stata() -> bytes:
    """A Stata file whose ``count`` column (int16) has its one missing value at row 8."""
    frame = pd.DataFrame({"id": np.arange(10, dtype="int32"),
                          "count": pd.array([3] * 7 + [None] + [4, 5], dtype="Int16")})
    buffer = io.BytesIO()
    frame.to_stata(buffer, write_index=False)
    return buffer.getvalue()


def two_file_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "x\n1\n")
        archive.writestr("b.csv", "x\n2\n")
    return buffer.getvalue()


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
    write_encrypted_parquet(str(HERE / "people_encrypted_columns.parquet"), plaintext_footer=True)
    write_encrypted_parquet(str(HERE / "people_encrypted_footer.parquet"), plaintext_footer=False)
    (HERE / "repeated_names.csv.gz").write_bytes(gzip.compress(repeated_names_csv(), mtime=0))
    (HERE / "missing_later.dta").write_bytes(missing_later_stata())
    (HERE / "two_files.csv.zip").write_bytes(two_file_zip())
    print("written:", sorted(p.name for p in HERE.iterdir() if p.suffix != ".py"))


if __name__ == "__main__":
    main()
