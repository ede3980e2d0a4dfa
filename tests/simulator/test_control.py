"""The /_sim/ control API, configured rate limiting and latency."""

from __future__ import annotations

import time

import httpx

from simulator import FakeClock, SimulatorConfig, asgi_transport, create_app

CAMPAIGNS = "/api/v2/omnichannel/campaigns"
CONTACTS = "/api/v2/omnichannel/contactlists/{}/contacts"
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": "sim-client",
    "client_secret": "sim-secret",
}


async def test_config_is_shown_without_secrets_and_patchable(client: httpx.AsyncClient) -> None:
    shown = (await client.get("/_sim/config")).json()
    assert shown["client_id"] == "sim-client"
    assert "client_secret" not in shown and "webhook_secret" not in shown
    assert "sim-secret" not in str(shown) and "whsec_" not in str(shown)
    patch = {
        "rate_limit_per_second": 50,
        "retry_after_header": False,
        "latency_ms": 5,
        "token_ttl_seconds": 60,
        "max_page_size": 20,
        "webhook_retry_delays": [0.1],
    }
    patched = (await client.patch("/_sim/config", json=patch)).json()
    assert {k: patched[k] for k in patch} == patch
    assert (await client.get("/_sim/config")).json() == patched
    off = (await client.patch("/_sim/config", json={"rate_limit_per_second": None})).json()
    assert off["rate_limit_per_second"] is None


async def test_bad_config_patches_are_400(client: httpx.AsyncClient) -> None:
    for body in ({"latency_ms": -1}, {"seed": 3}, {"max_page_size": 0}):
        response = await client.patch("/_sim/config", json=body)
        assert response.status_code == 400, body
        assert response.json()["message"]


async def test_reset_wipes_state_but_keeps_config(
    client: httpx.AsyncClient, headers: dict, campaign_payload
) -> None:
    await client.patch("/_sim/config", json={"max_page_size": 7})
    keyed = {**headers, "X-Idempotency-Key": "before-reset"}
    await client.post(CAMPAIGNS, json=campaign_payload(), headers=keyed)
    webhook = {
        "name": "d",
        "callbackUrl": "http://127.0.0.1:9/h",
        "events": ["omnichannel.campaign.metrics.update"],
    }
    registered = await client.post("/api/v2/omnichannel/webhooks", json=webhook, headers=headers)
    assert registered.status_code == 201
    await client.post("/_sim/faults", json={"kind": "slow", "count": 5})
    await client.post("/_sim/contactlists", json={"list_id": "CL-EXTRA", "count": 3})
    await client.delete("/_sim/contactlists/CL-DEMO/contacts/c0000001")

    assert (await client.post("/_sim/reset")).status_code == 200

    assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 401  # tokens gone
    form = {**TOKEN_FORM, "scope": ""}
    token = (await client.post("/api/v2/oauth/token", data=form)).json()["access_token"]
    fresh = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/_sim/campaigns")).json() == {"campaigns": []}
    assert (await client.get("/_sim/faults")).json() == {"faults": []}
    assert (await client.get("/_sim/webhook-deliveries")).json() == {"deliveries": []}
    again = await client.post(
        CAMPAIGNS, json=campaign_payload(), headers={**fresh, "X-Idempotency-Key": "before-reset"}
    )
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    await client.put(f"/_sim/campaigns/{again.json()['id']}/metrics", json={"activeCalls": 1})
    assert (await client.get("/_sim/webhook-deliveries")).json() == {"deliveries": []}
    demo = (await client.get(CONTACTS.format("CL-DEMO"), headers=fresh)).json()
    assert demo["totalCount"] == 500 and demo["contacts"][0]["id"] == "c0000001"
    assert demo["pageSize"] == 7  # config survived
    assert (await client.get(CONTACTS.format("CL-EXTRA"), headers=fresh)).status_code == 404
    log = (await client.get("/_sim/requests")).json()["requests"]
    assert [r["path"] for r in log] == [
        CAMPAIGNS,
        "/api/v2/oauth/token",
        CAMPAIGNS,
        CONTACTS.format("CL-DEMO"),
        CONTACTS.format("CL-EXTRA"),
    ]


async def test_request_log_records_every_api_request(
    client: httpx.AsyncClient, headers: dict
) -> None:
    await client.get(CONTACTS.format("CL-DEMO"), params={"page": 2}, headers=headers)
    await client.get("/_sim/config")
    entries = (await client.get("/_sim/requests")).json()["requests"]
    assert [e["path"] for e in entries] == ["/api/v2/oauth/token", CONTACTS.format("CL-DEMO")]
    last = entries[-1]
    assert last["method"] == "GET" and last["query"] == "page=2" and last["status"] == 200
    assert last["idempotency_key"] is None and last["at"].endswith("Z")
    assert (await client.delete("/_sim/requests")).status_code == 204
    assert (await client.get("/_sim/requests")).json() == {"requests": []}


async def test_token_bucket_limits_all_api_requests() -> None:
    clock = FakeClock()
    app = create_app(SimulatorConfig(rate_limit_per_second=2, rate_limit_burst=2), clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as client:
        token = (await client.post("/api/v2/oauth/token", data=TOKEN_FORM)).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200
        limited = await client.get(CAMPAIGNS, headers=headers)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"  # 0.5 s rounded up
        assert limited.json()["message"]
        assert (await client.post("/api/v2/oauth/token", data=TOKEN_FORM)).status_code == 429
        assert (await client.get("/_sim/config")).status_code == 200  # control API is exempt
        clock.advance(0.55)
        assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200

        await client.patch("/_sim/config", json={"retry_after_header": False})
        statuses = [(await client.get(CAMPAIGNS, headers=headers)) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]  # patch refilled the bucket
        assert "Retry-After" not in statuses[-1].headers


async def test_burst_defaults_to_the_rate_and_latency_is_added(client: httpx.AsyncClient) -> None:
    await client.patch("/_sim/config", json={"rate_limit_per_second": 3})
    statuses = [(await client.post("/api/v2/oauth/token", data=TOKEN_FORM)).status_code]
    statuses += [(await client.post("/api/v2/oauth/token", data=TOKEN_FORM)).status_code]
    statuses += [(await client.post("/api/v2/oauth/token", data=TOKEN_FORM)).status_code]
    statuses += [(await client.post("/api/v2/oauth/token", data=TOKEN_FORM)).status_code]
    assert statuses == [200, 200, 200, 429]

    await client.patch("/_sim/config", json={"rate_limit_per_second": None, "latency_ms": 150})
    started = time.perf_counter()
    await client.post("/api/v2/oauth/token", data=TOKEN_FORM)
    assert time.perf_counter() - started >= 0.15
    started = time.perf_counter()
    await client.get("/_sim/config")
    assert time.perf_counter() - started < 0.15


async def test_unknown_routes_answer_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
