"""One table from file extension to reader and writer, shared by Python and R.

A reader turns the object's bytes (already decompressed) into a data frame; a
writer turns a data frame into bytes. Compression suffixes are looked through
on the way in and applied on the way out.
"""

from __future__ import annotations

import bz2
import gzip
import io
import logging
import lzma
import zipfile
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from .csvfiles import read_csv
from .errors import FormatError, S3ToolsError
from .paths import extension_of

logger = logging.getLogger(__name__)

COMPRESSIONS = ("gz", "bz2", "xz", "zst", "zip")


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]
    read: Callable[..., pd.DataFrame]
    write: Callable[..., bytes] | None
    text: bool  # rows are lines: a preview can stop after the first few
    # The reader also takes a file-like stream, so parsing can start while the
    # rest of the object is still arriving.
    streams: bool = False
    # Writes the frame into a binary sink piece by piece (the same bytes as
    # ``write``), so an upload can start before the whole text exists.
    write_stream: Callable[..., None] | None = None
    # The functions the reader and the writer hand their options to ("module:name"): the
    # names they declare are the options the format takes (s3tools.format_options).
    read_options_from: tuple[str, ...] = ()
    write_options_from: tuple[str, ...] = ()


def _csv_reader(separator: str) -> Callable[..., pd.DataFrame]:
    def read(data: Any, **options: Any) -> pd.DataFrame:
        """``data``: bytes, or a stream with ``peek()`` and ``reopen()`` (``ObjectStream``)."""
        return read_csv(data, separator, **options)

    return read


def _csv_writer(separator: str) -> Callable[..., bytes]:
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


def _csv_stream_writer(separator: str) -> Callable[..., None]:
    whole = _csv_writer(separator)

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


def _buffer_writer(method: str, **defaults: Any) -> Callable[..., bytes]:
    def write(frame: pd.DataFrame, **options: Any) -> bytes:
        buffer = io.BytesIO()
        getattr(frame, method)(buffer, **{**defaults, **options})
        return buffer.getvalue()

    return write


def _read_json(data: bytes, **options: Any) -> pd.DataFrame:
    return pd.read_json(io.BytesIO(data), **options)


def _read_jsonl(data: bytes, **options: Any) -> pd.DataFrame:
    return pd.read_json(io.BytesIO(data), lines=True, **options)


def _write_json(frame: pd.DataFrame, **options: Any) -> bytes:
    options = {"orient": "records", "date_format": "iso", **options}
    return frame.to_json(**options).encode("utf-8")


def _write_jsonl(frame: pd.DataFrame, **options: Any) -> bytes:
    options = {"orient": "records", "lines": True, "date_format": "iso", **options}
    return frame.to_json(**options).encode("utf-8")


def _read_parquet(data: Any, **options: Any) -> pd.DataFrame:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return pd.read_parquet(data, **options)  # a file (ArrivingFile: reads without copies)
    if options.get("engine", "auto") in ("auto", "pyarrow"):
        import pyarrow as pa

        # Read in place: through a Python file object every column chunk would
        # be copied once more, which makes the parse about twice as slow.
        return pd.read_parquet(pa.BufferReader(data), **options)
    return pd.read_parquet(io.BytesIO(data), **options)


def parquet_footer(source: Any) -> Any:
    """A Parquet file's footer (``pyarrow.parquet.FileMetaData``), or None when ``source``
    is not a readable Parquet file (its reader will say why)."""
    import pyarrow
    import pyarrow.parquet

    try:
        return pyarrow.parquet.ParquetFile(source).metadata
    except S3ToolsError:
        raise  # not found, denied, the network (some are OSErrors too)
    except (pyarrow.ArrowException, OSError):
        return None


def column_chunk_range(column: Any) -> tuple[int, int]:
    """Where a Parquet column chunk's bytes are, from its footer entry: (start, length)."""
    start = column.data_page_offset
    if column.has_dictionary_page and column.dictionary_page_offset:
        start = min(start, column.dictionary_page_offset)
    return start, column.total_compressed_size


