"""Campaign names beside ids in the fleet's table, and failover records saved under the name
records had before labels named the primary first (an upgrade must not fail over twice)."""

from __future__ import annotations

import datetime as dt
import json

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from blocks import (
    IdempotencyRecord,
    _documents,
    failover_identity,
    find_pair,
    load_state,
    operation,
    register_block_types,
)
from blocks.idempotency import legacy_record_name
from flows.monitor import monitor_campaigns, monitor_fleet, reset_failover, restore_primary

from .conftest import add_fault, create_campaign, save_pair, set_metrics, set_status, transitions


async def fleet_table(state) -> tuple[str, list[dict[str, str]]]:
    """The fleet run's table artifact: its description and rows."""
    async with get_client() as client:
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    [table] = [artifact for artifact in artifacts if artifact.key == "fleet"]
    rows = table.data if isinstance(table.data, list) else json.loads(table.data)
    return table.description or "", rows


async def test_the_fleet_table_names_campaigns_and_reads_failed_over_pairs(
    sim, credentials_block, empty_fleet, monkeypatch
):
    """Also: the run that fails pairs over writes no names (a write per pair, a hundred at
    2,000 pairs); the names its failovers learnt are in their records' answers, and the next
    run keeps them from there, without reading them from the platform."""
    from flows import _names

    primary = create_campaign(sim, "Renewals", "active")
    backup = create_campaign(sim, "Renewals backup", "paused")
    set_metrics(sim, primary, 0.04, 250)
    await save_pair(primary, backup, credentials_block)
    asked: list[str] = []

    async def read_names(credentials, campaign_ids, concurrency):
        asked.extend(campaign_ids)
        return {}

    monkeypatch.setattr(_names, "read_names", read_names)
    first = await monitor_fleet(return_state=True)
    description, [row] = await fleet_table(first)
    assert description.startswith("1 pair: ")  # not "1 pairs"
    assert row["primary"] == f"Renewals ({primary})"
    assert row["backup"] == f"Renewals backup ({backup})"
    assert row["action"] == "failover"
    assert row["reason"] == (
        f"failed over Renewals ({primary}) to Renewals backup ({backup}): "
        "success rate 4.0% below 15.0% over 250 calls"
    )
    assert (await find_pair(primary)).campaign_names == {}  # learnt, shown, but not written

    second = await monitor_fleet(return_state=True)
    _, [row] = await fleet_table(second)
    # Failed over earlier: the row still shows what was read, and says what happened.
    assert row["action"] == "already_failed_over"
    assert (row["success rate"], row["calls"]) == ("4.0%", "250")
    assert row["reason"].startswith("failed over earlier, at ") and row["reason"].endswith(" UTC")
    assert row["primary"] == f"Renewals ({primary})"
    assert len(transitions(sim)) == 2
    assert (await find_pair(primary)).campaign_names == {
        primary: "Renewals",
        backup: "Renewals backup",
    }  # kept by the second run, from the record
    assert asked == []  # not read


async def test_a_fleet_run_publishes_its_failovers_in_one_artifact(
    sim, credentials_block, empty_fleet
):
    pairs = []
    for name in ("Renewals", "Winback"):
        primary = create_campaign(sim, name, "active")
        backup = create_campaign(sim, f"{name} backup", "paused")
        set_metrics(sim, primary, 0.04, 250)
        await save_pair(primary, backup, credentials_block)
        pairs.append((name, primary, backup))

    state = await monitor_fleet(return_state=True)
    async with get_client() as client:
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    [report] = [artifact for artifact in artifacts if artifact.key == "failover"]
    assert report.description == "2 failovers in this fleet run"
    for name, primary, backup in pairs:
        heading = f"## Failover of {name} ({primary}) to {name} backup ({backup})"
        assert report.data.count(heading) == 1
    assert report.data.count("| pause | ") == 2 and report.data.count("| resume | ") == 2
    assert sorted(transitions(sim)) == sorted(
        [(primary, "paused") for _, primary, _ in pairs]
        + [(backup, "active") for _, _, backup in pairs]
    )


