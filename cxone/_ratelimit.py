"""Client-side pacing shared by every request to one tenant from one process.

`RateLimit` is what a client's requests wait on: a window (at most `requests_per_minute` in
any trailing 60 seconds, bursts allowed: the literal reading of "600 requests a minute") and,
only where a per-second pace is configured, a `TokenBucket` as well. `TokenBucket` alone also
paces the product's other clients (`rnd`).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol


class Limiter(Protocol):
    """What the transport waits on before each request it sends, the token request included."""

    async def acquire(self) -> None:
        """Wait until one request may be sent."""
        ...

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds`, e.g. after the server said Retry-After."""
        ...

    async def aclose(self) -> None:
        """Let go of what the limiter holds for the client that closes (e.g. a connection)."""
        ...


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

    def earliest(self, now: float) -> float:
        """The first send time the bucket allows a request asking at `now` (not taken)."""
        # An idle bucket may fall behind now by at most a full burst's worth of slots.
        return max(self._next_slot, now - (self.capacity - 1) / self.rate)

    def take(self, slot: float) -> None:
        """Give the slot at `slot` (no earlier than `earliest`) to a request."""
        self._next_slot = slot + 1 / self.rate

    def _reserve(self) -> float:
        """Take the next slot; returns how long to wait for it."""
        now = self._clock()
        slot = self.earliest(now)
        self.take(slot)
        return slot - now

    async def acquire(self) -> None:
        """Wait until one request may be sent."""
        wait = self._reserve()
        if wait > 0:
            await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds`, e.g. after the server said Retry-After."""
        self._next_slot = max(self._next_slot, self._clock() + seconds)

    async def aclose(self) -> None:
        """Nothing to let go of: the bucket outlives its clients (see `BucketRegistry`)."""


class RateLimit:
    """At most `per_minute` requests in any trailing 60 seconds, bursts up to all of them;
    with `per_second`, also a token bucket of that rate holding `burst` (default: one
    second's worth).

    Each caller reserves its send time when it asks, in arrival order: the earliest moment at
    which the window (the `per_minute`-th latest reservation is 60 s old) and the bucket both
    allow it. Reservations, not the moments sleeps end, are what is counted, so any 60 s holds
    at most `per_minute` of them (a fractional limit counts its whole part, and at least 1).
    Safe to share between event loops and threads: a reservation is plain arithmetic under a
    lock; only the sleep is awaited.

    Example:
        >>> now = [0.0]
        >>> async def sleep(seconds):
        ...     now[0] += seconds
        >>> limit = RateLimit(per_minute=3, clock=lambda: now[0], sleep=sleep)
        >>> async def send_times(count):
        ...     times = []
        ...     for _ in range(count):
        ...         await limit.acquire()
        ...         times.append(now[0])
        ...     return times
        >>> asyncio.run(send_times(5))
        [0.0, 0.0, 0.0, 60.0, 60.0]
    """

    window_seconds = 60.0

    def __init__(
        self,
        per_minute: float,
        per_second: float | None = None,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be > 0")
        self.per_minute = per_minute
        self.per_second = per_second
        self.burst = burst
        self.bucket = (
            TokenBucket(per_second, max(1.0, burst or per_second), clock, sleep)
            if per_second is not None
            else None
        )
        self._clock = clock
        self._sleep = sleep
        # The latest reservations, as many as the window admits; the oldest bounds the next.
        self._sent: deque[float] = deque(maxlen=max(1, math.floor(per_minute)))
        self._paused_until = -math.inf
        self._lock = threading.Lock()

    @property
    def settings(self) -> tuple[float, float | None, float | None]:
        return (self.per_minute, self.per_second, self.burst)

    def _reserve(self) -> float:
        """Take the next send time; returns how long to wait for it."""
        with self._lock:
            now = self._clock()
            slot = self._paused_until
            if len(self._sent) == self._sent.maxlen:
                slot = max(slot, self._sent[0] + self.window_seconds)
            if self.bucket is not None:
                # The bucket's slot may lie in the past (a burst it has saved up): it keeps
                # that credit unless the window or a pause pushes the request later anyway.
                slot = max(slot, self.bucket.earliest(now))
                self.bucket.take(slot)
            slot = max(slot, now)
            self._sent.append(slot)
            return slot - now

    async def acquire(self) -> None:
        """Wait until one request may be sent."""
        wait = self._reserve()
        if wait > 0:
            await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds`, e.g. after the server said Retry-After."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def aclose(self) -> None:
        """Nothing to let go of: the limit outlives its clients (see `BucketRegistry`)."""


class ChainedLimiter:
    """The process's own limit first, then one shared with other processes (e.g. kept by a
    coordinating server), which is the last thing a request waits for before it is sent.

    Example:
        >>> limiter = ChainedLimiter(RateLimit(600), RateLimit(600))
        >>> asyncio.run(limiter.acquire())
    """

    def __init__(self, local: Limiter, shared: Limiter) -> None:
        self.local = local
        self.shared = shared

    async def acquire(self) -> None:
        """Wait for the process's limit, then for the shared one."""
        await self.local.acquire()
        await self.shared.acquire()

    def pause(self, seconds: float) -> None:
        """Hold off every request of this process (the shared limit is told too)."""
        self.local.pause(seconds)
        self.shared.pause(seconds)

    async def aclose(self) -> None:
        await self.shared.aclose()


class BucketRegistry:
    """The pacing shared by every client of one process that talks to one tenant: the
    tenant's rate limit counts them all together, and a flow opens a client per task.

    Example:
        >>> registry = BucketRegistry()
        >>> registry.rate_limit("tenant-a", 600) is registry.rate_limit("tenant-a", 600)
        True
        >>> registry.get("rnd", 10, 10) is registry.get("rnd", 10, 10)
        True
    """

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._limits: dict[str, RateLimit] = {}
        self._lock = threading.Lock()

    def get(self, key: str, rate: float, capacity: float) -> TokenBucket:
        """The token bucket for `key`; a new one when the configured rate changed."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.capacity) != (rate, capacity):
                bucket = self._buckets[key] = TokenBucket(rate, capacity)
            return bucket

    def rate_limit(
        self,
        key: str,
        per_minute: float,
        per_second: float | None = None,
        burst: float | None = None,
    ) -> Limiter:
        """The `RateLimit` for `key`; a new one when the configured limits changed."""
        with self._lock:
            limit = self._limits.get(key)
            if limit is None or limit.settings != (per_minute, per_second, burst):
                limit = self._limits[key] = RateLimit(per_minute, per_second, burst)
            return limit


# The process-wide registry the credentials blocks' clients share.
SHARED_BUCKETS = BucketRegistry()