def column_chunk_ranges(footer: Any) -> list[tuple[int, int]]:
    """Every column chunk of every row group: what a read of all columns reads, once each."""
    return [column_chunk_range(group.column(index))
            for group in (footer.row_group(n) for n in range(footer.num_row_groups))
            for index in range(group.num_columns)]


def _read_feather(data: bytes, **options: Any) -> pd.DataFrame:
    return pd.read_feather(io.BytesIO(data), **options)


def _read_excel(data: bytes, **options: Any) -> pd.DataFrame:
    return pd.read_excel(io.BytesIO(data), **options)


def _read_stata(data: bytes, **options: Any) -> pd.DataFrame:
    return pd.read_stata(io.BytesIO(data), **options)


def _read_sas(data: bytes, **options: Any) -> pd.DataFrame:
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


def _read_spss(data: bytes, **options: Any) -> pd.DataFrame:
    return _through_file(".sav", lambda path: pd.read_spss(path, **options), data)


def _write_spss(frame: pd.DataFrame, **options: Any) -> bytes:
    import pyreadstat

    def write(path: str) -> bytes:
        pyreadstat.write_sav(frame, path, **options)
        with open(path, "rb") as handle:
            return handle.read()

    return _through_file(".sav", write)


def _write_excel(frame: pd.DataFrame, **options: Any) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, **{"index": False, **options})
    return buffer.getvalue()


_CSV_OPTIONS = {"read_options_from": ("pandas:read_csv",),
                "write_options_from": ("pandas:DataFrame.to_csv",)}
_JSON_OPTIONS = {"read_options_from": ("pandas:read_json",),
                 "write_options_from": ("pandas:DataFrame.to_json",)}

FORMATS = (
    Format("csv", ("csv",), _csv_reader(","), _csv_writer(","), True, streams=True,
           write_stream=_csv_stream_writer(","), **_CSV_OPTIONS),
    Format("tsv", ("tsv", "tab"), _csv_reader("\t"), _csv_writer("\t"), True, streams=True,
           write_stream=_csv_stream_writer("\t"), **_CSV_OPTIONS),
    Format("parquet", ("parquet", "pq"), _read_parquet,
           _buffer_writer("to_parquet", index=False), False,
           read_options_from=("pandas:read_parquet", "pyarrow.parquet:read_table"),
           write_options_from=("pandas:DataFrame.to_parquet", "pyarrow.parquet:write_table")),
    Format("feather", ("feather", "arrow", "ipc"), _read_feather,
           _buffer_writer("to_feather"), False, read_options_from=("pandas:read_feather",),
           write_options_from=("pyarrow.feather:write_feather",)),
    Format("json", ("json",), _read_json, _write_json, False, **_JSON_OPTIONS),
    Format("jsonl", ("jsonl", "ndjson"), _read_jsonl, _write_jsonl, True, **_JSON_OPTIONS),
    Format("excel", ("xlsx", "xls", "xlsm"), _read_excel, _write_excel, False,
           read_options_from=("pandas:read_excel",),
           write_options_from=("pandas:DataFrame.to_excel",)),
    Format("spss", ("sav", "zsav"), _read_spss, _write_spss, False,
           read_options_from=("pandas:read_spss", "pyreadstat:read_sav"),
           write_options_from=("pyreadstat:write_sav",)),
    Format("stata", ("dta",), _read_stata,
           _buffer_writer("to_stata", write_index=False), False,
           read_options_from=("pandas:read_stata",),
           write_options_from=("pandas:DataFrame.to_stata",)),
    Format("sas", ("sas7bdat",), _read_sas, None, False, read_options_from=("pandas:read_sas",)),
)
_BY_EXTENSION = {extension: fmt for fmt in FORMATS for extension in fmt.extensions}
_BY_NAME = {fmt.name: fmt for fmt in FORMATS}


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def hint(fmt: Format, error: BaseException, head: bytes) -> str:
    """What to do about a common mistake behind a reader's error ("" when none is known).

    ``head``: the first bytes of the file, where they are at hand.
    """
    if isinstance(error, UnicodeDecodeError) and not head:
        head = bytes(error.object[:4]) if error.start == 0 else b""
    if head.startswith(_UTF16_MARKS):
        return 'The file starts with a UTF-16 byte order mark: pass encoding="utf-16".'
    if isinstance(error, UnicodeError):
        return ("The text is not UTF-8: pass encoding= with the file's encoding, "
                'e.g. encoding="latin-1" or encoding="cp1252".')
    lines = head.splitlines()
    if len(lines) > 1 and not head.endswith(b"\n"):
        lines.pop()  # cut short
    if fmt.name == "json" and len(lines) > 1 and all(line.lstrip().startswith(b"{")
                                                    for line in lines if line.strip()):
        return 'It looks like JSON Lines (one object per line): pass file_type="jsonl".'
    if fmt.text and any(line.startswith(b"#") for line in lines[:20]):
        return 'Lines starting with "#" look like comments: pass comment="#".'
    return ""


