"""The client's pacing: "N requests a minute" as a window (at most N in any trailing 60 s,
bursts allowed), a per-second bucket only where one is configured; on a fake clock."""

from __future__ import annotations

import asyncio
import bisect
import random
import threading

import httpx
import pytest
from pydantic import ValidationError

from cxone import AccessKeyConfig, BucketRegistry, CXoneClient, CXoneConfig, RetryPolicy
from cxone._ratelimit import RateLimit

from .conftest import BASE, SECRET


class FakeTime:
    """A clock that moves only when told to; sleeps are recorded and do not move it, so many
    callers can ask at one instant and each one's send time is `now + its wait`."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


async def send_times(limit: RateLimit, time_: FakeTime, arrivals: list[float]) -> list[float]:
    """When each request, asking at its arrival (seconds from the start), may be sent."""
    sent = []
    for at in arrivals:
        time_.now = 1000.0 + at
        before = len(time_.waits)
        await limit.acquire()
        wait = time_.waits[-1] if len(time_.waits) > before else 0.0
        sent.append(round(at + wait, 6))
    return sent


@pytest.mark.parametrize(
    ("limits", "arrivals", "expected"),
    [
        # A burst of all N goes out at once; the N+1th waits for the first to be 60 s old.
        ((3, None, None), [0, 0, 0, 0, 0, 10, 61], [0, 0, 0, 60, 60, 60, 120]),
        ((3, None, None), [0, 20, 40, 59, 100], [0, 20, 40, 60, 100]),
        # The storm: 350 requests at 600 a minute are not paced at all.
        ((600, None, None), [0] * 350, [0] * 350),
        ((600, None, None), [0] * 601, [0] * 600 + [60]),
        # A fractional limit counts its whole part, and never less than one.
        ((2.5, None, None), [0, 0, 0], [0, 0, 60]),
        ((0.5, None, None), [0, 0], [0, 60]),
        # With a per-second pace as well (the benchmarks against a per-second server).
        ((6000, 100, 1), [0] * 4, [0, 0.01, 0.02, 0.03]),
        ((6000, 2, None), [0] * 4, [0, 0, 0.5, 1.0]),
        ((3, 1, 1), [0] * 5, [0, 1, 2, 60, 61]),
    ],
)
async def test_send_times(
    limits: tuple[float, float | None, float | None], arrivals: list[float], expected: list[float]
) -> None:
    time_ = FakeTime()
    limit = RateLimit(*limits, clock=time_.clock, sleep=time_.sleep)
    assert await send_times(limit, time_, arrivals) == pytest.approx(expected)


@pytest.mark.parametrize("per_minute", [1, 7, 60, 600])
async def test_no_60_seconds_ever_hold_more_than_the_limit(per_minute: int) -> None:
    time_ = FakeTime()
    limit = RateLimit(per_minute, clock=time_.clock, sleep=time_.sleep)
    draw = random.Random(per_minute)
    arrivals, at = [], 0.0
    for _ in range(per_minute * 4):
        at += draw.expovariate(per_minute / 30)  # twice the limit's rate: it must bind
        arrivals.append(at)
    sent = sorted(await send_times(limit, time_, arrivals))
    assert all(s >= a - 1e-6 for s, a in zip(sorted(sent), arrivals, strict=True))
    # The most sends in any (t - 60, t]: a send that is exactly 60 s old has left the window.
    densest = max(
        bisect.bisect_right(sent, t) - bisect.bisect_right(sent, t - 60 + 1e-6) for t in sent
    )
    assert densest == per_minute  # reached, never exceeded


async def test_a_pause_holds_every_request_and_counts_in_the_window() -> None:
    time_ = FakeTime()
    limit = RateLimit(2, clock=time_.clock, sleep=time_.sleep)
    limit.pause(5)
    assert await send_times(limit, time_, [0, 1, 2]) == [5, 5, 65]


def test_reservations_from_many_threads_never_overfill_the_window() -> None:
    time_ = FakeTime()
    limit = RateLimit(100, clock=time_.clock, sleep=time_.sleep)

    def burst() -> None:
        for _ in range(50):
            asyncio.run(limit.acquire())

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(time_.waits) == [60.0] * 100  # 100 at once, the next 100 a minute later


def test_the_registry_shares_one_limit_per_key_until_its_settings_change() -> None:
    registry = BucketRegistry()
    limit = registry.rate_limit("tenant", 600)
    assert registry.rate_limit("tenant", 600) is limit
    assert registry.rate_limit("other", 600) is not limit
    changed = registry.rate_limit("tenant", 600, 10)
    assert changed is not limit and changed.settings == (600, 10, None)


def platform(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/oauth/token"):
        return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
    return httpx.Response(200, json={"id": "c1", "name": "n", "status": "active"})


async def test_a_client_bursts_up_to_the_limit_then_waits_out_the_window(sleep) -> None:
    config = CXoneConfig(base_url=BASE, client_id="app", client_secret=SECRET,
                         requests_per_minute=4)  # fmt: skip
    policy = RetryPolicy(sleep=sleep)
    transport = httpx.MockTransport(platform)
    async with CXoneClient(config, transport=transport, retry_policy=policy) as client:
        for _ in range(4):  # the token request and three reads
            await client.get_campaign("c1")
    assert len(sleep.waits) == 1 and sleep.waits[0] == pytest.approx(60, abs=1)


async def test_a_per_second_pace_applies_only_when_configured(sleep) -> None:
    config = CXoneConfig(base_url=BASE, client_id="app", client_secret=SECRET,
                         requests_per_minute=6000, requests_per_second=10, burst=1)  # fmt: skip
    transport = httpx.MockTransport(platform)
    async with CXoneClient(config, transport=transport, retry_policy=RetryPolicy(sleep=sleep)) as c:
        for _ in range(3):
            await c.get_campaign("c1")
    assert len(sleep.waits) == 3 and all(0 < wait <= 0.31 for wait in sleep.waits)


@pytest.mark.parametrize("config_type", [CXoneConfig, AccessKeyConfig])
def test_burst_alone_is_refused_now_that_it_sizes_the_per_second_bucket(config_type) -> None:
    credentials = (
        {"client_id": "app", "client_secret": SECRET}
        if config_type is CXoneConfig
        else {"access_key_id": "AK", "access_key_secret": SECRET}
    )
    with pytest.raises(ValidationError, match="requests_per_second"):
        config_type(**credentials, burst=5)
    assert config_type(**credentials, requests_per_second=5, burst=5).burst == 5
