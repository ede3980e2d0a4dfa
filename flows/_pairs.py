"""One evaluation of one failover pair, shared by `monitor_campaigns` and `monitor_fleet`.

It reads as: guard -> decide -> pause -> resume -> announce.

- **Guard.** The campaign that is dialling (the primary, or the backup after a failover) is
  checked against the FTC's 3% abandonment safe harbor over the rolling 30 days, every few
  minutes. At the pair's warning level an event is emitted; at 3% or more the campaign is
  paused through the exactly-once operation and the reason recorded. A primary paused by the
  guard is never failed over: nothing resumes a backup for that reason.
- **Decide.** `failover.decide` on the primary's success rate over the pair's window.
- **Pause, resume.** The failover, exactly once per episode (`blocks.operation`). Once the
  primary is paused by a failover, finishing is mandatory whatever the metrics say.
- **Announce.** Events and a markdown artifact.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from dataclasses import dataclass, field
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from blocks import (
    FailoverPair,
    FailoverState,
    IdempotencyRecord,
    PlatformCredentials,
    failover_identity,
    guard_identity,
    operation,
    save_state,
)
from failover import (
    AbandonmentReading,
    FailoverPolicy,
    History,
    Reading,
    decide,
    judge_abandonment,
)
from tasks.failover import (
    pause_campaign,
    read_abandonment,
    read_metrics,
    read_status,
    resume_campaign,
)

from ._events import ABANDONMENT_HIGH, FAILOVER, FAILOVER_INCOMPLETE, emit_pair_event

FAILOVER_STEPS = ["pause", "resume"]
GUARD_STEPS = ["pause", "count-trip"]
# How long a run waits for another live run holding the same operation (it renews a 30 s
# lease; a dead one is taken over once its lease lapses).
HOLDER_WAIT_SECONDS = 60.0
# The 30-day abandonment rate moves slowly: reading it every few minutes is enough, and it
# keeps a fleet's reads within the API's rate limit.
GUARD_INTERVAL = dt.timedelta(minutes=5)


# `PairRun.record` when nobody read it beforehand.
NOT_READ = object()


class FailoverIncomplete(RuntimeError):
    """The primary is paused by a failover whose backup could not be resumed yet."""


@dataclass
class PairRun:
    """What one evaluation works with.

    A fleet reads the primary's `metrics` and the failover `record` in bulk beforehand (the
    record stays `NOT_READ` otherwise); `in_fleet` also spreads first guard checks over the
    interval and logs routine outcomes at debug level (the fleet's table shows them all).
    """

    pair: FailoverPair
    state: FailoverState
    credentials: PlatformCredentials
    metrics: dict[str, Any] | None = None
    record: IdempotencyRecord | object | None = NOT_READ
    in_fleet: bool = False
    state_changed: bool = field(default=False, init=False)

    @property
    def primary(self) -> str:
        return self.pair.primary_campaign_id

    @property
    def backup(self) -> str:
        return self.pair.backup_campaign_id


async def evaluate_pair(run: PairRun) -> dict[str, Any]:
    """Evaluate the pair once and act; returns the outcome (`action`, `reason`, ...).

    Raises:
        FailoverIncomplete: the primary is paused and the backup could not be resumed.
        operation.RetryLater: a failed failover's next attempt is not due yet.
    """
    identity = failover_identity(run.pair, run.state.episode)
    result: dict[str, Any] = {
        "primary_campaign_id": run.primary,
        "backup_campaign_id": run.backup,
        "record": identity.name,
        "episode": run.state.episode,
    }
    try:
        result.update(await _failover(run, identity, result))
    finally:
        if run.state_changed:
            await save_state(run.state)
    return result


async def _failover(
    run: PairRun, identity: operation.OperationIdentity, result: dict[str, Any]
) -> dict[str, Any]:
    decided: str | None = None
    while True:
        read, run.record = run.record, NOT_READ  # a bulk read serves the first pass only
        loaded = await operation.load(identity) if read is NOT_READ else read
        record = await operation.settle(identity, loaded, HOLDER_WAIT_SECONDS)
        if record is not None and record.status == "applied":
            guard = await _guard(run, run.backup)
            return {"action": "already_failed_over", "reason": record.operation, **guard}
        committed = record is not None and (
            record.status == "pending" or await _paused_by_failover(record, run)
        )
        if committed:
            reason = f"completing the failover left unfinished ({record.error or 'holder died'})"
        elif decided is None:
            guard = await _guard(run, run.primary)
            result.update(guard)
            if run.state.abandonment_level == "over":
                reason = "the primary is over the abandonment limit; no backup is resumed for it"
                return {"action": "none", "reason": reason}
            metrics = run.metrics or await read_metrics(
                run.credentials, run.primary, run.pair.window_minutes
            )
            decision = _decide(run, metrics)
            result.update(success_rate=metrics["success_rate"], calls=metrics["calls_attempted"])
            routine = run.in_fleet and decision.action != "failover"
            get_run_logger().log(
                logging.DEBUG if routine else logging.INFO,
                "Pair %s: %s (%s)",
                run.primary,
                decision.action,
                decision.reason,
            )
            if decision.action != "failover":
                if decision.consecutive_low != run.state.consecutive_low:
                    run.state.consecutive_low = decision.consecutive_low
                    run.state_changed = True
                return {"action": decision.action, "reason": decision.reason}
            reason = decided = decision.reason
        else:
            reason = decided
        try:
            held = await _fail_over(run, identity, record)
        except operation.OperationTaken:
            continue  # another run holds it now: wait for its outcome
        except operation.RetryLater as exc:
            if committed:
                raise _incomplete(run, exc) from None
            raise
        await _announce(held, run.pair, reason)
        return {"action": "failover", "reason": reason}


def _decide(run: PairRun, metrics: dict[str, Any]):
    pair, state = run.pair, run.state
    return decide(
        Reading(metrics["success_rate"], metrics["calls_attempted"], dt.datetime.now(dt.UTC)),
        FailoverPolicy(
            threshold=pair.threshold,
            min_calls=pair.min_calls,
            consecutive_breaches=pair.consecutive_breaches,
            cooldown=dt.timedelta(minutes=pair.cooldown_minutes),
        ),
        History(state.consecutive_low, state.episode_started_at),
    )


async def _fail_over(
    run: PairRun, identity: operation.OperationIdentity, record: IdempotencyRecord | None
) -> operation.HeldOperation:
    credentials = run.credentials
    async with operation.hold(
        identity, FAILOVER_STEPS, f"fail over {run.primary} to {run.backup}", record=record
    ) as held:
        await held.step("pause", lambda key: pause_campaign(credentials, run.primary, key))
        try:
            await held.step("resume", lambda key: resume_campaign(credentials, run.backup, key))
        except Exception as exc:
            raise _incomplete(run, exc) from exc
    return held


async def _paused_by_failover(record: IdempotencyRecord, run: PairRun) -> bool:
    """Whether this episode's failover already took the primary out of service.

    A recorded pause says so; so does a paused primary after a failed attempt, whose pause
    may have been applied with its answer lost.
    """
    if record.done("pause"):
        return True
    return await read_status(run.credentials, run.primary) == "paused"


def _incomplete(run: PairRun, error: Exception) -> FailoverIncomplete:
    """Say loudly that nothing may be dialling: an event, and the error that fails the run."""
    emit_pair_event(
        FAILOVER_INCOMPLETE, run.primary, run.backup, episode=run.state.episode, error=str(error)
    )
    return FailoverIncomplete(
        f"failover of {run.primary} to {run.backup} is incomplete: the primary is paused and "
        f"the backup is not confirmed active ({error})"
    )


def _guard_due(run: PairRun, campaign_id: str, now: dt.datetime) -> bool:
    state = run.state
    if state.abandonment_checked_at is None or state.abandonment_campaign_id != campaign_id:
        # Spread a fleet's first checks over the interval, by the campaign's id.
        minutes = int(GUARD_INTERVAL.total_seconds() // 60)
        slot = zlib.crc32(campaign_id.encode()) % minutes
        return not run.in_fleet or now.minute % minutes == slot
    return now - state.abandonment_checked_at >= GUARD_INTERVAL


async def _guard(run: PairRun, campaign_id: str) -> dict[str, Any]:
    """Check the dialling campaign's 30-day abandonment when due; pause it at 3% or more."""
    now = dt.datetime.now(dt.UTC)
    state = run.state
    if _guard_due(run, campaign_id, now):
        counts = await read_abandonment(run.credentials, campaign_id)
        verdict = judge_abandonment(
            AbandonmentReading(counts["abandoned"], counts["handled"]),
            run.pair.abandonment_warning,
        )
        state.abandonment_rate, state.abandonment_level = verdict.rate, verdict.level
        state.abandonment_campaign_id, state.abandonment_checked_at = campaign_id, now
        run.state_changed = True
        if verdict.level in ("warning", "over"):
            emit_pair_event(
                ABANDONMENT_HIGH,
                run.primary,
                run.backup,
                campaign_id=campaign_id,
                rate=verdict.rate,
                level=verdict.level,
                reason=verdict.reason,
            )
        if verdict.level == "over" and await read_status(run.credentials, campaign_id) == "active":
            await _guard_pause(run, campaign_id, verdict.reason)
    if state.abandonment_level is None or state.abandonment_campaign_id != campaign_id:
        return {}
    return {
        "abandonment": {
            "campaign_id": campaign_id,
            "rate": state.abandonment_rate,
            "level": state.abandonment_level,
            "checked_at": state.abandonment_checked_at.isoformat(),
        }
    }


async def _guard_pause(run: PairRun, campaign_id: str, reason: str) -> None:
    """Pause a campaign over the safe harbor, once, and count the trip (which opens the next
    trip's identity, so that a campaign resumed by hand is guarded again)."""
    trip = run.state.guard_trips + 1
    identity = guard_identity(run.pair, campaign_id, trip)
    record = await operation.settle(identity, await operation.load(identity), HOLDER_WAIT_SECONDS)
    if record is not None and record.status == "applied":
        return

    async def count_trip(_: str) -> dict:
        run.state.guard_trips = trip  # set, not added: a repeated step changes nothing
        run.state_changed = True
        return {"trip": trip}

    try:
        async with operation.hold(
            identity, GUARD_STEPS, f"pause {campaign_id}: {reason}", record=record
        ) as held:
            await held.step("pause", lambda key: pause_campaign(run.credentials, campaign_id, key))
            await held.step("count-trip", count_trip)
    except operation.OperationTaken:
        return  # a racing run pauses it
    get_run_logger().warning("Paused %s: %s", campaign_id, reason)


async def _announce(held: operation.HeldOperation, pair: FailoverPair, reason: str) -> None:
    pause, resume = held.record.answers["pause"], held.record.answers["resume"]
    emit_pair_event(
        FAILOVER,
        pair.primary_campaign_id,
        pair.backup_campaign_id,
        record=held.name,
        episode=held.record.episode,
        reason=reason,
    )
    await acreate_markdown_artifact(
        key="failover",
        markdown=(
            f"## Failover of `{pair.primary_campaign_id}` to `{pair.backup_campaign_id}`\n\n"
            f"{reason}\n\n| step | campaign | status | confirmed at |\n|---|---|---|---|\n"
            f"| pause | `{pause['id']}` | {pause['status']} | {pause['confirmed_at']} |\n"
            f"| resume | `{resume['id']}` | {resume['status']} | {resume['confirmed_at']} |\n"
            f"\nRecord `{held.name}` (episode {held.record.episode}). Run `restore_primary` "
            "to fail back once the primary is fixed.\n"
        ),
        description=f"Failover {pair.primary_campaign_id} -> {pair.backup_campaign_id}",
    )
