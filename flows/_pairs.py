"""One evaluation of one failover pair, shared by `monitor_campaigns` and `monitor_fleet`.

It reads as: guard -> decide -> pause -> resume -> announce.

- **Guard.** The campaign that is dialling (the primary, or the backup after a failover) is
  checked against the FTC's 3% abandonment safe harbor over the rolling 30 days, every few
  minutes. At the pair's warning level an event is emitted; at 3% or more the campaign is
  paused through the exactly-once operation and the trip counted. A primary paused by the
  guard is never failed over: nothing resumes a backup for that reason.
- **Decide.** `failover.decide` on the primary's success rate over the pair's window, cut
  to the calls made since the episode began (`failover.fresh_window`): a restored primary
  is judged on calls made after the restore.
- **Pause, resume.** The failover, exactly once per episode (`blocks.operation.run_once`),
  after claiming the backup (a backup serves one failover at a time). Once the primary is
  paused by a failover, finishing is mandatory whatever the metrics say.
- **Announce.** Events and a markdown artifact.

The pair's state is never written back whole: each field group changes by compare-and-set
(`blocks.state`), so a restore or a guard trip that lands during this evaluation stands.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import zlib
from dataclasses import dataclass, field
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from blocks import (
    BackupInUse,
    FailoverPair,
    FailoverState,
    GuardReading,
    IdempotencyRecord,
    PlatformCredentials,
    _documents,
    change_state,
    check_pair,
    claim_backup,
    clock,
    failover_identity,
    guard_identity,
    guard_reading,
    observe_state,
    operation,
    pause_points,
    release_backup,
)
from cxone import CampaignMetrics
from failover import (
    AbandonmentReading,
    AbandonmentSummary,
    Action,
    Decision,
    FailoverPolicy,
    History,
    PairOutcome,
    Reading,
    campaign_label,
    decide,
    fresh_window,
    judge_abandonment,
)
from tasks.failover import (
    ReadFailure,
    pause_campaign,
    read_abandonment,
    read_metrics,
    read_status,
    resume_campaign,
)

from ._events import (
    ABANDONMENT_HIGH,
    BACKUP_IN_USE,
    FAILOVER,
    FAILOVER_INCOMPLETE,
    emit_pair_event,
)

FAILOVER_STEPS = ["pause", "resume"]
GUARD_STEPS = ["pause", "count-trip"]
# How long a run waits for another live run holding the same operation (it renews a 30 s
# lease; a dead one is taken over once its lease lapses).
HOLDER_WAIT_SECONDS = 60.0
# The 30-day abandonment rate moves slowly: reading it every few minutes is enough, and it
# keeps a fleet's reads within the API's rate limit.
GUARD_INTERVAL = dt.timedelta(minutes=5)
# Guard levels written into the pair's state at once, even by a fleet run: the next run,
# whatever it is, must find them (a primary over the limit is never failed over).
ALARMING_LEVELS = ("warning", "over")
# Trips looked at in one run: each is a pause applied and then undone by someone.
MAX_TRIPS_PER_RUN = 5


class FailoverIncomplete(RuntimeError):
    """The primary is paused by a failover whose backup could not be resumed yet."""


@dataclass
class PairRun:
    """What one evaluation works with.

    A fleet reads the primary's `metrics`, the failover `record` and the due guard's 30-day
    `abandonment` (by campaign id) in bulk beforehand (the record stays `operation.UNREAD`
    otherwise); `in_fleet` also spreads first guard checks over the interval, logs routine
    outcomes at debug level (the fleet's table shows them), and leaves the failover's
    markdown in `report` for the fleet's one artifact.
    """

    pair: FailoverPair
    state: FailoverState
    credentials: PlatformCredentials | None
    metrics: CampaignMetrics | ReadFailure | None = None
    record: IdempotencyRecord | operation.Unread | None = operation.UNREAD
    in_fleet: bool = False
    abandonment: dict[str, AbandonmentReading | ReadFailure] = field(default_factory=dict)
    # When the fleet judged which guards are due (and read those): the evaluation keeps to
    # that judgement, so that a run crossing a minute does not read each other slot's itself.
    guards_due_at: dt.datetime | None = None
    # A fleet run publishes its failovers in one artifact (each is a write to the server):
    # the pair's section of it, once this evaluation failed it over.
    report: str | None = None
    # A fleet run keeps its routine guard readings in one document (`blocks.readings`):
    # the pair's, once read.
    reading: GuardReading | None = None

    @property
    def primary(self) -> str:
        return self.pair.primary_campaign_id

    @property
    def backup(self) -> str:
        return self.pair.backup_campaign_id

    @property
    def platform(self) -> PlatformCredentials:
        if self.credentials is None:
            raise RuntimeError(f"no credentials loaded for pair {self.primary}")
        return self.credentials


@dataclass
class _Evaluation:
    """What the evaluation found on its way, for its outcome."""

    run: PairRun
    identity: operation.OperationIdentity
    reason: str | None = None  # why it fails over, once decided
    record_name: str | None = None  # the record's own name (a legacy one, if saved so)
    names: dict[str, str] = field(default_factory=dict)  # campaign names known so far
    committed: bool = False  # the primary is paused by this episode's failover
    success_rate: float | None = None
    calls: int | None = None
    abandonment: AbandonmentSummary | None = None

    def __post_init__(self) -> None:
        self.names = {**self.run.pair.campaign_names, **self.names}

    def label(self, campaign_id: str) -> str:
        return campaign_label(campaign_id, self.names.get(campaign_id))

    def outcome(self, action: Action, reason: str) -> PairOutcome:
        names = self.names
        return PairOutcome(
            primary_campaign_id=self.run.primary,
            backup_campaign_id=self.run.backup,
            action=action,
            reason=reason,
            episode=self.run.state.episode,
            record=self.record_name or self.identity.name,
            success_rate=self.success_rate,
            calls=self.calls,
            abandonment=self.abandonment,
            primary_name=names.get(self.run.primary),
            backup_name=names.get(self.run.backup),
        )

    def learn_names(self, paused: dict[str, Any], resumed: dict[str, Any]) -> None:
        """Keep the names the pause's and the resume's answers give the campaigns."""
        for campaign_id, answer in ((self.run.primary, paused), (self.run.backup, resumed)):
            if isinstance(answer.get("name"), str) and answer["name"]:
                self.names.setdefault(campaign_id, answer["name"])

    def already(self, record: IdempotencyRecord) -> PairOutcome:
        """The outcome of a pair failed over earlier in this episode: when, and the primary's
        reading if a fleet read it (a lone run reads nothing: the primary is paused)."""
        resumed = record.answers.get("resume") or {}
        # The steps' answers name the campaigns (a fleet run that failed over kept no names).
        self.learn_names(record.answers.get("pause") or {}, resumed)
        at = resumed.get("confirmed_at") or record.updated_at.isoformat()
        reason = f"failed over earlier, at {_minute(at)}"
        metrics = self.run.metrics
        if isinstance(metrics, CampaignMetrics):
            self.success_rate, self.calls = metrics.success_rate, metrics.calls_attempted
        else:
            reason += "; the primary is paused since, so its calls were not read"
        return self.outcome(Action.ALREADY_FAILED_OVER, reason)


def _minute(instant: str) -> str:
    """An ISO instant to the minute, in UTC, as the tables show it.

    Example:
        >>> _minute("2026-11-30T10:04:59.5-05:00")
        '2026-11-30 15:04 UTC'
    """
    try:
        return f"{dt.datetime.fromisoformat(instant).astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return instant


async def evaluate_pair(run: PairRun) -> PairOutcome:
    """Evaluate the pair once and act.

    Raises:
        InvalidPair: the primary is its own backup.
        BackupInUse: the backup serves another pair's failover (an event says so too).
        FailoverIncomplete: the primary is paused and the backup could not be resumed.
        operation.RetryLater: a failed failover's next attempt is not due yet.
    """
    check_pair(run.primary, run.backup)
    await pause_points.point(pause_points.PAIR_EVALUATE, primary=run.primary)
    evaluation = _Evaluation(run, failover_identity(run.pair, run.state.episode))
    first, run.record = run.record, operation.UNREAD  # a bulk read serves the first pass only

    async def settled(record: IdempotencyRecord | None) -> operation.Outcome[PairOutcome] | None:
        return await _settled(evaluation, record)

    try:
        outcome = await operation.run_once(
            evaluation.identity,
            FAILOVER_STEPS,
            f"fail over {run.primary} to {run.backup}",
            lambda held: _fail_over(evaluation, held),
            max_wait=HOLDER_WAIT_SECONDS,
            settled=settled,
            record=first,
            # The resume follows the pause at once: both answers go with the end, one write
            # fewer on the way to the backup (a holder that dies between them leaves the
            # pause to be sent again with its key, and a paused primary says it was sent).
            write_each_step=False,
        )
    except operation.RetryLater as exc:
        if evaluation.committed:
            raise _incomplete(run, exc) from None
        raise
    assert outcome.value is not None
    if outcome.held:
        report = _announce(outcome, run.pair, evaluation.reason or "")
        if run.in_fleet:
            run.report = report
        else:
            primary, backup = outcome.value.primary, outcome.value.backup
            await acreate_markdown_artifact(
                key="failover", markdown=report, description=f"Failover {primary} -> {backup}"
            )
    return outcome.value


async def _settled(
    evaluation: _Evaluation, record: IdempotencyRecord | None
) -> operation.Outcome[PairOutcome] | None:
    """What the settled failover record means: done already, nothing to do, or go on."""
    run = evaluation.run
    if record is not None:
        evaluation.record_name = _documents.name_of(record) or None
    if record is not None and record.status == "applied":
        evaluation.abandonment = await _guard(run, run.backup)
        return operation.Outcome(record, evaluation.already(record))
    evaluation.committed = record is not None and (
        record.status == "pending" or await _paused_by_failover(record, run)
    )
    if evaluation.committed:
        assert record is not None
        evaluation.reason = (
            f"completing the failover left unfinished ({record.error or 'holder died'})"
        )
    elif evaluation.reason is None:
        evaluation.abandonment = await _guard(run, run.primary)
        if run.state.abandonment_level == "over":
            reason = "the primary is over the abandonment limit; no backup is resumed for it"
            return operation.Outcome(record, evaluation.outcome(Action.NONE, reason))
        decision = await _decide(evaluation)
        if decision.action != Action.FAILOVER:
            if record is not None:  # an attempt that failed before the pause claimed the backup
                await release_backup(run.pair)
            return operation.Outcome(record, evaluation.outcome(decision.action, decision.reason))
        evaluation.reason = decision.reason
    try:
        await claim_backup(run.pair, run.state.episode)
    except BackupInUse as exc:
        emit_pair_event(BACKUP_IN_USE, run.primary, run.backup, reason=str(exc))
        raise
    return None


async def _decide(evaluation: _Evaluation) -> Decision:
    """Read the primary's calls since the episode began (within the window) and decide."""
    run = evaluation.run
    pair, state, now = run.pair, run.state, clock.now()
    window = fresh_window(pair.window_minutes, state.episode_started_at, now)
    metrics = run.metrics
    if metrics is None:
        metrics = await read_metrics(run.platform, run.primary, window)
    if isinstance(metrics, ReadFailure):
        raise RuntimeError(metrics.error)
    evaluation.success_rate, evaluation.calls = metrics.success_rate, metrics.calls_attempted
    decision = judge(run, metrics, now)
    if window < pair.window_minutes and decision.action == Action.INSUFFICIENT_DATA:
        decision = Decision(
            decision.action,
            f"{decision.reason}; episode {state.episode} began {window} whole minutes ago and "
            "only its calls count",
            decision.consecutive_low,
        )
    routine = run.in_fleet and decision.action != Action.FAILOVER
    get_run_logger().log(
        logging.DEBUG if routine else logging.INFO,
        "Pair %s: %s (%s)",
        run.primary,
        decision.action,
        decision.reason,
    )
    if decision.action != Action.FAILOVER:
        await _count_low(run, decision.consecutive_low)
    return decision


def judge(run: PairRun, metrics: CampaignMetrics, now: dt.datetime) -> Decision:
    """`failover.decide` on the reading, with the pair's policy and the state's history."""
    pair, state = run.pair, run.state
    return decide(
        Reading(metrics.success_rate, metrics.calls_attempted, now),
        FailoverPolicy(
            threshold=pair.threshold,
            min_calls=pair.min_calls,
            consecutive_breaches=pair.consecutive_breaches,
            cooldown=dt.timedelta(minutes=pair.cooldown_minutes),
        ),
        History(state.low_readings, state.episode_started_at),
    )


def needs_no_call(run: PairRun, now: dt.datetime) -> bool:
    """Whether the fleet's evaluation of the pair will likely send nothing anywhere: no
    failover record in its episode, its reading read beforehand and not one to fail over on,
    its low readings in a row unchanged, and its guard not due. Such an evaluation is CPU
    work only; the fleet runs it without waiting for a place among the pairs that call.
    A wrong guess costs nothing but that place: the evaluation itself decides as always."""
    metrics = run.metrics
    if run.record is not None or not isinstance(metrics, CampaignMetrics):
        return False
    if due_guard(run, now) is not None:
        return False
    decision = judge(run, metrics, now)
    return decision.action != Action.FAILOVER and decision.consecutive_low == run.state.low_readings


async def _count_low(run: PairRun, low: int) -> None:
    """Keep the low readings in a row, for the episode they were read in: when a restore
    opened another episode meanwhile, this reading belongs to the old one and is dropped."""
    episode = run.state.episode

    def count(current: FailoverState) -> dict[str, Any] | None:
        if current.episode != episode or current.low_readings == low:
            return None  # another episode's reading, or nothing new to keep
        return {"consecutive_low": low, "low_episode": episode}

    await change_state(run.state, "low", count)


async def _change(run: PairRun, change: Any, campaign_id: str, key: str) -> dict[str, Any]:
    """Pause or resume (`change`: the task) with the step's key. A fleet run calls the task's
    function under the task's own timeout: a task run is a few writes to the Prefect server,
    which a fleet failing many pairs over at once waits for; its table and artifact say what
    each failover did."""
    if not run.in_fleet:
        answer: dict[str, Any] = await change(run.platform, campaign_id, key)
        return answer
    async with asyncio.timeout(change.timeout_seconds):
        answer = await change.fn(run.platform, campaign_id, key)
    return answer


async def _fail_over(evaluation: _Evaluation, held: operation.HeldOperation) -> PairOutcome:
    run = evaluation.run
    paused = await held.step("pause", lambda key: _change(run, pause_campaign, run.primary, key))
    try:
        resumed = await held.step(
            "resume", lambda key: _change(run, resume_campaign, run.backup, key)
        )
    except operation.LeaseLost:
        raise
    except Exception as exc:
        raise _incomplete(run, exc) from exc
    evaluation.learn_names(paused, resumed)  # the labels need no read of their own
    evaluation.reason = (
        f"failed over {evaluation.label(run.primary)} to {evaluation.label(run.backup)}: "
        f"{evaluation.reason or 'no reason recorded'}"
    )
    return evaluation.outcome(Action.FAILOVER, evaluation.reason)


async def _paused_by_failover(record: IdempotencyRecord, run: PairRun) -> bool:
    """Whether this episode's failover already took the primary out of service.

    A recorded pause says so; so does a paused primary after a failed attempt, whose pause
    may have been applied with its answer lost.
    """
    if record.done("pause"):
        return True
    return await read_status(run.platform, run.primary) == "paused"


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


def due_guard(run: PairRun, now: dt.datetime) -> str | None:
    """The campaign whose abandonment the pair's guard is expected to read now, if any: the
    backup once the failover record is applied, else the primary (a fleet reads these in
    bulk; a guard that turns out to check another campaign reads it itself)."""
    record = run.record
    applied = isinstance(record, IdempotencyRecord) and record.status == "applied"
    campaign_id = run.backup if applied else run.primary
    return campaign_id if _guard_due(run, campaign_id, now) else None


async def _guard(run: PairRun, campaign_id: str) -> AbandonmentSummary | None:
    """Check the dialling campaign's 30-day abandonment when due; pause it at 3% or more."""
    now = clock.now()
    state = run.state
    if _guard_due(run, campaign_id, run.guards_due_at or now):
        reading = run.abandonment.pop(campaign_id, None)
        if not isinstance(reading, AbandonmentReading):  # not read beforehand, or it failed
            reading = await read_abandonment(run.platform, campaign_id)
        verdict = judge_abandonment(reading, run.pair.abandonment_warning)
        values = {
            "abandonment_rate": verdict.rate,
            "abandonment_level": verdict.level,
            "abandonment_campaign_id": campaign_id,
            "abandonment_checked_at": now,
        }
        if run.in_fleet and verdict.level not in ALARMING_LEVELS:
            # A routine reading: the fleet keeps its run's together (`save_readings`).
            for key, value in values.items():
                setattr(state, key, value)
            run.reading = guard_reading(state)
        else:  # a lone run's reading, or one that matters at once: in the pair's state now
            await observe_state(state, **values)
        if verdict.level in ALARMING_LEVELS:
            emit_pair_event(
                ABANDONMENT_HIGH,
                run.primary,
                run.backup,
                campaign_id=campaign_id,
                rate=verdict.rate,
                level=verdict.level,
                reason=verdict.reason,
            )
        if verdict.level == "over" and await read_status(run.platform, campaign_id) == "active":
            await _guard_pause(run, campaign_id, verdict.reason)
    if (
        state.abandonment_level is None
        or state.abandonment_rate is None
        or state.abandonment_checked_at is None
        or state.abandonment_campaign_id != campaign_id
    ):
        return None
    return AbandonmentSummary(
        campaign_id, state.abandonment_rate, state.abandonment_level, state.abandonment_checked_at
    )


async def _guard_pause(run: PairRun, campaign_id: str, reason: str) -> None:
    """Pause a campaign over the safe harbor, once per trip, and count the trip.

    The trip count only moves forward (compare-and-set), and the trip's record is applied
    only after its count is stored. A trip found applied with the campaign dialling again
    (someone resumed it) is followed by the next trip.
    """
    for _ in range(MAX_TRIPS_PER_RUN):
        trip = run.state.guard_trips + 1
        outcome = await _trip(run, campaign_id, reason, trip)
        if outcome.held:
            get_run_logger().warning("Paused %s: %s", campaign_id, reason)
            return
        await _count_trip(run, trip)  # applied by another run: its count stands
        if await read_status(run.platform, campaign_id) != "active":
            return  # the racing run paused it
    raise RuntimeError(f"{campaign_id} was resumed {MAX_TRIPS_PER_RUN} times during one run")


async def _trip(
    run: PairRun, campaign_id: str, reason: str, trip: int
) -> operation.Outcome[dict[str, Any]]:
    credentials = run.platform

    async def pause_and_count(held: operation.HeldOperation) -> dict[str, Any]:
        await held.step("pause", lambda key: pause_campaign(credentials, campaign_id, key))

        async def count(_: str) -> dict[str, Any]:
            await _count_trip(run, trip)
            return {"trip": trip}

        return await held.step("count-trip", count)

    return await operation.run_once(
        guard_identity(run.pair, campaign_id, trip),
        GUARD_STEPS,
        f"pause {campaign_id}: {reason}",
        pause_and_count,
        max_wait=HOLDER_WAIT_SECONDS,
    )


async def _count_trip(run: PairRun, trip: int) -> None:
    def forward(current: FailoverState) -> dict[str, Any] | None:
        return {"guard_trips": trip} if current.guard_trips < trip else None

    await change_state(run.state, "guard", forward)


def _announce(outcome: operation.Outcome[PairOutcome], pair: FailoverPair, reason: str) -> str:
    """Emit the failover's event; its markdown (what the failover artifact shows)."""
    record = outcome.record
    assert record is not None
    pause, resume = record.answers["pause"], record.answers["resume"]
    name = outcome.value.record if outcome.value else ""
    emit_pair_event(
        FAILOVER,
        pair.primary_campaign_id,
        pair.backup_campaign_id,
        record=name,
        episode=record.episode,
        reason=reason,
    )
    value = outcome.value
    primary = value.primary if value else pair.primary_campaign_id
    backup = value.backup if value else pair.backup_campaign_id
    return (
        f"## Failover of {primary} to {backup}\n\n"
        f"{reason}\n\n| step | campaign | status | confirmed at |\n|---|---|---|---|\n"
        f"{_step_row('pause', pause)}{_step_row('resume', resume)}"
        f"\nRecord `{name}` (episode {record.episode}). Run `restore_primary` "
        "to fail back once the primary is fixed.\n"
    )


def _step_row(step: str, answer: dict[str, Any]) -> str:
    """A step's line in the failover's table: the campaign it confirmed, named."""
    name = answer.get("name")
    campaign = campaign_label(str(answer["id"]), name if isinstance(name, str) else None)
    return f"| {step} | {campaign} | {answer['status']} | {answer['confirmed_at']} |\n"
