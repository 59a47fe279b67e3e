"""recorded_sizes: the sizes Parquet page headers and Arrow IPC metadata record, read by hand,
checked against what pyarrow wrote and reads; damaged bytes are Unreadable, never a crash."""

from __future__ import annotations

import io
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from s3tools import parquet_layout, recorded_sizes

ROWS = 50_000


def table() -> pa.Table:
    generator = np.random.default_rng(9)
    return pa.table({"n": generator.integers(0, 1000, ROWS),
                     "s": pa.array([f"value {i % 97}" for i in range(ROWS)]),
                     "l": pa.array([[i, i] if i % 5 else None for i in range(ROWS)])})


def pages(data: bytes, index: int) -> list[recorded_sizes.PageHeader]:
    """Every page header of column ``index`` of the first row group."""
    column = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0).column(index)
    start, length = parquet_layout.column_chunk_range(column)
    found, position = [], start
    while position < start + length:
        page = recorded_sizes.page_header(data[position:position + 1024])
        found.append(page)
        position += page.length + page.compressed_size
    assert position == start + length
    return found


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_page_headers_give_the_sizes_and_rows_pyarrow_wrote(version):
    buffer = io.BytesIO()
    pq.write_table(table(), buffer, data_page_version=version, data_page_size=64 * 1024,
                   compression="zstd")
    data = buffer.getvalue()
    metadata = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0)
    for index in range(3):
        found = pages(data, index)
        data_pages = [page for page in found if page.kind != recorded_sizes.DICTIONARY_PAGE]
        assert len(data_pages) > 1
        # The chunk's total counts the headers too.
        assert sum(page.uncompressed_size + page.length for page in found) == \
            metadata.column(index).total_uncompressed_size
        if version == "2.0":
            assert sum(page.rows for page in data_pages) == ROWS
        elif index < 2:  # not repeated: a value per row
            assert sum(page.values for page in data_pages) == ROWS


def test_a_cut_or_damaged_page_header_is_unreadable():
    buffer = io.BytesIO()
    pq.write_table(table(), buffer)
    data = buffer.getvalue()
    start = parquet_layout.column_chunk_range(pq.ParquetFile(io.BytesIO(data)).metadata
                                       .row_group(0).column(0))[0]
    header = data[start:start + pages(data, 0)[0].length]
    for cut in range(len(header)):
        with pytest.raises(recorded_sizes.Unreadable):
            recorded_sizes.page_header(header[:cut])
    nested = bytes([0x19]) + bytes([0x19]) * 100_000  # field 1: a list of lists of lists...
    with pytest.raises(recorded_sizes.Unreadable):
        recorded_sizes.page_header(nested)
    generator = random.Random(4)
    for _ in range(300):  # mutated: a header, or Unreadable
        mutated = bytearray(header)
        mutated[generator.randrange(len(mutated))] = generator.randrange(256)
        try:
            recorded_sizes.page_header(bytes(mutated))
        except recorded_sizes.Unreadable:
            pass


@pytest.mark.parametrize("compression", [None, "lz4", "zstd"])
def test_ipc_blocks_and_buffers_are_what_pyarrow_reads(compression):
    original = pa.table({"n": np.arange(ROWS), "d": pa.array(["a", "b"] * (ROWS // 2))
                         .dictionary_encode()})
    sink = io.BytesIO()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_file(sink, original.schema, options=options) as writer:
        writer.write_table(original, max_chunksize=ROWS // 4)
    data = sink.getvalue()
    footer = data[-10 - recorded_sizes.ipc_footer_length(data[-10:]):-10]
    dictionaries, batches = recorded_sizes.ipc_blocks(footer)
    assert (len(dictionaries), len(batches)) == (1, 4)
    first = batches[0]
    batch = recorded_sizes.ipc_batch(data[first.offset:first.offset + first.metadata_length])
    assert batch.compressed == (compression is not None)
    body = first.offset + first.metadata_length
    decoded = recorded_sizes.decoded_size(batch, lambda offset: data[body + offset:
                                                                     body + offset + 8])
    # The buffers pyarrow decodes: n's (8 bytes a row) and the dictionary indices' (4).
    assert (ROWS // 4) * 12 <= decoded <= (ROWS // 4) * 12 + 64 * len(batch.buffers)
    with pytest.raises(recorded_sizes.Unreadable):
        recorded_sizes.ipc_footer_length(b"not an arrow file")
    with pytest.raises(recorded_sizes.Unreadable):
        recorded_sizes.ipc_blocks(footer[:8])
