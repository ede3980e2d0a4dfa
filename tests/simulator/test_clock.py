"""The described API on an injected clock: expiry, refills and timestamps move only with it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from simulator import FakeClock, SimulatorConfig, asgi_transport, create_app

CAMPAIGNS = "/api/v2/omnichannel/campaigns"
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": "sim-client",
    "client_secret": "sim-secret",
}
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def _token(client: httpx.AsyncClient) -> dict[str, str]:
    token = (await client.post("/api/v2/oauth/token", data=TOKEN_FORM)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def test_tokens_expire_when_the_clock_passes_their_ttl(clock: FakeClock) -> None:
    app = create_app(SimulatorConfig(token_ttl_seconds=60), clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as client:
        headers = await _token(client)
        clock.advance(59.9)
        assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200
        clock.advance(0.1)
        expired = await client.get(CAMPAIGNS, headers=headers)
        assert expired.status_code == 401 and "expired" in expired.json()["message"]


async def test_the_rate_limit_refills_with_the_clock(clock: FakeClock) -> None:
    app = create_app(SimulatorConfig(rate_limit_per_second=1, rate_limit_burst=1), clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as client:
        headers = await _token(client)
        assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 429
        clock.advance(1)
        assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200


async def test_timestamps_and_the_clock_endpoints_follow_the_fake_clock(
    clock: FakeClock, campaign_payload
) -> None:
    app = create_app(clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as client:
        assert (await client.get("/_sim/clock")).json() == {
            "now": "2026-03-02T15:00:00.000Z",
            "adjustable": True,
        }
        moved = await client.post("/_sim/clock/advance", json={"seconds": 30})
        assert moved.json()["now"] == "2026-03-02T15:00:30.000Z"
        created = await client.post(
            CAMPAIGNS, json=campaign_payload(), headers=await _token(client)
        )
        assert created.json()["createdAt"] == "2026-03-02T15:00:30.000Z"
        log = (await client.get("/_sim/requests")).json()["requests"]
        assert {entry["at"] for entry in log} == {"2026-03-02T15:00:30.000Z"}
        backwards = await client.post("/_sim/clock/advance", json={"seconds": -1})
        assert backwards.status_code == 400


async def test_the_system_clock_cannot_be_advanced(client: httpx.AsyncClient) -> None:
    shown = (await client.get("/_sim/clock")).json()
    assert shown["adjustable"] is False
    assert datetime.fromisoformat(shown["now"]) <= datetime.now(UTC)
    refused = await client.post("/_sim/clock/advance", json={"seconds": 5})
    assert refused.status_code == 409
    assert "FakeClock" in refused.json()["message"]


def test_a_fake_clock_needs_an_aware_start_and_only_moves_forward() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2026, 1, 1))
    clock = FakeClock(START)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    assert clock.now() == START
