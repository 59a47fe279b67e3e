"""``s3tools cat``, ``head`` and ``exists``: one object's bytes, first rows, or presence."""

from __future__ import annotations

import argparse
import shutil
import sys

import pandas as pd

from .. import paths, transport
from ..display import visible
from ..listing import s3_file_exists
from ..previews import s3_path_to_preview_df


def _rows(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"-n must be a whole number of 0 or more, not {text!r}")
    return number


def register(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cat = verbs.add_parser(
        "cat", parents=[common], help="write an object's bytes to standard output",
        description="Streams the object (bounded memory), pinned to one version.")
    cat.add_argument("path", metavar="PATH", help="s3://bucket/key")
    cat.set_defaults(run=run_cat)
    head = verbs.add_parser(
        "head", parents=[common], help="the first rows of a data file, as a table",
        description="Any supported format (csv, tsv, parquet, feather, json, jsonl, xlsx, xls, "
                    "sav, dta, sas7bdat, compressed too), fetching only the bytes needed.")
    head.add_argument("path", metavar="PATH", help="s3://bucket/key")
    head.add_argument("-n", type=_rows, default=5, metavar="N", help="rows to show (default 5)")
    head.add_argument("--type", dest="file_type", metavar="TYPE",
                      help="read as this format whatever the extension (csv, parquet...)")
    head.set_defaults(run=run_head)
    exists = verbs.add_parser("exists", parents=[common],
                              help="exit 0 if the object (or folder/) exists, 1 if not",
                              description="Prints nothing; a denied check is an error (exit 4), "
                                          "not 'absent'.")
    exists.add_argument("path", metavar="PATH", help="s3://bucket/key or s3://bucket/folder/")
    exists.set_defaults(run=run_exists)


def run_cat(arguments: argparse.Namespace) -> int:
    path = paths.parse_file(arguments.path)
    # What was written cannot be taken back: a replaced object ends the read, not restarts it.
    with transport.open_stream(path) as stream:
        shutil.copyfileobj(stream, sys.stdout.buffer, 1024 * 1024)
    sys.stdout.buffer.flush()
    return 0


def run_head(arguments: argparse.Namespace) -> int:
    frame = s3_path_to_preview_df(arguments.path, n=arguments.n, file_type=arguments.file_type)
    print(table(frame) if len(frame.columns) else "(no columns)")
    return 0


def table(frame: pd.DataFrame) -> str:
    """The frame as ``head`` prints it, nothing in it able to steer the terminal.

    Column names and text cells are escaped (:func:`s3tools.display.visible`) before
    the columns are laid out, so that they line up; what cells of other kinds print as
    is escaped after.

    Args:
        frame: the first rows of a file.

    Returns:
        The table, one line per row.
    """
    def shown(value: object) -> object:
        return visible(value) if isinstance(value, str) else value

    frame = frame.copy()
    frame.columns = [shown(name) for name in frame.columns]
    for position, dtype in enumerate(frame.dtypes):
        # Text, object and category columns; the others keep their type and its layout.
        if pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
            frame.isetitem(position, frame.iloc[:, position].map(shown))
    return visible(frame.to_string(index=False, max_colwidth=40), lines=True)


def run_exists(arguments: argparse.Namespace) -> int:
    return 0 if s3_file_exists(arguments.path) else 1
