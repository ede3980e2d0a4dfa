"""The client against the simulator: the happy path, server-side rules, and every fault."""

import asyncio

import httpx
import pytest

from cxone import (
    CampaignPayload,
    CXoneAuthError,
    CXoneClient,
    CXoneConfig,
    CXoneNotFound,
    CXoneValidationError,
    WebhookRegistration,
)
from simulator import asgi_transport, create_app, serve_in_thread

from .conftest import add_fault, api_requests

CONSENTED = "consentFlags.outbound.call==true"


async def export_ids(client, list_id="CL-1", query=CONSENTED, **kwargs) -> list[str]:
    ids = []
    async for page in client.iter_contacts(list_id, query=query, **kwargs):
        ids.extend(c.id for c in page)
    return ids


async def all_campaigns(control) -> list[dict]:
    return (await control.get("/_sim/campaigns")).json()["campaigns"]


async def test_campaign_lifecycle(client):
    payload = CampaignPayload(name="Renewals", contact_list_id="CL-1", status="paused")
    created = await client.create_campaign(payload)
    assert created.status == "paused"
    assert (await client.get_campaign(created.id)).name == "Renewals"
    assert [c.id for c in await client.find_campaigns_by_name("Renewals")] == [created.id]
    assert (await client.set_campaign_status(created.id, "active")).status == "active"
    # The second identical change is a 409 on the wire and "already applied" here.
    assert (await client.set_campaign_status(created.id, "active")).status == "active"
    [listed] = (await client.bulk_campaigns([created.id, "cmp_missing"])).values()
    assert (listed.id, listed.name, listed.status) == (created.id, "Renewals", "active")
    metrics = await client.get_metrics(created.id, window_minutes=30)
    assert metrics.calls_attempted == 0
    hook = await client.register_webhook(
        WebhookRegistration(
            name="metrics",
            callback_url="http://127.0.0.1:9/webhooks/cxone",
            events=["omnichannel.campaign.metrics.update"],
        )
    )
    assert hook.id
    with pytest.raises(CXoneNotFound):
        await client.get_campaign("cmp_missing")


async def test_server_rejects_a_payload_the_client_did_not_check(client):
    with pytest.raises(CXoneValidationError) as caught:
        await client.create_campaign(CampaignPayload(name="x", contact_list_id="CL-NOPE"))
    assert "CL-NOPE" in caught.value.server_message


async def test_reusing_a_key_for_another_body_is_refused(client):
    await client.create_campaign(
        CampaignPayload(name="a", contact_list_id="CL-1"), idempotency_key="k"
    )
    with pytest.raises(CXoneValidationError) as caught:
        await client.create_campaign(
            CampaignPayload(name="b", contact_list_id="CL-1"), idempotency_key="k"
        )
    assert caught.value.status_code == 422


async def test_wrong_secret_is_an_auth_error_without_the_secret(sim_app, fast_retries):
    config = CXoneConfig(
        base_url="http://127.0.0.1:8765", client_id="sim-client", client_secret="guess-123"
    )
    async with CXoneClient(
        config, transport=asgi_transport(sim_app), retry_policy=fast_retries
    ) as client:
        with pytest.raises(CXoneAuthError) as caught:
            await client.get_campaign("x")
    assert "401" in str(caught.value) and "guess-123" not in str(caught.value)


async def test_missing_scope_is_named(sim_app, client_config, fast_retries):
    narrow = client_config.model_copy(update={"scopes": "omnichannel:campaigns:read"})
    async with CXoneClient(
        narrow, transport=asgi_transport(sim_app), retry_policy=fast_retries
    ) as client:
        with pytest.raises(CXoneAuthError) as caught:
            await client.get_metrics("cmp_x")
    assert caught.value.status_code == 403
    assert caught.value.missing_scope == "analytics:read"


async def test_expired_tokens_are_refreshed_and_the_request_replayed(client, control):
    campaign = await client.create_campaign(CampaignPayload(name="n", contact_list_id="CL-1"))
    await add_fault(control, kind="expire_tokens")
    assert (await client.get_campaign(campaign.id)).id == campaign.id
    assert len(await api_requests(control, "POST", "/oauth/token")) == 2


