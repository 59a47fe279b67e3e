"""r_options: R's reader and writer option names in pandas' words, and the R options pandas
has no word for (stringsAsFactors, colClasses), carried out on the result."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

import s3tools
from s3tools import format_options, r_options


@pytest.mark.parametrize(("given", "options"), [
    ({"na.strings": "-", "nrows": 5, "sep": ";"}, {"na_values": ["-"], "nrows": 5, "sep": ";"}),
    ({"nrows": -1, "n_max": float("inf")}, {}),
    ({"sep": ""}, {"sep": r"\s+"}),
    ({"encoding": "latin1"}, {"encoding": "latin1"}),
    ({"fileEncoding": "UTF-8-BOM"}, {"encoding": "utf-8-sig"}),
    ({"encoding": "unknown"}, {}),
    ({"header": False}, {"header": None}),
    ({"colClasses": {"id": "character", "day": "Date", "n": None, "k": "integer"}},
     {"dtype": {"id": "str", "day": "str", "k": "Int64"}}),
    ({"colClasses": "numeric"}, {"dtype": "float64"}),
    ({"colClasses": ["logical"]}, {"dtype": "boolean"}),
    ({"stringsAsFactors": True, "skip": 1}, {"skiprows": 1}),
])
def test_r_read_options_become_pandas_options(given, options):
    assert r_options.translate(given, path="b/k.csv").options == options


@pytest.mark.parametrize(("given", "message"), [
    ({"colClasses": {"a": "complex"}}, "not 'complex'."),
    ({"colClasses": {"a": "NULL"}}, "to leave columns out, pass col_select"),
    ({"colClasses": ["character", "numeric"]}, "colClasses must name its columns"),
    ({"stringsAsFactors": 1}, "stringsAsFactors must be TRUE or FALSE, not 1."),
    ({"n_max": 2, "nrows": 3}, "n_max and nrows are one option (nrows): pass one of them."),
])
def test_what_r_options_cannot_mean_is_an_argument_error_naming_the_path(given, message):
    with pytest.raises(s3tools.ArgumentError) as caught:
        r_options.translate(given, path="b/k.csv")
    assert message in str(caught.value) and "b/k.csv" in str(caught.value)


def test_r_only_options_are_for_the_frame_readers():
    r_options.translate({"stringsAsFactors": True}, function="s3_path_to_preview_df")
    with pytest.raises(s3tools.ArgumentError, match="not for s3_path_to_chunks"):
        r_options.translate({"colClasses": "character"}, function="chunks_open")


def test_the_result_is_finished_as_r_reads_it():
    frame = pd.DataFrame({0: ["a", "b", "a"], 1: ["2024-01-31", None, "2024/02/29"],
                          2: [1, 2, 3], 3: pd.array(["x", None, "y"], dtype="str")})
    translated = r_options.translate({"header": False, "stringsAsFactors": True,
                                      "colClasses": {"V2": "Date", "V4": "character"}})
    done = translated.finish(frame, "b/k.csv")
    assert list(done.columns) == ["V1", "V2", "V3", "V4"]
    assert list(done["V1"].cat.categories) == ["a", "b"]
    assert list(done["V2"]) == [datetime.date(2024, 1, 31), None, datetime.date(2024, 2, 29)]
    assert done["V3"].dtype == "int64"  # numbers are no factors
    assert done["V4"].dtype == "str"  # colClasses said character: stringsAsFactors leaves it


def test_not_dates_are_a_format_error_naming_the_column():
    translated = r_options.translate({"colClasses": {"d": "Date"}})
    with pytest.raises(s3tools.FormatError, match="column d holds values that are not dates"):
        translated.finish(pd.DataFrame({"d": ["31/01/2024"]}), "b/k.csv")


def test_an_unknown_option_is_said_in_the_names_the_user_typed():
    def refuse(s3_path, **options):
        raise format_options.refusal(s3_path, "reading parquet files", list(options),
                                     ["engine", "columns"])

    with pytest.raises(s3tools.ArgumentError) as caught:
        r_options.translate({"skip": 2}).run(refuse, {"s3_path": "b/k.parquet"})
    assert str(caught.value) == ("skip is not an option for reading parquet files "
                                 "(b/k.parquet). The options it takes: engine, columns; in R "
                                 "also stringsAsFactors.")


def test_writing_names():
    translated = r_options.translate({"row.names": False, "na": "NA", "col_names": False},
                                     writing=True)
    assert translated.options == {"na_rep": "NA", "header": False}
