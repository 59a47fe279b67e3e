"""format_options: the options of each format's reader and writer come from pandas' own
signatures, and anything else is refused naming the path."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

import s3tools
from s3tools import format_options, formats


def test_csv_takes_what_read_csv_and_to_csv_declare_but_the_data():
    csv = formats.resolve("a.csv")[0]
    read = [name for name in inspect.signature(pd.read_csv).parameters
            if name != "filepath_or_buffer"]
    write = [name for name in inspect.signature(pd.DataFrame.to_csv).parameters
             if name not in ("self", "path_or_buf")]
    assert format_options.accepted(csv) == read
    assert format_options.accepted(csv, writing=True) == write


def test_a_reader_that_hands_options_on_takes_the_next_ones_too():
    # pandas.read_parquet passes what it does not name to pyarrow.parquet.read_table.
    parquet = formats.resolve("a.parquet")[0]
    assert {"columns", "filters", "engine", "schema", "use_threads"} <= set(
        format_options.accepted(parquet))
    assert "source" not in format_options.accepted(parquet)


@pytest.mark.parametrize("fmt", formats.FORMATS, ids=lambda fmt: fmt.name)
def test_every_format_declares_where_its_options_go(fmt):
    assert format_options.accepted(fmt)
    assert bool(format_options.accepted(fmt, writing=True)) == (fmt.write is not None)
    data_parameters = {"self", "path", "io", "filepath_or_buffer", "path_or_buf", "df", "where"}
    assert not data_parameters & set(format_options.accepted(fmt))


def test_unknown_options_are_an_argument_error_naming_the_path_and_the_options():
    excel = formats.resolve("book.xlsx")[0]
    format_options.check(excel, {"sheet_name": 1, "skiprows": 2}, "b/book.xlsx")
    with pytest.raises(s3tools.ArgumentError) as caught:
        format_options.check(excel, {"sheet_name": 1, "sep": ";"}, "b/book.xlsx")
    message = str(caught.value)
    assert message.startswith("sep is not an option for reading excel files (b/book.xlsx). "
                              "The options it takes: sheet_name, header,")
    # One message in both languages: R's names for what the format takes, at the end.
    assert message.endswith("; in R also stringsAsFactors, colClasses, na.strings, na, skip, "
                            "nrows, n_max, header, col_names, sheet, col_select.")
    assert (caught.value.unknown, caught.value.doing) == (["sep"], "reading excel files")
