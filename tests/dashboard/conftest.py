"""Fixtures for the dashboard: signed deliveries, an in-process app, recorded events.

Apps run their lifespan (so their background work starts and stops with the test), are
reached through httpx's ASGI transport and record events through the injectable `emit`, so
no events reach Prefect. Campaign ids are unique per test because the Prefect harness (which
holds FailoverPairs and failover records) is shared by the whole session.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from dashboard.app import Dashboard, create_app
from dashboard.settings import DashboardSettings
from dashboard.store import utc_now
from deployments.local_stack import stand_in_access_key
from simulator import AdminUrls

SECRET = "whsec_" + base64.b64encode(b"dashboard-tests-shared-secret-32b").decode()
TOKEN = "dashboard-tests-token-0123456789"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
# Pairs listed often, so a reading waiting for a fresh listing waits a moment, not seconds;
# the failover history read afresh each time; no polling unless a test asks for it; the token
# given directly (no Secret block), and sent by every test client unless a test says not.
TEST_SETTINGS = {
    "webhook_secret": SECRET,
    "token": TOKEN,
    "pair_cache_seconds": 0.1,
    "history_cache_seconds": 0,
    "poll_seconds": 0,
}
METRICS = "omnichannel.campaign.metrics.update"
STATE = "omnichannel.campaign.state.change"


class Recorder:
    """Stands in for `prefect.events.emit_event` and keeps every call's keywords."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def named(self, event: str) -> list[dict[str, Any]]:
        return [call for call in self.calls if call["event"] == event]


def sign_headers(
    body: str, *, msg_id: str | None = None, at: dt.datetime | None = None, secret: str = SECRET
) -> dict[str, str]:
    """Standard Webhooks headers for `body`, signed at `at` (default now)."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or dt.datetime.now(dt.UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
        "content-type": "application/json",
    }


def metrics_message(campaign_id: str, *, at: dt.datetime | None = None, **fields: Any) -> dict:
    """A metrics update body; `fields` override the camelCase data fields."""
    at = at or dt.datetime.now(dt.UTC)
    data = {
        "campaignId": campaign_id,
        "successRate": 0.42,
        "callsAttempted": 120,
        "callsConnected": 50,
        "activeCalls": 7,
        **fields,
    }
    return {"type": METRICS, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}


def state_message(campaign_id: str, status: str) -> dict:
    return {"type": STATE, "data": {"campaignId": campaign_id, "status": status}}


class DashboardClient:
    """A running app under test, an HTTP client for it, and the events it emitted."""

    def __init__(self, app: FastAPI, http: httpx.AsyncClient, events: Recorder) -> None:
        self.app = app
        self.http = http
        self.events = events

    @property
    def parts(self) -> Dashboard:
        return self.app.state.dashboard

    async def deliver(self, message: dict | str, **signing: Any) -> httpx.Response:
        """POST a signed delivery of `message` (a dict is sent as JSON), then wait until the
        app has emitted its events."""
        body = message if isinstance(message, str) else json.dumps(message)
        response = await self.http.post(
            "/webhooks/cxone", content=body, headers=sign_headers(body, **signing)
        )
        await self.parts.readings.settled()
        return response


class Seconds:
    """Monotonic seconds that move only when a test sets `now`."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeClock:
    """UTC now that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def campaign_id() -> Callable[[], str]:
    """`campaign_id()`: a campaign id no other test uses."""
    return lambda: f"cmp_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def make_dashboard(
    prefect_harness,
) -> AsyncIterator[Callable[..., Awaitable[DashboardClient]]]:
    """`await make_dashboard(emit=None, clock=utc_now, **settings)`: a new running app
    (TEST_SETTINGS unless overridden), stopped after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(
            emit: Callable[..., Any] | None = None,
            clock: Callable[[], dt.datetime] = utc_now,
            **settings: Any,
        ) -> DashboardClient:
            events = Recorder()
            app = create_app(
                DashboardSettings(**{**TEST_SETTINGS, **settings}), emit=emit or events, clock=clock
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app), base_url="http://dash", headers=AUTHORIZED
                )
            )
            return DashboardClient(app, http, events)

        yield make


@pytest.fixture
async def dash(make_dashboard) -> DashboardClient:
    return await make_dashboard()


@pytest.fixture(scope="session")
def nice_urls(admin_urls: AdminUrls) -> AdminUrls:
    """The session's one NICE CXone stand-in. A second one would hand out the same skill ids
    again, and pairs saved here for them would meet other tests' skills on the session's
    Prefect server (a pair for 4100005 with another backup)."""
    return admin_urls


@pytest.fixture
async def nice_credentials(prefect_harness, nice_urls) -> str:
    """A saved CXoneAccessKey block for the stand-in; returns its reference."""
    await stand_in_access_key(nice_urls.issuer, 6000).asave("nice-dashboard", overwrite=True)
    return "cxone-access-key/nice-dashboard"
