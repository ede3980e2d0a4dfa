"""Fixtures: one fake time for the client's pacing and sleeps (and the stand-in's clock), and
the Reassigned Numbers Database stand-in in-process."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from pydantic import SecretStr

from cxone import RetryPolicy
from rnd import RndClient
from simulator import FakeClock, SimulatorConfig, asgi_transport, create_app

START = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
KEY = "rnd-key-do-not-leak"
STAND_IN_URL = "http://sim/api/rnd/v1"


class FakeTime:
    """The client's clock and sleep on one `FakeClock`: a sleep moves it (and the stand-in's
    clock, when they share it) instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))
        self.clock.advance(max(0.0, seconds))

    def now(self) -> dt.datetime:
        return self.clock.now()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def fake_time(clock: FakeClock) -> FakeTime:
    return FakeTime(clock)


@pytest.fixture
def make_client(fake_time: FakeTime) -> Callable[..., RndClient]:
    """`make_client(api_url, **options)`: an `RndClient` on the fake time, 3 retries, full
    backoff (random 1.0), the key `KEY`."""

    def make(api_url: str, **options: object) -> RndClient:
        policy = RetryPolicy(
            max_retries=3,
            backoff_base=0.5,
            backoff_cap=30,
            sleep=fake_time.sleep,
            random=lambda: 1.0,
        )
        options.setdefault("api_key", SecretStr(KEY))
        return RndClient(
            api_url,
            retry_policy=policy,
            monotonic=fake_time.monotonic,
            now=fake_time.now,
            **options,
        )

    return make


@pytest.fixture
def stand_in_app(clock: FakeClock):
    return create_app(SimulatorConfig(rnd_api_key=KEY, contact_lists={}), clock=clock)


@pytest.fixture
async def control(stand_in_app) -> AsyncIterator[httpx.AsyncClient]:
    """The stand-in's control API."""
    transport = asgi_transport(stand_in_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        yield http
