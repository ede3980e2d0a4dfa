"""Readings, stored at once and turned into events behind the request path.

Webhook deliveries and polled readings take the same path: `ReadingPipeline.record` stores
the point and queues it (no await, no I/O), and the pipeline's task emits the events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from blocks import FailoverPair

from .events import EventSender, is_low, metrics_updated, success_rate_low
from .pairs import Listing, PairCache
from .store import CampaignStore, MetricsPoint, Reading, utc_now

logger = logging.getLogger(__name__)


class ReadingPipeline:
    """Stores readings and emits their events in the background.

    For each reading, in arrival order, the pipeline's task emits
    `cxone.campaign.metrics.updated`, then checks it against its campaign's FailoverPair from
    the `PairCache` and emits `cxone.campaign.success_rate.low` when it is low.

    - **Polled readings announced at most once a `metrics_event_seconds`.** Every webhook
      delivery gets its `metrics.updated`. A poll re-reads every campaign each round, so a
      polled reading gets one only when its campaign's last went out at least
      `metrics_event_seconds` before (or failed to go out): at 2,000 pairs polled every 15 s,
      an event a reading was some 260 a second into Prefect's event store, half a core of
      the Prefect server all day. The reading is still stored, shown and checked: the low
      event is never held back by this.

    - **Fresh enough pairs.** A reading whose campaign the current listing does not name
      waits (without holding up the others) for a listing that started after the reading was
      stored, so a pair saved before a delivery always applies to it. A failed listing counts,
      with the last good pairs, so a Prefect outage delays the check by one listing at most.
    - **Newest only (coalescing).** A reading is checked only while it is still its
      campaign's newest observation: an older reading arriving late never fails over a
      campaign that recovered, and of several readings of one campaign waiting for a listing
      only the newest is checked. Every other low reading gets its own low event, whose id
      derives from the reading, so re-emitting one (after a restart) is a duplicate Prefect
      drops; the responder runs one failover per pair at a time.
    - **Failed over already.** No low event is emitted for a pair whose primary the
      platform showed paused and whose backup it showed active, both within `fresh_statuses`
      before the check: that pair is failed over (or swapped by hand), and its primary's
      numbers stay low for the whole window after it stopped dialling. Without this, a
      platform whose metrics are polled raised every failed-over pair again at each round,
      and a later collapse waited in a batch with all of them. Statuses are fresh on such a
      platform (each round reads them); an older status (a webhook platform's, which pushes
      changes only) is not trusted, so a lost status webhook can hold back no event.
    - **Bounded.** At most `capacity` readings queue; past that the oldest are dropped
      (their points stay stored, only their events are lost) with a warning.

    Args:
        store: where points go.
        pairs: the pair listing; the pipeline listens to it.
        sender: emits the events.
        capacity: most readings queued at once.
        clock: monotonic seconds, the same clock as the pair cache's.
        fresh_statuses: how recent both statuses must be to hold a pair's low event back;
            None: never held back.
        now: UTC now, the clock the statuses were stamped with.
        metrics_event_seconds: the least time, on `clock`, between two polled readings'
            `metrics.updated` of one campaign; 0: every reading's.
    """

    def __init__(
        self,
        store: CampaignStore,
        pairs: PairCache,
        sender: EventSender,
        capacity: int,
        clock: Callable[[], float] = time.monotonic,
        fresh_statuses: dt.timedelta | None = None,
        now: Callable[[], dt.datetime] = utc_now,
        metrics_event_seconds: float = 0.0,
    ) -> None:
        self._store = store
        self._metrics_every = metrics_event_seconds
        self._announced: dict[str, float] = {}  # campaign id -> its last polled announcement
        self._fresh_statuses, self._now = fresh_statuses, now
        self._pairs = pairs
        self._sender = sender
        self._capacity = capacity
        self._clock = clock
        self._queue: deque[Reading] = deque()
        self._waiting: dict[str, Reading] = {}  # campaign id -> its newest reading waiting
        self._arrived = asyncio.Event()
        self._busy = False
        pairs.on_listing(self._listed)

    def record(
        self,
        campaign_id: str,
        point: MetricsPoint,
        reading_id: str,
        source: Literal["webhook", "poll"],
    ) -> None:
        """Store the point and queue its events; returns at once."""
        self._store.record_metrics(campaign_id, point)
        self._queue.append(Reading(campaign_id, point, reading_id, source, self._clock()))
        if len(self._queue) > self._capacity:
            dropped = self._queue.popleft()
            logger.warning(
                "event queue full (%d readings): dropped the events of reading %s of campaign %s",
                self._capacity,
                dropped.reading_id,
                dropped.campaign_id,
            )
        self._arrived.set()

    async def run(self) -> None:
        """Process queued readings forever."""
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            while self._queue:
                self._busy = True
                self._process(self._queue.popleft())
                self._busy = False
                await asyncio.sleep(0)  # let requests in between two readings

    def drain(self) -> None:
        """Process every queued reading now (at shutdown, after `run` was cancelled)."""
        while self._queue:
            self._process(self._queue.popleft())

    def pending(self) -> int:
        """Readings queued, being processed, or waiting for a newer pair listing."""
        return len(self._queue) + len(self._waiting) + self._busy

    async def settled(self, poll_seconds: float = 0.005) -> None:
        """Return once every reading recorded so far has been checked (for tests: in service
        the pipeline never settles for long)."""
        while self.pending():
            await asyncio.sleep(poll_seconds)

    def _process(self, reading: Reading) -> None:
        self._announce(reading)
        listing = self._pairs.listing
        if reading.campaign_id not in listing.pairs and listing.started <= reading.received:
            if self._is_newest(reading):
                self._waiting[reading.campaign_id] = reading  # replaces an older one
            return
        self._check(reading, listing)

    def _announce(self, reading: Reading) -> None:
        """Emit the reading's `metrics.updated`: always a webhook's, a polled reading's when
        its campaign's last went out `metrics_event_seconds` ago or more."""
        if reading.source != "poll":
            self._sender.send(metrics_updated(reading))
            return
        last = self._announced.get(reading.campaign_id, -math.inf)
        if reading.received - last < self._metrics_every:
            return
        if self._sender.send(metrics_updated(reading)):  # a failed one goes with the next
            self._announced[reading.campaign_id] = reading.received

    def _listed(self, listing: Listing) -> None:
        ready = [r for r in self._waiting.values() if r.received < listing.started]
        for reading in ready:
            del self._waiting[reading.campaign_id]
            self._check(reading, listing)

    def _check(self, reading: Reading, listing: Listing) -> None:
        pair = listing.pairs.get(reading.campaign_id)
        if pair is None or not self._is_newest(reading) or not is_low(pair, reading.point):
            return
        if self._failed_over(pair):
            logger.debug(
                "campaign %s is low and paused, its backup %s active: no low event",
                reading.campaign_id,
                pair.backup_campaign_id,
            )
            return
        logger.warning(
            "campaign %s success rate %.3f is below %.3f over %d calls",
            reading.campaign_id,
            reading.point.success_rate,
            pair.threshold,
            reading.point.calls_attempted,
        )
        self._sender.send(success_rate_low(pair, reading))

    def _failed_over(self, pair: FailoverPair) -> bool:
        """The platform showed, recently enough, the primary paused and the backup active."""
        if self._fresh_statuses is None:
            return False
        since = self._now() - self._fresh_statuses
        return (
            self._store.status(pair.primary_campaign_id, since) == "paused"
            and self._store.status(pair.backup_campaign_id, since) == "active"
        )

    def _is_newest(self, reading: Reading) -> bool:
        return self._store.latest(reading.campaign_id) is reading.point
