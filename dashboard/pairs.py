"""FailoverPair lookups by primary campaign, cached briefly so webhook storms stay cheap."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from blocks import FailoverPair, find_pair, read_blocks

logger = logging.getLogger(__name__)

# A lookup that takes longer is abandoned so that the webhook still answers promptly; the
# campaign's next update tries again.
LOOKUP_TIMEOUT_SECONDS = 3.0


class PairLookupError(Exception):
    """The Prefect API could not say whether the campaign has a FailoverPair."""


async def list_pairs() -> list[FailoverPair]:
    """Every saved FailoverPair."""
    return [pair for _, pair in await read_blocks(FailoverPair)]


class PairDirectory:
    """Answers "which pair is this campaign the primary of?" from a short-lived cache.

    Found pairs, missing pairs and failed lookups are all remembered for `ttl_seconds`: a
    storm of webhooks (or a Prefect outage) costs at most one lookup per campaign per period.
    Concurrent lookups for the same campaign share one request.

    Args:
        ttl_seconds: how long an answer is reused.
        load: the uncached lookup; default `blocks.find_pair`.
        clock: monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        ttl_seconds: float,
        load: Callable[[str], Awaitable[FailoverPair | None]] = find_pair,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._load = load
        self._clock = clock
        self._answers: dict[str, tuple[float, FailoverPair | PairLookupError | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, campaign_id: str) -> FailoverPair | None:
        """The campaign's pair, or None when it is not monitored.

        Raises:
            PairLookupError: the Prefect API failed (now or within the last `ttl_seconds`).
        """
        async with self._locks.setdefault(campaign_id, asyncio.Lock()):
            cached = self._answers.get(campaign_id)
            if cached is not None and self._clock() < cached[0]:
                answer = cached[1]
            else:
                answer = await self._lookup(campaign_id)
                self._answers[campaign_id] = (self._clock() + self._ttl, answer)
        if isinstance(answer, PairLookupError):
            raise PairLookupError(str(answer))  # a fresh one: re-raising would grow its traceback
        return answer

    async def _lookup(self, campaign_id: str) -> FailoverPair | PairLookupError | None:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS):
                return await self._load(campaign_id)
        except Exception as exc:
            logger.error(
                "could not look up the FailoverPair of campaign %s: %s: %s",
                campaign_id,
                type(exc).__name__,
                exc,
            )
            return PairLookupError(f"FailoverPair lookup failed ({type(exc).__name__})")
