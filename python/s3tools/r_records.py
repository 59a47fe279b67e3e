"""R's vectors as the boundary hands them over: buffers by address, column records.

The pieces every column of a frame sent to R is made of (see
:mod:`s3tools.r_codec` for the frame and the type mapping, :mod:`s3tools.r_arrow`
for Arrow columns): a buffer handed by address (:func:`hand`), whole numbers,
doubles and logicals in R's layout with R's NA patterns written in, and text as
Arrow's own buffers (:func:`text_to_r`).

Towards R, a buffer is handed over by address: R and Python share the process,
and R's C code (``src/codec.c``) copies the bytes once, straight into the R
vector, after checking the size. The buffer is held here until R has it
(:func:`release`). Several buffers handed as one are copied one after the
other into a single vector. The chunks of an Arrow column are handed as they
are (:func:`hand_chunks`, :func:`text_fields`): ``src/arrow.c`` converts their
values into R's types, or joins their text, as it copies them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

INT_MIN = -2147483648
INT_MAX = 2147483647
# bit64's NA_integer64_.
INT64_MIN = -9223372036854775808
# Beyond this magnitude a double does not hold every whole number.
_EXACT_IN_DOUBLE = 2 ** 53
# R's NA_real_: a NaN whose low word is 1954.
R_NA_BITS = np.uint64(0x7FF00000000007A2)
_LOW_WORD = np.uint64(0xFFFFFFFF)
_R_NA_LOW_WORD = np.uint64(1954)
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


# Buffers handed to R, alive until R has copied them (R calls release() once its value
# is built; every bridge call starts by releasing what an earlier one left).
_HANDED: list[Any] = []


def hand(buffer: Any) -> dict[str, Any]:
    """A buffer for R's C code: its address and size, the buffer held until :func:`release`.

    A list of buffers (of one type) is handed as lists of addresses and sizes: R copies
    them one after the other into one vector.
    """
    if isinstance(buffer, list):
        if len(buffer) != 1:
            held = [_held(piece) for piece in buffer if len(piece)]
            return {"address": [format(array.ctypes.data, "x") for array in held],
                    "size": [int(array.nbytes) for array in held]}
        buffer = buffer[0]
    array = _held(buffer)
    return {"address": format(array.ctypes.data, "x"), "size": int(array.nbytes)}


def _held(buffer: Any) -> np.ndarray:
    array = np.ascontiguousarray(buffer if isinstance(buffer, np.ndarray)
                                 else np.frombuffer(buffer, dtype=np.uint8)).reshape(-1)
    _HANDED.append(array)
    return array


def hand_chunks(array: Any, values_type: str, scale: int = 1) -> dict[str, Any]:
    """The chunks of an Arrow array (``pyarrow.ChunkedArray``) for R's C code
    (``src/arrow.c``), which converts each value into R's type as it copies it.

    ``values_type``: the C type of the values buffer ("int8" ... "uint64", "float",
    "double", "bool"; for text, "string" or "large_string": the buffer of its offsets);
    ``scale``: the values in one unit of R's (ticks in a second).
    Each chunk is given by the addresses and sizes of its values and, when it has a
    null, of its validity bitmap, with its offset and length in values; held until
    :func:`release`.
    """
    chunks = [chunk for chunk in array.chunks if len(chunk)]
    _HANDED.extend(chunks)
    buffers = [chunk.buffers()[:2] for chunk in chunks]
    valid = [bitmap if chunk.null_count else None for chunk, (bitmap, _) in zip(chunks, buffers)]
    return {"from": values_type, "scale": float(scale),
            "values": [format(values.address, "x") for _, values in buffers],
            "value_sizes": [float(values.size) for _, values in buffers],
            "valid": ["" if bitmap is None else format(bitmap.address, "x") for bitmap in valid],
            "valid_sizes": [0.0 if bitmap is None else float(bitmap.size) for bitmap in valid],
            "offsets": [float(chunk.offset) for chunk in chunks],
            "lengths": [float(len(chunk)) for chunk in chunks]}


def release() -> None:
    """Let go of every buffer handed to R."""
    _HANDED.clear()


def _record(name: str, kind: str, data: np.ndarray | None, **extra: Any) -> dict[str, Any]:
    record = {"name": name, "kind": kind, "data": None if data is None else hand(data),
              "na": None, "levels": None, "tz": None, "ordered": False}
    record.update(extra)
    return record


def _buffer_for_r(values: Any, dtype: str) -> np.ndarray:
    """``values`` as ``dtype`` in a new array (one copy), where missing values are written."""
    return np.asarray(values).reshape(-1).astype(dtype)


def _integers(name: str, values: np.ndarray, missing: np.ndarray | None) -> dict[str, Any]:
    """Whole numbers as R integer when they all fit, else as double when a double holds
    them exactly, else as integer64."""
    present = values if missing is None or not missing.any() else values[~missing]
    if present.size == 0 or (present.min() > INT_MIN and present.max() <= INT_MAX):
        return _whole_numbers(name, values, missing, "integer", "<i4", INT_MIN)
    if present.min() >= -_EXACT_IN_DOUBLE and present.max() <= _EXACT_IN_DOUBLE:
        return _doubles(name, values.astype(np.float64), missing)
    if present.min() > INT64_MIN and present.max() <= np.iinfo(np.int64).max:
        return _whole_numbers(name, values, missing, "integer64", "<i8", INT64_MIN)
    return _doubles(name, values.astype(np.float64), missing, lossy=True)


def _whole_numbers(name: str, values: np.ndarray, missing: np.ndarray | None, kind: str,
                   layout: str, na: int) -> dict[str, Any]:
    result = _buffer_for_r(values, layout)
    if missing is not None and missing.any():
        result[missing] = na
    return _record(name, kind, result)


def _doubles(name: str, values: np.ndarray, missing: np.ndarray | None,
             kind: str = "double", **extra: Any) -> dict[str, Any]:
    """Doubles with R's NA written in: at ``missing``, or at every NaN when no mask is given."""
    values = np.asarray(values)
    if missing is None:
        missing = np.isnan(values)
    if not missing.any() and values.dtype == np.dtype("<f8"):
        return _record(name, kind, values, **extra)  # handed as they are: no copy
    result = _buffer_for_r(values, "<f8")
    result.view(np.uint64)[missing] = R_NA_BITS
    return _record(name, kind, result, **extra)



