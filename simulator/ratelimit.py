"""Traffic shaping for API requests: configured latency and two rate limits, either or both:

- a token bucket (`rate` a second, `burst` at once): the per-second mode;
- a window (`per_minute`): at most that many requests in any trailing 60 s, a burst of all of
  them allowed; the literal reading of "600 requests a minute".

A request refused by either is answered 429 and counts against neither.

>>> from datetime import UTC, datetime
>>> from .clock import FakeClock
>>> clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
>>> limiter = RateLimiter(clock)
>>> [limiter.wait(rate=2, burst=1) for _ in range(2)]
[0.0, 0.5]
>>> _ = clock.advance(0.5)
>>> limiter.wait(rate=2, burst=1)
0.0
>>> limiter.reset()
>>> [limiter.wait(None, None, per_minute=3) for _ in range(4)]
[0.0, 0.0, 0.0, 60.0]
>>> _ = clock.advance(59.5)
>>> limiter.wait(None, None, per_minute=3)
0.5
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
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


class SlidingWindow:
    """At most `limit` requests in any trailing `seconds` (a log of the admitted ones' times).

    >>> window = SlidingWindow(limit=2, seconds=60)
    >>> [window.wait(0.0), window.wait(10.0), window.wait(30.0), window.wait(60.0)]
    [0.0, 0.0, 30.0, 0.0]
    """

    def __init__(self, limit: float, seconds: float = 60.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._sent: deque[float] = deque()

    def room(self, now: float) -> float:
        """0.0 if one more request fits now, else seconds until the oldest counted one leaves
        the window; counts nothing."""
        # A request exactly `seconds` old has left the window.
        while self._sent and self._sent[0] <= now - self.seconds:
            self._sent.popleft()
        if len(self._sent) < max(1, int(self.limit)):
            return 0.0
        return self._sent[0] + self.seconds - now

    def wait(self, now: float) -> float:
        """0.0 if a request may pass (and is counted), else seconds until the oldest counted
        request leaves the window."""
        wait = self.room(now)
        if not wait:
            self._sent.append(now)
        return wait


class RateLimiter:
    """The bucket and the window for the current settings, read on the simulator's clock; new
    ones (a full bucket, an empty window) whenever the settings change or `reset` is called."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._bucket: TokenBucket | None = None
        self._window: SlidingWindow | None = None

    def reset(self) -> None:
        self._bucket = None
        self._window = None

    def wait(
        self, rate: float | None, burst: float | None, per_minute: float | None = None
    ) -> float:
        """0.0 if a request may pass now, else seconds to wait; None turns a limit off."""
        now = self._clock.now().timestamp()
        window = None
        if per_minute is not None:
            if self._window is None or self._window.limit != per_minute:
                self._window = SlidingWindow(per_minute)
            window = self._window
            # Checked before the bucket so that a refused request takes no token.
            if wait := window.room(now):
                return wait
        if rate is not None:
            burst = burst or max(1.0, rate)  # under 1 nothing would ever pass
            if self._bucket is None or (self._bucket.rate, self._bucket.burst) != (rate, burst):
                self._bucket = TokenBucket(rate, burst, now)
            if wait := self._bucket.take(now):
                return wait
        if window is not None:
            window.wait(now)  # there is room: this counts the request
        return 0.0


class TrafficSettings(Protocol):
    rate_limit_per_second: float | None
    rate_limit_burst: float | None
    rate_limit_per_minute: float | None
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
        wait = self.state.limiter.wait(
            config.rate_limit_per_second, config.rate_limit_burst, config.rate_limit_per_minute
        )
        if wait:
            headers = {"Retry-After": str(math.ceil(wait))} if config.retry_after_header else None
            response = error_response(429, "rate limit exceeded", headers)
        else:
            response = self.app
        await response(scope, receive, send)
