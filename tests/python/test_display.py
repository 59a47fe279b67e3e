"""Names and cells chosen by whoever writes to a bucket, shown safely (s3tools.display).

Keys and cells holding terminal escapes (a new window title, a cleared
screen, OSC 52 writing the clipboard), C1 controls and bidi overrides reach
no terminal raw through ``s3tools ls``, ``ls --recursive``, ``head`` or
``cp``; the explorer's answers carry the real key and the name as shown; the
R and Python lines written for a key parse in their language and name that
exact key (R itself parses the R lines).
"""

from __future__ import annotations

import ast
import json
import logging
import re
import shutil
import subprocess

import pytest
from conftest import BUCKET, ON_SEAWEEDFS, get, put
from test_cli import s3tools
from test_explorer import api, ask

import s3tools as s3tools_package
from s3tools import errors
from s3tools.display import pieces, python_string, r_string, visible
from s3tools.explorer import Explorer

# What a writer to the bucket can put in a key: what each does to a terminal, in the name.
TITLE = "title\x1b]0;pwned\x07.csv"  # sets the terminal's title
CLEAR = "clear\x1b[2J.csv"  # clears the screen
CLIPBOARD = "clip\x1b]52;c;ZWNobyBwd25lZA==\x07.csv"  # OSC 52: writes the clipboard
C1 = "c1\x9b31mred.csv"  # CSI as one C1 byte
BIDI = "evil\u202egpj.csv"  # reads as evilcsv.jpg
ISOLATES = "iso\u2066x\u2069\u061c\u200f\u200e.csv"
ODD = "q'\"\\ $`é\u00a0日本.csv"  # quotes, a backslash, $, a backtick, non-ASCII
TAB_CR = "tab\tcr\rdel\x7f.csv"
# moto's server stores every C0 control but a newline; SeaweedFS every one but a NUL.
NEWLINES = ("new\nline.csv",) if ON_SEAWEEDFS else ()
FOLDER = "folder\x1b[2J/inner.csv"
BIDI_FOLDER = "right\u202eto left/inner.csv"
HOSTILE_KEYS = (TITLE, CLEAR, CLIPBOARD, C1, BIDI, ISOLATES, ODD, TAB_CR, *NEWLINES, FOLDER,
                BIDI_FOLDER)
FILES = HOSTILE_KEYS[:-2]
# The files chosen in the explorer: every kind of name, C0 controls included.
SELECTED = (BIDI, C1, ODD, ISOLATES, TITLE, CLEAR, CLIPBOARD, TAB_CR, *NEWLINES, FOLDER)

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")


def raw_controls(text: str) -> set[str]:
    """The characters in ``text`` that must never reach a terminal or a page raw."""
    return {character for character in text
            if (ord(character) < 0x20 and character != "\n") or 0x7F <= ord(character) <= 0x9F
            or character in BIDI_CONTROLS}


def assert_clean(result) -> None:
    """Standard output and error are UTF-8 text without a raw control or bidi character."""
    for stream in (result.stdout, result.stderr):
        assert not raw_controls(stream.decode("utf-8")), stream


# ------------------------------------------------------------ the rule itself

@pytest.mark.parametrize(("text", "expected"), [
    ("plain/name.csv", "plain/name.csv"),
    (TITLE, "title\\x1b]0;pwned\\x07.csv"),
    (C1, "c1\\x9b31mred.csv"),
    (BIDI, "evil\\u202egpj.csv"),
    (ISOLATES, "iso\\u2066x\\u2069\\u061c\\u200f\\u200e.csv"),
    ("tab\tnew\nline\rend\x00\x7f", "tab\\tnew\\nline\\rend\\x00\\x7f"),
    ("zero\u200bwidth\ufeff\u2028\U000e0041", "zero\\u200bwidth\\ufeff\\u2028\\U000e0041"),
    ("é 日本\u3000\\x1b", "é 日本\u3000\\x1b"),  # letters, wide spaces and backslashes as they are
    ("family \U0001f468\u200d\U0001f469", "family \U0001f468\u200d\U0001f469"),  # joiners kept
])
def test_controls_bidi_and_invisible_format_characters_are_escaped(text, expected):
    assert visible(text) == expected
    assert not raw_controls(visible(text))
    assert "".join(pieces(text)) == expected


