"""Polling the metrics of platforms that push none (NICE CXone has no metrics webhook).

Each polled reading takes the webhook's path (`ReadingPipeline.record`): it is stored, emits
`cxone.campaign.metrics.updated`, and `cxone.campaign.success_rate.low` when the pair's rule
says so, so the page, the health endpoint and the event-driven failover work unchanged.

Such platforms send no state-change webhook either: each round also reads, per credentials
block, every polled pair's primary and backup in one listing of the campaigns (their
statuses) and the backups' metrics in one bulk summary, so the page shows both campaigns of
a pair as the described platform's webhooks would (a few requests a round, not per pair).
It reads them first, so that a pair it finds failed over raises no low event this round.
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
    `pushes_metrics == False`, the primary's metrics over the pair's window: in the
    platform's bulk listing, then one by one for any it left out, at most `concurrency`
    requests at a time. Rounds start every `interval_seconds` (a round that takes longer
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
        """One round over the listed pairs; returns how many primaries' readings it recorded.

        The primaries of one credentials block (and window) are read in the platform's bulk
        listing first (NICE's all-skills summary: a request per 100 skills, not one per pair:
        a storm's reads and the failovers share the tenant's rate limit), then one by one
        for those it left out.
        """
        limit = asyncio.Semaphore(self._concurrency)
        polled: dict[str, list[FailoverPair]] = defaultdict(list)  # by credentials block
        clients: dict[str, CampaignPlatform] = {}
        for pair in self._pairs.pairs():
            client = await self._client_to_poll(pair)
            if client is not None:
                clients[pair.credentials_block] = client
                polled[pair.credentials_block].append(pair)

        async def view(reference: str, pairs: list[FailoverPair]) -> None:
            async with limit:
                await self._view(reference, pairs)

        # The statuses first: a pair this round finds failed over raises no low event for
        # the low numbers its primary keeps (ReadingPipeline), from this round on.
        await asyncio.gather(*(view(ref, pairs) for ref, pairs in polled.items()))

        async def read(reference: str, window: int, pairs: list[FailoverPair]) -> int:
            return await self._read(clients[reference], window, pairs, limit)

        groups = [
            (reference, window, [p for p in pairs if p.window_minutes == window])
            for reference, pairs in polled.items()
            for window in sorted({p.window_minutes for p in pairs})
        ]
        return sum(await asyncio.gather(*(read(*group) for group in groups)))

    async def _client_to_poll(self, pair: FailoverPair) -> CampaignPlatform | None:
        """The pair's client when its primary must be polled; None (logged when it is an
        error) otherwise."""
        campaign_id = pair.primary_campaign_id
        if not is_campaign_id(campaign_id):
            logger.warning("not polling campaign %r: not a campaign id", campaign_id)
            return None
        try:
            client = await self._clients.get(pair.credentials_block)
        except ClientUnavailable as exc:
            logger.error("could not poll campaign %s: %s: %s", campaign_id, type(exc).__name__, exc)
            return None
        return None if client.pushes_metrics else client  # else its readings arrive by webhook

    async def _read(
        self,
        client: CampaignPlatform,
        window: int,
        pairs: list[FailoverPair],
        limit: asyncio.Semaphore,
    ) -> int:
        """Read and record these primaries' metrics: in bulk, then each one left out."""
        wanted = [pair.primary_campaign_id for pair in pairs]
        try:
            async with limit:
                readings = await client.bulk_metrics(wanted, window)
        except CXoneError as exc:
            logger.warning("the bulk metrics read failed (%s); reading each campaign", exc)
            readings = {}

        async def one(campaign_id: str) -> CampaignMetrics | None:
            async with limit:
                try:
                    return await client.get_metrics(campaign_id, window_minutes=window)
                except CXoneError as exc:
                    logger.error(
                        "could not poll campaign %s: %s: %s", campaign_id, type(exc).__name__, exc
                    )
                    return None

        missing = [campaign_id for campaign_id in wanted if campaign_id not in readings]
        for campaign_id, metrics in zip(
            missing, await asyncio.gather(*map(one, missing)), strict=True
        ):
            if metrics is not None:
                readings[campaign_id] = metrics
        for campaign_id in wanted:  # in the listing's order, as the pairs were listed
            if campaign_id in readings:
                self._record(campaign_id, readings[campaign_id])
        return sum(campaign_id in readings for campaign_id in wanted)

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
