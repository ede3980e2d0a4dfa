"""A client-side token bucket shared by every request of one client."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """Admit at most `rate` requests per second on average, with bursts up to `capacity`.

    Waiters are served in arrival order (the lock is fair), so one slow caller cannot be
    starved by a stream of new ones.

    Example:
        >>> import asyncio
        >>> bucket = TokenBucket(rate=50, capacity=1)
        >>> asyncio.run(bucket.acquire())
    """

    def __init__(self, rate: float, capacity: float, clock=time.monotonic, sleep=asyncio.sleep):
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._stamp = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self) -> None:
        """Wait until one request may be sent, then take its token."""
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1

    def pause(self, seconds: float) -> None:
        """Empty the bucket for `seconds`, e.g. after the server said Retry-After."""
        self._refill()
        self._tokens = min(self._tokens, 1 - seconds * self.rate)
