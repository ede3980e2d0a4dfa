"""monitor_campaigns and reset_failover against the simulator under the Prefect harness."""

import asyncio

import pytest

from blocks import FailoverPair, IdempotencyRecord, pair_block_name, register_block_types
from cxone import CXoneAuthError
from flows.monitor import failover_record_name, monitor_campaigns, reset_failover

API = "/api/v2/omnichannel/campaigns"


def bearer(sim) -> dict:
    """An Authorization header for calling the simulator's API directly, as an operator would."""
    token = sim.post(
        "/api/v2/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sim-client",
            "client_secret": "sim-secret",
        },
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def create_campaign(sim, name, status):
    body = {"name": name, "status": status, "contactListId": "CL-1"}
    response = sim.post(API, json=body, headers=bearer(sim))
    response.raise_for_status()
    return response.json()["id"]


@pytest.fixture
def pair(sim, credentials_block):
    primary = create_campaign(sim, "primary", "active")
    backup = create_campaign(sim, "backup", "paused")
    sim.delete("/_sim/requests")
    return primary, backup


def set_metrics(sim, campaign_id, rate, calls):
    sim.put(
        f"/_sim/campaigns/{campaign_id}/metrics",
        json={"successRate": rate, "callsAttempted": calls, "callsConnected": int(rate * calls)},
    ).raise_for_status()


def status_changes(sim):
    return [
        (r["path"].rsplit("/", 1)[1], r["status"], r["idempotency_key"])
        for r in sim.get("/_sim/requests").json()["requests"]
        if r["method"] in ("PUT", "POST", "PATCH", "DELETE") and "/campaigns" in r["path"]
    ]


def statuses(sim):
    return {c["id"]: c["status"] for c in sim.get("/_sim/campaigns").json()["campaigns"]}


async def monitor(pair, credentials_block, **kwargs):
    primary, backup = pair
    return await monitor_campaigns(primary, backup, credentials_block=credentials_block, **kwargs)


async def test_healthy_campaign_needs_nothing(sim, pair, credentials_block):
    set_metrics(sim, pair[0], 0.42, 300)
    result = await monitor(pair, credentials_block)
    assert result["action"] == "none"
    assert status_changes(sim) == []


async def test_low_rate_with_few_calls_is_insufficient_data(sim, pair, credentials_block):
    set_metrics(sim, pair[0], 0.02, 49)
    result = await monitor(pair, credentials_block, min_calls=50)
    assert result["action"] == "insufficient_data"
    assert status_changes(sim) == []


async def test_low_rate_pauses_primary_then_resumes_backup_once(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover"
    changes = status_changes(sim)
    assert [(campaign, status) for campaign, status, _ in changes] == [
        (primary, 200),
        (backup, 200),
    ]
    assert statuses(sim) == {primary: "paused", backup: "active"}
    record = await IdempotencyRecord.aload(result["record"])
    assert record.status == "applied"
    assert [key for _, _, key in changes] == [record.keys["pause"], record.keys["resume"]]

    sim.delete("/_sim/requests")
    again = await monitor(pair, credentials_block)
    assert again["action"] == "already_failed_over"
    assert status_changes(sim) == []


async def test_resume_dropped_after_commit_still_resumes_once(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    sim.post(
        "/_sim/faults", json={"kind": "drop_after_commit", "method": "PUT", "path": backup}
    ).raise_for_status()
    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover"
    resumes = [c for c in status_changes(sim) if c[0] == backup]
    # The retry re-sends the same key and the server replays its first answer.
    assert [status for _, status, _ in resumes] == ["dropped", 200]
    assert len({key for _, _, key in resumes}) == 1
    assert statuses(sim) == {primary: "paused", backup: "active"}


async def test_refused_pause_leaves_the_backup_untouched(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    sim.post(
        "/_sim/faults",
        json={"kind": "server_error", "status": 403, "method": "PUT", "path": primary},
    ).raise_for_status()
    with pytest.raises(CXoneAuthError):
        await monitor(pair, credentials_block)
    assert [c[0] for c in status_changes(sim)] == [primary]
    assert statuses(sim) == {primary: "active", backup: "paused"}
    pair_block = await FailoverPair.aload(pair_block_name(primary))
    record = await IdempotencyRecord.aload(failover_record_name(pair_block))
    assert record.status == "failed" and "pause" in record.error

    # Once the platform accepts the pause again, the next run finishes with the same keys.
    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover"
    assert statuses(sim) == {primary: "paused", backup: "active"}


async def test_eight_concurrent_monitors_fail_over_exactly_once(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    await register_block_types()
    results = await asyncio.gather(*(monitor(pair, credentials_block) for _ in range(8)))
    assert sorted(r["action"] for r in results) == ["already_failed_over"] * 7 + ["failover"]
    assert [c[0] for c in status_changes(sim)] == [primary, backup]


async def test_a_run_that_died_between_steps_is_completed_without_repeating(
    sim, pair, credentials_block
):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    first = await monitor(pair, credentials_block)  # creates the pair block and does it all
    record = await IdempotencyRecord.aload(first["record"])
    # Rewind the record to "paused the primary, then died": resume not yet answered.
    await record.aupdate(status="pending", owner=None, answers={"pause": record.answers["pause"]})
    sim.put(f"/_sim/campaigns/{backup}/metrics", json={"successRate": 0.5}).raise_for_status()
    sim.delete("/_sim/requests")

    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover"
    assert "unfinished" in result["reason"]
    # Only the resume is sent again, with the record's key; the pause is not repeated.
    assert [(c[0], c[2]) for c in status_changes(sim)] == [(backup, record.keys["resume"])]


async def test_reset_opens_a_new_episode_that_can_fail_over_again(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    assert (await monitor(pair, credentials_block))["action"] == "failover"
    reset = await reset_failover(primary)
    assert reset["episode"] == 2
    # The operator restores the primary and parks the backup again.
    for campaign, status in ((primary, "active"), (backup, "paused")):
        sim.put(
            f"{API}/{campaign}", json={"status": status}, headers=bearer(sim)
        ).raise_for_status()
    result = await monitor(pair, credentials_block)
    assert result["action"] == "failover" and result["episode"] == 2
    assert statuses(sim) == {primary: "paused", backup: "active"}