async def test_a_pair_whose_names_cannot_be_read_shows_its_ids(sim, credentials_block, empty_fleet):
    primary = create_campaign(sim, "Renewals", "active")
    backup = create_campaign(sim, "Renewals backup", "paused")
    set_metrics(sim, primary, 0.4, 250)
    await save_pair(primary, backup, credentials_block)
    # The platform does not answer for the backup: its id stands alone, nothing fails.
    add_fault(sim, kind="server_error", status=404, method="GET", path=f"campaigns/{backup}")
    result = await monitor_fleet()
    [row] = result["pairs"]
    assert (row["primary_name"], row["action"]) == ("Renewals", "none")
    assert "backup_name" not in row
    assert (await find_pair(primary)).campaign_names == {primary: "Renewals"}


async def legacy_failover(primary: str, status: str, **fields) -> IdempotencyRecord:
    """The episode's failover record as a release before this one saved it: under the name
    whose label began with the backup's id."""
    pair = await find_pair(primary)
    identity = failover_identity(pair, (await load_state(primary)).episode)
    legacy = legacy_record_name(identity.kind, identity.subject, identity.episode)
    assert identity.legacy_name == legacy != identity.name
    record = IdempotencyRecord(
        kind=identity.kind,
        subject=dict(identity.subject),
        episode=identity.episode,
        operation=f"fail over {primary} to {pair.backup_campaign_id}",
        status=status,
        steps=["pause", "resume"],
        keys={"pause": "legacy-pause-key", "resume": "legacy-resume-key"},
        **fields,
    )
    await _documents.create(record, legacy)
    return record


async def test_a_failover_applied_under_the_legacy_name_is_not_repeated(
    sim, pair, credentials_block, empty_fleet
):
    primary, backup = pair
    await register_block_types()
    await save_pair(primary, backup, credentials_block)
    now = dt.datetime.now(dt.UTC).isoformat()
    answers = {
        "pause": {"id": primary, "status": "paused", "confirmed_at": now},
        "resume": {"id": backup, "status": "active", "confirmed_at": now},
    }
    await legacy_failover(primary, "applied", answers=answers)
    # The primary collapsed again since: without the legacy record this would fail over.
    set_metrics(sim, primary, 0.02, 300)
    result = await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    assert result["action"] == "already_failed_over"
    assert transitions(sim) == []
    identity = failover_identity(await find_pair(primary), 1)
    assert result["record"] == identity.legacy_name
    assert await _documents.read(IdempotencyRecord, identity.name) is None  # no second claim
    # The fleet reads records in bulk: it finds the legacy one too.
    fleet = await monitor_fleet()
    [row] = [row for row in fleet["pairs"] if row["primary_campaign_id"] == primary]
    assert row["action"] == "already_failed_over" and transitions(sim) == []


async def test_a_failover_in_flight_under_the_legacy_name_is_finished_under_it(
    sim, pair, credentials_block, clock
):
    primary, backup = pair
    await register_block_types()
    await save_pair(primary, backup, credentials_block)
    # The release before paused the primary, then died holding the lease.
    set_status(sim, primary, "paused")
    pause = {"id": primary, "status": "paused", "confirmed_at": clock().isoformat()}
    await legacy_failover(
        primary,
        "pending",
        answers={"pause": pause},
        lease_expires_at=clock() + dt.timedelta(seconds=5),
    )
    sim.delete("/_sim/requests")
    clock.advance(6)
    result = await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    assert result["action"] == "failover" and "unfinished" in result["reason"]
    # The change goes out unread on this platform, so it may be the request that meets an
    # expired token (401, nothing applied) and is sent again after the refresh.
    requests = sim.get("/_sim/requests").json()["requests"]
    puts = [r for r in requests if r["method"] == "PUT" and r["status"] != 401]
    assert [(r["path"].rsplit("/", 1)[1], r["idempotency_key"]) for r in puts] == [
        (backup, "legacy-resume-key")
    ]
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]  # one each
    identity = failover_identity(await find_pair(primary), 1)
    finished = await operation.load(identity)
    assert finished is not None and finished.status == "applied"
    assert _documents.name_of(finished) == identity.legacy_name
    assert await _documents.read(IdempotencyRecord, identity.name) is None


async def test_restore_and_reset_runs_are_named_for_the_pair(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    restored = await restore_primary(primary, return_state=True)
    reset = await reset_failover(primary, return_state=True)
    async with get_client() as client:
        names = [
            (await client.read_flow_run(state.state_details.flow_run_id)).name
            for state in (restored, reset)
        ]
    assert names == [f"restore primary ({primary})", f"reset primary ({primary})"]
    assert restored.message.startswith(f"restored primary ({primary}); episode 2 open")
