"""One table from file extension to reader and writer, shared by Python and R.

A reader turns the object's bytes (already decompressed) into a data frame; a
writer turns a data frame into bytes. Compression suffixes are looked through
on the way in and applied on the way out.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import logging
import lzma
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from . import csvparts, parquet_footers, r_types, savfiles, workbooks
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
    # The part size of that stream (None: the transport's): what the reader holds at once.
    stream_part: int | None = None
    # Writes the frame into a binary sink piece by piece (the same bytes as
    # ``write``), so an upload can start before the whole text exists.
    write_stream: Callable[..., None] | None = None
    # The functions the reader and the writer hand their options to ("module:name"): the
    # names they declare are the options the format takes (s3tools.format_options).
    read_options_from: tuple[str, ...] = ()
    write_options_from: tuple[str, ...] = ()
    # The file is a zip of its own (xlsx): what its parts decompress to is bounded too, by
    # ``bound=(limit, refuse)`` given to its reader.
    inflates: bool = False


def _csv_reader(separator: str) -> Callable[..., pd.DataFrame]:
    def read(data: Any, **options: Any) -> pd.DataFrame:
        """``data``: bytes, or a stream with ``peek()`` and ``reopen()`` (a transport stream)."""
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
    # For R, integer and logical columns with missing values keep their type.
    return r_types.json_frame(pd.read_json(io.BytesIO(data), **options), data, options)


def _read_jsonl(data: bytes, **options: Any) -> pd.DataFrame:
    return _read_json(data, lines=True, **options)


def _write_json(frame: pd.DataFrame, **options: Any) -> bytes:
    options = {"orient": "records", "date_format": "iso", **options}
    return frame.to_json(**options).encode("utf-8")


def _write_jsonl(frame: pd.DataFrame, **options: Any) -> bytes:
    options = {"orient": "records", "lines": True, "date_format": "iso", **options}
    return frame.to_json(**options).encode("utf-8")


def _read_parquet(data: Any, **options: Any) -> pd.DataFrame:
    if set(options) <= {"columns", "filters"}:
        import pyarrow as pa
        import pyarrow.parquet

        # What pandas.read_parquet does, with the conversion that keeps NaN apart from null.
        source = pa.BufferReader(data) if isinstance(data, (bytes, bytearray, memoryview)) \
            else data
        return r_types.table_to_frame(
            pyarrow.parquet.read_table(source, use_pandas_metadata=True, **options))
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return pd.read_parquet(data, **options)  # a transport file: views, no copies
    if options.get("engine", "auto") in ("auto", "pyarrow"):
        import pyarrow as pa

        # Read in place: through a Python file object every column chunk would
        # be copied once more, which makes the parse about twice as slow.
        return pd.read_parquet(pa.BufferReader(data), **options)
    return pd.read_parquet(io.BytesIO(data), **options)


def parquet_footer(source: Any) -> Any:
    """A Parquet file's footer (``pyarrow.parquet.FileMetaData``), or None when ``source``
    is not a readable Parquet file (its reader will say why).

    ``source``: a file over the object with its ``path`` (:func:`s3tools.transport.open_file`).

    Raises:
        FormatError: the file is encrypted, or its footer is damaged (see
            :mod:`s3tools.parquet_footers`: its columns' metadata would end the process).
    """
    import pyarrow
    import pyarrow.parquet

    parquet_footers.refuse_unsafe(source, str(source.path))
    try:
        return pyarrow.parquet.ParquetFile(source).metadata
    except S3ToolsError:
        raise  # not found, denied, the network (some are OSErrors too)
    except (pyarrow.ArrowException, OSError, UnicodeDecodeError):  # column names not UTF-8
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


def _read_excel(data: Any, bound: tuple[int, workbooks.Refuse] | None = None,
                **options: Any) -> pd.DataFrame:
    """``bound``: the most a workbook's parts may decompress to, and what passing it raises."""
    options, nullable = r_types.excel_options(options)  # for R, logical columns with NA
    if bound is not None and workbooks.is_workbook_zip(data):
        frame = workbooks.read_excel(io.BytesIO(data), *bound, **options)
    else:
        frame = pd.read_excel(io.BytesIO(data), **options)
    return r_types.excel_frame(frame, nullable)


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
    savfiles.refuse_unsafe(io.BytesIO(data), None, options.get("encoding"))
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
           stream_part=csvparts.PART, write_stream=_csv_stream_writer(","), **_CSV_OPTIONS),
    Format("tsv", ("tsv", "tab"), _csv_reader("\t"), _csv_writer("\t"), True, streams=True,
           stream_part=csvparts.PART, write_stream=_csv_stream_writer("\t"), **_CSV_OPTIONS),
    Format("parquet", ("parquet", "pq"), _read_parquet,
           _buffer_writer("to_parquet", index=False), False,
           read_options_from=("pandas:read_parquet", "pyarrow.parquet:read_table"),
           write_options_from=("pandas:DataFrame.to_parquet", "pyarrow.parquet:write_table")),
    Format("feather", ("feather", "arrow", "ipc"), _read_feather,
           _buffer_writer("to_feather"), False, read_options_from=("pandas:read_feather",),
           write_options_from=("pyarrow.feather:write_feather",)),
    Format("json", ("json",), _read_json, _write_json, False, **_JSON_OPTIONS),
    Format("jsonl", ("jsonl", "ndjson"), _read_jsonl, _write_jsonl, True, **_JSON_OPTIONS),
    Format("excel", ("xlsx", "xls", "xlsm"), _read_excel, _write_excel, False, inflates=True,
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


def by_name(name: str) -> Format:
    """The format called ``name`` (``"csv"``, ``"stata"``...)."""
    return _BY_NAME[name]


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


class DecompressedTooLarge(Exception):
    """Decompressed data passed the limit it was read under (``at_least`` bytes, found or
    recorded by the file itself)."""

    def __init__(self, at_least: int) -> None:
        super().__init__(f"at least {at_least} bytes once decompressed")
        self.at_least = at_least


# Whole reads decompress in steps of this size, each bounded by what is left of the limit.
_DECOMPRESS_STEP = 1024 * 1024


def _zip_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        raise FormatError(f"A .zip must hold exactly one file to be read as data; "
                          f"this one holds {len(members)}.")
    return members[0]


def _zstd_reader(raw: Any) -> Any:
    import zstandard

    # Frames one after another are one file, as the zstd tool writes and reads them.
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True,
                                                      closefd=False)


