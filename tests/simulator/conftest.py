"""Fixtures: a fresh simulator per test, reached in-process through `asgi_transport`; the
same for the NICE CXone stand-in (`admin`, `issuer`, `api`, `acd`) on a fake clock."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest

from simulator import (
    AdminApps,
    AdminConfig,
    FakeClock,
    SimulatorConfig,
    asgi_transport,
    create_admin_apps,
    create_app,
)

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


# The NICE CXone stand-in (simulator.admin), in-process on a fake clock.

ADMIN_START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ISSUER = "http://issuer.test"
ACCESS_KEY_FORM = {
    "grant_type": "password",
    "username": "sim-access-key",
    "password": "sim-access-secret",
}
APP_AUTH = ("sim-app", "sim-app-secret")
PC = "Personal Connection"


class Acd:
    """Plain HTTP calls to the stand-in's ACD API: the versioned base path and the headers
    every call needs, plus the few set-up steps most tests repeat."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    @staticmethod
    def url(path: str, version: int = 33) -> str:
        return f"/inContactAPI/services/v{version}.0{path}"

    async def call(
        self, method: str, path: str, version: int = 33, **kwargs: object
    ) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.http.request(method, self.url(path, version), headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.call("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.call("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.call("DELETE", path, **kwargs)

    async def campaign(self, name: str = "Outbound") -> int:
        response = await self.post("/campaigns", json={"name": name, "isActive": True})
        assert response.status_code == 200, response.text
        return response.json()["id"]

    async def pc_skill(self, name: str = "Renewals PC", campaign_id: int | None = None) -> int:
        campaign_id = campaign_id or await self.campaign()
        item = {
            "skillName": name,
            "mediaTypeId": 4,
            "isOutbound": True,
            "outboundStrategy": PC,
            "campaignId": campaign_id,
        }
        response = await self.post("/skills", json={"skills": [item]})
        [result] = response.json()["skillsResults"]
        assert result["success"], result
        return result["skillId"]

    async def calling_list(self, name: str = "Renewals", **columns: str) -> int:
        query = {"listName": name, "externalIdColumn": "contact_id", **columns}
        body = {"destinationMappings": [{"fieldName": "PhoneNumber", "fieldValue": "phone"}]}
        response = await self.post("/lists/call-lists", params=query, json=body)
        assert response.status_code == 200, response.text
        return response.json()["listId"]

    async def upload(self, list_id: int, csv_text: str, **fields: object) -> httpx.Response:
        body = {
            "listFile": base64.b64encode(csv_text.encode()).decode(),
            "fileName": "contacts.csv",
            "forceOverwrite": True,
            "expirationDate": "2026-04-30",
            "startSkill": False,
            "sendEmail": False,
            **fields,
        }
        return await self.post(f"/lists/call-lists/{list_id}/upload", json=body)

    async def job(self, job_id: int) -> dict:
        response = await self.get(f"/lists/call-lists/jobs/{job_id}")
        assert response.status_code == 200, response.text
        [job] = response.json()["uploadJobs"]
        return job

    async def finish(self, job_id: int) -> dict:
        """Poll a job until it is complete or cancelled (a few polls on the default config)."""
        for _ in range(5):
            job = await self.job(job_id)
            if job["isComplete"] or job["isCancelled"]:
                return job
        raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture
def admin_clock() -> FakeClock:
    return FakeClock(ADMIN_START)


@pytest.fixture
def admin_config() -> AdminConfig:
    return AdminConfig()


@pytest.fixture
def admin(admin_config: AdminConfig, admin_clock: FakeClock) -> AdminApps:
    return create_admin_apps(admin_config, admin_clock)


@pytest.fixture
async def issuer(admin: AdminApps) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=asgi_transport(admin.issuer), base_url=ISSUER) as http:
        yield http


@pytest.fixture
async def api(admin: AdminApps) -> AsyncIterator[httpx.AsyncClient]:
    """The API app, reached at the URL tenant discovery answers."""
    transport = asgi_transport(admin.api)
    async with httpx.AsyncClient(transport=transport, base_url=admin.state.api_url) as http:
        yield http


@pytest.fixture
def access_token(issuer: httpx.AsyncClient) -> Callable:
    """`await access_token()`: a fresh token response from the password grant."""

    async def issue() -> dict:
        response = await issuer.post("/auth/token", data=ACCESS_KEY_FORM, auth=APP_AUTH)
        assert response.status_code == 200, response.text
        return response.json()

    return issue


@pytest.fixture
async def acd(api: httpx.AsyncClient, access_token: Callable) -> Acd:
    token = (await access_token())["access_token"]
    return Acd(api, {"Authorization": f"Bearer {token}", "Accept": "application/json"})


@pytest.fixture
def dial_until(acd: Acd, api: httpx.AsyncClient, access_token) -> Callable:
    """`await dial_until(skill_id, until, **rules)`: one dial-until run's answer. The clock moves
    past the token's life, so `acd` gets a fresh token after each run."""

    async def run(skill_id: int, until: datetime, **rules: object) -> dict:
        body = {"until": until.isoformat(), **rules}
        response = await api.post(f"/_sim/admin/skills/{skill_id}/dial-until", json=body)
        assert response.status_code == 200, response.text
        acd.headers["Authorization"] = f"Bearer {(await access_token())['access_token']}"
        return response.json()

    return run
