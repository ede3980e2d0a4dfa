"""The monitor's tasks on their own (`.fn()`), against a platform mocked with respx: what each
sends, what it reads back, and what it returns."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
import respx
from prefect.logging import disable_run_logger

from blocks import CXoneCredentials
from cxone import Campaign, CampaignMetrics
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


async def test_a_pause_is_sent_with_the_key_and_confirmed_by_its_answer(platform, credentials):
    # The described API applies a change once per key and answers it with the campaign: one
    # request, no read before or after.
    read = platform.get(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("active"))
    change = platform.put(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("paused"))
    answer = await pause_campaign.fn(credentials, "cmp_a", "key-1")
    assert answer["status"] == "paused" and answer["id"] == "cmp_a"
    assert change.call_count == 1 and not read.called
    assert change.calls.last.request.headers["X-Idempotency-Key"] == "key-1"


async def test_a_campaign_already_there_is_refused_by_the_platform_and_read(platform, credentials):
    # A change to a campaign already in that status is answered 409 (nothing changes); the
    # campaign is then read to confirm it really is there.
    read = platform.get(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("active"))
    change = platform.put(f"{CAMPAIGNS}/cmp_a").respond(409, json={"message": "already active"})
    assert (await resume_campaign.fn(credentials, "cmp_a", "key-2"))["status"] == "active"
    assert change.call_count == 1 and read.call_count == 1


async def test_an_answer_without_the_new_status_is_read_back(platform, credentials):
    read = platform.get(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("paused"))
    platform.put(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("active"))
    assert (await pause_campaign.fn(credentials, "cmp_a", "key-3"))["status"] == "paused"
    assert read.call_count == 1


async def test_a_change_the_read_back_does_not_show_fails(platform, credentials):
    platform.get(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("active"))
    platform.put(f"{CAMPAIGNS}/cmp_a").respond(json=campaign("active"))
    with pytest.raises(StatusNotConfirmed, match="'active', not 'paused'"):
        await pause_campaign.fn(credentials, "cmp_a", "key-3")


class KeylessPlatform:
    """A platform whose changes carry no key and answer nothing (as NICE CXone's start and
    stop): it records what it is sent."""

    changes_by_key = False

    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses  # what each read answers, in turn
        self.sent: list[tuple[str, str]] = []

    async def get_campaign(self, campaign_id: str) -> Campaign:
        return Campaign(id=campaign_id, name="Renewals", status=self.statuses.pop(0))

    async def pause_campaign(self, campaign_id: str, *, idempotency_key: str) -> None:
        self.sent.append(("pause", campaign_id))

    async def resume_campaign(self, campaign_id: str, *, idempotency_key: str) -> None:
        self.sent.append(("resume", campaign_id))


class KeylessCredentials:
    def __init__(self, platform: KeylessPlatform) -> None:
        self.platform = platform

    @contextlib.asynccontextmanager
    async def get_client(self) -> AsyncIterator[KeylessPlatform]:
        yield self.platform


async def test_without_keys_the_campaign_is_read_before_and_after_the_change():
    keyless = KeylessPlatform(["active", "paused"])
    with disable_run_logger():
        answer = await pause_campaign.fn(KeylessCredentials(keyless), "9", "key-4")
    assert answer["status"] == "paused" and keyless.sent == [("pause", "9")]
    assert keyless.statuses == []  # both reads made


async def test_without_keys_nothing_is_sent_to_a_campaign_already_there():
    keyless = KeylessPlatform(["active"])
    with disable_run_logger():
        answer = await resume_campaign.fn(KeylessCredentials(keyless), "9", "key-5")
    assert answer["status"] == "active" and keyless.sent == []


async def test_without_keys_a_change_not_seen_after_it_fails():
    keyless = KeylessPlatform(["active", "active"])
    with disable_run_logger(), pytest.raises(StatusNotConfirmed):
        await pause_campaign.fn(KeylessCredentials(keyless), "9", "key-6")
    assert keyless.sent == [("pause", "9")]