async def test_short_lived_tokens_are_refreshed_before_they_expire(
    sim_app, control, client_config, fast_retries
):
    await control.patch("/_sim/config", json={"token_ttl_seconds": 1})
    async with CXoneClient(
        client_config, transport=asgi_transport(sim_app), retry_policy=fast_retries
    ) as client:
        await client.list_campaigns()
        await asyncio.sleep(0.6)  # past half the lifetime: the client refreshes first
        await client.list_campaigns()
    statuses = [r["status"] for r in await api_requests(control)]
    assert 401 not in statuses
    assert len(await api_requests(control, "POST", "/oauth/token")) == 2


async def test_create_dropped_after_commit_leaves_one_campaign(client, control):
    await add_fault(control, kind="drop_after_commit", method="POST", path="/campaigns")
    created = await client.create_campaign(CampaignPayload(name="once", contact_list_id="CL-1"))
    campaigns = await all_campaigns(control)
    assert [c["id"] for c in campaigns] == [created.id]
    posts = await api_requests(control, "POST", "/campaigns")
    assert [p["status"] for p in posts] == ["dropped", 201]
    assert posts[0]["idempotency_key"] == posts[1]["idempotency_key"]


async def test_status_change_dropped_after_commit_is_applied_once(client, control):
    campaign = await client.create_campaign(CampaignPayload(name="n", contact_list_id="CL-1"))
    await add_fault(control, kind="drop_after_commit", method="PUT")
    assert (await client.set_campaign_status(campaign.id, "paused")).status == "paused"
    puts = await api_requests(control, "PUT")
    # The replay answers with the first response (200), not a 409 from a second attempt.
    assert [p["status"] for p in puts] == ["dropped", 200]


async def test_5xx_burst_during_export_loses_nothing(client, control):
    expected = await export_ids(client)
    await add_fault(control, kind="server_error", count=4, path="/contacts", status=503)
    assert await export_ids(client) == expected


async def test_connection_drops_during_export_lose_nothing(client, control):
    expected = await export_ids(client)
    await add_fault(control, kind="drop", count=3, path="/contacts")
    assert await export_ids(client) == expected


@pytest.mark.parametrize("retry_after", [None, 0])
async def test_429_storm_during_export_loses_nothing(client, control, retry_after):
    expected = await export_ids(client)
    await add_fault(control, kind="rate_limit", count=5, path="/contacts", retry_after=retry_after)
    assert await export_ids(client) == expected


async def test_contacts_inserted_during_the_export_are_included_once(client, control):
    before = await export_ids(client, query="true")
    inserted = {
        "id": "c0000000",  # sorts before every seeded id: shifts all later pages
        "phoneNumber": "+12127365000",
        "consentFlags": {"outbound": {"call": True, "revokedAt": None}},
    }
    ids = []
    async for page in client.iter_contacts("CL-1", query="true", concurrency=1):
        if not ids:
            response = await control.post(
                "/_sim/contactlists/CL-1/contacts", json={"contacts": [inserted]}
            )
            assert response.status_code < 300, response.text
        ids.extend(c.id for c in page)
    assert sorted(ids) == sorted([*before, "c0000000"])
    assert len(ids) == len(set(ids))


@pytest.fixture
def served_sim(sim_config):
    with serve_in_thread(create_app(sim_config)) as base_url:
        yield base_url


async def test_over_a_socket_drop_after_commit_and_timeouts(served_sim, fast_retries):
    config = CXoneConfig(
        base_url=served_sim, client_id="sim-client", client_secret="sim-secret", timeout_seconds=0.5
    )
    async with (
        CXoneClient(config, retry_policy=fast_retries) as client,
        httpx.AsyncClient(base_url=served_sim) as control,
    ):
        await add_fault(control, kind="drop_after_commit", method="POST", path="/campaigns")
        created = await client.create_campaign(CampaignPayload(name="net", contact_list_id="CL-1"))
        assert [c["id"] for c in await all_campaigns(control)] == [created.id]

        await add_fault(control, kind="slow", delay_ms=2_000, method="GET", path="/campaigns")
        assert (await client.get_campaign(created.id)).id == created.id
        gets = await api_requests(control, "GET", f"/campaigns/{created.id}")
        assert len(gets) == 2  # the first timed out on the client and was retried
