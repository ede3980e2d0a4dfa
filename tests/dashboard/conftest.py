"""Fixtures for the dashboard: signed deliveries, an in-process app, recorded events.

Apps are reached through httpx's ASGI transport and record events through the injectable
`emit`, so no events reach Prefect. Campaign ids are unique per test because the Prefect
harness (which holds FailoverPairs and failover records) is shared by the whole session.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from dashboard.app import create_app
from dashboard.settings import DashboardSettings

SECRET = "whsec_" + base64.b64encode(b"dashboard-tests-shared-secret-32b").decode()
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
    """An app under test, an HTTP client for it, and the events it emitted."""

    def __init__(self, http: httpx.AsyncClient, events: Recorder) -> None:
        self.http = http
        self.events = events

    async def deliver(self, message: dict | str, **signing: Any) -> httpx.Response:
        """POST a signed delivery of `message` (a dict is sent as JSON)."""
        body = message if isinstance(message, str) else json.dumps(message)
        return await self.http.post(
            "/webhooks/cxone", content=body, headers=sign_headers(body, **signing)
        )


@pytest.fixture
def campaign_id() -> Callable[[], str]:
    """`campaign_id()`: a campaign id no other test uses."""
    return lambda: f"cmp_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def make_dashboard(prefect_harness) -> AsyncIterator[Callable[..., DashboardClient]]:
    """`make_dashboard(emit=None, **settings)`: a new app (secret SECRET unless overridden)."""
    clients: list[httpx.AsyncClient] = []

    def make(emit: Callable[..., Any] | None = None, **settings: Any) -> DashboardClient:
        events = Recorder()
        app = create_app(
            DashboardSettings(**{"webhook_secret": SECRET, **settings}), emit=emit or events
        )
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://dash")
        clients.append(http)
        return DashboardClient(http, events)

    yield make
    for http in clients:
        await http.aclose()


@pytest.fixture
def dash(make_dashboard) -> DashboardClient:
    return make_dashboard()
