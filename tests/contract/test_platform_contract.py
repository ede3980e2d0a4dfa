"""The same scenarios through the public flows, on both platforms (see conftest)."""

from __future__ import annotations

import asyncio
import uuid

from flows.monitor import monitor_campaigns
from flows.provision import provision_campaign


async def test_a_create_whose_answer_is_lost_completes_in_the_same_run_once(platform):
    # The platform creates the campaign and the connection drops before its answer arrives:
    # the same run finds it (by idempotency key, or by the key in a NICE skill's notes).
    name = f"Once {uuid.uuid4().hex[:8]}"
    platform.fault(kind="drop_after_commit", **platform.create_request())
    first = await provision_campaign(name, "CL-1", credentials_block=platform.credentials_block)
    assert platform.campaign_count(name) == 1
    assert platform.statuses()[first["id"]] == "active"
    second = await provision_campaign(name, "CL-1", credentials_block=platform.credentials_block)
    assert second["id"] == first["id"] and platform.campaign_count(name) == 1


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
