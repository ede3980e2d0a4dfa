"""Injected faults, in-process (asgi_transport) and over a real socket (serve_in_thread)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from simulator import create_app, serve_in_thread

CAMPAIGNS = "/api/v2/omnichannel/campaigns"
CONTACTS = "/api/v2/omnichannel/contactlists/CL-DEMO/contacts"
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": "sim-client",
    "client_secret": "sim-secret",
}


async def until_transitions(client: httpx.AsyncClient) -> list[dict]:
    """The simulator's status changes, once there is one (an awaited condition)."""
    async with asyncio.timeout(10):
        while not (found := (await client.get("/_sim/transitions")).json()["transitions"]):
            await asyncio.sleep(0.005)
    return found


async def fault(client: httpx.AsyncClient, kind: str, **options: object) -> dict:
    response = await client.post("/_sim/faults", json={"kind": kind, **options})
    assert response.status_code == 201, response.text
    return response.json()


async def campaign_count(client: httpx.AsyncClient) -> int:
    return len((await client.get("/_sim/campaigns")).json()["campaigns"])


async def test_drop_after_commit_in_process(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    await fault(client, "drop_after_commit", method="POST", path="/campaigns")
    keyed = {**headers, "X-Idempotency-Key": "k-1"}
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(CAMPAIGNS, json=campaign_payload(), headers=keyed)
    [stored] = (await client.get("/_sim/campaigns")).json()["campaigns"]
    retry = await client.post(CAMPAIGNS, json=campaign_payload(), headers=keyed)
    assert retry.status_code == 201
    assert retry.json() == stored
    log = (await client.get("/_sim/requests")).json()["requests"]
    assert [(r["status"], r["idempotency_key"]) for r in log[-2:]] == [
        ("dropped", "k-1"),
        (201, "k-1"),
    ]


async def test_drop_commits_nothing(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    await fault(client, "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)
    assert await campaign_count(client) == 0
    assert (await client.get("/_sim/requests")).json()["requests"][-1]["status"] == "dropped"


async def test_server_error_answers_without_running_the_handler(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    await fault(client, "server_error")
    await fault(client, "server_error", status=500)
    first = await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)
    second = await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)
    assert (first.status_code, second.status_code) == (503, 500)
    assert first.json()["message"] and second.json()["message"]
    assert await campaign_count(client) == 0
    assert (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).is_success


async def test_rate_limit_fault_with_and_without_retry_after(
    client: httpx.AsyncClient, headers: dict
) -> None:
    await fault(client, "rate_limit", retry_after=7)
    await fault(client, "rate_limit")
    with_header = await client.get(CAMPAIGNS, headers=headers)
    without = await client.get(CAMPAIGNS, headers=headers)
    assert with_header.status_code == without.status_code == 429
    assert with_header.headers["Retry-After"] == "7"
    assert "Retry-After" not in without.headers
    assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200


async def test_slow_delays_the_response(client: httpx.AsyncClient, headers: dict) -> None:
    await fault(client, "slow", delay_ms=200)
    started = time.perf_counter()
    assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200
    assert time.perf_counter() - started >= 0.2


async def test_slow_after_commit_applies_before_it_answers(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).json()
    # Held far longer than the transition takes to show (an unloaded machine: milliseconds).
    await fault(client, "slow_after_commit", method="PUT", delay_ms=1500)
    pausing = asyncio.create_task(
        client.put(f"{CAMPAIGNS}/{campaign['id']}", json={"status": "paused"}, headers=headers)
    )
    # Applied while the answer is still held back.
    transitions = await until_transitions(client)
    assert not pausing.done()
    [transition] = transitions
    assert transition["status"] == "paused"
    assert (await pausing).json()["status"] == "paused"


async def test_expire_tokens_invalidates_every_issued_token(
    client: httpx.AsyncClient, get_headers
) -> None:
    old = [await get_headers(), await get_headers()]
    created = await fault(client, "expire_tokens")
    assert created["kind"] == "expire_tokens" and created["count"] == 0
    for headers in old:
        response = await client.get(CAMPAIGNS, headers=headers)
        assert response.status_code == 401
        assert "expired" in response.json()["message"]
    assert (await client.get(CAMPAIGNS, headers=await get_headers())).status_code == 200


async def test_filters_counts_and_creation_order(client: httpx.AsyncClient, headers: dict) -> None:
    contacts_fault = await fault(
        client, "server_error", status=500, method="get", path="/contactlists/", count=2
    )
    any_fault = await fault(client, "rate_limit", count=1)
    assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 429  # only B matches
    assert (await client.get(CONTACTS, headers=headers)).status_code == 500
    assert (await client.get(CONTACTS, headers=headers)).status_code == 500
    assert (await client.get(CONTACTS, headers=headers)).status_code == 200
    remaining = {f["id"]: f["count"] for f in (await client.get("/_sim/faults")).json()["faults"]}
    assert remaining == {contacts_fault["id"]: 0, any_fault["id"]: 0}


async def test_faults_spare_the_control_api_and_can_be_cleared(
    client: httpx.AsyncClient, headers: dict
) -> None:
    await fault(client, "server_error", count=3)
    assert (await client.get("/_sim/config")).status_code == 200
    assert (await client.get("/_sim/faults")).json()["faults"][0]["count"] == 3
    assert (await client.delete("/_sim/faults")).status_code == 204
    assert (await client.get("/_sim/faults")).json() == {"faults": []}
    assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200


async def test_unknown_fault_kind_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/_sim/faults", json={"kind": "meteor"})
    assert response.status_code == 400
    assert "kind" in response.json()["message"]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, object]]:
    app = create_app()
    with serve_in_thread(app) as url:
        yield url, app


