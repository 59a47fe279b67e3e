"""SPSS files looked at before ReadStat (through pyreadstat) reads them.

When the value of a text variable's value label is not text in the file's
encoding, ReadStat's converter (or, for UTF-8 files it does not convert,
pyreadstat's handler) fails, and ReadStat then ends the process with a
segfault instead of an error. Such a file is refused here, from its dictionary
(the records before the data), with a format error.

The dictionary's layout (IBM SPSS Statistics' "system file format"): a
176-byte header, then records each starting with its type: 2 a variable
(its width; one record per 8 bytes of a long text), 3 a value label set
followed by 4 the variables it applies to, 6 documents, 7 extensions (subtype
3 the machine's character code, 20 the encoding's name), 999 the end.
"""

from __future__ import annotations

import codecs
import io
import struct
from typing import Any

from .errors import FormatError

_HEADER = 176
_LAYOUT_AT = 64  # the layout code, 2 or 3, tells the byte order
_CHARACTER_CODE, _ENCODING_NAME = 3, 20
_UTF8_CODE_PAGE = 65001


class _End(Exception):
    """The dictionary ends or is not as described: ReadStat will say so itself."""


def refuse_unsafe(source: Any, shown: str | None, encoding: str | None = None) -> None:
    """Raise a format error for an SPSS file that would end ReadStat's process.

    Args:
        source: a seekable binary file over the object (its dictionary is read from
            the start).
        shown: the path, for the message (None: the caller's error handling adds it).
        encoding: the ``encoding`` the reader is given, if any (it overrides the file's).

    Raises:
        FormatError: a text variable's value label value is not text in the file's
            encoding.
    """
    source.seek(0)
    try:
        labelled, file_encoding = _text_labels(_Records(source))
    except _End:
        return
    codec = _codec(encoding if encoding is not None else file_encoding)
    if codec is None:
        return  # an encoding only ReadStat's converter knows
    for value in labelled:
        try:
            value.rstrip(b" \0").decode(codec)  # ReadStat strips the padding so
        except UnicodeDecodeError:
            problem = (f"a value label of a text variable is not {codec} text, which the SPSS "
                       "reader cannot take. If the file is in another encoding, pass "
                       'encoding= (e.g. encoding="WINDOWS-1252").')
            raise FormatError(f"Could not read {shown} as spss: {problem}" if shown else
                              problem[0].upper() + problem[1:], path=shown) from None


def _codec(name: str | None) -> str | None:
    """Python's codec for the encoding ReadStat reads the file's text in: UTF-8 (its own)
    when none is named; None when Python has no such codec."""
    if name is None:
        return "utf-8"
    if name.startswith("code page "):
        name = f"cp{name.removeprefix('code page ')}"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class _Records:
    """The dictionary's fields, read in order."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.size = source.seek(0, io.SEEK_END)
        source.seek(0)
        header = self.bytes(_HEADER)
        if header[:4] not in (b"$FL2", b"$FL3"):
            raise _End()
        self.order = "<" if struct.unpack("<i", header[_LAYOUT_AT:_LAYOUT_AT + 4])[0] in (2, 3) \
            else ">"

    def bytes(self, length: int) -> bytes:
        if length < 0 or length > self.size:
            raise _End()
        data = bytes(self.source.read(length))
        if len(data) != length:
            raise _End()
        return data

    def ints(self, count: int) -> tuple[int, ...]:
        return struct.unpack(f"{self.order}{count}i", self.bytes(4 * count))

    def count(self, count: int, each: int) -> int:
        """A count read from the file, refused when its items could not fit in it."""
        if count < 0 or count * each > self.size:
            raise _End()
        return count


def _text_labels(records: _Records) -> tuple[list[bytes], str | None]:
    """The raw values of the value labels of text variables, and the encoding the file
    names (None when it names none)."""
    widths: list[int] = []  # by dictionary index (from 0); -1 continues a long text
    labelled: list[bytes] = []
    encoding: str | None = None
    while True:
        kind = records.ints(1)[0]
        if kind == 2:
            width, has_label, missing = records.ints(5)[:3]
            records.bytes(8)  # the name
            widths.append(width)
            if has_label:
                records.bytes((records.count(records.ints(1)[0], 1) + 3) // 4 * 4)
            records.bytes(8 * records.count(abs(missing), 8))
        elif kind == 3:
            values = []
            for _ in range(records.count(records.ints(1)[0], 16)):
                values.append(records.bytes(8))
                length = records.bytes(1)[0]
                records.bytes((length + 1 + 7) // 8 * 8 - 1)
            if records.ints(1)[0] != 4:
                raise _End()
            indexes = records.ints(records.count(records.ints(1)[0], 4))
            if any(0 < index <= len(widths) and widths[index - 1] > 0 for index in indexes):
                labelled += values
        elif kind == 6:
            records.bytes(80 * records.count(records.ints(1)[0], 80))
        elif kind == 7:
            subtype, size, count = records.ints(3)
            data = records.bytes(records.count(size, 1) * records.count(count, 1))
            if subtype == _ENCODING_NAME:
                encoding = data.decode("ascii", "replace").strip()
            elif subtype == _CHARACTER_CODE and size == 4 and count >= 8 and encoding is None:
                code = struct.unpack(f"{records.order}8i", data[:32])[7]
                encoding = "utf-8" if code == _UTF8_CODE_PAGE else f"code page {code}"
        elif kind == 999:
            return labelled, encoding
        else:
            raise _End()
