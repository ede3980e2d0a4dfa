"""Arrow string columns read as numpy bytes, for the byte-level passes (phones, ZIPs, ids)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


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
