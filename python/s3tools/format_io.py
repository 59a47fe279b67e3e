"""Each format's reader (bytes, or a stream, to a data frame) and writer (a data frame
to bytes), as the table in :mod:`s3tools.formats` names them.

Readers get the object's bytes already decompressed; for R, they keep integer and
logical columns with missing values in their type (:mod:`s3tools.r_types`).
"""

from __future__ import annotations

import io
from typing import Any, Callable

import pandas as pd

from . import r_types, savfiles, workbooks
from .csvfiles import read_csv


def csv_reader(separator: str) -> Callable[..., pd.DataFrame]:
    """The reader of text with ``separator`` between fields (CSV, TSV)."""
    def read(data: Any, **options: Any) -> pd.DataFrame:
        """``data``: bytes, or a stream with ``peek()`` and ``reopen()`` (a transport stream)."""
        return read_csv(data, separator, **options)

    return read


def csv_writer(separator: str) -> Callable[..., bytes]:
    """The writer of text with ``separator`` between fields, without the index by default."""
    def write(frame: pd.DataFrame, **options: Any) -> bytes:
        options.setdefault("index", False)
        options.setdefault("sep", separator)
        options.setdefault("lineterminator", "\n")
        return frame.to_csv(**options).encode(options.pop("encoding", "utf-8"))

    return write


# to_csv options that mean the same whether pandas returns the text or writes it
# into an open text stream; with any other option the text is made whole first.
_STREAMABLE_CSV_OPTIONS = {"sep", "na_rep", "float_format", "columns", "header", "index",
                           "index_label", "quoting", "quotechar", "lineterminator",
                           "date_format", "doublequote", "escapechar", "decimal", "encoding"}


def csv_stream_writer(separator: str) -> Callable[..., None]:
    """The writer of :func:`csv_writer`'s bytes into a binary sink, as pandas makes them."""
    whole = csv_writer(separator)

    def write_stream(frame: pd.DataFrame, sink: Any, **options: Any) -> None:
        if not set(options) <= _STREAMABLE_CSV_OPTIONS:
            sink.write(whole(frame, **options))
            return
        options.setdefault("index", False)
        options.setdefault("sep", separator)
        options.setdefault("lineterminator", "\n")
        encoding = options.pop("encoding", "utf-8")
        # pandas formats and writes the rows chunk by chunk, exactly as it does
        # when it returns them as one string.
        text = io.TextIOWrapper(io.BufferedWriter(sink, buffer_size=1024 * 1024),
                                encoding=encoding, newline="", write_through=False)
        frame.to_csv(text, **options)
        buffered = text.detach()  # flushes the text layer; the sink stays open
        buffered.flush()
        buffered.detach()

    return write_stream


def buffer_writer(method: str, **defaults: Any) -> Callable[..., bytes]:
    """A writer through the data frame's ``method`` (``"to_parquet"``...) into bytes."""
    def write(frame: pd.DataFrame, **options: Any) -> bytes:
        buffer = io.BytesIO()
        getattr(frame, method)(buffer, **{**defaults, **options})
        return buffer.getvalue()

    return write


def read_json(data: bytes, **options: Any) -> pd.DataFrame:
    """A JSON document as a data frame (pandas' ``read_json`` options)."""
    # For R, integer and logical columns with missing values keep their type.
    return r_types.json_frame(pd.read_json(io.BytesIO(data), **options), data, options)


def read_jsonl(data: bytes, **options: Any) -> pd.DataFrame:
    """JSON Lines (one object per line) as a data frame."""
    return read_json(data, lines=True, **options)


def write_json(frame: pd.DataFrame, **options: Any) -> bytes:
    """A data frame as a JSON array of records, dates in ISO 8601."""
    options = {"orient": "records", "date_format": "iso", **options}
    return frame.to_json(**options).encode("utf-8")


def write_jsonl(frame: pd.DataFrame, **options: Any) -> bytes:
    """A data frame as JSON Lines, dates in ISO 8601."""
    options = {"orient": "records", "lines": True, "date_format": "iso", **options}
    return frame.to_json(**options).encode("utf-8")