# Each is entered by decompressed(), which closes it.
_OPENERS: dict[str, Callable[[Any], Any]] = {
    "gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "bz2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),  # noqa: SIM115
    "zst": _zstd_reader,
}


@contextlib.contextmanager
def decompressed(raw: Any, compression: str | None,
                 limit: int | None = None) -> Iterator[Any]:
    """A readable stream of ``raw``'s decompressed bytes (``raw`` itself when uncompressed).

    Each ``read(size)`` decompresses at most ``size`` bytes, whatever the data
    claims, so a reader that asks for bounded pieces holds bounded memory.

    Args:
        raw: a readable binary file (also seekable for zip: its directory is at the end).
        compression: one of :data:`COMPRESSIONS`, or None.
        limit: with zip, refuse a member whose recorded size passes it before reading.

    Raises:
        FormatError: a zip that does not hold exactly one file.
        DecompressedTooLarge: the zip member's recorded size passes ``limit``.
    """
    if compression is None:
        yield raw
    elif compression == "zip":
        with zipfile.ZipFile(raw) as archive:
            member = _zip_member(archive)
            if limit is not None and member.file_size > limit:
                raise DecompressedTooLarge(member.file_size)
            # zipfile stops a member at its recorded size, whatever its data holds.
            with archive.open(member) as stream:
                yield stream
    else:
        with _OPENERS[compression](raw) as stream:
            yield stream


def read_at_most(stream: Any, limit: int | None) -> bytearray:
    """Everything ``stream`` holds, read in bounded steps.

    Raises:
        DecompressedTooLarge: it holds more than ``limit`` bytes (one byte past the limit
            was read, no more).
    """
    out = bytearray()
    while True:
        step = _DECOMPRESS_STEP if limit is None else min(_DECOMPRESS_STEP,
                                                           limit + 1 - len(out))
        piece = stream.read(step)
        if not piece:
            return out
        out += piece
        if limit is not None and len(out) > limit:
            raise DecompressedTooLarge(len(out))


def recorded_size(data: Any, compression: str | None) -> int:
    """The least size ``data`` says it decompresses to (0 when it records none): a gzip
    file's last member records its size modulo 4 GiB, a zstd frame may record its own."""
    view = memoryview(data).cast("B")
    if compression == "gz" and len(view) >= 18 and bytes(view[:2]) == b"\x1f\x8b":
        return int.from_bytes(view[-4:], "little")
    if compression == "zst":
        import zstandard

        try:
            return max(zstandard.frame_content_size(view), 0)
        except zstandard.ZstdError:
            return 0  # not a frame: its reader says so
    return 0


def decompress(data: Any, compression: str | None, limit: int | None = None) -> Any:
    """The decompressed bytes of a whole compressed file in memory (``data`` itself when
    uncompressed), decompressed in bounded steps.

    Raises:
        DecompressedTooLarge: the file holds, or records that it holds, more than
            ``limit`` bytes once decompressed; decompression stopped there.
        FormatError: a zip that does not hold exactly one file.
    """
    if compression is None:
        return data
    recorded = recorded_size(data, compression)
    if limit is not None and recorded > limit:
        raise DecompressedTooLarge(recorded)
    import pyarrow

    # A file over the bytes in place (io.BytesIO would copy a bytearray).
    with decompressed(pyarrow.BufferReader(data), compression, limit) as stream:
        return read_at_most(stream, limit)


def parse(fmt: Format, data: Any, compression: str | None, limit: int | None,
          options: dict[str, Any]) -> pd.DataFrame:
    """A whole file's bytes as a data frame: decompressed in bounded steps, then read by the
    format's reader; a workbook's parts decompress within what is left of ``limit``.

    Raises:
        DecompressedTooLarge: the file, or its parts, hold more than ``limit`` bytes once
            decompressed (``None``: no limit).
        FormatError: a zip that does not hold exactly one file.
    """
    text = decompress(data, compression, limit)
    if limit is None or not fmt.inflates:
        return fmt.read(text, **options)
    outer = len(text) if compression else 0  # held beside the parts

    def refuse(at_least: int) -> DecompressedTooLarge:
        return DecompressedTooLarge(outer + at_least)

    return fmt.read(text, bound=(limit - outer, refuse), **options)


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