def test_pieces_alternate_text_and_escapes():
    assert pieces("plain") == ["plain"]
    assert pieces(BIDI) == ["evil", "\\u202e", "gpj.csv"]
    assert pieces("\x1b\x1bx\x9b") == ["", "\\x1b\\x1b", "x", "\\x9b", ""]


def test_lines_keeps_newlines_only():
    assert visible("a\x1b\nb\tc", lines=True) == "a\\x1b\nb\\tc"


# ------------------------------------------------------------ code written for a key

LITERAL_CASES = (*HOSTILE_KEYS, "new\nline\ttab\rcr", "astral \U0001f600 \U000e0041",
                 "dollar $x ${y} `cmd` \\n", '"', "\\", "")


@pytest.mark.parametrize("text", LITERAL_CASES)
def test_the_python_literal_is_the_exact_text_and_shows_every_character(text):
    literal = python_string(text)
    assert ast.literal_eval(literal) == text
    assert literal.isprintable()


def parsed_by_r(lines: list[str], tmp_path) -> list[list[str]]:
    """R's parse of each line (one call each): the call's function and each argument as the
    hex of its UTF-8 bytes."""
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed (make test installs it)")
    assert all(line.isprintable() for line in lines)  # so one line of the file each
    source = tmp_path / "lines.txt"
    source.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    script = """
        for (text in readLines(commandArgs(TRUE)[1], encoding = "UTF-8")) {
          call <- parse(text = text, keep.source = FALSE)[[1]]
          parts <- c(as.character(call[[1]]),
                     vapply(as.list(call)[-1], function(x) paste(charToRaw(enc2utf8(x)),
                            collapse = ""), ""))
          cat(paste(parts, collapse = " "), "\\n")
        }"""
    result = subprocess.run(["Rscript", "-e", script, str(source)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return [line.split() for line in result.stdout.splitlines()]


def test_the_r_literal_is_the_exact_text_for_r(tmp_path):
    texts = [text for text in LITERAL_CASES if text]
    lines = [f"f({r_string(text)})" for text in texts]
    assert parsed_by_r(lines, tmp_path) == [["f", text.encode().hex()] for text in texts]


def test_no_r_literal_holds_a_nul():
    with pytest.raises(ValueError, match="x00"):
        r_string("a\0b")


# ------------------------------------------------------------ the command line

@pytest.fixture
def hostile(seed):
    for key in HOSTILE_KEYS:
        put(seed, key, "a,b\n1,2\n")
    return seed


def test_ls_shows_hostile_keys_escaped(hostile):
    listed = s3tools("ls", f"s3://{BUCKET}/")
    assert listed.returncode == 0, listed.err
    assert_clean(listed)
    for name in ("title\\x1b]0;pwned\\x07.csv", "clip\\x1b]52;c;ZWNobyBwd25lZA==\\x07.csv",
                 "c1\\x9b31mred.csv", "evil\\u202egpj.csv", ODD, "tab\\tcr\\rdel\\x7f.csv",
                 "PRE folder\\x1b[2J/"):
        assert name in listed.out
    deep = s3tools("ls", "--recursive", f"s3://{BUCKET}/")
    assert deep.returncode == 0, deep.err
    assert_clean(deep)
    assert "folder\\x1b[2J/inner.csv" in deep.out
    assert len(deep.out.splitlines()) == len(HOSTILE_KEYS)


def test_head_shows_hostile_cells_and_column_names_escaped(seed):
    put(seed, "cells.csv", 'name\x1b]0;t\x07,value\n'
                           '"\x1b]52;c;cHduZWQ=\x07",\x1b[2J\n'
                           '"two\nlines \u202etxt.exe",\x9b31m\n')
    shown = s3tools("head", f"s3://{BUCKET}/cells.csv")
    assert shown.returncode == 0, shown.err
    assert_clean(shown)
    lines = shown.out.splitlines()
    assert len(lines) == 3  # a newline in a cell does not start a row
    for text in ("name\\x1b]0;t\\x07", "\\x1b]52;c;cHduZWQ=\\x07", "\\x1b[2J",
                 "two\\nlines \\u202etxt.exe", "\\x9b31m"):
        assert text in shown.out


def test_cp_says_names_escaped_and_copies_the_real_key(hostile, tmp_path):
    copied = s3tools("cp", f"s3://{BUCKET}/{BIDI}", f"{tmp_path}/")
    assert copied.returncode == 0, copied.err
    assert_clean(copied)
    assert "evil\\u202egpj.csv" in copied.out
    assert (tmp_path / BIDI).read_bytes() == b"a,b\n1,2\n"
    for key in (TAB_CR, TITLE, *NEWLINES):
        within = s3tools("cp", f"s3://{BUCKET}/{key}", f"s3://{BUCKET}/copies/")
        assert within.returncode == 0, within.err
        assert_clean(within)
        assert visible(key) in within.out and get(hostile, f"copies/{key}") == b"a,b\n1,2\n"
    # Every key is copied by its real name, C0 controls included; what is said is escaped.
    everything = s3tools("cp", "--recursive", f"s3://{BUCKET}/", str(tmp_path / "all"))
    assert everything.returncode == 0, everything.err
    assert_clean(everything)
    for key in HOSTILE_KEYS:
        if ON_SEAWEEDFS and "\\" in key:
            continue  # SeaweedFS stores a backslash in a key as a slash
        assert (tmp_path / "all" / key).read_bytes() == b"a,b\n1,2\n"


def test_errors_naming_a_hostile_path_are_escaped(seed):
    missing = s3tools("head", f"s3://{BUCKET}/none\x9b2J\u202e.csv")
    assert missing.returncode == 3
    assert_clean(missing)
    assert "none\\x9b2J\\u202e.csv" in missing.err


def test_messages_and_log_records_name_a_hostile_path_escaped_once(caplog):
    path = f"{BUCKET}/x\x1b]0;t\x07\u202e.csv"
    message = errors.not_found(path).message
    assert not raw_controls(message) and "x\\x1b]0;t\\x07\\u202e.csv" in message
    # A message made from another's names the path once, not again raw and escaped.
    again = errors.NotFoundError(f"{message} (1 of 2 files were copied.)", path=path).message
    assert again.count("x\\x1b") == 1
    caplog.set_level(logging.DEBUG, logger="s3tools")
    logging.getLogger("s3tools.test").debug("reading %s\nnext line", path)
    assert caplog.records[-1].getMessage() == f"reading {visible(path)}\nnext line"


# ------------------------------------------------------------ the explorer

@pytest.fixture
def explorer(hostile):
    running = Explorer()
    yield running
    running.stop()


def test_explorer_answers_carry_the_real_key_and_the_name_as_shown(explorer):
    listing = api(explorer.url, "list", path=f"{BUCKET}/")
    entries = {entry["name"]: entry for entry in listing["entries"]}
    assert set(entries) == {*FILES, "folder\x1b[2J/", "right\u202eto left/"}
    for name, entry in entries.items():
        assert entry["path"] == f"{BUCKET}/{name}"
        assert "".join(entry["shown"]) == visible(name)
    assert entries[BIDI]["shown"] == ["evil", "\\u202e", "gpj.csv"]
    assert listing["where"] == [[BUCKET]]
    shown = "".join(piece for entry in entries.values() for piece in entry["shown"])
    assert not raw_controls(shown)
    inside = api(explorer.url, "list", path=f"{BUCKET}/right\u202eto left/")
    assert inside["where"] == [[BUCKET], ["right", "\\u202e", "to left"]]
    assert inside["entries"][0]["path"] == f"{BUCKET}/{BIDI_FOLDER}"
    # A folder whose name holds a C0 control opens like any other.
    inside = api(explorer.url, "list", path=f"{BUCKET}/folder\x1b[2J/")
    assert inside["where"] == [[BUCKET], ["folder", "\\x1b", "[2J"]]
    assert [entry["path"] for entry in inside["entries"]] == [f"{BUCKET}/{FOLDER}"]


def test_explorer_acts_on_the_real_key(explorer):
    for key in SELECTED:
        preview = api(explorer.url, "preview", path=f"{BUCKET}/{key}")
        assert preview["rows"] == [["1", "2"]]
        status, body = ask(explorer.url, "api/download", path=f"{BUCKET}/{key}")
        assert status == 200 and body == b"a,b\n1,2\n"
    assert explorer.selected == []


def test_explorer_preview_cells_and_errors_are_escaped(seed, explorer):
    put(seed, "cells.csv", 'h\x1b]0;t\x07\n"\x1b]52;c;eA==\x07 \u202ex"\n')
    preview = api(explorer.url, "preview", path=f"{BUCKET}/cells.csv")
    assert preview == {"columns": ["h\\x1b]0;t\\x07"], "rows": [["\\x1b]52;c;eA==\\x07 \\u202ex"]]}
    status, body = ask(explorer.url, "api/preview", path=f"{BUCKET}/none\u202e\x9b.csv")
    assert status == 404 and "none\\u202e\\x9b.csv" in json.loads(body)["error"]


def test_select_writes_lines_that_parse_and_name_the_exact_key(explorer, tmp_path):
    chosen = [api(explorer.url, "select", "POST", path=f"{BUCKET}/{key}") for key in SELECTED]
    for answer, key in zip(chosen, SELECTED):
        assert answer["path"] == f"{BUCKET}/{key}"
        assert answer["r"].isprintable() and answer["python"].isprintable()
        call = ast.parse(answer["python"], mode="eval").body
        assert ast.unparse(call.func) == "s3tools.s3_path_to_df"
        assert [ast.literal_eval(argument) for argument in call.args] == [f"{BUCKET}/{key}"]
        # Run as written, the line reads that object.
        frame = eval(answer["python"], {"s3tools": s3tools_package})  # noqa: S307
        assert frame.to_dict("list") == {"a": [1], "b": [2]}
    assert parsed_by_r([answer["r"] for answer in chosen], tmp_path) == [
        ["s3_path_to_df", f"{BUCKET}/{key}".encode().hex()] for key in SELECTED]
    assert explorer.selected == [answer["path"] for answer in chosen]


def test_a_download_line_names_the_key_and_the_file(seed, explorer, tmp_path):
    put(seed, "notes\u202e\"$`.txt", "hello")
    answer = api(explorer.url, "select", "POST", path=f"{BUCKET}/notes\u202e\"$`.txt")
    call = ast.parse(answer["python"], mode="eval").body
    assert [ast.literal_eval(argument) for argument in call.args] == [
        f"{BUCKET}/notes\u202e\"$`.txt", "notes\u202e\"$`.txt"]
    assert parsed_by_r([answer["r"]], tmp_path) == [[
        "download_file_from_s3", f"{BUCKET}/notes\u202e\"$`.txt".encode().hex(),
        "notes\u202e\"$`.txt".encode().hex()]]


def test_keys_with_markup_stay_text_in_the_answers(seed, explorer):
    key = "<img src=x onerror=alert(1)><script>alert(2)<\\script>.csv"
    put(seed, key, "a\n<b>bold</b>\n")
    entry, = [entry for entry in api(explorer.url, "list", path=f"{BUCKET}/")["entries"]
              if entry["name"] == key]
    assert entry["shown"] == [key]
    status, page = ask(explorer.url)
    # The page builds every name with textContent and DOM nodes, never as markup: its one
    # markup sink is the explorer's fixed skeleton, a template that takes no value.
    skeletons = re.findall(rb"\.innerHTML = `([^`]*)`", page)
    assert status == 200 and len(skeletons) == page.count(b"innerHTML") == 1
    assert b"${" not in skeletons[0] and b"insertAdjacentHTML" not in page
    assert b"outerHTML" not in page and b"document.write" not in page
