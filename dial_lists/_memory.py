"""Handing freed memory back to the system between the phases of a large dial list.

Arrow's allocator (mimalloc) and glibc's malloc both keep freed memory for reuse. After a
few million rows that is a few hundred megabytes held by a process that has moved on to
another phase (the upload after the evaluation), which counts against its peak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any

import pyarrow as pa


@cache
def _malloc_trim() -> Any:
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return getattr(library, "malloc_trim", None)  # glibc only


def release_memory() -> None:
    """Return the memory Arrow and malloc hold free to the system (a few milliseconds).

    Example:
        >>> release_memory()
    """
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
