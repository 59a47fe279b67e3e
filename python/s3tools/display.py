"""Names and cells as a terminal or a page shows them, and keys as R and Python code writes them.

Whoever can write to a bucket chooses its keys and its files' cells. Shown
raw, an escape sequence in them retitles or clears a terminal or writes its
clipboard (OSC 52), and a bidi override makes a name read as another one
(``evil\\u202egpj.csv`` looks like ``evilcsv.jpg``). So everything s3tools
shows of a name or a cell goes through :func:`visible`, and the code it
writes for a key through :func:`python_string` or :func:`r_string`. Pure
functions, no imports of s3tools.
"""

from __future__ import annotations

import unicodedata

# Controls (C0, DEL, C1), format characters (bidi marks, overrides and isolates,
# zero-width spaces, the byte order mark, tags), line and paragraph separators,
# and lone surrogates: none is seen for what it is, and several steer what is shown.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# The zero-width joiners are format characters too, but Persian, the Indic
# scripts and emoji need them to be spelt right, and they move nothing.
_KEPT = frozenset("\u200c\u200d")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _is_escaped(character: str) -> bool:
    return (unicodedata.category(character) in _ESCAPED_CATEGORIES
            and character not in _KEPT)


def _code_point(character: str) -> str:
    """The escape Python and the terminal's users read: ``\\t``, ``\\x1b``, ``\\u202e``."""
    named = _NAMED.get(character)
    if named is not None:
        return named
    number = ord(character)
    if number <= 0xFF:
        return f"\\x{number:02x}"
    return f"\\u{number:04x}" if number <= 0xFFFF else f"\\U{number:08x}"


def pieces(text: str) -> list[str]:
    """``text`` cut into text and escapes, alternately: even places hold text as it is,
    odd places the escapes of the characters that cannot be shown (so that a page can
    mark them). ``"".join(pieces(text)) == visible(text)``.

    Args:
        text: a key, a bucket or file name, a cell.

    Returns:
        A list of odd length; ``[text]`` when nothing needs escaping.
    """
    if text.isprintable():  # the usual case, answered in C: nothing to escape
        return [text]
    found = [""]
    for character in text:
        escaping = _is_escaped(character)
        if escaping != (len(found) % 2 == 0):
            found.append("")
        found[-1] += _code_point(character) if escaping else character
    if len(found) % 2 == 0:
        found.append("")
    return found


def visible(text: str, lines: bool = False) -> str:
    """``text`` with every control, bidi and other invisible format character written as
    its escape (``\\x1b``, ``\\x9b``, ``\\u202e``, ``\\n``), for a terminal or a page.

    Other characters, non-ASCII letters and backslashes included, are shown as they
    are. The zero-width joiners (U+200C, U+200D) are kept: scripts and emoji need them.

    Args:
        text: a name or a cell.
        lines: keep newlines, for text of several lines made by s3tools (a table, a
            log record) whose names and cells were escaped already.

    Returns:
        The text to print.
    """
    if lines:
        return "\n".join(visible(line) for line in text.split("\n"))
    return "".join(pieces(text))


def python_string(text: str) -> str:
    """``text`` as a Python string literal in double quotes, printable as it stands:
    backslashes and quotes escaped, every character ``str.isprintable`` refuses as
    ``\\n``, ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``. ``ast.literal_eval`` of it is
    ``text``."""
    return '"' + "".join(_python_character(character) for character in text) + '"'


def _python_character(character: str) -> str:
    if character in '\\"':
        return "\\" + character
    return character if character.isprintable() else _code_point(character)


def r_string(text: str) -> str:
    """``text`` as an R string literal in double quotes, printable as it stands:
    backslashes and quotes escaped, ``\\n``, ``\\t`` and ``\\r`` by name, every other
    character ``str.isprintable`` refuses as ``\\u{...}`` (R allows no ``\\x`` escape
    beside a ``\\u`` one in a string). R's ``parse`` of it gives ``text``.

    Raises:
        ValueError: ``text`` holds a NUL or a lone surrogate, which no R string can.
    """
    return '"' + "".join(_r_character(character) for character in text) + '"'


def _r_character(character: str) -> str:
    if character in '\\"':
        return "\\" + character
    if character.isprintable():
        return character
    if character in _NAMED:
        return _NAMED[character]
    if character == "\0" or unicodedata.category(character) == "Cs":
        raise ValueError(f"An R string cannot hold the character {_code_point(character)}.")
    number = ord(character)
    return f"\\u{{{number:x}}}" if number <= 0xFFFF else f"\\U{{{number:x}}}"
