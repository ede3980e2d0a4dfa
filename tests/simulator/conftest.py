"""Fixtures: a fresh simulator per test, reached in-process through `asgi_transport`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from simulator import SimulatorConfig, asgi_transport, create_app

SECRET = "whsec_dGVzdC1zZWNyZXQtZm9yLXNpbXVsYXRvci10ZXN0cw=="


def _campaign_payload(**overrides: object) -> dict:
    payload = {
        "name": "Spring Renewals",
        "description": "renewal reminders",
        "status": "active",
        "dialerConfig": {
            "type": "predictive",
            "predictiveSettings": {
                "answerRatio": 0.85,
                "maxCallsInFlight": 50,
                "callRate": 12.0,
                "abandonmentThreshold": 0.03,
            },
        },
        "complianceConfig": {
            "timeZone": "America/New_York",
            "dialingRules": {
                "startTime": "08:00:00",
                "endTime": "21:00:00",
                "allowedDays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            },
            "rateLimits": {
                "maxCallsPerContactPerDay": 1,
                "maxCallsPerContactPerWeek": 3,
                "maxCallsPerDay": 5000,
            },
        },
        "contactListId": "CL-DEMO",
        "queueId": "default_outbound_queue",
        "failoverConfig": {
            "enabled": True,
            "thresholdType": "success_rate",
            "thresholdValue": 0.15,
            "evaluationWindowMinutes": 30,
        },
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def campaign_payload() -> Callable[..., dict]:
    """`campaign_payload(**overrides)`: the tutorial's payload, valid for the CL-DEMO list."""
    return _campaign_payload


@pytest.fixture
def config() -> SimulatorConfig:
    return SimulatorConfig(webhook_secret=SECRET, webhook_retry_delays=[0.05, 0.05, 0.05])


@pytest.fixture
def app(config: SimulatorConfig):
    return create_app(config)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as http:
        yield http
    await app.state.sim.webhooks.aclose()  # no delivery task outlives its test


@pytest.fixture
def get_headers(client: httpx.AsyncClient) -> Callable:
    """`await get_headers(scope)`: an Authorization header for a fresh token."""

    async def issue(scope: str = "") -> dict[str, str]:
        form = {
            "grant_type": "client_credentials",
            "client_id": "sim-client",
            "client_secret": "sim-secret",
            "scope": scope,
        }
        response = await client.post("/api/v2/oauth/token", data=form)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return issue


@pytest.fixture
async def headers(get_headers: Callable) -> dict[str, str]:
    return await get_headers()
