"""The reading pipeline on its own: deliveries never wait on the pair listing, one listing
serves every campaign, low events are checked against fresh enough pairs, newest only."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable

import pytest

from blocks import FailoverPair, pair_block_name
from dashboard.app import create_app
from dashboard.events import EventSender
from dashboard.pairs import PairCache
from dashboard.readings import ReadingPipeline
from dashboard.settings import DashboardSettings
from dashboard.store import CampaignStore, MetricsPoint
from dashboard.webhooks import WebhookReceiver

from .conftest import (
    SECRET,
    TEST_SETTINGS,
    Recorder,
    Seconds,
    metrics_message,
    sign_headers,
)

LOW = "cxone.campaign.success_rate.low"
UPDATED = "cxone.campaign.metrics.updated"
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
START = Seconds().now  # where the pipeline's monotonic clock starts


class GatedListing:
    """A pair listing that answers only once `opened` is set, and counts its calls."""

    def __init__(self, *pairs: FailoverPair) -> None:
        self.pairs, self.calls = list(pairs), 0
        self.opened = asyncio.Event()
        self.opened.set()
        self.error: Exception | None = None

    async def __call__(self) -> list[FailoverPair]:
        self.calls += 1
        await self.opened.wait()
        if self.error:
            raise self.error
        return list(self.pairs)


def pair(primary: str, **rule) -> FailoverPair:
    return FailoverPair(primary_campaign_id=primary, backup_campaign_id=f"{primary}_b", **rule)


def point(rate: float, calls: int = 300, seconds: int = 0) -> MetricsPoint:
    at = NOW + dt.timedelta(seconds=seconds)
    return MetricsPoint(at, rate, calls, int(rate * calls), 3)


class Parts:
    """A store, a pair cache on a fake clock, and a pipeline recording its events."""

    def __init__(
        self,
        listing: GatedListing,
        capacity: int = 10_000,
        fresh_statuses: dt.timedelta | None = None,
        metrics_event_seconds: float = 0.0,
        emit: Callable[..., None] | None = None,
    ) -> None:
        self.clock, self.events, self.listing = Seconds(), Recorder(), listing
        self.store = CampaignStore(history_points=10)
        self.pairs = PairCache(refresh_seconds=5, load=listing, clock=self.clock)
        self.now = NOW  # UTC now, for the statuses' freshness
        self.pipeline = ReadingPipeline(
            self.store,
            self.pairs,
            EventSender(emit or self.events),
            capacity,
            clock=self.clock,
            fresh_statuses=fresh_statuses,
            now=lambda: self.now,
            metrics_event_seconds=metrics_event_seconds,
        )

    def record(self, campaign_id: str, reading: MetricsPoint, reading_id: str) -> None:
        self.pipeline.record(campaign_id, reading, reading_id, "webhook")

    def poll(self, campaign_id: str, reading: MetricsPoint, at: int) -> None:
        """A polled reading `at` seconds after the clock's start."""
        self.clock.now = START + at
        self.pipeline.record(campaign_id, reading, f"poll:{campaign_id}:{at}", "poll")

    def announced(self, campaign_id: str) -> list[str]:
        """The reading ids of the campaign's `metrics.updated`, in order."""
        return [
            e["payload"]["reading_id"]
            for e in self.events.named(UPDATED)
            if e["resource"]["cxone.campaign.id"] == campaign_id
        ]

    async def processed(self, count: int) -> None:
        """Yield to the pipeline's task until it has reported `count` readings."""
        while len(self.events.named(UPDATED)) < count:
            await asyncio.sleep(0)

    def low_ids(self) -> list[str]:
        return [e["payload"]["reading_id"] for e in self.events.named(LOW)]

    async def listed(self) -> None:
        """One listing that starts after everything recorded so far."""
        self.clock.now += 1
        await self.pairs.refresh()


