"""Every FailoverPair, listed in the background: one listing every few seconds, however many
campaigns report, instead of one lookup per campaign."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from blocks import FailoverPair, read_blocks

from .threads import off_the_loop

logger = logging.getLogger(__name__)

# A listing that takes longer is abandoned (and counts as failed); the next one starts on time
# and may take twice as long, up to MAX_LISTING_TIMEOUT_SECONDS: a fleet whose listing needs
# more than 10 s (tens of thousands of pairs, or a busy server) is still listed, where a fixed
# timeout abandoned every listing (each still loading the server in its thread) and never
# saw a new pair. After a good listing the timeout is back to 10 s, or three times it.
LISTING_TIMEOUT_SECONDS = 10.0
MAX_LISTING_TIMEOUT_SECONDS = 120.0
# Listings start at least this many times the last good one's duration apart. A listing's
# cost grows with the fleet (2,000 pairs: 1.4 s, 1.1 s of the Prefect server's CPU, measured
# by benchmarks.bench_poll): every 5 s it kept a fifth of a core of the server busy all day;
# spaced so, listings hold the server about a tenth of the time at most, whatever the fleet.
LISTING_SPACING = 10


async def list_pairs() -> list[FailoverPair]:
    """Every saved FailoverPair, read off the app's event loop."""
    return [pair for _, pair in await off_the_loop(lambda: read_blocks(FailoverPair))]


@dataclass(frozen=True)
class Listing:
    """The outcome of one listing attempt.

    Attributes:
        started: monotonic time the attempt started; a pair saved before then is in it.
        pairs: primary campaign id -> pair, from this attempt or (when it failed) the last
            one that succeeded.
        named: every campaign id those pairs name (primaries and backups) -> its pair.
        ok: whether this attempt succeeded.
    """

    started: float
    pairs: dict[str, FailoverPair] = field(default_factory=dict)
    named: dict[str, FailoverPair] = field(default_factory=dict)
    ok: bool = False


class PairCache:
    """Which campaigns are monitored, from a listing of all FailoverPairs refreshed every
    `refresh_seconds` in the background, or `LISTING_SPACING` times the last good listing's
    duration when that is longer (a large fleet: 2,000 pairs about every 14 s).

    A listing that fails keeps the last good one (and is logged); listeners hear of every
    attempt, so readings that wait for a listing newer than themselves are never stuck.

    Args:
        refresh_seconds: the least time between the starts of two listings.
        load: lists every pair; default `list_pairs`.
        clock: monotonic seconds; injectable for tests.
        sleep: waits between listings; injectable for tests.
    """

    def __init__(
        self,
        refresh_seconds: float,
        load: Callable[[], Awaitable[list[FailoverPair]]] = list_pairs,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._refresh = refresh_seconds
        self._load = load
        self._clock = clock
        self._sleep = sleep
        self.listing = Listing(started=float("-inf"))
        self._listeners: list[Callable[[Listing], None]] = []
        self._ambiguous: frozenset[str] = frozenset()
        self._took = 0.0  # the last good listing's seconds
        self._timeout = LISTING_TIMEOUT_SECONDS  # the next listing's

    def on_listing(self, listener: Callable[[Listing], None]) -> None:
        """Call `listener` after every listing attempt, failed ones included."""
        self._listeners.append(listener)

    def pair_for(self, primary_campaign_id: str) -> FailoverPair | None:
        """The pair whose primary is exactly this campaign, as last listed."""
        return self.listing.pairs.get(primary_campaign_id)

    def naming(self, campaign_id: str) -> FailoverPair | None:
        """The listed pair that names this campaign, as its primary or its backup."""
        return self.listing.named.get(campaign_id)

    def credentials_for(self, campaign_id: str, default: str) -> str:
        """The credentials block of the pair naming this campaign, else `default`."""
        pair = self.naming(campaign_id)
        return pair.credentials_block if pair else default

    def pairs(self) -> list[FailoverPair]:
        return list(self.listing.pairs.values())

    async def refresh(self) -> Listing:
        """List every pair now; returns (and announces) the new listing."""
        started = self._clock()
        try:
            async with asyncio.timeout(self._timeout):
                pairs = await self._load()
        except Exception as exc:
            if isinstance(exc, TimeoutError):
                self._timeout = min(2 * self._timeout, MAX_LISTING_TIMEOUT_SECONDS)
            logger.error(
                "could not list FailoverPairs (the last good listing stays in use): %s: %s",
                type(exc).__name__,
                exc,
            )
            last = self.listing
            self.listing = Listing(started, last.pairs, last.named, ok=False)
        else:
            self._took = self._clock() - started
            self._timeout = max(LISTING_TIMEOUT_SECONDS, 3 * self._took)
            by_primary = self._by_primary(pairs)
            named = {pair.backup_campaign_id: pair for pair in by_primary.values()}
            named.update(by_primary)  # a campaign that is one pair's primary answers for it
            self.listing = Listing(started, by_primary, named, ok=True)
        for listener in self._listeners:
            listener(self.listing)
        return self.listing

    def _by_primary(self, pairs: list[FailoverPair]) -> dict[str, FailoverPair]:
        """Pairs by primary, without primaries that several pairs name: the failover flow
        refuses those (`AmbiguousPair`), so no low event should start it."""
        by_primary: dict[str, FailoverPair] = {}
        ambiguous: set[str] = set()
        for pair in pairs:
            if by_primary.setdefault(pair.primary_campaign_id, pair) is not pair:
                ambiguous.add(pair.primary_campaign_id)
        if ambiguous != self._ambiguous:  # said once, not on every listing
            for primary in sorted(ambiguous - self._ambiguous):
                logger.error(
                    "several FailoverPairs name primary %s: it is not monitored until all "
                    "but one are deleted",
                    primary,
                )
            self._ambiguous = frozenset(ambiguous)
        return {primary: pair for primary, pair in by_primary.items() if primary not in ambiguous}

    async def run(self) -> None:
        """Refresh forever, one listing every `refresh_seconds` (start to start; longer for
        a slow listing) after the one the caller made with `refresh`."""
        while True:
            await self._sleep(max(0.0, self.listing.started + self.spacing() - self._clock()))
            await self.refresh()

    def timeout(self) -> float:
        """Seconds the next listing may take before it is abandoned: `LISTING_TIMEOUT_SECONDS`,
        or three times the last good listing's; twice as long after each abandoned one, up to
        `MAX_LISTING_TIMEOUT_SECONDS`."""
        return self._timeout

    def spacing(self) -> float:
        """Seconds from one listing's start to the next one's: `refresh_seconds`, or
        `LISTING_SPACING` times the last good listing's duration when that is longer (a
        failed listing, timed out perhaps, does not count: the next one comes on time)."""
        return max(self._refresh, LISTING_SPACING * self._took)
