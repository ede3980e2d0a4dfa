"""Polling the metrics of platforms that push none (NICE CXone has no metrics webhook).

Each polled reading takes the webhook's path (`ReadingPipeline.record`): it is stored, emits
`cxone.campaign.metrics.updated`, and `cxone.campaign.success_rate.low` when the pair's rule
says so, so the page, the health endpoint and the event-driven failover work unchanged.

Such platforms send no state-change webhook either: each round also reads, per credentials
block, every polled pair's primary and backup in one listing of the campaigns (their
statuses) and the backups' metrics in one bulk summary, so the page shows both campaigns of
a pair as the described platform's webhooks would (a few requests a round, not per pair).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable

from blocks import FailoverPair
from blocks.ids import is_campaign_id
from cxone import CampaignMetrics, CampaignPlatform, CXoneError

from .clients import ClientUnavailable, PlatformClients
from .pairs import PairCache
from .readings import ReadingPipeline
from .store import CampaignStore, MetricsPoint, utc_now

logger = logging.getLogger(__name__)


class MetricsPoller:
    """Reads the primary's metrics of every pair whose platform must be polled.

    A round reads, for each listed pair whose credentials block's client has
    `pushes_metrics == False`, the primary's metrics over the pair's window, at most
    `concurrency` at a time. Rounds start every `interval_seconds` (a round that takes longer
    delays the next one, never overlaps it). A pair whose read fails is logged and skipped;
    the others go on.

    A collapse is therefore seen within one interval plus one read, and the low event
    follows in milliseconds: with the default 15 s and the responder's reaction of about a
    second, the backup takes over at most about 17 s after the platform's numbers show it.

    Args:
        pairs: the pair listing.
        clients: the dashboard's platform clients (shared pacing per credentials block).
        readings: where readings go.
        store: where the campaigns' statuses go.
        interval_seconds: time between the starts of two rounds.
        concurrency: most reads at once.
        clock: UTC now, the time of a reading when the platform gives none; injectable.
    """

    def __init__(
        self,
        pairs: PairCache,
        clients: PlatformClients,
        readings: ReadingPipeline,
        store: CampaignStore,
        interval_seconds: float,
        concurrency: int,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._pairs = pairs
        self._clients = clients
        self._readings = readings
        self._store = store
        self._interval = interval_seconds
        self._concurrency = concurrency
        self._clock = clock

    async def run(self) -> None:
        """Poll forever, one round every `interval_seconds`."""
        while True:
            started = time.monotonic()
            await self.poll_once()
            await asyncio.sleep(max(0.0, started + self._interval - time.monotonic()))

    async def poll_once(self) -> int:
        """One round over the listed pairs; returns how many primaries' readings it recorded."""
        limit = asyncio.Semaphore(self._concurrency)
        polled: dict[str, list[FailoverPair]] = defaultdict(list)  # by credentials block

        async def poll(pair: FailoverPair) -> bool:
            async with limit:
                return await self._poll(pair, polled)

        recorded = sum(await asyncio.gather(*(poll(pair) for pair in self._pairs.pairs())))

        async def view(reference: str, pairs: list[FailoverPair]) -> None:
            async with limit:
                await self._view(reference, pairs)

        await asyncio.gather(*(view(ref, pairs) for ref, pairs in polled.items()))
        return recorded

    async def _poll(self, pair: FailoverPair, polled: dict[str, list[FailoverPair]]) -> bool:
        campaign_id = pair.primary_campaign_id
        if not is_campaign_id(campaign_id):
            logger.warning("not polling campaign %r: not a campaign id", campaign_id)
            return False
        try:
            client = await self._clients.get(pair.credentials_block)
            if client.pushes_metrics:
                return False  # its readings arrive by webhook
            polled[pair.credentials_block].append(pair)
            metrics = await client.get_metrics(campaign_id, window_minutes=pair.window_minutes)
        except (ClientUnavailable, CXoneError) as exc:
            logger.error("could not poll campaign %s: %s: %s", campaign_id, type(exc).__name__, exc)
            return False
        self._record(campaign_id, metrics)
        return True

    async def _view(self, reference: str, pairs: list[FailoverPair]) -> None:
        """The statuses of the pairs' campaigns and the backups' metrics, in bulk."""
        backups: dict[int, set[str]] = defaultdict(set)  # by window
        for pair in pairs:
            if is_campaign_id(pair.backup_campaign_id):
                backups[pair.window_minutes].add(pair.backup_campaign_id)
        wanted = {pair.primary_campaign_id for pair in pairs}.union(*backups.values())
        try:
            client = await self._clients.get(reference)
            await self._statuses(client, wanted)
            for window, ids in backups.items():
                for campaign_id, metrics in (await client.bulk_metrics(ids, window)).items():
                    self._record(campaign_id, metrics)
        except (ClientUnavailable, CXoneError) as exc:
            logger.error(
                "could not read the campaigns of %d pairs with %r: %s",
                len(pairs),
                reference,
                type(exc).__name__,
            )

    async def _statuses(self, client: CampaignPlatform, campaign_ids: set[str]) -> None:
        now = self._clock()
        for campaign_id, campaign in (await client.bulk_campaigns(campaign_ids)).items():
            if campaign.status:
                self._store.record_status(campaign_id, campaign.status, now)

    def _record(self, campaign_id: str, metrics: CampaignMetrics) -> None:
        at = metrics.last_updated or self._clock()
        point = MetricsPoint(
            at=at,
            success_rate=metrics.success_rate,
            calls_attempted=metrics.calls_attempted,
            calls_connected=metrics.calls_connected,
            active_calls=metrics.active_calls,
        )
        # The same reading polled twice gets the same id, so its events are duplicates.
        self._readings.record(campaign_id, point, f"poll:{campaign_id}:{at.isoformat()}", "poll")
