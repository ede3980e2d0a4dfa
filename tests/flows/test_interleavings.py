"""Runs stopped between their read and their write while another run lands: each ends with
the state a person would expect.

Each scenario holds one run at a pause point (`blocks.pause_points`) and waits until it is
there, runs the other flow to completion, then lets the first go on: no sleeps sequence
anything. `make interleave` runs every scenario 50 times in a row (INTERLEAVING_ROUNDS).
"""

from __future__ import annotations

import asyncio
import os

import pytest

from blocks import (
    DEFAULT_COOLDOWN_MINUTES,
    FailoverPair,
    failover_identity,
    load_state,
    operation,
    pause_points,
)
from flows._pairs import GUARD_INTERVAL
from flows.monitor import monitor_campaigns, monitor_fleet, restore_primary

from .conftest import create_campaign, save_pair, set_metrics, set_status, statuses, transitions

ROUNDS = range(int(os.environ.get("INTERLEAVING_ROUNDS", "1")))
pytestmark = pytest.mark.interleaving


def over_the_safe_harbor(sim, campaign_id: str) -> None:
    """A healthy success rate, and 10 of 110 answered calls abandoned (9.09%)."""
    body = {"successRate": 0.4, "callsAttempted": 1000, "callsConnected": 100, "callsAbandoned": 10}
    sim.put(f"/_sim/campaigns/{campaign_id}/metrics", json=body).raise_for_status()


async def fail_over_again_after_the_cooldown(sim, primary, backup, clock, run) -> None:
    """The pair was restored: after the cooldown a new collapse fails over in episode 2."""
    clock.advance(DEFAULT_COOLDOWN_MINUTES * 60)
    set_metrics(sim, primary, 0.05, 200)
    result = await run()
    assert result["action"] == "failover" and result["episode"] == 2
    assert transitions(sim)[-2:] == [(primary, "paused"), (backup, "active")]


@pytest.mark.parametrize("round_", ROUNDS)
async def test_a_restore_during_a_monitor_run_stands(
    sim, pair, credentials_block, clock, pauses, round_
):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    assert (await monitor_campaigns(primary, backup, credentials_block))["action"] == "failover"

    held = pauses.hold(pause_points.PAIR_EVALUATE, flow="monitor-campaigns")
    stale = asyncio.create_task(monitor_campaigns(primary, backup, credentials_block))
    await held.wait_until_reached()  # it has read episode 1
    assert (await restore_primary(primary))["episode"] == 2
    held.release()
    assert (await stale)["action"] == "already_failed_over"

    assert (await load_state(primary)).episode == 2
    assert statuses(sim) == {primary: "active", backup: "paused"}
    await fail_over_again_after_the_cooldown(
        sim, primary, backup, clock, lambda: monitor_campaigns(primary, backup, credentials_block)
    )


@pytest.mark.parametrize("round_", ROUNDS)
async def test_a_restore_during_a_fleet_run_stands(
    sim, credentials_block, empty_fleet, clock, pauses, round_
):
    primary = create_campaign(sim, "p", "active")
    backup = create_campaign(sim, "b", "paused")
    await save_pair(primary, backup, credentials_block)
    set_metrics(sim, primary, 0.05, 200)
    assert [row["action"] for row in (await monitor_fleet())["pairs"]] == ["failover"]

    held = pauses.hold(pause_points.PAIR_EVALUATE, flow="monitor-fleet", primary=primary)
    stale = asyncio.create_task(monitor_fleet())
    await held.wait_until_reached()  # it has read every state, episode 1 for this pair
    await restore_primary(primary)
    held.release()
    assert [row["action"] for row in (await stale)["pairs"]] == ["already_failed_over"]

    assert (await load_state(primary)).episode == 2

    async def fleet() -> dict:
        return (await monitor_fleet())["pairs"][0]

    await fail_over_again_after_the_cooldown(sim, primary, backup, clock, fleet)


@pytest.mark.parametrize("round_", ROUNDS)
async def test_two_overlapping_guards_leave_the_guard_armed(
    sim, pair, credentials_block, clock, pauses, round_
):
    primary, backup = pair
    over_the_safe_harbor(sim, primary)
    # The slow run has read the state (no trip yet) and the abandonment, and is about to
    # write its reading.
    held = pauses.hold(pause_points.STATE_WRITE, flow="monitor-campaigns", group=None)
    slow = asyncio.create_task(monitor_campaigns(primary, backup, credentials_block))
    await held.wait_until_reached()
    fast = await monitor_campaigns(primary, backup, credentials_block)
    assert fast["abandonment"]["level"] == "over"
    assert (await load_state(primary)).guard_trips == 1
    held.release()
    assert (await slow)["action"] == "none"
    assert (await load_state(primary)).guard_trips == 1  # the slow run's copy said 0
    assert transitions(sim) == [(primary, "paused")]

    # Someone resumes the campaign, still over 3%: the guard pauses it again.
    set_status(sim, primary, "active")
    clock.advance(GUARD_INTERVAL.total_seconds())
    await monitor_campaigns(primary, backup, credentials_block)
    assert transitions(sim) == [(primary, "paused"), (primary, "active"), (primary, "paused")]
    assert (await load_state(primary)).guard_trips == 2


@pytest.mark.parametrize("round_", ROUNDS)
async def test_a_holder_taken_over_during_a_step_cannot_record_it(
    sim, pair, credentials_block, clock, pauses, round_
):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    # The first holder pauses the primary and stalls before recording it (and renews no
    # lease meanwhile); its lease lapses and another run takes the failover over.
    stalled = pauses.hold(pause_points.STEP_DONE, flow="monitor-campaigns", step="pause")
    pauses.hold(pause_points.LEASE_RENEW)
    first = asyncio.create_task(monitor_campaigns(primary, backup, credentials_block))
    await stalled.wait_until_reached()
    clock.advance(operation.lease_seconds() + 1)
    second = await monitor_campaigns(primary, backup, credentials_block)
    assert second["action"] == "failover" and "unfinished" in second["reason"]
    stalled.release()
    with pytest.raises(operation.LeaseLost):
        await first

    pair_block = FailoverPair(primary_campaign_id=primary, backup_campaign_id=backup)
    record = await operation.load(failover_identity(pair_block, 1))
    assert record.status == "applied" and record.generation == 2
    assert set(record.answers) == {"pause", "resume"}
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]
