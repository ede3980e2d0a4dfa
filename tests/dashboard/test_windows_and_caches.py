"""The replay window, the cache and the FailoverPair listing on their own, with fake clocks."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from prefect.blocks.core import Block

from blocks import FailoverPair, read_block, read_blocks
from dashboard.cache import TtlCache
from dashboard.pairs import PairCache, list_pairs
from dashboard.signatures import TOLERANCE_SECONDS, ReplayWindow

from .conftest import Seconds


def test_replay_window_forgets_an_id_once_its_signature_has_expired():
    clock = Seconds()
    window = ReplayWindow(capacity=100, clock=clock)
    window.remember("msg_a", signed_at=clock.now)
    clock.now += TOLERANCE_SECONDS - 1
    assert window.seen("msg_a")
    clock.now += 2
    assert not window.seen("msg_a")
    assert len(window) == 0


def test_replay_window_keeps_a_future_signed_id_until_that_signature_expires():
    clock = Seconds()
    window = ReplayWindow(capacity=100, clock=clock)
    window.remember("msg_future", signed_at=clock.now + 240)  # signed 4 minutes ahead
    clock.now += TOLERANCE_SECONDS + 200
    assert window.seen("msg_future")  # its signature is still valid for another 40 s
    clock.now += 41
    assert not window.seen("msg_future")


def test_replay_window_is_bounded_and_drops_the_oldest(caplog):
    clock = Seconds()
    window = ReplayWindow(capacity=3, clock=clock)
    for i in range(5):
        window.remember(f"msg_{i}", signed_at=clock.now)
    assert len(window) == 3
    assert [window.seen(f"msg_{i}") for i in range(5)] == [False, False, True, True, True]
    assert caplog.records[-1].levelno == logging.WARNING


class Loader:
    """A slow lookup that counts its calls and can fail."""

    def __init__(self, answer: object = None, error: Exception | None = None):
        self.answer, self.error, self.calls = answer, error, 0

    async def __call__(self, key: str) -> object:
        self.calls += 1
        await asyncio.sleep(0.01)  # long enough for concurrent callers to overlap
        if self.error:
            raise self.error
        return self.answer


@pytest.mark.parametrize("answer", ["found", None], ids=["hit", "miss"])
async def test_answers_are_cached_for_the_ttl(answer):
    clock, load = Seconds(), Loader(answer)
    cache = TtlCache(load, ttl_seconds=5, clock=clock)
    results = await asyncio.gather(*(cache.get("cmp_a") for _ in range(20)))
    assert results == [answer] * 20
    assert load.calls == 1  # a burst of concurrent callers costs one lookup
    clock.now += 4.9
    await cache.get("cmp_a")
    assert load.calls == 1
    clock.now += 0.2
    await cache.get("cmp_a")
    assert load.calls == 2


async def test_failures_are_raised_and_cached_for_their_own_ttl():
    clock, load = Seconds(), Loader(error=ConnectionError("prefect down"))
    cache = TtlCache(load, ttl_seconds=60, error_ttl_seconds=5, clock=clock)
    for _ in range(3):
        with pytest.raises(ConnectionError, match="prefect down"):
            await cache.get("cmp_a")
    assert load.calls == 1
    assert cache.holds("cmp_a") and not cache.holds("cmp_b")
    clock.now += 6
    assert not cache.holds("cmp_a")
    load.error, load.answer = None, "found"
    assert await cache.get("cmp_a") == "found"
    assert cache.holds("cmp_a")


async def test_a_caller_that_gives_up_does_not_cancel_the_others():
    cache = TtlCache(Loader("found"), ttl_seconds=5)
    first = asyncio.ensure_future(cache.get("cmp_a"))
    second = asyncio.ensure_future(cache.get("cmp_a"))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == "found"


PAIR_A = FailoverPair(primary_campaign_id="cmp_a", backup_campaign_id="cmp_b", threshold=0.2)
PAIR_C = FailoverPair(primary_campaign_id="cmp_c", backup_campaign_id="cmp_d")


class Listings:
    """Stands in for the Prefect listing: answers what it holds, or fails."""

    def __init__(self, *pairs: FailoverPair) -> None:
        self.pairs, self.error, self.calls = list(pairs), None, 0

    async def __call__(self) -> list[FailoverPair]:
        self.calls += 1
        if self.error:
            raise self.error
        return list(self.pairs)


async def test_pair_cache_answers_from_its_last_listing():
    listings = Listings(PAIR_A, PAIR_C)
    pairs = PairCache(refresh_seconds=5, load=listings, clock=Seconds())
    assert pairs.pair_for("cmp_a") is None  # nothing listed yet
    await pairs.refresh()
    assert pairs.pair_for("cmp_a") is PAIR_A
    assert pairs.pair_for("cmp_b") is None  # a backup is no primary
    assert pairs.naming("cmp_b") is PAIR_A and pairs.naming("cmp_x") is None
    assert pairs.credentials_for("cmp_d", "default") == "cxone"
    assert pairs.credentials_for("cmp_x", "default") == "default"
    for campaign in ("cmp_a", "cmp_b", "cmp_c", "cmp_d", "cmp_x"):
        pairs.pair_for(campaign)
    assert listings.calls == 1  # lookups never reach Prefect


async def test_a_failed_listing_keeps_the_last_good_pairs_and_is_announced(caplog):
    listings, clock, heard = Listings(PAIR_A), Seconds(), []
    pairs = PairCache(refresh_seconds=5, load=listings, clock=clock)
    pairs.on_listing(heard.append)
    await pairs.refresh()
    listings.error = ConnectionError("prefect down")
    clock.now += 5
    listing = await pairs.refresh()
    assert (listing.ok, listing.started) == (False, clock.now)
    assert pairs.pair_for("cmp_a") is PAIR_A
    assert [h.ok for h in heard] == [True, False]
    assert "could not list FailoverPairs" in caplog.text


async def test_a_primary_named_by_two_pairs_is_not_monitored(caplog):
    twin = FailoverPair(primary_campaign_id="cmp_a", backup_campaign_id="cmp_z")
    listings = Listings(PAIR_A, twin, PAIR_C)
    pairs = PairCache(refresh_seconds=5, load=listings)
    await pairs.refresh()
    await pairs.refresh()
    assert pairs.pair_for("cmp_a") is None and pairs.pair_for("cmp_c") is PAIR_C
    assert caplog.text.count("several FailoverPairs name primary cmp_a") == 1  # said once


async def test_pair_cache_lists_once_per_period_start_to_start():
    clock, slept = Seconds(), []

    async def slow_listing() -> list[FailoverPair]:
        clock.now += 0.3  # a listing that takes 0.3 s (spacing: see the next test)
        return [PAIR_A]

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds
        if len(slept) == 3:
            raise asyncio.CancelledError

    pairs = PairCache(refresh_seconds=5, load=slow_listing, clock=clock, sleep=sleep)
    await pairs.refresh()
    with pytest.raises(asyncio.CancelledError):
        await pairs.run()
    assert slept == pytest.approx([4.7, 4.7, 4.7])  # one listing every 5 s, start to start


@pytest.mark.parametrize(
    ("outcomes", "spacings", "timeouts"),
    [
        # a small fleet: a listing every refresh_seconds, abandoned after 10 s
        ([0.1, 0.2], [5, 5], [10, 10]),
        ([0.5, 0.6], [5, 6], [10, 10]),  # ten times the duration when longer
        ([1.4, 1.4], [14, 14], [10, 10]),  # 2,000 pairs: about every 14 s
        ([4.0], [40], [12]),  # abandoned after three times the duration when longer
        # a failed listing keeps the last good duration; a good one resets both
        ([1.4, "error", 0.2], [14, 14, 5], [10, 10, 10]),
        (["error", 0.3], [5, 5], [10, 10]),  # nothing listed yet: on time
        # the next listing may take twice as long after each abandoned one, up to 120 s
        (["timeout", "timeout", 25.0], [5, 5, 250], [20, 40, 75]),
        (["timeout"] * 5, [5] * 5, [20, 40, 80, 120, 120]),
        (["timeout", "error", 0.5], [5, 5, 5], [20, 20, 10]),
    ],
)
async def test_slow_listings_are_spaced_and_given_longer(outcomes, spacings, timeouts):
    """Listings cost the Prefect server in proportion to the fleet: ten times the last good
    one's duration apart, they hold it a tenth of the time at most. A fleet whose listing
    takes longer than the timeout is still listed: a fixed timeout abandoned every listing,
    and the dashboard never saw a pair saved after it started."""
    clock, results = Seconds(), iter(outcomes)

    async def listing() -> list[FailoverPair]:
        outcome = next(results)
        if outcome == "timeout":
            raise TimeoutError
        if outcome == "error":
            raise ConnectionError("prefect down")
        clock.now += outcome
        return [PAIR_A]

    pairs = PairCache(refresh_seconds=5, load=listing, clock=clock)
    seen_spacings, seen_timeouts = [], []
    for _ in outcomes:
        await pairs.refresh()
        seen_spacings.append(pairs.spacing())
        seen_timeouts.append(pairs.timeout())
    assert seen_spacings == pytest.approx(spacings)
    assert seen_timeouts == pytest.approx(timeouts)


async def test_a_listing_slower_than_the_timeout_succeeds_on_a_later_try(monkeypatch):
    monkeypatch.setattr("dashboard.pairs.LISTING_TIMEOUT_SECONDS", 0.05)

    async def slow() -> list[FailoverPair]:
        await asyncio.sleep(0.08)
        return [PAIR_A]

    pairs = PairCache(refresh_seconds=5, load=slow)
    first = await pairs.refresh()
    assert (first.ok, first.pairs) == (False, {})
    second = await pairs.refresh()  # given 0.1 s
    assert second.ok and pairs.pair_for("cmp_a") is PAIR_A


async def test_a_listing_that_hangs_is_abandoned(monkeypatch):
    monkeypatch.setattr("dashboard.pairs.LISTING_TIMEOUT_SECONDS", 0.05)

    async def hang() -> list[FailoverPair]:
        await asyncio.sleep(60)
        return []

    listing = await PairCache(refresh_seconds=5, load=hang).refresh()
    assert (listing.ok, listing.pairs) == (False, {})


class NeverListed(Block):
    """A block type no one registers."""

    value: int = 0


async def test_reading_a_block_type_never_registered_finds_nothing(prefect_harness):
    assert await read_blocks(NeverListed) == []
    assert await read_block(NeverListed, "anything") is None


async def test_the_pair_listing_parses_off_the_apps_event_loop(monkeypatch):
    threads = []

    async def read_blocks_here(block_type):
        threads.append(threading.current_thread())
        return [("pair-a", PAIR_A)]

    monkeypatch.setattr("dashboard.pairs.read_blocks", read_blocks_here)
    assert await list_pairs() == [PAIR_A]
    assert threads and threads[0] is not threading.current_thread()