@pytest.fixture
async def running():
    """`await running(parts)`: run the pipeline's task until the test ends."""
    tasks = []

    async def run(parts: Parts) -> Parts:
        tasks.append(asyncio.create_task(parts.pipeline.run()))
        return parts

    yield run
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_deliveries_are_stored_and_acknowledged_while_the_listing_hangs(running):
    listing = GatedListing(*(pair(f"cmp_{n}") for n in range(0, 100, 10)))
    parts = await running(Parts(listing))
    await parts.pairs.refresh()  # the pairs were listed once
    listing.opened.clear()  # from now on Prefect hangs
    parts.clock.now += 1
    hanging = asyncio.create_task(parts.pairs.refresh())
    await asyncio.sleep(0)
    parts.clock.now += 1  # the deliveries arrive while that listing is under way
    receiver = WebhookReceiver(
        DashboardSettings(webhook_secret=SECRET), parts.store, parts.pipeline
    )
    receipts = []
    for n in range(100):
        body = json.dumps(metrics_message(f"cmp_{n}", successRate=0.05, callsAttempted=300))
        receipts.append(receiver.receive(body.encode(), sign_headers(body, msg_id=f"msg_{n}")))
    await parts.processed(100)  # the listing still hangs
    assert receipts == ["accepted"] * 100
    assert len(parts.store.campaign_ids()) == 100
    assert len(parts.events.named(UPDATED)) == 100
    # The ten paired campaigns were in the last listing: their low events did not wait.
    assert sorted(parts.low_ids()) == sorted(f"msg_{n}" for n in range(0, 100, 10))
    assert not hanging.done() and parts.pipeline.pending() == 90  # the rest wait
    listing.opened.set()
    await hanging
    # A listing under way when they arrived may have missed a pair saved just before them.
    assert parts.pipeline.pending() == 90
    await parts.listed()
    assert parts.pipeline.pending() == 0
    assert len(parts.low_ids()) == 10


async def test_one_listing_serves_every_campaign(running):
    listing = GatedListing(*(pair(f"cmp_{n}") for n in range(0, 2000, 5)))
    parts = await running(Parts(listing))
    await parts.pairs.refresh()
    for n in range(2000):
        parts.record(f"cmp_{n}", point(0.05 if n % 2 == 0 else 0.4), f"msg_{n}")
    await parts.listed()
    await parts.pipeline.settled()
    assert listing.calls == 2  # two listings, not one lookup per campaign
    assert len(parts.events.named(UPDATED)) == 2000
    # Paired (every 5th) and low (every 2nd): every 10th.
    assert sorted(parts.low_ids()) == sorted(f"msg_{n}" for n in range(0, 2000, 10))


async def test_a_pair_saved_before_a_delivery_applies_to_it(running):
    listing = GatedListing()
    parts = await running(Parts(listing))
    await parts.pairs.refresh()
    listing.pairs.append(pair("cmp_new"))  # saved after that listing
    parts.record("cmp_new", point(0.05), "msg_1")
    await parts.processed(1)
    assert parts.low_ids() == [] and parts.pipeline.pending() == 1  # waits for a listing
    await parts.listed()
    assert parts.low_ids() == ["msg_1"]


async def test_only_the_newest_waiting_reading_of_a_campaign_is_checked(running):
    listing = GatedListing(pair("cmp_a"), pair("cmp_b"))
    parts = await running(Parts(listing))
    parts.record("cmp_a", point(0.05, seconds=1), "a_low_1")
    parts.record("cmp_a", point(0.04, seconds=2), "a_low_2")
    parts.record("cmp_b", point(0.05, seconds=1), "b_low")
    parts.record("cmp_b", point(0.45, seconds=2), "b_recovered")
    parts.record("cmp_b", point(0.01, seconds=0), "b_late_older")  # arrives last, observed first
    await parts.processed(5)
    assert parts.pipeline.pending() == 2  # one waiting reading per campaign
    await parts.listed()
    assert parts.low_ids() == ["a_low_2"]
    assert len(parts.events.named(UPDATED)) == 5  # every reading is still reported


async def test_every_low_reading_of_a_listed_pair_gets_its_event(running):
    listing = GatedListing(pair("cmp_a", threshold=0.2, min_calls=10))
    parts = await running(Parts(listing))
    await parts.pairs.refresh()
    for n, rate in enumerate([0.1, 0.15, 0.3, 0.19]):
        parts.record("cmp_a", point(rate, calls=20, seconds=n), f"msg_{n}")
        await parts.pipeline.settled()
    assert parts.low_ids() == ["msg_0", "msg_1", "msg_3"]
    [event] = [e for e in parts.events.named(LOW) if e["payload"]["reading_id"] == "msg_3"]
    assert event["payload"]["threshold"] == 0.2 and event["payload"]["source"] == "webhook"


PAUSED_PRIMARY_ACTIVE_BACKUP = {"cmp_1": ("paused", 0), "cmp_1_b": ("active", 0)}


