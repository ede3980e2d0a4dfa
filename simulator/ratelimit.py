"""Traffic shaping for /api/ requests: configured latency and a token-bucket rate limit."""

from __future__ import annotations

import asyncio
import math
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_response
from .paths import is_api_request

if TYPE_CHECKING:
    from .state import SimState


class TokenBucket:
    """`rate` tokens per second, holding at most `burst`; starts full."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = time.monotonic()

    def take(self) -> float:
        """0.0 if a request may pass (and uses a token), else seconds until one may."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate


class ThrottleMiddleware:
    def __init__(self, app: ASGIApp, state: SimState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_api_request(scope):
            await self.app(scope, receive, send)
            return
        config = self.state.config
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        bucket = self.state.bucket()
        wait = bucket.take() if bucket else 0.0
        if wait:
            headers = {"Retry-After": str(math.ceil(wait))} if config.retry_after_header else None
            response = error_response(429, "rate limit exceeded", headers)
        else:
            response = self.app
        await response(scope, receive, send)