def read_parquet(data: Any, **options: Any) -> pd.DataFrame:
    """A Parquet file (bytes, or a transport file read in place) as a data frame."""
    if set(options) <= {"columns", "filters"}:
        import pyarrow as pa
        import pyarrow.parquet

        # What pandas.read_parquet does, with the conversion that keeps NaN apart from null.
        source = pa.BufferReader(data) if isinstance(data, (bytes, bytearray, memoryview)) \
            else data
        # For R, text the file holds dictionary-encoded is read as its dictionary and indices.
        text = r_types.parquet_text_dictionaries(source, options.get("columns")) \
            if r_types.wanted() else []
        return r_types.table_to_frame(
            pyarrow.parquet.read_table(source, use_pandas_metadata=True,
                                       read_dictionary=text or None, **options), text)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return pd.read_parquet(data, **options)  # a transport file: views, no copies
    if options.get("engine", "auto") in ("auto", "pyarrow"):
        import pyarrow as pa

        # Read in place: through a Python file object every column chunk would
        # be copied once more, which makes the parse about twice as slow.
        return pd.read_parquet(pa.BufferReader(data), **options)
    return pd.read_parquet(io.BytesIO(data), **options)


def read_feather(data: bytes, **options: Any) -> pd.DataFrame:
    """A Feather (Arrow IPC) file as a data frame, its values checked first."""
    import warnings

    import pyarrow
    import pyarrow.feather

    with warnings.catch_warnings():  # pyarrow would have pyarrow.ipc read Arrow files
        warnings.simplefilter("ignore", FutureWarning)
        table = pyarrow.feather.read_table(pyarrow.BufferReader(data),
                                           columns=options.get("columns"))
    validate_arrow(table)
    if set(options) <= {"columns", "use_threads"}:
        # What pandas.read_feather does, with the conversion that keeps NaN apart from null.
        return r_types.table_to_frame(table)
    return pd.read_feather(io.BytesIO(data), **options)


def validate_arrow(data: Any) -> None:
    """Check an Arrow table or batch read from a file before it is converted.

    The IPC reader checks a file's layout, not its values: offsets or indices that
    point outside their buffers are read as they are, and converting them to pandas
    ends the process (a segfault). Every column is checked in full, but those holding
    decimals: a full check also refuses decimal values wider than their declared
    precision, which pandas reads (Arrow's own test files have them), and a decimal's
    fixed width needs no more than the layout check. Raises ``pyarrow.ArrowInvalid``.
    """
    data.validate()
    for field, column in zip(data.schema, data.columns):
        if "decimal" not in str(field.type):
            column.validate(full=True)


def read_excel(data: Any, bound: tuple[int, workbooks.Refuse] | None = None,
                **options: Any) -> pd.DataFrame:
    """``bound``: the most a workbook's parts may decompress to, and what passing it raises."""
    options, nullable = r_types.excel_options(options)  # for R, logical columns with NA
    if bound is not None and workbooks.is_workbook_zip(data):
        frame = workbooks.read_excel(io.BytesIO(data), *bound, **options)
    else:
        frame = pd.read_excel(io.BytesIO(data), **options)
    return r_types.excel_frame(frame, nullable)


def read_stata(data: bytes, **options: Any) -> pd.DataFrame:
    """A Stata ``.dta`` file as a data frame."""
    return pd.read_stata(io.BytesIO(data), **options)


def read_sas(data: bytes, **options: Any) -> pd.DataFrame:
    """A SAS ``.sas7bdat`` file as a data frame, text decoded."""
    # Without an encoding pandas returns text columns as bytes (b'...'):
    # decode with the encoding the file records, as haven does in R.
    options.setdefault("encoding", "infer")
    return pd.read_sas(io.BytesIO(data), format="sas7bdat", **options)


def _through_file(suffix: str, action: Callable[[str], Any], contents: bytes = b"") -> Any:
    """Run ``action(path)`` on a private temporary file holding ``contents`` (for readers
    and writers that need a path)."""
    from .tempfiles import temporary_path

    with temporary_path(suffix, contents=contents) as path:
        return action(path)


def read_spss(data: bytes, **options: Any) -> pd.DataFrame:
    """An SPSS ``.sav`` file as a data frame, refused first if unsafe to parse."""
    savfiles.refuse_unsafe(io.BytesIO(data), None, options.get("encoding"))
    return _through_file(".sav", lambda path: pd.read_spss(path, **options), data)


def write_spss(frame: pd.DataFrame, **options: Any) -> bytes:
    """A data frame as an SPSS ``.sav`` file."""
    import pyreadstat

    def write(path: str) -> bytes:
        pyreadstat.write_sav(frame, path, **options)
        with open(path, "rb") as handle:
            return handle.read()

    return _through_file(".sav", write)


def write_excel(frame: pd.DataFrame, **options: Any) -> bytes:
    """A data frame as an Excel workbook, without the index by default."""
    buffer = io.BytesIO()
    frame.to_excel(buffer, **{"index": False, **options})
    return buffer.getvalue()
