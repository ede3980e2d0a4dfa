"""The replay window and the FailoverPair cache on their own, with fake clocks."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prefect.blocks.core import Block

from blocks import FailoverPair, read_block, read_blocks
from dashboard.pairs import PairDirectory, PairLookupError
from dashboard.signatures import TOLERANCE_SECONDS, ReplayWindow


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_replay_window_forgets_an_id_once_its_signature_has_expired():
    clock = Clock()
    window = ReplayWindow(capacity=100, clock=clock)
    window.remember("msg_a", signed_at=clock.now)
    clock.now += TOLERANCE_SECONDS - 1
    assert window.seen("msg_a")
    clock.now += 2
    assert not window.seen("msg_a")
    assert len(window) == 0


def test_replay_window_keeps_a_future_signed_id_until_that_signature_expires():
    clock = Clock()
    window = ReplayWindow(capacity=100, clock=clock)
    window.remember("msg_future", signed_at=clock.now + 240)  # signed 4 minutes ahead
    clock.now += TOLERANCE_SECONDS + 200
    assert window.seen("msg_future")  # its signature is still valid for another 40 s
    clock.now += 41
    assert not window.seen("msg_future")


def test_replay_window_is_bounded_and_drops_the_oldest(caplog):
    clock = Clock()
    window = ReplayWindow(capacity=3, clock=clock)
    for i in range(5):
        window.remember(f"msg_{i}", signed_at=clock.now)
    assert len(window) == 3
    assert [window.seen(f"msg_{i}") for i in range(5)] == [False, False, True, True, True]
    assert caplog.records[-1].levelno == logging.WARNING


class Loader:
    def __init__(self, answer: FailoverPair | None = None, error: Exception | None = None):
        self.answer, self.error, self.calls = answer, error, 0

    async def __call__(self, campaign_id: str) -> FailoverPair | None:
        self.calls += 1
        await asyncio.sleep(0.01)  # long enough for concurrent callers to overlap
        if self.error:
            raise self.error
        return self.answer


PAIR = FailoverPair(primary_campaign_id="cmp_a", backup_campaign_id="cmp_b")


@pytest.mark.parametrize("answer", [PAIR, None], ids=["hit", "miss"])
async def test_pair_answers_are_cached_for_the_ttl(answer):
    clock, load = Clock(), Loader(answer)
    pairs = PairDirectory(ttl_seconds=5, load=load, clock=clock)
    results = await asyncio.gather(*(pairs.get("cmp_a") for _ in range(20)))
    assert results == [answer] * 20
    assert load.calls == 1  # a storm of concurrent webhooks costs one lookup
    clock.now += 4.9
    await pairs.get("cmp_a")
    assert load.calls == 1
    clock.now += 0.2
    await pairs.get("cmp_a")
    assert load.calls == 2


async def test_pair_lookup_failures_are_raised_and_cached_too():
    clock, load = Clock(), Loader(error=ConnectionError("prefect down"))
    pairs = PairDirectory(ttl_seconds=5, load=load, clock=clock)
    for _ in range(3):
        with pytest.raises(PairLookupError):
            await pairs.get("cmp_a")
    assert load.calls == 1
    clock.now += 6
    load.error = None
    load.answer = PAIR
    assert await pairs.get("cmp_a") is PAIR


async def test_pair_lookup_that_hangs_is_abandoned(monkeypatch):
    monkeypatch.setattr("dashboard.pairs.LOOKUP_TIMEOUT_SECONDS", 0.05)

    async def hang(campaign_id: str) -> None:
        await asyncio.sleep(60)

    with pytest.raises(PairLookupError):
        await PairDirectory(ttl_seconds=5, load=hang).get("cmp_a")


class NeverSaved(Block):
    """A block type no one registers."""

    value: int = 0


async def test_reading_a_block_type_never_registered_finds_nothing(prefect_harness):
    assert await read_blocks(NeverSaved) == []
    assert await read_block(NeverSaved, "anything") is None