@pytest.fixture
def live(server: tuple[str, object]) -> Iterator[tuple[httpx.Client, dict]]:
    url, _ = server
    with httpx.Client(base_url=url, timeout=5) as client:
        client.post("/_sim/reset")
        token = client.post("/api/v2/oauth/token", data=TOKEN_FORM).json()["access_token"]
        yield client, {"Authorization": f"Bearer {token}"}


def test_drop_after_commit_over_a_socket(live, campaign_payload) -> None:
    client, headers = live
    client.post("/_sim/faults", json={"kind": "drop_after_commit", "method": "POST"})
    keyed = {**headers, "X-Idempotency-Key": "socket-1"}
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(CAMPAIGNS, json=campaign_payload(), headers=keyed)
    [stored] = client.get("/_sim/campaigns").json()["campaigns"]
    retry = client.post(CAMPAIGNS, json=campaign_payload(), headers=keyed)
    assert retry.status_code == 201
    assert retry.json()["id"] == stored["id"]
    assert len(client.get("/_sim/campaigns").json()["campaigns"]) == 1

    # A dropped status change is applied; its retry replays the 200 rather than a 409.
    client.post("/_sim/faults", json={"kind": "drop_after_commit", "method": "PUT"})
    pause = {**headers, "X-Idempotency-Key": "socket-2"}
    url = f"{CAMPAIGNS}/{stored['id']}"
    with pytest.raises(httpx.RemoteProtocolError):
        client.put(url, json={"status": "paused"}, headers=pause)
    assert client.get(url, headers=headers).json()["status"] == "paused"
    again = client.put(url, json={"status": "paused"}, headers=pause)
    assert again.status_code == 200 and again.json()["status"] == "paused"


def test_drop_and_slow_over_a_socket(live, campaign_payload) -> None:
    client, headers = live
    client.post("/_sim/faults", json={"kind": "drop"})
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)
    assert client.get("/_sim/campaigns").json()["campaigns"] == []
    client.post("/_sim/faults", json={"kind": "slow", "delay_ms": 600})
    with pytest.raises(httpx.ReadTimeout):
        client.get(CAMPAIGNS, headers=headers, timeout=0.2)
    assert client.get(CAMPAIGNS, headers=headers).status_code == 200
