"""A small async cache: answers kept for a while, one load at a time per key."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Keeps each key's answer, or the exception its load raised, for a while.

    Concurrent callers of one key share one load, so a burst of requests costs one call to
    whatever stands behind the cache; a failure is remembered too (for `error_ttl_seconds`),
    so an outage behind it is not hammered either.

    Args:
        load: the uncached lookup.
        ttl_seconds: how long an answer is reused.
        error_ttl_seconds: how long a failure is reused; default `ttl_seconds`.
        clock: monotonic seconds; injectable for tests.

    Example:
        >>> calls = []
        >>> async def double(n):
        ...     calls.append(n)
        ...     return 2 * n
        >>> cache = TtlCache(double, ttl_seconds=60)
        >>> async def twice():
        ...     return await cache.get(21), await cache.get(21)
        >>> asyncio.run(twice()), calls
        ((42, 42), [21])
    """

    def __init__(
        self,
        load: Callable[[K], Awaitable[V]],
        ttl_seconds: float,
        error_ttl_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._error_ttl = ttl_seconds if error_ttl_seconds is None else error_ttl_seconds
        self._clock = clock
        self._answers: dict[K, tuple[float, V | BaseException]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K) -> V:
        """The cached answer for `key`, loading it when absent or expired.

        Raises:
            Exception: whatever the load raised (now, or within `error_ttl_seconds`).
        """
        cached = self._answers.get(key)
        if cached is not None and self._clock() < cached[0]:
            return _unwrap(cached[1])
        if key not in self._loading:
            loading = self._loading[key] = asyncio.ensure_future(self._fill(key))
            # Read the outcome even when every caller gave up, so no failure goes unretrieved.
            loading.add_done_callback(lambda done: done.cancelled() or done.exception())
        # Shielded: one caller giving up (a cancelled request) must not cancel the others'.
        return await asyncio.shield(self._loading[key])

    def holds(self, key: K) -> bool:
        """Whether a fresh answer (or failure) for `key` is cached: `get` would not load."""
        cached = self._answers.get(key)
        return cached is not None and self._clock() < cached[0]

    async def _fill(self, key: K) -> V:
        try:
            value = await self._load(key)
        except Exception as exc:
            self._answers[key] = (self._clock() + self._error_ttl, exc)
            raise
        else:
            self._answers[key] = (self._clock() + self._ttl, value)
            return value
        finally:
            del self._loading[key]


def _unwrap(answer: V | BaseException) -> V:
    if isinstance(answer, BaseException):
        # A copy: re-raising the cached instance would grow its traceback with every caller.
        raise copy.copy(answer).with_traceback(None)
    return answer