def _arrow_doubles(name: str, values: Any) -> dict[str, Any]:
    """An Arrow float array: nulls are NA, a NaN stays NaN."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    numbers = values.cast(pa.float64()).to_numpy(zero_copy_only=False)
    missing = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else \
        np.zeros(len(values), dtype=bool)
    return _doubles(name, numbers, missing)


def _logicals(name: str, values: np.ndarray, missing: np.ndarray | None) -> dict[str, Any]:
    result = _buffer_for_r(values, "<i4")
    if missing is not None and missing.any():
        result[missing] = INT_MIN
    return _record(name, "logical", result)


def _arrow_logicals(name: str, flags: Any) -> dict[str, Any]:
    """An Arrow boolean array as R logicals (nulls -> NA), without Python objects."""
    import pyarrow as pa

    values = flags.cast(pa.int32()).fill_null(INT_MIN).to_numpy(zero_copy_only=False)
    return _record(name, "logical", _buffer_for_r(values, "<i4"))


def _large_strings(values: Any) -> Any:
    """One contiguous Arrow ``large_string`` array of ``values``."""
    import pyarrow as pa

    array = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else \
        pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    return array


def text_to_r(values: Any, missing: np.ndarray | None = None) -> dict[str, Any]:
    """Text as R's C code reads it: Arrow's own buffers, without a Python string.

    ``data`` is the UTF-8 bytes of every value one after the other, ``offsets``
    the n + 1 little-endian int64 positions where each value starts (and the
    last ends), ``na`` one byte a value (1 for NA) or ``None`` when none is.
    ``values`` is anything pyarrow turns into strings (a list, an object array,
    a string Series or Arrow array); ``missing`` adds NAs to its nulls.
    """
    import pyarrow.compute as pc

    array = _large_strings(values)
    if array.null_count:
        nulls = array.is_null().to_numpy(zero_copy_only=False)
        missing = nulls if missing is None else missing | nulls
    buffers = array.buffers()
    if buffers[1] is None:
        offsets = np.zeros(1, dtype=np.int64)
    else:
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset:
                                                            array.offset + len(array) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0]:offsets[-1]] \
        if buffers[2] is not None else np.empty(0, dtype=np.uint8)
    if data.size and data.min() == 0:
        # R strings cannot hold NUL: drop it from the values that have one.
        return text_to_r(pc.replace_substring(array, "\0", ""), missing)
    na = hand(missing.astype(np.uint8)) if missing is not None and missing.any() else None
    return {"data": hand(data), "offsets": hand(offsets - offsets[0] if offsets[0] else offsets),
            "na": na}


def text_fields(values: Any, missing: np.ndarray | None = None) -> dict[str, Any]:
    """A character record's fields: codes into the distinct values when they repeat (R
    makes each string once, ``levels[codes]``), else the text (:func:`text_to_r`).

    ``values`` and ``missing`` as for :func:`text_to_r`. Text in an Arrow chunked array
    whose only NAs are its nulls (``missing`` None) crosses chunk by chunk: R's C code
    (``src/arrow.c``) joins the chunks as it copies them, so they are not joined here too.
    """
    import pyarrow as pa

    chunked = isinstance(values, pa.ChunkedArray)
    array = values if chunked else _large_strings(values)
    # A sample first: encoding a column of mostly distinct values costs more than it saves.
    distinct = _mostly_distinct(array)
    if distinct and chunked and missing is None:
        chunks = _text_chunks(array)
        if chunks is not None:
            return {"data": None, "offsets": None, "na": None, "text_chunks": chunks}
    array = _large_strings(array)
    repeated = None if distinct else _repeated_strings(
        array, np.zeros(len(array), bool) if missing is None else missing)
    if repeated is not None:
        codes, levels = repeated
        return {**text_to_r(levels), "codes": hand(codes)}
    return text_to_r(array, missing)


def _text_chunks(array: Any) -> dict[str, Any] | None:
    """The chunks of a string or large_string chunked array for R's C code, as
    :func:`hand_chunks` gives them (the values buffer: the offsets), with each chunk's
    bytes; None when a value holds NUL (R's strings cannot: :func:`text_to_r` drops it)."""
    import pyarrow as pa

    if array.type not in (pa.string(), pa.large_string()):
        return None
    width = np.int64 if array.type == pa.large_string() else np.int32
    data = []
    for chunk in array.chunks:
        if not len(chunk):
            continue
        _, offsets, text = chunk.buffers()
        bounds = np.frombuffer(offsets, dtype=width)[[chunk.offset, chunk.offset + len(chunk)]]
        if text is not None and bounds[1] > bounds[0] and \
                np.frombuffer(text, dtype=np.uint8)[bounds[0]:bounds[1]].min() == 0:
            return None
        data.append(text)
    record = hand_chunks(array, "large_string" if width is np.int64 else "string")
    record["data"] = ["0" if text is None else format(text.address, "x") for text in data]
    record["data_sizes"] = [0.0 if text is None else float(text.size) for text in data]
    return record


# A string column with at most this share of distinct values crosses as codes
# into its distinct values: R then makes each string once (``levels[codes]``).
_REPEATED_SHARE = 0.5


def _mostly_distinct(array: Any) -> bool:
    """Whether most of a sample of the values are distinct (then codes would only add work)."""
    sample = array.slice(0, 20_000)
    return len(sample) < 2 or len(sample.unique()) > _REPEATED_SHARE * len(sample)


def _repeated_strings(array: Any, missing: np.ndarray) -> tuple[np.ndarray, Any] | None:
    """1-based int32 codes (``INT_MIN`` for missing) and the distinct values, when few
    (:func:`text_fields` has looked at a sample first).

    ``None`` when most values are distinct: then the codes would only add work.
    """
    encoded = array.dictionary_encode()
    levels = encoded.dictionary
    if len(levels) > _REPEATED_SHARE * len(array):
        return None
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("<i4") + 1
    absent = missing | (codes == 0)
    if absent.any():
        codes[absent] = INT_MIN
    return codes, levels


def _timezone_name(tz: Any) -> str:
    if tz is None:
        return ""
    zone = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
    # A fixed offset has no name R knows; the instants are right in UTC.
    return "UTC" if zone.startswith(("UTC+", "UTC-", "+", "-")) else zone

