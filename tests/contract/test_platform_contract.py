"""The same scenarios through the public flows, on both platforms (see conftest)."""

from __future__ import annotations

import asyncio
import uuid

from cxone import CXoneServerError
from flows.monitor import monitor_campaigns
from flows.provision import provision_campaign


async def test_provision_twice_after_a_dropped_create_makes_one_campaign(platform):
    name = f"Once {uuid.uuid4().hex[:8]}"
    platform.fault(kind="drop_after_commit", **platform.create_request())
    try:
        first = await provision_campaign(name, "CL-1", credentials_block=platform.credentials_block)
    except CXoneServerError:  # without idempotency keys the lost answer fails this run
        first = None
    second = await provision_campaign(name, "CL-1", credentials_block=platform.credentials_block)
    assert platform.campaign_count(name) == 1
    assert first is None or first["id"] == second["id"]
    assert platform.statuses()[second["id"]] == "active"


async def test_eight_concurrent_runs_and_a_dropped_resume_fail_over_once(platform):
    primary, backup = await platform.pair()
    platform.set_rate(primary, 0.05, 200)
    platform.fault(kind="drop_after_commit", **platform.resume_request(backup))
    runs = [
        monitor_campaigns(primary, backup, credentials_block=platform.credentials_block)
        for _ in range(8)
    ]
    results = await asyncio.gather(*runs)
    assert sorted(r["action"] for r in results) == ["already_failed_over"] * 7 + ["failover"]
    assert platform.changes(primary, backup) == [(primary, "paused"), (backup, "active")]
    assert {primary: "paused", backup: "active"}.items() <= platform.statuses().items()


async def test_a_rerun_after_the_failover_is_already_failed_over(platform):
    primary, backup = await platform.pair()
    platform.set_rate(primary, 0.05, 200)
    credentials = platform.credentials_block
    assert (await monitor_campaigns(primary, backup, credentials_block=credentials))["action"] == (
        "failover"
    )
    again = await monitor_campaigns(primary, backup, credentials_block=credentials)
    assert again["action"] == "already_failed_over"
    assert len(platform.changes(primary, backup)) == 2


async def test_a_healthy_campaign_is_left_alone(platform):
    primary, backup = await platform.pair()
    platform.set_rate(primary, 0.42, 300)
    result = await monitor_campaigns(primary, backup, credentials_block=platform.credentials_block)
    assert result["action"] == "none"
    assert result["calls"] == 300
    assert platform.changes(primary, backup) == []
