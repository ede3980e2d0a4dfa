"""Memory work around a large dial list: Arrow on malloc, freed memory handed back, and the
garbage collector kept to the run's own objects.

Arrow's allocator (mimalloc) and glibc's malloc both keep freed memory for reuse. After a
few million rows that is a few hundred megabytes held by a process that has moved on to
another phase (the upload after the evaluation), which counts against its peak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class _WhileAnyRun:
    """A process-wide setting held while any run is inside `held()`: made by the first run to
    enter (`make` answers how to undo it), undone by the last to leave; `each` runs on every
    entry."""

    def __init__(
        self, make: Callable[[], Callable[[], None]], each: Callable[[], None] = lambda: None
    ) -> None:
        self._make, self._each = make, each
        self._lock = threading.Lock()
        self._runs = 0
        self._undo: Callable[[], None] = lambda: None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if not self._runs:
                self._undo = self._make()
            self._runs += 1
            self._each()
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1
                if not self._runs:
                    self._undo()


def _start_freezing() -> Callable[[], None]:
    # Objects someone else froze before the first run (a pre-fork server does) stay frozen.
    return gc.unfreeze if gc.get_freeze_count() == 0 else lambda: None


# A run that starts beside another one also freezes what it found.
_FROZEN = _WhileAnyRun(_start_freezing, each=gc.freeze)


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Keep the garbage collector's full collections to the objects made inside the block.

    A list's evaluation makes millions of short-lived containers, so Python's cyclic
    collector runs a full collection a couple of times per million rows, and each one walks
    every object of the process: in a Prefect flow's process, with Prefect, pandas and their
    modules loaded, 0.3 s of a 1M list's 3 s, holding the GIL (measured). `gc.freeze` puts
    the objects that exist now out of the collector's sight (reference counting still frees
    them) until the last run of the process ends (`gc.unfreeze`). Objects that someone else
    froze before the first run (a pre-fork server does) are never unfrozen.

    Example:
        >>> import gc
        >>> with older_objects_frozen():
        ...     gc.get_freeze_count() > 0
        True
    """
    with _FROZEN.held():
        yield


def _malloc_as_default() -> Callable[[], None]:
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    return lambda: pa.set_memory_pool(before)


_ON_MALLOC = _WhileAnyRun(_malloc_as_default)


@contextmanager
def arrow_on_malloc() -> Iterator[None]:
    """Make malloc Arrow's default allocator inside the block (the process's own otherwise).

    With Arrow's own default (mimalloc), a 1M list spent twice the system time (0.76-0.88 s
    against 0.39-0.41 s) and peaked 40-50 MB higher (measured alternating, fresh processes).
    Parquet's reader and writer keep the C++ library's default, which only the environment
    switches (`ARROW_DEFAULT_MEMORY_POOL=system` before Arrow loads: 60-70 MB less again).
    Each buffer is freed by the allocator that made it, so switching while other threads
    hold Arrow data is safe; the last run of the process to end puts the previous one back.

    Example:
        >>> import pyarrow as pa
        >>> with arrow_on_malloc():
        ...     pa.default_memory_pool().backend_name
        'system'
    """
    with _ON_MALLOC.held():
        yield
