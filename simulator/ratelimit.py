"""Traffic shaping for API requests: configured latency and a token-bucket rate limit.

>>> from datetime import UTC, datetime
>>> from .clock import FakeClock
>>> clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
>>> limiter = RateLimiter(clock)
>>> [limiter.wait(rate=2, burst=1) for _ in range(2)]
[0.0, 0.5]
>>> _ = clock.advance(0.5)
>>> limiter.wait(rate=2, burst=1)
0.0
"""

from __future__ import annotations

import asyncio
import math
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from .clock import Clock
from .errors import error_response
from .paths import RequestFilter


class TokenBucket:
    """`rate` tokens per second, holding at most `burst`; starts full at `now` (seconds)."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = now

    def take(self, now: float) -> float:
        """0.0 if a request may pass (and uses a token), else seconds until one may."""
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate


class RateLimiter:
    """The bucket for the current rate and burst, refilled by the simulator's clock; a new
    bucket (full) whenever the settings change or `reset` is called."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._bucket: TokenBucket | None = None

    def reset(self) -> None:
        self._bucket = None

    def wait(self, rate: float | None, burst: float | None) -> float:
        """0.0 if a request may pass now (None rate: no limit), else seconds to wait."""
        if rate is None:
            return 0.0
        burst = burst or max(1.0, rate)  # under 1 nothing would ever pass
        now = self._clock.now().timestamp()
        if self._bucket is None or (self._bucket.rate, self._bucket.burst) != (rate, burst):
            self._bucket = TokenBucket(rate, burst, now)
        return self._bucket.take(now)


class TrafficSettings(Protocol):
    rate_limit_per_second: float | None
    rate_limit_burst: float | None
    latency_ms: float
    retry_after_header: bool


class Shaped(Protocol):
    """A simulator state: its current settings and its limiter."""

    config: TrafficSettings
    limiter: RateLimiter


class ThrottleMiddleware:
    def __init__(self, app: ASGIApp, state: Shaped, matches: RequestFilter) -> None:
        self.app = app
        self.state = state
        self.matches = matches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.matches(scope):
            await self.app(scope, receive, send)
            return
        config = self.state.config
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        wait = self.state.limiter.wait(config.rate_limit_per_second, config.rate_limit_burst)
        if wait:
            headers = {"Retry-After": str(math.ceil(wait))} if config.retry_after_header else None
            response = error_response(429, "rate limit exceeded", headers)
        else:
            response = self.app
        await response(scope, receive, send)
