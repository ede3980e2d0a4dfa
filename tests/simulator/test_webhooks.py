"""Webhook registration and signed, retried deliveries to a receiver on a real socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook, WebhookVerificationError

from simulator import DEV_WEBHOOK_SECRET, SimulatorConfig, serve_in_thread

WEBHOOKS = "/api/v2/omnichannel/webhooks"
CAMPAIGNS = "/api/v2/omnichannel/campaigns"
BOTH = ["omnichannel.campaign.metrics.update", "omnichannel.campaign.state.change"]


class Receiver:
    """A callback endpoint that records deliveries and fails the first `failures` of them."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], str]] = []
        self.failures = 0
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.calls.append((dict(request.headers), (await request.body()).decode()))
            if self.failures:
                self.failures -= 1
                return Response(status_code=500)
            return Response(status_code=204)


@pytest.fixture(scope="module")
def receiver_url() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with serve_in_thread(receiver.app) as url:
        yield receiver, f"{url}/hook"


@pytest.fixture
def receiver(receiver_url: tuple[Receiver, str]) -> Receiver:
    receiver_url[0].calls.clear()
    receiver_url[0].failures = 0
    return receiver_url[0]


async def wait_for_deliveries(client: httpx.AsyncClient, count: int, done) -> list[dict]:
    for _ in range(200):
        deliveries = (await client.get("/_sim/webhook-deliveries")).json()["deliveries"]
        if len(deliveries) >= count and all(done(d) for d in deliveries):
            return deliveries
        await asyncio.sleep(0.02)
    raise AssertionError(f"deliveries did not finish: {deliveries}")


async def register(client: httpx.AsyncClient, auth: dict, url: str, **extra) -> dict:
    body = {"name": "dash", "callbackUrl": url, "events": BOTH, "enabled": True, **extra}
    response = await client.post(WEBHOOKS, json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


async def test_registration_answer(client: httpx.AsyncClient, headers: dict) -> None:
    webhook = await register(
        client, headers, "https://dash.example/hook", headers={"X-Env": "test"}
    )
    assert webhook["id"].startswith("wh_")
    assert {k: webhook[k] for k in ("name", "callbackUrl", "events", "enabled", "headers")} == {
        "name": "dash",
        "callbackUrl": "https://dash.example/hook",
        "events": BOTH,
        "enabled": True,
        "headers": {"X-Env": "test"},
    }
    assert webhook["createdAt"].endswith("Z")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"callbackUrl": "ftp://x/hook"}, "callbackUrl"),
        ({"callbackUrl": "not a url"}, "callbackUrl"),
        ({"events": ["omnichannel.campaign.deleted"]}, "omnichannel.campaign.deleted"),
        ({"events": []}, "events"),
        ({"name": ""}, "name"),
        ({"headers": {"X-N": 1}}, "headers"),
    ],
)
async def test_invalid_registrations_are_400(
    client: httpx.AsyncClient, headers: dict, change: dict, expected: str
) -> None:
    body = {"name": "d", "callbackUrl": "http://localhost/h", "events": BOTH, **change}
    response = await client.post(WEBHOOKS, json=body, headers=headers)
    assert response.status_code == 400
    assert expected in response.json()["message"]


async def test_webhooks_need_their_scope(client: httpx.AsyncClient, get_headers) -> None:
    headers = await get_headers("omnichannel:campaigns:write")
    body = {"name": "d", "callbackUrl": "http://localhost/h", "events": BOTH}
    response = await client.post(WEBHOOKS, json=body, headers=headers)
    assert response.status_code == 403
    assert "omnichannel:webhooks:write" in response.json()["message"]


