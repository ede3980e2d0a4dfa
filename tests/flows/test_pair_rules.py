"""Pairs that cannot work are refused where they are saved and where they run, and a backup
serves one failover at a time."""

from __future__ import annotations

import pytest
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from pydantic import ValidationError

from blocks import (
    FailoverPair,
    InvalidPair,
    _documents,
    _variables,
    operation,
    pair_block_name,
    read_claim,
)
from blocks.backup_claims import backup_claim_name
from cxone import CXoneAuthError
from flows._events import BACKUP_IN_USE
from flows.monitor import FleetIncomplete, monitor_campaigns, monitor_fleet, restore_primary

from .conftest import (
    add_fault,
    create_campaign,
    save_pair,
    set_metrics,
    statuses,
    transitions,
    until,
)


def test_a_pair_whose_primary_is_its_backup_cannot_be_saved():
    with pytest.raises(ValidationError, match="same campaign"):
        FailoverPair(primary_campaign_id="cmp_a", backup_campaign_id="cmp_a")


async def test_a_monitor_run_refuses_a_primary_that_is_its_own_backup(sim, credentials_block):
    primary = create_campaign(sim, "p", "active")
    set_metrics(sim, primary, 0.05, 200)
    sim.delete("/_sim/requests")
    with pytest.raises(InvalidPair, match="same campaign"):
        await monitor_campaigns(primary, primary, credentials_block=credentials_block)
    assert sim.get("/_sim/requests").json()["requests"] == []


async def test_the_fleet_reports_a_pair_saved_with_its_primary_as_backup(
    sim, credentials_block, empty_fleet
):
    primary = create_campaign(sim, "p", "active")
    set_metrics(sim, primary, 0.05, 200)
    # Saved as the UI would: the server checks the schema, not the block's validators.
    broken = FailoverPair.model_construct(
        primary_campaign_id=primary, backup_campaign_id=primary, credentials_block=credentials_block
    )
    await _documents.create(broken, "renewals-typo")
    with pytest.raises(FleetIncomplete, match=r"renewals-typo.*same campaign"):
        await monitor_fleet()
    assert transitions(sim) == []


async def claim_on(backup: str, primary: str, credentials_block: str):
    pair = FailoverPair(
        primary_campaign_id=primary, backup_campaign_id=backup, credentials_block=credentials_block
    )
    return await read_claim(pair)


async def backup_events(campaign_id: str) -> list:
    async with get_client() as client:
        events = await client.read_events(
            EventFilter(
                event=EventNameFilter(name=[BACKUP_IN_USE]),
                resource=EventResourceFilter(id=[f"cxone.campaign.{campaign_id}"]),
            ),
            limit=10,
        )
    return events.events


async def test_two_pairs_sharing_a_backup_take_turns_and_neither_strands_the_other(
    sim, credentials_block, empty_fleet
):
    first = create_campaign(sim, "first p", "active")
    second = create_campaign(sim, "second p", "active")
    backup = create_campaign(sim, "shared b", "paused")
    for primary in (first, second):
        set_metrics(sim, primary, 0.05, 200)
        await save_pair(primary, backup, credentials_block)

    with pytest.raises(FleetIncomplete, match="already serves the failover of") as refused:
        await monitor_fleet()
    # One pair failed over onto the backup; the other is refused loudly and keeps dialling.
    served = await claim_on(backup, first, credentials_block)
    winner = served.primary_campaign_id
    loser = second if winner == first else first
    assert transitions(sim) == [(winner, "paused"), (backup, "active")]
    assert statuses(sim)[loser] == "active"
    assert loser in str(refused.value)
    # The server stores events a moment after they are emitted (longer on a busy machine).
    await until(lambda: backup_events(loser), f"a backup-in-use event about {loser}", 30)

    # The winner is restored: the backup is paused and given back; the other pair fails
    # over onto it on the next run.
    await restore_primary(winner)
    assert await claim_on(backup, loser, credentials_block) is None
    rows = {row["primary_campaign_id"]: row for row in (await monitor_fleet())["pairs"]}
    assert rows[loser]["action"] == "failover"
    assert statuses(sim) == {winner: "active", loser: "paused", backup: "active"}


async def test_a_restore_leaves_dialling_a_backup_another_pair_is_failed_over_to(
    sim, credentials_block, empty_fleet
):
    first = create_campaign(sim, "first p", "active")
    second = create_campaign(sim, "second p", "active")
    backup = create_campaign(sim, "shared b", "paused")
    await save_pair(first, backup, credentials_block)
    await save_pair(second, backup, credentials_block)
    set_metrics(sim, first, 0.05, 200)
    assert (await monitor_campaigns(first, backup, credentials_block))["action"] == "failover"
    # A failover from before backups were claimed: the first pair holds no claim, and the
    # second pair fails over onto the backup that is already dialling.
    claim = await _variables.read(backup_claim_name(credentials_block, backup))
    assert claim is not None and claim.value["primary_campaign_id"] == first
    await _variables.delete(claim)
    set_metrics(sim, second, 0.05, 200)
    assert (await monitor_campaigns(second, backup, credentials_block))["action"] == "failover"

    restored = await restore_primary(first)
    assert restored["action"] == "restored"
    assert statuses(sim) == {first: "active", second: "paused", backup: "active"}
    assert (backup, "paused") not in transitions(sim)
    await FailoverPair.aload(pair_block_name(second))  # still configured, still served


async def test_a_failover_that_never_paused_gives_the_backup_back_once_healthy(
    sim, credentials_block, empty_fleet, clock
):
    first = create_campaign(sim, "first p", "active")
    second = create_campaign(sim, "second p", "active")
    backup = create_campaign(sim, "shared b", "paused")
    await save_pair(first, backup, credentials_block)
    await save_pair(second, backup, credentials_block)
    set_metrics(sim, first, 0.05, 200)
    add_fault(sim, kind="server_error", status=403, method="PUT", path=first)
    with pytest.raises(CXoneAuthError):
        await monitor_campaigns(first, backup, credentials_block)
    assert (await claim_on(backup, first, credentials_block)).primary_campaign_id == first
    # The first primary recovers before its failover is retried: the backup is free again.
    set_metrics(sim, first, 0.45, 300)
    clock.advance(operation.retry_delay(1).total_seconds())
    assert (await monitor_campaigns(first, backup, credentials_block))["action"] == "none"
    assert await claim_on(backup, first, credentials_block) is None
    set_metrics(sim, second, 0.05, 200)
    assert (await monitor_campaigns(second, backup, credentials_block))["action"] == "failover"