def supported() -> list[str]:
    """Every extension s3tools reads, for messages and documentation."""
    return sorted(_BY_EXTENSION)


def split_compression(key: str) -> tuple[str, str | None]:
    """``('data.csv', 'gz')`` for ``data.csv.gz``; ``(key, None)`` when uncompressed."""
    stem, dot, suffix = key.rpartition(".")
    if dot and suffix.lower() in COMPRESSIONS:
        return stem, suffix.lower()
    return key, None


def resolve(key: str, file_type: str | None = None, *, writing: bool = False) -> tuple[Format, str | None]:
    """The format and compression for a key; ``file_type`` overrides the extension."""
    stem, compression = split_compression(key)
    if file_type:
        requested = file_type.lower().lstrip(".")
        inner, override_compression = split_compression(requested)
        compression = override_compression or compression
        found = _BY_NAME.get(inner) or _BY_EXTENSION.get(inner)
        wanted = file_type
    else:
        extension = extension_of(stem)
        found = _BY_EXTENSION.get(extension)
        wanted = f".{extension}" if extension else "(no extension)"
    if found is None or (writing and found.write is None):
        how = "write" if writing else "read"
        choices = [e for e in supported() if not writing or _BY_EXTENSION[e].write]
        raise FormatError(
            f"s3tools cannot {how} files of type {wanted} ({key}). Supported: "
            f"{', '.join(choices)}, optionally compressed ({', '.join(COMPRESSIONS)}). "
            "Set file_type= to override the extension, or use "
            f"{'write_using' if writing else 'read_using'}() with a function of your own.",
            path=None,
        )
    return found, compression


def decompress(data: bytes, compression: str | None) -> bytes:
    if compression is None:
        return data
    if compression == "gz":
        return gzip.decompress(data)
    if compression == "bz2":
        return bz2.decompress(data)
    if compression == "xz":
        return lzma.decompress(data)
    if compression == "zst":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise FormatError(f"A .zip must hold exactly one file to be read as data; "
                              f"this one holds {len(members)}.")
        return archive.read(members[0])


def compress(data: bytes, compression: str | None, inner_name: str) -> bytes:
    if compression is None:
        return data
    if compression == "gz":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    if compression == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(inner_name, data)
    return buffer.getvalue()


def decompressor(compression: str | None) -> Any:
    """An incremental decompressor with ``.decompress(chunk)`` (for previews)."""
    import zlib

    if compression is None:
        return None
    if compression == "gz":
        return zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    if compression == "bz2":
        return bz2.BZ2Decompressor()
    if compression == "xz":
        return lzma.LZMADecompressor()
    if compression == "zst":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj()
    return None
