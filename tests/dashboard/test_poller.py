"""Polling NICE CXone (no metrics webhook): polled readings take the webhook's path."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from blocks import DialListSync, FailoverPair, load_credentials, pair_block_name, sync_state_name
from cxone import CampaignSpec

LOW = "cxone.campaign.success_rate.low"
UPDATED = "cxone.campaign.metrics.updated"


@pytest.fixture
def stand_in(nice_urls):
    """The stand-in's control API."""
    with httpx.Client(base_url=nice_urls.api, timeout=30) as control:
        yield control


async def new_skill(credentials: str) -> str:
    block = await load_credentials(credentials)
    spec = CampaignSpec(name=f"Poll {uuid.uuid4().hex[:8]}", contact_list_id="CL-1")
    async with block.get_client() as client:
        return (await client.create_campaign(spec, idempotency_key=str(uuid.uuid4()))).id


def activity(stand_in, skill_id: str, dials: int, connects: int) -> None:
    body = {"dials": dials, "connects": connects, "handled": connects}
    stand_in.post(f"/_sim/admin/skills/{skill_id}/activity", json=body).raise_for_status()


async def save_pair(primary: str, credentials: str, backup: str | None = None) -> None:
    await FailoverPair(
        primary_campaign_id=primary,
        backup_campaign_id=backup or f"{primary}9",
        credentials_block=credentials,
    ).asave(pair_block_name(primary), overwrite=True)


def about(events: list[dict], campaign_id: str) -> list[dict]:
    return [e for e in events if e["resource"]["cxone.campaign.id"] == campaign_id]


async def test_each_pair_on_a_platform_without_webhooks_is_polled_into_the_webhook_path(
    make_dashboard, nice_credentials, stand_in, credentials_block, sim, caplog
):
    low, healthy = await new_skill(nice_credentials), await new_skill(nice_credentials)
    activity(stand_in, low, dials=200, connects=10)
    activity(stand_in, healthy, dials=200, connects=90)
    pushed = f"cmp_pushed_{uuid.uuid4().hex[:8]}"  # the described API: metrics by webhook
    unknown_skill = str(9_000_000 + uuid.uuid4().int % 1_000_000)
    for primary, credentials in [
        (low, nice_credentials),
        (healthy, nice_credentials),
        (pushed, credentials_block),
        (unknown_skill, nice_credentials),  # the API answers 404: logged, the others go on
    ]:
        await save_pair(primary, credentials)
    dash = await make_dashboard()

    await dash.parts.poller.poll_once()
    await dash.parts.readings.settled()

    updated = dash.events.named(UPDATED)
    [low_update], [healthy_update] = about(updated, low), about(updated, healthy)
    assert (low_update["payload"]["success_rate"], low_update["payload"]["calls_attempted"]) == (
        0.05,
        200,
    )
    assert healthy_update["payload"]["success_rate"] == 0.45
    assert low_update["payload"]["source"] == "poll"
    assert low_update["payload"]["reading_id"].startswith(f"poll:{low}:")
    [low_event] = about(dash.events.named(LOW), low)  # other tests may leave NICE pairs
    assert {k: low_event["payload"][k] for k in FAILOVER_PARAMETERS} == {
        "primary_campaign_id": low,
        "backup_campaign_id": f"{low}9",
        "credentials_block": nice_credentials,
    }
    assert about(updated, pushed) == [] and about(updated, unknown_skill) == []
    assert not [r for r in sim.get("/_sim/requests").json()["requests"] if pushed in r["path"]]
    assert f"could not poll campaign {unknown_skill}: CXoneNotFound" in caplog.text
    # The primaries come from the bulk listing of every skill's summary; only the skill it
    # left out (the unknown one) is asked for alone.
    paths = [r["path"] for r in stand_in.get("/_sim/admin/requests").json()["requests"]]
    alone = {p.split("/")[-2] for p in paths if p.endswith("/summary") and "/skills/" in p}
    assert low not in alone and healthy not in alone and unknown_skill in alone
    rows = {
        row["campaign_id"]: row
        for row in (await dash.http.get("/api/campaigns")).json()["campaigns"]
    }
    assert rows[low]["success_rate"] == 0.05 and len(rows[low]["points"]) == 1


FAILOVER_PARAMETERS = ("primary_campaign_id", "backup_campaign_id", "credentials_block")


async def test_a_pair_the_round_finds_failed_over_raises_no_low_event(
    make_dashboard, nice_credentials, stand_in
):
    """Its primary stays low for the window after its failover: the round reads the
    statuses before the metrics, so not even the first round evaluates it again."""
    failed_over, collapsed = await new_skill(nice_credentials), await new_skill(nice_credentials)
    backups = {failed_over: await new_skill(nice_credentials)}
    backups[collapsed] = await new_skill(nice_credentials)
    block = await load_credentials(nice_credentials)
    async with block.get_client() as client:
        for paused, active in (
            (failed_over, backups[failed_over]),
            (backups[collapsed], collapsed),
        ):
            await client.pause_campaign(paused, idempotency_key=str(uuid.uuid4()))
            await client.resume_campaign(active, idempotency_key=str(uuid.uuid4()))
    for primary in (failed_over, collapsed):
        activity(stand_in, primary, dials=200, connects=10)
        await save_pair(primary, nice_credentials, backups[primary])
    dash = await make_dashboard(poll_seconds=3600)  # one round at start; this test's next
    await dash.parts.poller.poll_once()
    await dash.parts.readings.settled()
    assert about(dash.events.named(LOW), collapsed)  # still dialling: evaluate it
    assert about(dash.events.named(LOW), failed_over) == []
    [update, *_] = about(dash.events.named(UPDATED), failed_over)  # still stored and shown
    assert update["payload"]["success_rate"] == 0.05


