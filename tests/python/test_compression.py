"""compression: suffixes looked through and applied, decompression bounded by what each
read asks and by a limit, whatever the file records."""

from __future__ import annotations

import io
import zipfile

import pytest

import s3tools
from s3tools.compression import (
    COMPRESSIONS,
    DecompressedTooLarge,
    compress,
    decompress,
    decompressed,
)


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_compress_then_decompress_gives_back_the_bytes(compression):
    data = "a,b\n1,é\n".encode() * 1000
    packed = compress(data, compression, "inner.csv")
    assert packed != data
    assert decompress(packed, compression) == data
    assert compress(data, None, "x") == data
    assert decompress(data, None) == data


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_a_decompressed_stream_hands_out_no_more_than_each_read_asks(compression):
    data = b"x,y\n" + b"".join(b"%d,%d\n" % (i, i * i) for i in range(20000))
    packed = compress(data, compression, "inner.csv")
    pieces = []
    with decompressed(io.BytesIO(packed), compression) as stream:
        while piece := stream.read(997):
            assert len(piece) <= 997
            pieces.append(piece)
    assert b"".join(pieces) == data


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_decompression_stops_at_its_limit_whatever_the_file_records(compression):
    data = b"a" * 20_000_000
    packed = compress(data, compression, "inner.csv")
    assert decompress(packed, compression, limit=len(data)) == data
    with pytest.raises(DecompressedTooLarge) as caught:
        decompress(packed, compression, limit=1_000_000)
    # gzip's trailer, a zstd frame's header and a zip's directory record the size: the
    # refusal comes before any decompression; the others stop one byte past the limit.
    recorded = compression in ("gz", "zst", "zip")
    assert caught.value.at_least == (len(data) if recorded else 1_000_001)
    if compression == "gz":
        # A trailer that lies (a small size) changes nothing: the data is counted.
        with pytest.raises(DecompressedTooLarge):
            decompress(packed[:-4] + (100).to_bytes(4, "little"), "gz", limit=1_000_000)


def test_a_zip_must_hold_one_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "a\n1\n")
        archive.writestr("b.csv", "a\n2\n")
    with pytest.raises(s3tools.FormatError, match="exactly one"):
        decompress(buffer.getvalue(), "zip")