@pytest.mark.parametrize(
    ("fresh", "statuses", "held_back"),
    [
        # the platform showed the pair failed over, within the window: nothing to evaluate
        (30, PAUSED_PRIMARY_ACTIVE_BACKUP, True),
        (30, {"cmp_1": ("paused", -30), "cmp_1_b": ("active", -29)}, True),
        # one status older than the window: not trusted (a lost webhook holds nothing back)
        (30, {"cmp_1": ("paused", -31), "cmp_1_b": ("active", 0)}, False),
        (30, {"cmp_1": ("paused", 0), "cmp_1_b": ("active", -31)}, False),
        # the backup is not dialling (a failover half done): the run must finish it
        (30, {"cmp_1": ("paused", 0), "cmp_1_b": ("paused", 0)}, False),
        # the primary still dials
        (30, {"cmp_1": ("active", 0), "cmp_1_b": ("active", 0)}, False),
        (30, {"cmp_1": ("active", 0), "cmp_1_b": ("paused", 0)}, False),
        # a status not known
        (30, {"cmp_1": ("paused", 0)}, False),
        (30, {}, False),
        # nothing polled (no window): never held back
        (None, PAUSED_PRIMARY_ACTIVE_BACKUP, False),
    ],
)
async def test_a_pair_the_platform_shows_failed_over_gets_no_low_event(
    running, fresh, statuses, held_back
):
    """A polled primary stays low for its whole window after its failover; its low events
    would start an evaluation of a failed-over pair at every round."""
    window = dt.timedelta(seconds=fresh) if fresh is not None else None
    parts = await running(Parts(GatedListing(pair("cmp_1")), fresh_statuses=window))
    await parts.pairs.refresh()
    for campaign_id, (status, seconds) in statuses.items():
        parts.store.record_status(campaign_id, status, NOW + dt.timedelta(seconds=seconds))
    parts.record("cmp_1", point(0.05), "low-1")
    await parts.pipeline.settled()
    assert parts.low_ids() == ([] if held_back else ["low-1"])
    assert len(parts.events.named(UPDATED)) == 1  # the page's update, either way


async def test_a_restore_seen_by_the_platform_lets_the_low_events_through_again(running):
    parts = await running(
        Parts(GatedListing(pair("cmp_1")), fresh_statuses=dt.timedelta(seconds=30))
    )
    await parts.pairs.refresh()
    for campaign_id, (status, _) in PAUSED_PRIMARY_ACTIVE_BACKUP.items():
        parts.store.record_status(campaign_id, status, NOW)
    parts.record("cmp_1", point(0.05, seconds=1), "while-failed-over")
    await parts.pipeline.settled()
    parts.now += dt.timedelta(seconds=15)  # the next round: restored
    parts.store.record_status("cmp_1", "active", parts.now)
    parts.store.record_status("cmp_1_b", "paused", parts.now)
    parts.record("cmp_1", point(0.05, seconds=16), "after-the-restore")
    await parts.pipeline.settled()
    assert parts.low_ids() == ["after-the-restore"]
    # The statuses age: a failed-over pair not read again for a window is not trusted.
    parts.store.record_status("cmp_1", "paused", parts.now)
    parts.store.record_status("cmp_1_b", "active", parts.now)
    parts.now += dt.timedelta(seconds=31)
    parts.record("cmp_1", point(0.05, seconds=47), "statuses-too-old")
    await parts.pipeline.settled()
    assert parts.low_ids() == ["after-the-restore", "statuses-too-old"]


@pytest.mark.parametrize(
    ("every", "announced_at"),
    [
        (60, [0, 60, 120]),  # a round each 15 s: one reading in four announced
        (40, [0, 45, 90]),  # the first reading at least 40 s after the last announced
        (15, [0, 15, 30, 45, 60, 75, 90, 105, 120]),  # exactly the interval: announced
        (0, [0, 15, 30, 45, 60, 75, 90, 105, 120]),  # 0: every reading
    ],
)
async def test_a_polled_campaign_is_announced_once_an_interval_and_checked_at_every_reading(
    running, every, announced_at
):
    """A poll re-reads every campaign each round: its readings are news for the page and the
    failover, not for Prefect's event store."""
    parts = await running(Parts(GatedListing(pair("cmp_a")), metrics_event_seconds=every))
    await parts.pairs.refresh()
    for at in range(0, 121, 15):
        rate = 0.05 if at == 45 else 0.5  # low in one round only
        parts.poll("cmp_a", point(rate, seconds=at), at)
        await parts.pipeline.settled()
    assert parts.announced("cmp_a") == [f"poll:cmp_a:{at}" for at in announced_at]
    assert parts.low_ids() == ["poll:cmp_a:45"]  # never held back by the interval
    assert [p.success_rate for p in parts.store.history("cmp_a")][-3:] == [0.5, 0.5, 0.5]
    assert len(parts.store.history("cmp_a")) == 9  # every reading stored