async def test_a_pair_whose_credentials_are_missing_is_logged_and_skipped(
    make_dashboard, nice_credentials, stand_in, caplog
):
    orphan = str(8_000_000 + uuid.uuid4().int % 1_000_000)
    await save_pair(orphan, "cxone-access-key/no-such-block")
    skill = await new_skill(nice_credentials)
    activity(stand_in, skill, dials=100, connects=40)
    await save_pair(skill, nice_credentials)
    dash = await make_dashboard()
    await dash.parts.poller.poll_once()
    await dash.parts.readings.settled()
    assert f"could not poll campaign {orphan}: ClientUnavailable" in caplog.text
    assert "sim-access-secret" not in caplog.text and "sim-app-secret" not in caplog.text
    [update] = about(dash.events.named(UPDATED), skill)
    assert update["payload"]["success_rate"] == 0.4


async def test_the_lifespan_polls_every_interval(make_dashboard, nice_credentials, stand_in):
    skill = await new_skill(nice_credentials)
    activity(stand_in, skill, dials=300, connects=15)
    await save_pair(skill, nice_credentials)
    dash = await make_dashboard(poll_seconds=0.05)
    for _ in range(400):  # at most 20 s on a busy machine; normally a fraction of a second
        if len(about(dash.events.named(LOW), skill)) >= 2:
            break
        await asyncio.sleep(0.05)
    lows = about(dash.events.named(LOW), skill)
    assert len(lows) >= 2  # one round after another
    # A reading's id names its time (whole seconds): the same reading polled twice gives the
    # same event id, which Prefect drops as a duplicate; another reading, another id.
    assert len({e["id"] for e in lows}) == len({e["payload"]["reading_id"] for e in lows})


async def test_names_of_polled_campaigns_are_read_with_the_pairs_credentials(
    make_dashboard, nice_credentials, stand_in
):
    skill = await new_skill(nice_credentials)
    activity(stand_in, skill, dials=50, connects=20)
    await save_pair(skill, nice_credentials)
    dash = await make_dashboard()
    await dash.parts.poller.poll_once()
    for _ in range(200):
        names = (await dash.http.get("/api/campaigns")).json()["names"]
        if skill in names:
            break
        await asyncio.sleep(0.05)
    assert names[skill].startswith("Poll ")


async def test_a_polled_pair_shows_both_campaigns_and_their_statuses(
    make_dashboard, nice_credentials, stand_in
):
    """NICE sends no state changes and no backup readings: the poll reads both, so the page
    shows the primary's status and a row for the backup, as webhooks give on the other
    platform."""
    primary, backup = await new_skill(nice_credentials), await new_skill(nice_credentials)
    block = await load_credentials(nice_credentials)
    async with block.get_client() as client:
        await client.resume_campaign(primary, idempotency_key=str(uuid.uuid4()))
        await client.pause_campaign(backup, idempotency_key=str(uuid.uuid4()))
    activity(stand_in, primary, dials=100, connects=30)
    await save_pair(primary, nice_credentials, backup)
    dash = await make_dashboard()
    await dash.parts.poller.poll_once()
    await dash.parts.readings.settled()
    rows = {
        row["campaign_id"]: row
        for row in (await dash.http.get("/api/campaigns")).json()["campaigns"]
    }
    assert (rows[primary]["status"], rows[primary]["success_rate"]) == ("active", 0.3)
    assert rows[backup]["status"] == "paused"
    assert rows[backup]["calls_attempted"] == 0 and len(rows[backup]["points"]) == 1
    assert rows[backup]["pair"] is None  # a backup, not a monitored primary
    [backup_update] = about(dash.events.named(UPDATED), backup)
    assert backup_update["payload"]["source"] == "poll"
    assert about(dash.events.named(LOW), backup) == []


async def test_a_scrubbed_skill_is_named_with_its_lists_tenant(make_dashboard, nice_credentials):
    """No pair names the skill a DNC group scrubs: its name is read with the credentials of
    the list's tenant, not the dashboard's default block (here the described API's)."""
    skill = await new_skill(nice_credentials)
    list_id = str(uuid.uuid4().int % 10**9)
    await DialListSync(
        calling_list_id=list_id,
        calling_list="Scrubbed",
        tenant=nice_credentials,
        last_sync={"dialable": 1, "dnc_group": "DNC", "scrubbed_skill": skill},
    ).asave(sync_state_name(list_id, nice_credentials), overwrite=True)
    dash = await make_dashboard()
    for _ in range(200):  # names are read in the background
        names = (await dash.http.get("/api/campaigns")).json()["names"]
        if skill in names:
            break
        await asyncio.sleep(0.05)
    assert names[skill].startswith("Poll ")
