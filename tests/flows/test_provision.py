"""provision_campaign end to end against the simulator under the Prefect test harness."""

import asyncio
import functools

import pytest
from pydantic import ValidationError

import blocks.credentials
from cxone import CampaignSpecMismatch, CXoneConfig, CXoneServerError
from flows.provision import provision_campaign
from tasks.campaigns import ProvisionedCampaignGone


def requests_to(sim, method, fragment):
    return [
        r for r in sim.get("/_sim/requests").json()["requests"]
        if r["method"] == method and fragment in r["path"]
    ]  # fmt: skip


def campaigns(sim):
    return sim.get("/_sim/campaigns").json()["campaigns"]


@pytest.fixture
def name(request) -> str:
    """A campaign name of this test only: provisioning records outlive the simulator's reset."""
    return f"Renewals {request.node.name}"


async def test_creates_once_and_rerun_creates_nothing(sim, credentials_block, name):
    first = await provision_campaign(name, "CL-1", credentials_block=credentials_block)
    assert first["status"] == "active" and first["name"] == name
    again = await provision_campaign(name, "CL-1", credentials_block=credentials_block)
    assert again["id"] == first["id"]
    assert [c["id"] for c in campaigns(sim)] == [first["id"]]
    assert len(requests_to(sim, "POST", "/campaigns")) == 1


async def test_racing_runs_create_one_campaign(sim, credentials_block, name):
    runs = [provision_campaign(name, "CL-1", credentials_block=credentials_block) for _ in range(4)]
    results = await asyncio.gather(*runs)
    assert len({campaign["id"] for campaign in results}) == 1
    assert len(campaigns(sim)) == 1


async def test_a_deleted_campaign_is_not_recreated_behind_the_operators_back(
    sim, credentials_block, name
):
    await provision_campaign(name, "CL-1", credentials_block=credentials_block)
    sim.post("/_sim/reset").raise_for_status()  # the platform lost (or someone deleted) it
    with pytest.raises(ProvisionedCampaignGone, match="prefect block delete"):
        await provision_campaign(name, "CL-1", credentials_block=credentials_block)
    assert campaigns(sim) == []


async def test_paused_backup_does_not_dial(sim, credentials_block, name):
    backup = await provision_campaign(
        name, "CL-1", credentials_block=credentials_block, initial_status="paused"
    )
    assert backup["status"] == "paused"
    assert campaigns(sim)[0]["status"] == "paused"


async def test_same_name_other_spec_is_reported_field_by_field(sim, credentials_block, name):
    await provision_campaign(name, "CL-1", credentials_block=credentials_block)
    with pytest.raises(CampaignSpecMismatch) as caught:
        await provision_campaign(
            name, "CL-1", credentials_block=credentials_block, timezone="America/Chicago"
        )
    message = str(caught.value)
    assert "complianceConfig.timeZone: campaign has 'America/New_York'" in message
    assert "'America/Chicago'" in message
    assert len(campaigns(sim)) == 1


async def test_invalid_spec_reports_every_violation_before_any_request(sim, credentials_block):
    settings = {  # as the Prefect UI sends it
        "predictive": {"answer_ratio": 1.5, "call_rate": 0.0, "abandonment_threshold": 0.05},
        "dialing_rules": {"start_time": "07:00:00"},
    }
    with pytest.raises(ValidationError) as caught:
        await provision_campaign(
            "Bad", "CL-1", credentials_block=credentials_block, timezone="Mars/Olympus",
            settings=settings,
        )  # fmt: skip
    text = str(caught.value)
    assert caught.value.error_count() == 5
    for field in (
        "answer_ratio",
        "call_rate",
        "abandonment_threshold",
        "dialing_rules",
        "timezone",
    ):
        assert field in text
    assert sim.get("/_sim/requests").json()["requests"] == []


async def test_create_dropped_after_commit_leaves_one_campaign(sim, credentials_block, name):
    sim.post(
        "/_sim/faults", json={"kind": "drop_after_commit", "method": "POST", "path": "/campaigns"}
    ).raise_for_status()
    campaign = await provision_campaign(name, "CL-1", credentials_block=credentials_block)
    assert [c["id"] for c in campaigns(sim)] == [campaign["id"]]


async def test_create_lost_after_every_retry_is_adopted_by_the_next_run(
    sim, credentials_block, monkeypatch, name
):
    # More drops than the client retries: the run fails, and the next run takes over the
    # failed record and finds the committed campaign by name instead of creating another.
    quick = functools.partial(CXoneConfig, backoff_base_seconds=0.01)
    monkeypatch.setattr(blocks.credentials, "CXoneConfig", quick)
    retries = CXoneConfig.model_fields["max_retries"].default
    sim.post(
        "/_sim/faults",
        json={
            "kind": "drop_after_commit",
            "method": "POST",
            "path": "/campaigns",
            "count": retries + 1,
        },
    ).raise_for_status()
    with pytest.raises(CXoneServerError, match="lost its connection"):
        await provision_campaign(name, "CL-1", credentials_block=credentials_block)
    campaign = await provision_campaign(name, "CL-1", credentials_block=credentials_block)
    assert [c["id"] for c in campaigns(sim)] == [campaign["id"]]
    assert len([r for r in requests_to(sim, "POST", "/campaigns") if r["status"] != 201]) == (
        retries + 1
    )
