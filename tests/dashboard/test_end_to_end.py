"""The simulator delivers real signed webhooks to a dashboard served on a real socket."""

from __future__ import annotations

import asyncio

import httpx
from prefect.settings import get_current_settings

from blocks import CXoneCredentials, FailoverPair, pair_block_name
from cxone import CampaignPayload, WebhookRegistration
from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from simulator import METRICS_UPDATE, STATE_CHANGE, SimulatorConfig, serve_in_thread

from .conftest import AUTHORIZED, TOKEN, Recorder

LOW = "cxone.campaign.success_rate.low"


async def eventually(check, seconds: float = 15.0):
    """The first truthy result of `check()`, polled until `seconds` have passed."""
    for _ in range(int(seconds / 0.05)):
        if result := check():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the webhook deliveries")


def delivered(sim, count: int) -> list[dict] | None:
    """The simulator's deliveries once `count` of them have been delivered."""
    deliveries = sim.get("/_sim/webhook-deliveries").json()["deliveries"]
    return deliveries if sum(d["delivered"] for d in deliveries) >= count else None


async def test_simulator_webhook_reaches_the_dashboard_and_raises_the_low_event(
    sim, credentials_block, monkeypatch
):
    # The dashboard's server thread does not see the harness' settings context, only the
    # environment, so point it at the same Prefect API.
    monkeypatch.setenv("PREFECT_API_URL", get_current_settings().api.url)
    events = Recorder()
    # The session simulator signs with its default secret; share it.
    settings = DashboardSettings(
        webhook_secret=SimulatorConfig().webhook_secret, poll_seconds=0, token=TOKEN
    )
    block = await CXoneCredentials.aload(credentials_block)
    async with block.get_client() as client:
        campaign = await client.create_campaign(
            CampaignPayload(name="End to end", contact_list_id="CL-1")
        )
        await FailoverPair(
            primary_campaign_id=campaign.id,
            backup_campaign_id="cmp_backup",
            credentials_block=credentials_block,
        ).asave(pair_block_name(campaign.id), overwrite=True)
        with serve_in_thread(create_app(settings, emit=events)) as dash_url:
            await client.register_webhook(
                WebhookRegistration(
                    name="dashboard",
                    callback_url=f"{dash_url}/webhooks/cxone",
                    events=[METRICS_UPDATE, STATE_CHANGE],
                )
            )
            metrics = {"successRate": 0.05, "callsAttempted": 400, "callsConnected": 20}
            sim.put(f"/_sim/campaigns/{campaign.id}/metrics", json=metrics).raise_for_status()
            await eventually(lambda: events.named(LOW))
            await client.set_campaign_status(campaign.id, "paused")
            deliveries = await eventually(lambda: delivered(sim, 2))
            async with httpx.AsyncClient(base_url=dash_url, headers=AUTHORIZED) as http:
                health = await http.get("/dashboard/health", params={"campaign_id": campaign.id})

    [updated] = events.named("cxone.campaign.metrics.updated")
    assert updated["resource"]["cxone.campaign.id"] == campaign.id
    assert updated["payload"]["success_rate"] == 0.05
    [low] = events.named(LOW)
    assert low["payload"]["primary_campaign_id"] == campaign.id
    assert low["payload"]["backup_campaign_id"] == "cmp_backup"
    assert low["payload"]["calls_attempted"] == 400
    assert low["payload"]["reading_id"] == updated["payload"]["reading_id"]
    assert [(d["type"], d["delivered"], d["attempts"]) for d in deliveries] == [
        (METRICS_UPDATE, True, 1),
        (STATE_CHANGE, True, 1),
    ]
    assert deliveries[0]["message_id"] == updated["payload"]["reading_id"]
    body = health.json()
    assert (body["status"], body["success_rate"], body["active_calls"]) == ("paused", 0.05, 0)
