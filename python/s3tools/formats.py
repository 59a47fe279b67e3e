"""One table from file extension to reader and writer, shared by Python and R, and the
choice of format and compression for a key.

The readers and writers themselves are in :mod:`s3tools.format_io`; compression
suffixes are looked through on the way in and applied on the way out
(:mod:`s3tools.compression`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from .compression import (
    COMPRESSIONS,
    DecompressedTooLarge,
    decompress,
    split_compression,
)
from . import csvparts
from .errors import FormatError
from .format_io import (
    buffer_writer,
    csv_reader,
    csv_stream_writer,
    csv_writer,
    read_excel,
    read_feather,
    read_json,
    read_jsonl,
    read_parquet,
    read_sas,
    read_spss,
    read_stata,
    write_excel,
    write_json,
    write_jsonl,
    write_spss,
)
from .paths import extension_of


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
    # The part size of that stream, asked at each read (None: the transport's): what
    # the reader holds at once.
    stream_part: Callable[[], int] | None = None
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

    def part_size(self) -> int | None:
        """The part size of the stream this format reads from (None: the transport's)."""
        return self.stream_part() if self.stream_part else None


_CSV_OPTIONS = {"read_options_from": ("pandas:read_csv",),
                "write_options_from": ("pandas:DataFrame.to_csv",)}
_JSON_OPTIONS = {"read_options_from": ("pandas:read_json",),
                 "write_options_from": ("pandas:DataFrame.to_json",)}

FORMATS = (
    Format("csv", ("csv",), csv_reader(","), csv_writer(","), True, streams=True,
           stream_part=csvparts.part_size, write_stream=csv_stream_writer(","),
           **_CSV_OPTIONS),
    Format("tsv", ("tsv", "tab"), csv_reader("\t"), csv_writer("\t"), True, streams=True,
           stream_part=csvparts.part_size, write_stream=csv_stream_writer("\t"),
           **_CSV_OPTIONS),
    Format("parquet", ("parquet", "pq"), read_parquet,
           buffer_writer("to_parquet", index=False), False,
           read_options_from=("pandas:read_parquet", "pyarrow.parquet:read_table"),
           write_options_from=("pandas:DataFrame.to_parquet", "pyarrow.parquet:write_table")),
    Format("feather", ("feather", "arrow", "ipc"), read_feather,
           buffer_writer("to_feather"), False, read_options_from=("pandas:read_feather",),
           write_options_from=("pyarrow.feather:write_feather",)),
    Format("json", ("json",), read_json, write_json, False, **_JSON_OPTIONS),
    Format("jsonl", ("jsonl", "ndjson"), read_jsonl, write_jsonl, True, **_JSON_OPTIONS),
    Format("excel", ("xlsx", "xls", "xlsm"), read_excel, write_excel, False, inflates=True,
           read_options_from=("pandas:read_excel",),
           write_options_from=("pandas:DataFrame.to_excel",)),
    Format("spss", ("sav", "zsav"), read_spss, write_spss, False,
           read_options_from=("pandas:read_spss", "pyreadstat:read_sav"),
           write_options_from=("pyreadstat:write_sav",)),
    Format("stata", ("dta",), read_stata,
           buffer_writer("to_stata", write_index=False), False,
           read_options_from=("pandas:read_stata",),
           write_options_from=("pandas:DataFrame.to_stata",)),
    Format("sas", ("sas7bdat",), read_sas, None, False, read_options_from=("pandas:read_sas",)),
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


def resolve(key: str, file_type: str | None = None, *,
            writing: bool = False) -> tuple[Format, str | None]:
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
