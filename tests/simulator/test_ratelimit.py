"""The simulator's window mode ("N requests a minute": at most N in any trailing 60 s) beside
its per-second token bucket, on a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from simulator import (
    AdminConfig,
    FakeClock,
    SimulatorConfig,
    asgi_transport,
    create_admin_apps,
    create_app,
)
from simulator.ratelimit import RateLimiter, SlidingWindow

from .conftest import ACCESS_KEY_FORM, APP_AUTH, ISSUER

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CAMPAIGNS = "/api/v2/omnichannel/campaigns"
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": "sim-client",
    "client_secret": "sim-secret",
}


@pytest.mark.parametrize(
    ("limit", "requests"),
    [
        # (seconds since start, wait answered: 0.0 admitted and counted)
        (3, [(0, 0.0), (0, 0.0), (0, 0.0), (0, 60.0), (59.5, 0.5), (60, 0.0), (60, 0.0)]),
        (2, [(0, 0.0), (10, 0.0), (30, 30.0), (59.9, 0.1), (60, 0.0), (65, 5.0), (70, 0.0)]),
        # Refused requests are not counted: the window frees up on the admitted ones' times.
        (1, [(0, 0.0), (1, 59.0), (2, 58.0), (60, 0.0), (119, 1.0), (120, 0.0)]),
        # A fractional limit admits its whole part (and never less than one).
        (2.7, [(0, 0.0), (0, 0.0), (0, 60.0)]),
        (1.5, [(0, 0.0), (30, 30.0)]),
    ],
)
def test_the_window_admits_at_most_the_limit_in_any_60_seconds(
    limit: float, requests: list[tuple[float, float]]
) -> None:
    window = SlidingWindow(limit)
    assert [(at, pytest.approx(window.wait(at))) for at, _ in requests] == requests


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # rate, burst, per_minute -> waits for five requests at the same instant
        ((None, None, None), [0.0] * 5),
        ((None, None, 4), [0.0, 0.0, 0.0, 0.0, 60.0]),
        ((1, 2, None), [0.0, 0.0, 1.0, 1.0, 1.0]),
        # Both: the bucket refuses the third; its refusal takes no place in the window.
        ((1, 2, 3), [0.0, 0.0, 1.0, 1.0, 1.0]),
        ((10, 10, 3), [0.0, 0.0, 0.0, 60.0, 60.0]),
    ],
)
def test_the_limiter_applies_the_bucket_and_the_window_together(
    settings: tuple[float | None, float | None, float | None], expected: list[float]
) -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(clock)
    assert [limiter.wait(*settings) for _ in expected] == pytest.approx(expected)


def test_a_refusal_by_the_bucket_leaves_room_in_the_window() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(clock)
    assert [limiter.wait(1, 1, 2) for _ in range(3)] == [0.0, 1.0, 1.0]
    clock.advance(1)
    assert limiter.wait(1, 1, 2) == 0.0  # the window counted two, not four
    clock.advance(1)
    assert limiter.wait(1, 1, 2) == pytest.approx(58.0)


async def test_the_described_api_refuses_over_the_window_with_retry_after() -> None:
    clock = FakeClock(START)
    app = create_app(SimulatorConfig(rate_limit_per_minute=3), clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as client:
        token = (await client.post("/api/v2/oauth/token", data=TOKEN_FORM)).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        clock.advance(10)
        statuses = [(await client.get(CAMPAIGNS, headers=headers)).status_code for _ in range(2)]
        assert statuses == [200, 200]  # a burst: the token and two reads in 10 s
        clock.advance(10)
        refused = await client.get(CAMPAIGNS, headers=headers)
        assert refused.status_code == 429 and refused.json()["message"]
        assert refused.headers["Retry-After"] == "40"  # the token's request leaves at 60 s
        clock.advance(39.5)
        assert (await client.get(CAMPAIGNS, headers=headers)).headers["Retry-After"] == "1"
        clock.advance(0.5)
        assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200
        assert (await client.get(CAMPAIGNS, headers=headers)).headers["Retry-After"] == "10"

        shown = (await client.get("/_sim/config")).json()
        assert shown["rate_limit_per_minute"] == 3 and shown["rate_limit_per_second"] is None
        off = await client.patch("/_sim/config", json={"rate_limit_per_minute": None})
        assert off.json()["rate_limit_per_minute"] is None
        assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200
        patched = await client.patch("/_sim/config", json={"rate_limit_per_minute": 1})
        assert patched.json()["rate_limit_per_minute"] == 1  # a new window: empty
        statuses = [(await client.get(CAMPAIGNS, headers=headers)).status_code for _ in range(2)]
        assert statuses == [200, 429]
        bad = await client.patch("/_sim/config", json={"rate_limit_per_minute": 0})
        assert bad.status_code == 400


async def test_the_stand_in_refuses_over_the_window_without_retry_after() -> None:
    clock = FakeClock(START)
    admin = create_admin_apps(AdminConfig(rate_limit_per_minute=2), clock)
    async with (
        httpx.AsyncClient(transport=asgi_transport(admin.issuer), base_url=ISSUER) as issuer,
        httpx.AsyncClient(transport=asgi_transport(admin.api), base_url=admin.state.api_url) as api,
    ):
        token = await issuer.post("/auth/token", data=ACCESS_KEY_FORM, auth=APP_AUTH)
        bearer = f"Bearer {token.json()['access_token']}"
        headers = {"Authorization": bearer, "Accept": "application/json"}
        skills = "/inContactAPI/services/v33.0/skills"
        statuses = [(await api.get(skills, headers=headers)) for _ in range(3)]
        assert [r.status_code for r in statuses] == [204, 204, 429]  # no skills yet: 204
        assert "Retry-After" not in statuses[-1].headers  # the platform sends no reliable one
        clock.advance(60)
        assert (await api.get(skills, headers=headers)).status_code == 204
        patched = await api.patch("/_sim/admin/config", json={"rate_limit_per_minute": 600})
        assert patched.json()["rate_limit_per_minute"] == 600
