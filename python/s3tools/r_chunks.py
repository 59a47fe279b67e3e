"""Chunked reads for R: each chunk typed as a read of its rows alone is, one type a column.

R's ``s3_path_to_chunks`` reads through :mod:`s3tools.chunks`' handle, inside
:func:`s3tools.r_types.for_r`. There:

- a chunk of a CSV or TSV file is read with R's rules for CSV
  (:func:`s3tools.r_types.csv_options`), a chunk of JSON Lines as a JSON Lines
  file of its lines is read (:class:`TextChunks`); Parquet chunks go through
  :func:`s3tools.r_types.table_to_frame` like a whole read;
- each column keeps the R type of the first chunk that has a value in it
  (:func:`steady`): a later chunk's values are given that type where it holds
  them exactly (whole numbers as double, or whole doubles as integer), and a
  chunk with no value in the column gets NAs of that type; values that type
  cannot hold are an error naming the column and what to do. Before its first
  value, a column has the type its chunks' rows give it alone (logical NA for
  text files).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Generator, Iterator, Mapping
from typing import Any

import pandas as pd

from . import errors, formats, r_codec, r_types
from .compression import decompressed

# The R kinds of numbers: a double column (float64) holds what each of them holds.
_NUMBERS = ("integer", "double", "integer64")


class TextChunks:
    """A CSV, TSV or JSON Lines file in chunks of ``size`` rows, each typed as R's whole
    read of those rows types them. Used as pandas' chunked readers are (``with``, ``next``).

    Args:
        stream: the object's bytes (:func:`s3tools.transport.open_stream`), compressed as
            ``compression``.
        fmt: the file's format (csv, tsv or jsonl).
        compression: one of :data:`s3tools.compression.COMPRESSIONS` but zip, or None.
        size: rows a chunk.
        options: the pandas reader's options (with ``compression`` in pandas' words).
    """

    def __init__(self, stream: Any, fmt: formats.Format, compression: str | None, size: int,
                 options: Mapping[str, Any]) -> None:
        if fmt.name == "jsonl":
            self._frames = _jsonl_chunks(stream, fmt, compression, size, options)
            self._close = self._frames.close
            return
        options = {"sep": "\t" if fmt.name == "tsv" else ",", **options}
        options, plan = r_types.csv_options(options)
        reader = pd.read_csv(stream, chunksize=size, **options)
        self._frames = (r_types.csv_frame(chunk, plan) for chunk in reader)
        self._close = reader.close

    def __enter__(self) -> TextChunks:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._close()

    def __iter__(self) -> TextChunks:
        return self

    def __next__(self) -> pd.DataFrame:
        return next(self._frames)


def _jsonl_chunks(stream: Any, fmt: formats.Format, compression: str | None, size: int,
                  options: dict[str, Any]) -> Iterator[pd.DataFrame]:
    """Chunks of ``size`` lines (blank ones counted, as pandas counts them), each read
    as a JSON Lines file of those lines; ``nrows`` stops after that many lines."""
    options = {name: value for name, value in options.items() if name != "compression"}
    encoding = options.pop("encoding", None) or "utf-8"
    errors_mode = options.pop("encoding_errors", None) or "strict"
    left = options.pop("nrows", None)
    with decompressed(stream, compression) as raw:
        # Lines as pandas' reader splits them (newline=""): \n, \r\n or \r.
        text = io.TextIOWrapper(io.BufferedReader(raw) if isinstance(raw, io.RawIOBase)
                                else raw, encoding=encoding, errors=errors_mode, newline="")
        while left is None or left > 0:
            lines = list(itertools.islice(text, size if left is None else min(size, left)))
            if not lines:
                return
            left = None if left is None else left - len(lines)
            body = "".join(lines)
            if body.strip():
                yield fmt.read(body.encode("utf-8"), **options)


def steady(chunks: Generator[pd.DataFrame, None, None], path: str) -> Iterator[r_codec.ForR]:
    """The chunks as R gets them (frame records), each column in one R type throughout.

    Raises:
        FormatError: a chunk's values in a column that the column's type (set by an
            earlier chunk) cannot hold; it names the column, the row and what to do.
    """
    kinds: dict[str, str] = {}
    row = 1
    try:
        for chunk in chunks:
            records = [_steady_column(name, column, kinds, path, row)
                       for name, column in r_codec.frame_columns(chunk)]
            row += len(chunk)
            yield r_codec.ForR(type="frame", nrow=len(chunk), columns=records)
    finally:
        chunks.close()


def _steady_column(name: str, column: pd.Series, kinds: dict[str, str], path: str,
                   row: int) -> dict[str, Any]:
    """The column's record in the kind ``kinds`` holds for it (set here by its first value)."""
    record = r_codec.column_to_r(name, column)
    wanted = kinds.get(name)
    has_values = not column.isna().all()
    if wanted is None:
        if has_values:
            kinds[name] = record["kind"]
        return record
    if record["kind"] == wanted:
        return record
    steadied = r_codec.column_in_kind(name, column, wanted)
    if steadied is None:
        raise _changed_type(name, path, row, record["kind"], wanted)
    return steadied


def _changed_type(name: str, path: str, row: int, kind: str, wanted: str) -> errors.FormatError:
    if kind in _NUMBERS and wanted in _NUMBERS:
        advice = f'dtype = list({name} = "float64")'
    else:
        advice = f'dtype = list({name} = "str")'
    return errors.FormatError(
        f"Column '{name}' of {path} holds {kind} values in the chunk from row {row}, which "
        f"its type in the chunks before ({wanted}) cannot hold: in R a column keeps one "
        f"type from chunk to chunk. Give its type, e.g. {advice} (CSV and JSON Lines), or "
        "read larger chunks (chunk_size).", path=path)


__all__ = ["TextChunks", "steady"]
