"""The options a format's reader and writer take, checked before any request.

A format's reader hands its options to pandas, and pandas, for some formats, hands
the rest on to pyarrow or pyreadstat (see ``read_options_from`` and
``write_options_from`` in :mod:`s3tools.formats`). The names those functions
declare are the options the format takes. Any other name would fail deep in
pandas ("got an unexpected keyword argument"), after the download and without
the path; here it is an :class:`~s3tools.errors.ArgumentError` that names the
path and the options the format takes, before anything is fetched or written.

R's names for the options (those of ``utils::read.csv``, readr and readxl) are
here too: the R boundary translates them (:mod:`s3tools.r_options`), and the
message, the same in both languages, lists those that apply.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Mapping
from typing import Any, Callable

from . import errors
from .formats import Format

# R's names and the pandas option each means; None: done on the result by s3tools.r_options.
R_READ_NAMES = {"stringsAsFactors": None, "colClasses": "dtype", "na.strings": "na_values",
                "na": "na_values", "skip": "skiprows", "nrows": "nrows", "n_max": "nrows",
                "sep": "sep", "delim": "sep", "header": "header", "col_names": "header",
                "encoding": "encoding", "fileEncoding": "encoding", "sheet": "sheet_name",
                "col_select": "usecols"}
# row.names is taken and dropped (there is never an index column to write).
R_WRITE_NAMES = {"row.names": None, "col_names": "header", "col.names": "header",
                 "na": "na_rep", "delim": "sep", "fileEncoding": "encoding"}

# The parameters through which the data itself passes (the file, the frame, the
# target), which are s3tools' to give, never the user's.
_DATA_PARAMETERS = frozenset({"self", "filepath_or_buffer", "path_or_buf", "path", "io",
                              "source", "filename_path", "excel_writer", "table", "where", "df",
                              "dest", "dst_path"})


def _function(name: str) -> Callable[..., Any]:
    """``"pandas:DataFrame.to_csv"`` -> the function (imported when first needed:
    pyarrow and pyreadstat are slow to import)."""
    module, _, attribute = name.partition(":")
    found: Any = importlib.import_module(module)
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


@functools.lru_cache(maxsize=None)
def _declared(functions: tuple[str, ...]) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for name in functions:
        for parameter in inspect.signature(_function(name)).parameters.values():
            if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL) \
                    or parameter.name in _DATA_PARAMETERS:
                continue
            names[parameter.name] = None
    return tuple(names)


def accepted(fmt: Format, writing: bool = False) -> list[str]:
    """The options ``fmt``'s reader (or writer) takes, in the order pandas lists them."""
    return list(_declared(fmt.write_options_from if writing else fmt.read_options_from))


def check(fmt: Format, options: Mapping[str, Any], path: object, writing: bool = False) -> None:
    """Refuse options that ``fmt``'s reader (or writer) does not take.

    Args:
        fmt: the format the file is read or written as.
        options: the user's options (``**options`` of the reading or writing function).
        path: the file or folder, for the message.
        writing: check the writer's options rather than the reader's.

    Raises:
        ArgumentError: naming the path, the unknown options and those the format takes.
    """
    if not options:
        return
    known = accepted(fmt, writing)
    unknown = [name for name in options if name not in known]
    if unknown:
        doing = f"{'writing' if writing else 'reading'} {fmt.name} files"
        raise refusal(path, doing, unknown, known, writing)


def refusal(path: object, doing: str, unknown: list[str], known: list[str],
            writing: bool = False) -> errors.ArgumentError:
    """The error for options that ``doing`` (``"reading csv files"``) does not take: it
    names ``known`` and R's names for those of them R has a name for."""
    table = R_WRITE_NAMES if writing else R_READ_NAMES
    r_names = [name for name, target in table.items() if target is None or target in known]
    return errors.unknown_options(str(path), doing, unknown, known, r_names)
