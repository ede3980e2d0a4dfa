"""The monitor's tasks on their own (`.fn()`), against a platform mocked with respx: what each
sends, what it reads back, and what it returns."""

from __future__ import annotations

import uuid

import httpx
import pytest
import respx
from prefect.logging import disable_run_logger

from blocks import CXoneCredentials
from cxone import CampaignMetrics
from failover import AbandonmentReading
from tasks.errors import StatusNotConfirmed
from tasks.failover import (
    ReadFailure,
    pause_campaign,
    read_abandonment,
    read_fleet_metrics,
    read_metrics,
    resume_campaign,
)

BASE = "https://tenant.cxone.test"
CAMPAIGNS = f"{BASE}/api/v2/omnichannel/campaigns"


@pytest.fixture
def credentials() -> CXoneCredentials:
    # A tenant of its own per test: clients of one tenant share tokens and rate limits.
    return CXoneCredentials(
        client_id=f"client-{uuid.uuid4().hex[:8]}",
        client_secret="secret",
        base_url=BASE,
        requests_per_minute=6000,
    )


@pytest.fixture
def platform():
    with respx.mock(assert_all_called=False) as mock, disable_run_logger():
        mock.post(f"{BASE}/api/v2/oauth/token").respond(
            json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600}
        )
        yield mock


def metrics(rate: float, calls: int, **more) -> dict:
    return {"successRate": rate, "callsAttempted": calls, "activeCalls": 0, **more}


async def test_read_metrics_asks_for_the_window_and_returns_the_typed_reading(
    platform, credentials
):
    route = platform.get(f"{CAMPAIGNS}/cmp_a/metrics").respond(json=metrics(0.05, 200))
    reading = await read_metrics.fn(credentials, "cmp_a", 7)
    assert isinstance(reading, CampaignMetrics)
    assert (reading.success_rate, reading.calls_attempted) == (0.05, 200)
    assert route.calls.last.request.url.params["windowMinutes"] == "7"


async def test_a_window_without_a_whole_minute_reads_nothing(platform, credentials):
    route = platform.get(f"{CAMPAIGNS}/cmp_a/metrics").respond(json=metrics(0.03, 400))
    reading = await read_metrics.fn(credentials, "cmp_a", 0)
    assert reading.calls_attempted == 0 and not route.called


async def test_the_fleet_read_reports_a_campaign_it_could_not_read_beside_the_others(
    platform, credentials
):
    platform.get(f"{CAMPAIGNS}/cmp_a/metrics").respond(json=metrics(0.4, 120))
    platform.get(f"{CAMPAIGNS}/cmp_gone/metrics").respond(404, json={"message": "no campaign"})
    readings = await read_fleet_metrics.fn(credentials, {"cmp_a": 30, "cmp_gone": 30}, 4)
    assert readings["cmp_a"].calls_attempted == 120
    failure = readings["cmp_gone"]
    assert isinstance(failure, ReadFailure) and "CXoneNotFound" in failure.error


async def test_the_abandonment_is_read_over_thirty_days(platform, credentials):
    route = platform.get(f"{CAMPAIGNS}/cmp_a/metrics").respond(
        json=metrics(0.4, 1000, callsConnected=100, callsAbandoned=10)
    )
    assert await read_abandonment.fn(credentials, "cmp_a") == AbandonmentReading(10, 100)
    assert route.calls.last.request.url.params["windowMinutes"] == str(30 * 24 * 60)


def campaign(status: str) -> dict:
    return {"id": "cmp_a", "name": "Renewals", "status": status}


async def test_a_pause_is_sent_with_the_key_and_counts_once_read_back(platform, credentials):
    platform.get(f"{CAMPAIGNS}/cmp_a").mock(
        side_effect=[
            httpx.Response(200, json=campaign("active")),
            httpx.Response(200, json=campaign("paused")),
        ]
    )
    change = platform.put(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("paused"))
    answer = await pause_campaign.fn(credentials, "cmp_a", "key-1")
    assert answer["status"] == "paused" and answer["id"] == "cmp_a"
    assert change.calls.last.request.headers["X-Idempotency-Key"] == "key-1"


async def test_a_campaign_already_there_is_not_changed_again(platform, credentials):
    platform.get(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("active"))
    change = platform.put(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("active"))
    assert (await resume_campaign.fn(credentials, "cmp_a", "key-2"))["status"] == "active"
    assert not change.called


async def test_a_change_the_read_back_does_not_show_fails(platform, credentials):
    platform.get(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("active"))
    platform.put(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("paused"))
    with pytest.raises(StatusNotConfirmed, match="'active', not 'paused'"):
        await pause_campaign.fn(credentials, "cmp_a", "key-3")