async def test_metrics_and_state_changes_are_delivered_signed(
    client: httpx.AsyncClient,
    headers: dict,
    receiver: Receiver,
    receiver_url: tuple[Receiver, str],
    config: SimulatorConfig,
    campaign_payload,
) -> None:
    await register(client, headers, receiver_url[1], headers={"X-Tenant": "acme"})
    await register(client, headers, receiver_url[1], events=BOTH[:1], enabled=False)
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).json()
    metrics = {
        "successRate": 0.12,
        "callsAttempted": 100,
        "callsConnected": 12,
        "callsAbandoned": 1,
        "activeCalls": 4,
    }
    await client.put(f"/_sim/campaigns/{campaign['id']}/metrics", json=metrics)
    await client.put(f"{CAMPAIGNS}/{campaign['id']}", json={"status": "paused"}, headers=headers)
    # An unchanged status (409) is no state change.
    await client.put(f"{CAMPAIGNS}/{campaign['id']}", json={"status": "paused"}, headers=headers)

    deliveries = await wait_for_deliveries(client, 2, lambda d: d["delivered"])
    assert len(deliveries) == 2  # the disabled registration got nothing
    assert [d["attempts"] for d in deliveries] == [1, 1]
    assert {d["last_status"] for d in deliveries} == {204}
    bodies = []
    for sent_headers, body in receiver.calls:
        assert sent_headers["x-tenant"] == "acme"
        assert sent_headers["webhook-id"].startswith("msg_")
        assert sent_headers["webhook-signature"].startswith("v1,")
        Webhook(config.webhook_secret).verify(body, sent_headers)  # raises if forged
        bodies.append(json.loads(body))
    by_type = {b["type"]: b for b in bodies}
    assert by_type["omnichannel.campaign.metrics.update"]["data"] == {
        "campaignId": campaign["id"],
        **metrics,
    }
    assert by_type["omnichannel.campaign.metrics.update"]["timestamp"].endswith("Z")
    assert by_type["omnichannel.campaign.state.change"]["data"] == {
        "campaignId": campaign["id"],
        "status": "paused",
    }
    with pytest.raises(WebhookVerificationError):  # another secret does not verify
        Webhook(DEV_WEBHOOK_SECRET).verify(receiver.calls[0][1], receiver.calls[0][0])


async def test_failed_deliveries_are_retried_with_the_same_message_id(
    client: httpx.AsyncClient,
    headers: dict,
    receiver: Receiver,
    receiver_url: tuple[Receiver, str],
    config: SimulatorConfig,
    campaign_payload,
) -> None:
    receiver.failures = 2
    await register(client, headers, receiver_url[1], events=BOTH[:1])
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).json()
    await client.put(f"/_sim/campaigns/{campaign['id']}/metrics", json={"callsAttempted": 3})
    [delivery] = await wait_for_deliveries(client, 1, lambda d: d["delivered"])
    assert delivery["attempts"] == 3 and delivery["last_status"] == 204
    assert len(receiver.calls) == 3
    assert {h["webhook-id"] for h, _ in receiver.calls} == {delivery["message_id"]}
    for sent_headers, body in receiver.calls:
        Webhook(config.webhook_secret).verify(body, sent_headers)


async def test_delivery_gives_up_after_the_configured_attempts(
    client: httpx.AsyncClient, headers: dict, receiver: Receiver, campaign_payload
) -> None:
    await client.patch("/_sim/config", json={"webhook_retry_delays": [0.01]})
    # Nothing listens on port 9 of localhost: every attempt is a transport error.
    await register(client, headers, "http://127.0.0.1:9/hook", events=BOTH[:1])
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).json()
    await client.put(f"/_sim/campaigns/{campaign['id']}/metrics", json={"activeCalls": 1})
    # Finished: the simulator gave up, and the count of attempts is final.
    [delivery] = await wait_for_deliveries(client, 1, lambda d: d["finished"])
    assert delivery["attempts"] == 2
    assert delivery["delivered"] is False
    assert delivery["last_status"] is None and delivery["last_error"]


async def test_deliveries_share_one_tls_context(
    client: httpx.AsyncClient,
    headers: dict,
    receiver: Receiver,
    receiver_url: tuple[Receiver, str],
    campaign_payload,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building a TLS context loads the CA bundle (~20 ms of CPU on the event loop): built
    per delivery, a storm's deliveries went out one after another."""
    from simulator import webhooks

    built: list[object] = []
    create = httpx.create_ssl_context
    monkeypatch.setattr(webhooks.httpx, "create_ssl_context", lambda: built.append(1) or create())
    webhooks._tls_context.cache_clear()
    await register(client, headers, receiver_url[1], events=BOTH[:1])
    campaign = (await client.post(CAMPAIGNS, json=campaign_payload(), headers=headers)).json()
    metrics = f"/_sim/campaigns/{campaign['id']}/metrics"
    for calls in range(1, 6):
        await client.put(metrics, json={"callsAttempted": calls})
    deliveries = await wait_for_deliveries(client, 5, lambda d: d["delivered"])
    assert len(deliveries) == 5 and len(receiver.calls) == 5
    assert len(built) == 1
    webhooks._tls_context.cache_clear()  # the next test's context is an unpatched one
