"""The one place where requests are paced and retried.

`ResilientTransport` wraps the network transport (a real socket pool, an in-process ASGI app,
or respx in tests). Every request, the token request included, waits for the shared limiter
first (a `RateLimit`, or a `TokenBucket`). Failures are retried only where a replay cannot do
a second effect:

- 429 is always retried: the server refused the request, so nothing happened.
- 5xx, timeouts and dropped connections are retried for GET/HEAD, for PUT/POST that carry an
  idempotency key (the server replays the first answer), and for requests marked replay-safe
  through the `cxone_replay_safe` request extension (the token request).

Each attempt has a deadline for the whole exchange, not only per read: a server that trickles
one byte every few seconds would otherwise hold a request for ever.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from ._ratelimit import Limiter

IDEMPOTENCY_HEADER = "X-Idempotency-Key"
REPLAY_SAFE_EXTENSION = "cxone_replay_safe"

logger = logging.getLogger("cxone")


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to wait; `sleep` and `random` are injectable for tests."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def backoff(self, retry: int) -> float:
        """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**retry)]."""
        return float(self.random() * min(self.backoff_cap, self.backoff_base * 2**retry))


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent.

    Example:
        >>> parse_retry_after("3")
        3.0
        >>> now = dt.datetime(2015, 10, 21, 7, 27, 58, tzinfo=dt.UTC)
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now)
        2.0
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def is_replay_safe(request: httpx.Request) -> bool:
    """Whether sending `request` twice can only have the effect of sending it once."""
    if request.method in ("GET", "HEAD") or request.extensions.get(REPLAY_SAFE_EXTENSION):
        return True
    return request.method in ("PUT", "POST") and IDEMPOTENCY_HEADER in request.headers


class ResilientTransport(httpx.AsyncBaseTransport):
    """Rate-limit and retry every request sent through `inner`.

    Responses are read in full here, so a connection dropped in the middle of a body is
    retried like one dropped before it.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        bucket: Limiter,
        policy: RetryPolicy,
        attempt_timeout: float = 10.0,
    ):
        self._inner = inner
        self._bucket = bucket
        self._policy = policy
        self._attempt_timeout = attempt_timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        replay_safe = is_replay_safe(request)
        retry = 0
        while True:
            await self._bucket.acquire()
            try:
                response = await self._send_and_read(request)
            except httpx.TransportError as exc:
                if not replay_safe or retry >= self._policy.max_retries:
                    raise
                outcome, wait = type(exc).__name__, self._policy.backoff(retry)
            else:
                retry_wait = self._retry_wait(response, replay_safe, retry)
                if retry_wait is None:
                    return response
                wait = retry_wait
                outcome = f"answered {response.status_code}"
            logger.warning(
                "%s %s %s; retry %d in %.2fs",
                request.method, request.url.path, outcome, retry + 1, wait,
            )  # fmt: skip
            if outcome == "answered 429":
                # The server is saying "slow down" to the whole client: every request sharing
                # the bucket holds off, and this one waits for its next slot.
                self._bucket.pause(wait)
            else:
                await self._policy.sleep(wait)
            retry += 1

    async def _send_and_read(self, request: httpx.Request) -> httpx.Response:
        try:
            async with asyncio.timeout(self._attempt_timeout):
                response = await self._inner.handle_async_request(request)
                try:
                    stream = response.stream
                    assert isinstance(stream, httpx.AsyncByteStream)
                    raw = b"".join([chunk async for chunk in stream])
                finally:
                    await response.aclose()
        except TimeoutError:
            raise httpx.ReadTimeout(
                f"no complete answer within {self._attempt_timeout:g}s", request=request
            ) from None
        # Raw bytes keep Content-Encoding valid; httpx decodes them when the caller reads.
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            request=request,
            extensions=response.extensions,
        )

    def _retry_wait(self, response: httpx.Response, replay_safe: bool, retry: int) -> float | None:
        """Seconds to wait before retrying, or None to hand the response back."""
        status = response.status_code
        if retry >= self._policy.max_retries:
            return None
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is None:
                return self._policy.backoff(retry)
            if retry_after > self._policy.backoff_cap:
                return None  # the server asks for longer than we will block: report it
            return retry_after
        if status >= 500 and replay_safe:
            return self._policy.backoff(retry)
        return None

    async def aclose(self) -> None:
        await self._inner.aclose()