async def test_webhook_deliveries_are_all_announced_and_a_failed_poll_announcement_is_retried(
    running, caplog
):
    failures = [ConnectionError("events endpoint down")]
    recorder = Recorder()

    def flaky(**event: object) -> None:
        if failures and event["payload"]["source"] == "poll":  # type: ignore[index]
            raise failures.pop()
        recorder(**event)

    parts = await running(Parts(GatedListing(pair("cmp_a")), metrics_event_seconds=60, emit=flaky))
    parts.events = recorder
    await parts.pairs.refresh()
    for n in range(3):  # a platform that pushes: every delivery is news
        parts.record("cmp_a", point(0.5, seconds=n), f"msg_{n}")
    parts.poll("cmp_a", point(0.5, seconds=10), 10)  # not announced: the emit failed
    parts.poll("cmp_a", point(0.5, seconds=25), 25)  # so the next one is
    parts.poll("cmp_a", point(0.5, seconds=40), 40)
    await parts.pipeline.settled()
    assert parts.announced("cmp_a") == ["msg_0", "msg_1", "msg_2", "poll:cmp_a:25"]
    assert "could not emit cxone.campaign.metrics.updated for campaign cmp_a" in caplog.text


async def test_a_failed_listing_checks_waiting_readings_against_the_last_good_one(running, caplog):
    listing = GatedListing(pair("cmp_a"))
    parts = await running(Parts(listing))
    await parts.pairs.refresh()
    parts.record("cmp_a", point(0.05), "msg_a")  # listed: checked at once
    parts.record("cmp_new", point(0.05), "msg_new")  # not listed: waits
    await parts.processed(2)
    listing.pairs.append(pair("cmp_new"))
    listing.error = ConnectionError("prefect down")
    await parts.listed()
    assert parts.pipeline.pending() == 0  # not stuck behind an outage
    assert parts.low_ids() == ["msg_a"]  # the last good listing does not know cmp_new
    assert "could not list FailoverPairs" in caplog.text


async def test_past_capacity_the_oldest_readings_lose_their_events_not_their_points(caplog):
    parts = Parts(GatedListing(), capacity=3)  # its task is not running: nothing drains
    for n in range(5):
        parts.record(f"cmp_{n}", point(0.5), f"msg_{n}")
    assert parts.pipeline.pending() == 3
    assert len(parts.store.campaign_ids()) == 5
    assert caplog.text.count("event queue full") == 2
    parts.pipeline.drain()
    assert [e["payload"]["reading_id"] for e in parts.events.calls] == ["msg_2", "msg_3", "msg_4"]


async def test_an_emit_failure_is_logged_and_the_pipeline_goes_on(running, caplog):
    def broken(**_):
        raise ConnectionError("events endpoint down")

    parts = Parts(GatedListing())
    parts.pipeline = ReadingPipeline(
        parts.store, parts.pairs, EventSender(broken), 100, clock=parts.clock
    )
    await running(parts)
    await parts.pairs.refresh()
    parts.record("cmp_a", point(0.5), "msg_1")
    parts.record("cmp_b", point(0.5), "msg_2")
    await parts.listed()
    await parts.pipeline.settled()
    assert caplog.text.count("could not emit cxone.campaign.metrics.updated") == 2
    assert caplog.records[-1].levelno == logging.ERROR


async def test_readings_still_queued_at_shutdown_get_their_events(prefect_harness, campaign_id):
    paired = campaign_id()
    await pair(paired).asave(pair_block_name(paired), overwrite=True)
    events = Recorder()
    app = create_app(DashboardSettings(**TEST_SETTINGS), emit=events)
    async with app.router.lifespan_context(app):
        receiver = app.state.dashboard.receiver
        for n, cid in enumerate([paired] + [campaign_id() for _ in range(49)]):
            body = json.dumps(metrics_message(cid, successRate=0.05, callsAttempted=300))
            receiver.receive(body.encode(), sign_headers(body, msg_id=f"msg_{cid}_{n}"))
        # The server stops here, before the pipeline's task has run once.
    assert len(events.named(UPDATED)) == 50
    assert [e["resource"]["cxone.campaign.id"] for e in events.named(LOW)] == [paired]
