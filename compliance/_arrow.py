"""Arrow string columns read as numpy bytes, for the byte-level passes (phones, ZIPs, ids)."""

from __future__ import annotations

from typing import cast

import numpy as np
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view


def string_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (int64, n + 1, from 0) and the bytes of a string array, in place where possible.

    Example:
        >>> offsets, data = string_buffers(pa.array(["ab", None, "", "c"]).slice(1))
        >>> offsets.tolist(), bytes(data)
        ([0, 0, 0, 1], b'c')
    """
    if text.offset:  # a slice: copy into an array of its own
        text = pa.concat_arrays([text])
    wide = pa.types.is_large_string(text.type)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[: len(text) + 1].astype(np.int64, copy=False)
    data = text.buffers()[2]
    content = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else _NO_BYTES
    return offsets - offsets[0], content[offsets[0] : offsets[-1]]


_NO_BYTES = np.zeros(0, dtype=np.uint8)


def last_bytes(offsets: np.ndarray, data: np.ndarray, width: int) -> np.ndarray:
    """The last `width` bytes of each string, one row each (n x width, one gather).

    A shorter string's row starts with the bytes before it (other strings', or zeros).

    Example:
        >>> offsets, data = string_buffers(pa.array(["12345", "6789"]))
        >>> bytes(last_bytes(offsets, data, 5)[1])
        b'56789'
    """
    padded = np.concatenate([np.zeros(width, dtype=np.uint8), data])
    return cast(np.ndarray, sliding_window_view(padded, width)[offsets[1:]])


_EIGHT = (
    (np.uint64(10), np.uint64(8), np.uint64(0x00FF00FF00FF00FF)),
    (np.uint64(100), np.uint64(16), np.uint64(0x0000FFFF0000FFFF)),
    (np.uint64(10_000), np.uint64(32), np.uint64(0xFFFFFFFF)),
)


def eight_digits(words: np.ndarray) -> np.ndarray:
    """The numbers written by eight digit values (0-9, the first digit in the lowest byte) in
    each 64-bit word: pairs, then fours, then eights, as a few operations on the words.

    Example:
        >>> digits = np.frombuffer(b"01234567", np.uint8) - np.uint8(ord("0"))
        >>> eight_digits(digits.view("<u8")).tolist()
        [1234567]
    """
    for scale, shift, mask in _EIGHT:
        words = (words * scale + (words >> shift)) & mask
    return words.astype(np.int64)
