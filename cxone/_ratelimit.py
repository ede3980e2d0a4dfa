"""A client-side token bucket shared by every request of one client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    """Admit at most `rate` requests per second on average, with bursts up to `capacity`.

    Implemented in its virtual-scheduling form (GCRA): each caller reserves the next send slot
    on a fixed schedule and sleeps until it. Slots follow the schedule, not the moment a sleep
    happened to end, so timer overshoot is not lost and a paced client really reaches `rate`.
    Callers get slots in arrival order.

    Example:
        >>> import asyncio
        >>> bucket = TokenBucket(rate=50, capacity=1)
        >>> asyncio.run(bucket.acquire())
    """

    def __init__(
        self,
        rate: float,
        capacity: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        # The schedule's next free send time; a new bucket starts full (a burst is ready).
        self._next_slot = clock() - (capacity - 1) / rate

    def _reserve(self) -> float:
        """Take the next slot; returns how long to wait for it."""
        now = self._clock()
        # An idle bucket may fall behind now by at most a full burst's worth of slots.
        slot = max(self._next_slot, now - (self.capacity - 1) / self.rate)
        self._next_slot = slot + 1 / self.rate
        return slot - now

    async def acquire(self) -> None:
        """Wait until one request may be sent."""
        wait = self._reserve()
        if wait > 0:
            await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds`, e.g. after the server said Retry-After."""
        self._next_slot = max(self._next_slot, self._clock() + seconds)


class BucketRegistry:
    """Token buckets shared by every client of one process that talks to one tenant: the
    tenant's rate limit counts them all together, and a flow opens a client per task.

    Example:
        >>> registry = BucketRegistry()
        >>> registry.get("tenant-a", 10, 10) is registry.get("tenant-a", 10, 10)
        True
    """

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}

    def get(self, key: str, rate: float, capacity: float) -> TokenBucket:
        """The bucket for `key`; a new one when the configured rate changed."""
        bucket = self._buckets.get(key)
        if bucket is None or (bucket.rate, bucket.capacity) != (rate, capacity):
            bucket = self._buckets[key] = TokenBucket(rate, capacity)
        return bucket


# The process-wide registry the credentials blocks' clients share.
SHARED_BUCKETS = BucketRegistry()
