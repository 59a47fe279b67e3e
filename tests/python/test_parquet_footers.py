"""Encrypted and malformed Parquet footers: a format error saying so, never the process's end.

pyarrow's Python objects over a column chunk whose metadata is encrypted end
the process (SIGABRT) as soon as they are made, so every read here runs in a
child process (``child_reads.py``) and the test looks at how it ended.
"""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from child_reads import run
from conftest import BUCKET, put

from s3tools import parquet_footers
from s3tools.errors import FormatError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cases" / "data"))
from make_fixtures import write_encrypted_parquet  # noqa: E402


def encrypted_parquet(plaintext_footer: bool) -> bytes:
    sink = io.BytesIO()
    write_encrypted_parquet(sink, plaintext_footer)
    return sink.getvalue()


def columns_only(data: bytes) -> bytes:
    """A file whose column chunks carry encryption metadata but whose FileMetaData records
    no encryption algorithm (as a hostile writer could make it): the footer cut before
    its field 8, which parquet-cpp writes after every other field but 9."""
    length = int.from_bytes(data[-8:-4], "little")
    footer = data[-8 - length:-8]
    starts = []

    def note(data: bytes, position: int) -> int:  # where field 8's value starts
        starts.append(position)
        return parquet_footers._skip(data, position, 12, 1)
    parquet_footers._walk(footer, 0, {(8, 12): note})
    assert starts
    cut = footer[:starts[0] - 1] + b"\x00"  # the field's one-byte header gone, the struct ended
    return data[:-8 - length] + cut + len(cut).to_bytes(4, "little") + b"PAR1"


def plain_parquet() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2, None], "b": ["x", None, "z"]}), sink)
    return sink.getvalue()


class Source(io.BytesIO):
    """A local seekable file, as s3tools' own files look to the check."""


def test_plain_files_pass_and_encrypted_ones_are_found():
    assert parquet_footers.encryption(Source(plain_parquet())) is None
    assert parquet_footers.encryption(Source(encrypted_parquet(False))) == "footer is"
    assert parquet_footers.encryption(Source(encrypted_parquet(True))) == "columns are"
    assert parquet_footers.encryption(Source(columns_only(encrypted_parquet(True)))) == \
        "columns are"
    assert parquet_footers.encryption(Source(b"not parquet at all")) is None
    assert parquet_footers.encryption(Source(b"PAR1")) is None


def test_damaged_footers_are_malformed_and_nothing_else():
    data = plain_parquet()
    length = int.from_bytes(data[-8:-4], "little")
    footer = data[-8 - length:-8]
    generator = random.Random(22)
    for _ in range(3000):
        damaged = bytearray(footer[:generator.randrange(len(footer) + 1)])
        for _ in range(generator.randrange(4)):
            if damaged:
                damaged[generator.randrange(len(damaged))] = generator.randrange(256)
        try:
            parquet_footers.encrypted(bytes(damaged))
        except parquet_footers.Malformed:
            pass
    with pytest.raises(parquet_footers.Malformed, match="list longer"):
        parquet_footers.encrypted(b"\x19\xf8\xff\xff\xff\x0f")  # field 1: a huge list
    with pytest.raises(parquet_footers.Malformed, match="nested"):
        parquet_footers.encrypted(b"\x1c" * 200)  # structs in structs


@pytest.mark.parametrize("kind", ["footer", "columns", "columns_only"])
def test_encrypted_parquet_is_a_format_error_in_every_read(seed, tmp_path, kind):
    data = encrypted_parquet(plaintext_footer=kind != "footer")
    if kind == "columns_only":
        data = columns_only(data)
    put(seed, "secret.parquet", data)
    put(seed, "dataset/part-0.parquet", data)
    path = f"{BUCKET}/secret.parquet"
    reads = [{"call": "s3_path_to_df", "path": path},
             {"call": "s3_path_to_preview_df", "path": path},
             {"call": "s3_path_to_df", "path": path, "options": {"columns": ["age"]}},
             {"call": "s3_path_to_df", "path": path,
              "options": {"filters": [["name", "==", "Ann"]]}},
             {"call": "s3_path_to_chunks", "path": path, "options": {"chunk_size": 2}},
             {"call": "s3_path_to_df", "path": f"{BUCKET}/dataset/"}]
    finished = run(reads, tmp_path, timeout=300)
    assert not finished.problems(reads)
    assert [o["outcome"] for o in finished.outcomes] == ["s3tools"] * len(reads)
    for outcome in finished.outcomes:
        assert outcome["type"] == "FormatError"
        assert "encrypted" in outcome["message"] and "read_using()" in outcome["message"]


def with_repetition_of_a(data: bytes, value: int) -> bytes:
    """``plain_parquet()`` with the repetition recorded for its column ``a`` (OPTIONAL, a
    zigzag 2 after field 3's header) changed to ``value`` (a zigzag varint of one byte),
    the footer's length unchanged."""
    field = b"\x25\x02\x18\x01a"  # repetition_type OPTIONAL, then the name "a"
    assert data.count(field) == 1
    return data.replace(field, b"\x25" + bytes([value]) + field[2:])


@pytest.mark.parametrize(("value", "said"), [
    (0x19, "repetition is -13"),  # no repetition Parquet has
    (0x00, "level histogram of 2 entries where its schema allows 1"),  # REQUIRED, but it has
])                                                                      # the levels of OPTIONAL
def test_a_schema_that_does_not_fit_its_level_histograms_is_a_format_error(seed, tmp_path,
                                                                           value, said):
    # pyarrow's column objects throw on these (ending the process): refused before them.
    data = with_repetition_of_a(plain_parquet(), value)
    with pytest.raises(FormatError, match=said):
        parquet_footers.refuse_unsafe(Source(data), "here.parquet")
    put(seed, "levels.parquet", data)
    path = f"{BUCKET}/levels.parquet"
    reads = [{"call": "s3_path_to_df", "path": path},
             {"call": "s3_path_to_preview_df", "path": path},
             {"call": "s3_path_to_df", "path": path, "options": {"columns": ["a"]}}]
    finished = run(reads, tmp_path, timeout=300)
    assert not finished.problems(reads)
    assert [o["type"] for o in finished.outcomes] == ["FormatError"] * len(reads)


def test_nested_columns_have_the_levels_of_their_schema():
    sink = io.BytesIO()
    pq.write_table(pa.table({"a": [1, None], "b": [[1, 2], None],
                             "s": pa.array([{"x": 1}, None])}), sink)
    footer = parquet_footers._plain_footer(Source(sink.getvalue()))
    encrypted, elements, histograms = parquet_footers._shape(footer)
    assert not encrypted
    assert parquet_footers._leaf_levels(elements) == [(1, 0), (3, 1), (2, 0)]
    assert [(column, repetitions, definitions) for column, repetitions, definitions
            in histograms] == [(0, 0, 2), (1, 2, 4), (2, 0, 3)]
    parquet_footers.refuse_unsafe(Source(sink.getvalue()), "nested.parquet")  # no error
