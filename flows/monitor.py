"""Flows: evaluate one pair or the whole fleet, fail over exactly once; fail back; reset.

One pair's evaluation (guard -> decide -> pause -> resume -> announce) is `flows/_pairs.py`;
the exactly-once part (the claim, a key per step, the lease, takeover of a dead or failed
holder) is `blocks.operation`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed

from blocks import (
    BackupInUse,
    FailoverPair,
    FailoverState,
    GuardReadings,
    IdempotencyRecord,
    InvalidPair,
    PlatformCredentials,
    _documents,
    check_pair,
    clock,
    failover_identity,
    find_pair,
    load_credentials,
    load_fleet_states,
    load_state,
    open_episode,
    operation,
    pair_block_name,
    pair_problem,
    read_claim,
    register_block_types,
    release_backup,
    restore_identity,
    save_readings,
)
from cxone import CampaignMetrics, PlatformId
from failover import (
    Action,
    FailoverPolicy,
    FleetRow,
    History,
    PairOutcome,
    Reading,
    decide,
    fresh_window,
)
from tasks.failover import (
    ReadFailure,
    pause_campaign,
    read_fleet_abandonment,
    read_fleet_metrics,
    read_status,
    resume_campaign,
)

from . import _cli
from ._events import EVALUATED, RESTORED, announce_taken_up, emit_pair_event
from ._names import named_outcomes, rename_run
from ._pairs import (
    HOLDER_WAIT_SECONDS,
    FailoverIncomplete,
    PairRun,
    due_guard,
    evaluate_pair,
    needs_no_call,
)
from ._run_names import pairs_run_name
from ._user_errors import UserError, fails_cleanly
from ._words import plural

# Checked when a deployment is applied (it is in the parameter schema) and when a run starts.
CampaignId = PlatformId

RESTORE_STEPS = ["pause-backup", "resume-primary", "close-episode"]
# Documented bound of one monitor run when the API hangs: at most four reads and two status
# changes of three calls, every call within the credentials' deadline (30 s, at most 60 s).
MONITOR_TIMEOUT_SECONDS = 600
# A fleet run reads every pair within the API's rate limit; past this the schedule goes on.
FLEET_TIMEOUT_SECONDS = 900
# A batch's pair still under way this long after the batch began is announced as taken up
# (`cxone.campaign.evaluating`): well inside the safety net's 10 s from its low event, which
# came at most a gathering window (and the run's start) before.
TAKEN_UP_SECONDS = 4.0


class PairMismatch(ValueError):
    """The run names a backup other than the one saved for the primary's pair."""


class FleetIncomplete(RuntimeError):
    """Some pairs of the fleet could not be evaluated; the message names them."""


class RestoreRefused(UserError, RuntimeError):
    """The pair is not in a state that can be restored or reset."""


async def pair_for_run(
    primary_campaign_id: str,
    backup_campaign_id: str,
    credentials_block: str,
    overrides: dict[str, float | int | None],
) -> FailoverPair:
    """The pair as configured, with this run's explicit settings applied (never saved).

    A pair nobody configured yet is saved with the run's settings, or the defaults, so the
    dashboard and the fleet see it; an existing block is never written.

    Raises:
        PairMismatch: the saved pair has another backup.
        InvalidPair: the primary is its own backup.
    """
    check_pair(primary_campaign_id, backup_campaign_id)
    explicit = {key: value for key, value in overrides.items() if value is not None}
    pair = await find_pair(primary_campaign_id)
    if pair is None:
        pair = FailoverPair(
            primary_campaign_id=primary_campaign_id,
            backup_campaign_id=backup_campaign_id,
            credentials_block=credentials_block,
            **explicit,
        )
        try:
            await _documents.create(pair, pair_block_name(primary_campaign_id))
            get_run_logger().info("Saved a new FailoverPair for %s", primary_campaign_id)
        except _documents.DocumentExists:  # an operator (or a racing run) saved it meanwhile
            return await pair_for_run(
                primary_campaign_id, backup_campaign_id, credentials_block, overrides
            )
        return pair
    if pair.backup_campaign_id != backup_campaign_id:
        raise PairMismatch(
            f"the FailoverPair of {primary_campaign_id!r} has backup "
            f"{pair.backup_campaign_id!r}, but this run names {backup_campaign_id!r}; edit the "
            "pair block to change the backup"
        )
    if credentials_block != pair.credentials_block:
        get_run_logger().warning(
            "Using the pair's credentials block %r, not %r",
            pair.credentials_block,
            credentials_block,
        )
    return pair.model_copy(update=explicit)


def _evaluated(outcome: PairOutcome) -> None:
    """Tell the safety-net trigger (and anyone listening) that the pair was evaluated."""
    emit_pair_event(
        EVALUATED,
        outcome.primary_campaign_id,
        outcome.backup_campaign_id,
        action=outcome.action.value,
        reason=outcome.reason,
    )


@flow(
    name="monitor-campaigns",
    flow_run_name="monitor {primary_campaign_id}",
    timeout_seconds=MONITOR_TIMEOUT_SECONDS,
)
@fails_cleanly
async def monitor_campaigns(
    primary_campaign_id: CampaignId,
    backup_campaign_id: CampaignId,
    credentials_block: str = "cxone",
    threshold: float | None = None,
    window_minutes: int | None = None,
    min_calls: int | None = None,
) -> State[Any]:
    """Evaluate the primary's success rate once and fail over to the backup if it collapsed.

    The settings come from the pair's `FailoverPair` block; a value given here applies to this
    run only. The failover pauses the primary, confirms it, and only then resumes the backup
    and confirms that; it happens once per episode however many runs (scheduled,
    event-triggered, retried, crashed) race for it. Once the primary is paused by a failover,
    finishing is mandatory: a later run resumes the backup whatever the metrics then say. The
    dialling campaign's 30-day abandonment rate is checked too: at 3% or more it is paused.
    After a restore (a new episode) only the calls made since count, and no failover starts
    within the pair's cooldown.

    Args:
        primary_campaign_id: The campaign to watch.
        backup_campaign_id: The paused campaign that takes over.
        credentials_block: Credentials for a pair not configured yet: a CXoneCredentials
            block's name or '<block-type-slug>/<name>'.
        threshold: Fail over below this success rate (0-1); default: the pair's (0.15).
        window_minutes: Minutes of calls the rate is computed over; default: the pair's (30).
        min_calls: Calls needed before the rate is trusted; default: the pair's (50).

    Returns:
        A `Completed` state whose data (what a call returns) is the `PairOutcome` as a dict:
        `action` "none", "insufficient_data", "failover" or "already_failed_over", with the
        reading, the reason, the episode, the failover record's name and, when read, the
        `abandonment` of the dialling campaign.

    Raises:
        FailoverIncomplete: the primary is paused and the backup could not be resumed (the
            run fails; a later run retries after a backoff).
        PairMismatch: the saved pair names another backup.
        InvalidPair: the primary is its own backup.
        BackupInUse: the backup serves another pair's failover (an event says so too).

    A user error (these last three, a missing credentials block, an unknown campaign) ends
    the run Failed with its message and no traceback in the run's log (`fails_cleanly`); a
    platform failure (`FailoverIncomplete`) keeps its traceback.

    Example:
        ```python
        import asyncio
        from flows.monitor import monitor_campaigns

        result = asyncio.run(monitor_campaigns("cmp_primary", "cmp_backup"))
        ```
    """
    await register_block_types()
    pair = await pair_for_run(
        primary_campaign_id,
        backup_campaign_id,
        credentials_block,
        {"threshold": threshold, "window_minutes": window_minutes, "min_calls": min_calls},
    )
    if not pair.unnamed():  # names kept: the list of runs shows them from the start
        await rename_run(f"monitor {pair.label(primary_campaign_id)}")
    run = PairRun(
        pair,
        await load_state(primary_campaign_id),
        await load_credentials(pair.credentials_block),
    )
    outcome = await evaluate_pair(run)
    [outcome] = await named_outcomes([(pair, run.credentials, outcome)], concurrency=2)
    _evaluated(outcome)
    if outcome.action == Action.FAILOVER:
        get_run_logger().info("Failed over %s to %s", outcome.primary, outcome.backup)
        await rename_run(f"failover {outcome.primary} → {outcome.backup}")
    else:
        await rename_run(f"monitor {outcome.primary}")
    message = f"{outcome.action.value}: {outcome.reason}"
    return Completed(message=message, data=outcome.as_dict())


@flow(name="monitor-fleet", flow_run_name="monitor fleet", timeout_seconds=FLEET_TIMEOUT_SECONDS)
@fails_cleanly
async def monitor_fleet(concurrency: int = 16) -> State[Any]:
    """Evaluate every configured pair once, and fail over each that needs it.

    The `FailoverPair` blocks are the registry: saving one, from Python or the UI, adds a
    pair. Each pair is evaluated as `monitor_campaigns` evaluates one (same settings, same
    exactly-once failover, same abandonment guard), the readings of each credentials block's
    pairs through one client so that they share its rate limit. A pair that cannot be
    evaluated is reported and does not stop the others; the run then ends Failed, naming it.
    So is a pair that cannot work: its primary is its own backup, or its backup already
    serves another pair's failover (never a silent shared backup).

    Args:
        concurrency: Pairs evaluated (and API reads in flight) at once.

    Returns:
        A `Completed` state whose data is `pairs`: one entry per pair with
        `primary_campaign_id`, `backup_campaign_id`, `action` (as `monitor_campaigns`, or
        "error" with its `reason`), the success rate and calls when read; also published as
        a table artifact.

    Raises:
        ValueError: `concurrency` is below 1 (the run fails cleanly, see `fails_cleanly`).
        FleetIncomplete: some pairs could not be evaluated (the artifact lists them all).
    """
    check_concurrency(concurrency)
    await register_block_types()
    (pairs, unreadable), fleet_states = await asyncio.gather(
        _documents.read_all_checked(FailoverPair), load_fleet_states()
    )
    return await _evaluate_all(
        pairs, unreadable, fleet_states, concurrency, artifact_key="fleet", everyone=True
    )


@flow(
    name="monitor-pairs",
    flow_run_name=pairs_run_name,
    timeout_seconds=MONITOR_TIMEOUT_SECONDS,
)
@fails_cleanly
async def monitor_pairs(
    primary_campaign_ids: list[CampaignId], concurrency: int = 16
) -> State[Any]:
    """Evaluate the named pairs once, together, and fail over each that needs it.

    What `monitor_fleet` does, for the pairs whose primaries are named: the responder's run
    for low events that arrive together (a storm), so that fifty collapses cost one flow
    run and a few bulk reads instead of fifty runs of their own. Each pair is evaluated as
    `monitor_campaigns` evaluates it, with the same exactly-once failover. A primary no
    `FailoverPair` names (deleted meanwhile) is an error row. The safety net hears of each
    pair taken up: by its `cxone.campaign.evaluated` when the run acts on it, otherwise by a
    `cxone.campaign.evaluating` when it ends or after `TAKEN_UP_SECONDS` (`TakenUp`).

    Args:
        primary_campaign_ids: The primaries of the pairs to evaluate.
        concurrency: Pairs evaluated (and API reads in flight) at once.

    Returns:
        A `Completed` state whose data is `pairs`, as `monitor_fleet`'s (published as the
        `pairs` table artifact).

    Raises:
        ValueError: `concurrency` is below 1 (the run fails cleanly, see `fails_cleanly`).
        FleetIncomplete: some of the pairs could not be evaluated (the artifact lists them).
    """
    check_concurrency(concurrency)
    await register_block_types()
    wanted = set(primary_campaign_ids)
    # The named pairs' states are read beside the pairs, not after them: a storm's batch
    # is waiting for both before it can decide anything.
    (saved, unfit), (states, guard_documents) = await asyncio.gather(
        _documents.read_all_checked(FailoverPair), load_fleet_states(sorted(wanted))
    )
    pairs = [(name, pair) for name, pair in saved if pair.primary_campaign_id in wanted]
    unreadable = [entry for entry in unfit if entry[1].get("primary_campaign_id") in wanted]
    named = {pair.primary_campaign_id for _, pair in pairs} | {
        str(data.get("primary_campaign_id")) for _, data, _ in unreadable
    }
    missing = [
        PairOutcome(primary, "", Action.ERROR, "no FailoverPair names this primary")
        for primary in sorted(wanted - named)
    ]
    found = {pair.primary_campaign_id for _, pair in pairs}
    # Only the pairs found: a named primary without a pair has no state to evaluate or keep.
    states = {primary: kept for primary, kept in states.items() if primary in found}
    # The safety-net trigger must hear of each pair within its 10 s: see `TakenUp`.
    taken_up = TakenUp([pair for _, pair in pairs])
    late = asyncio.get_running_loop().call_later(TAKEN_UP_SECONDS, taken_up.announce)
    try:
        return await _evaluate_all(
            pairs,
            unreadable,
            (states, guard_documents),
            concurrency,
            artifact_key="pairs",
            rows=missing,
            taken_up=taken_up,
        )
    finally:
        late.cancel()
        taken_up.announce()  # the pairs that ended without an evaluated event, or errors


class TakenUp:
    """A batch's pairs the safety-net trigger has not heard of yet.

    The trigger starts a run for a pair when neither `cxone.campaign.evaluated` nor
    `cxone.campaign.evaluating` follows its low event within 10 s. A pair the batch acts on
    ends with its evaluated event (`answered`); the others (a routine outcome, an error) and
    those still under way after `TAKEN_UP_SECONDS` get an evaluating event (`announce`), so
    that a worker run does not start for a pair this run holds. Announcing every pair at the
    batch's start, as before, sent a storm's fifty events to the Prefect server while the
    failovers' claims queued there.

    Example:
        >>> taken_up = TakenUp([])
        >>> taken_up.announce()  # nobody left: no event
        >>> taken_up.waiting
        []
    """

    def __init__(self, pairs: list[FailoverPair]) -> None:
        self._pairs = {pair.primary_campaign_id: pair for pair in pairs}

    @property
    def waiting(self) -> list[str]:
        """The primaries not announced either way yet."""
        return list(self._pairs)

    def answered(self, primary: str) -> None:
        """The pair's evaluated event went out: the trigger needs nothing more."""
        self._pairs.pop(primary, None)

    def announce(self) -> None:
        """Announce each pair still waiting as taken up (`cxone.campaign.evaluating`)."""
        while self._pairs:
            _, pair = self._pairs.popitem()
            # After the pair's work: a failure to emit is logged, the run's outcome stands.
            announce_taken_up(pair.primary_campaign_id, pair.backup_campaign_id)


@dataclass(frozen=True)
class SavedPairs:
    """The saved pairs as read at one moment: what routes a storm's low events (`batchable`).

    Attributes:
        backups: primary -> backup, for each primary exactly one `FailoverPair` that loads
            names.
    """

    backups: dict[str, str]

    def batchable(self, pairs: dict[str, str]) -> set[str]:
        """The primaries among `pairs` (primary -> backup, as low events name them) that
        `monitor_pairs` evaluates as `monitor_campaigns` would: saved as exactly one
        `FailoverPair`, with that backup. Any other (not saved yet, another backup saved,
        several blocks, a block that does not load) needs `monitor_campaigns`, which saves a
        new pair or fails the run saying what is wrong."""
        return {primary for primary, backup in pairs.items() if self.backups.get(primary) == backup}


async def read_saved_pairs() -> SavedPairs:
    """Read every saved `FailoverPair` now.

    Raises:
        httpx.HTTPError: the Prefect server could not be read.
    """
    saved, unfit = await _documents.read_all_checked(FailoverPair)
    primaries = Counter(pair.primary_campaign_id for _, pair in saved)
    primaries.update(str(data.get("primary_campaign_id")) for _, data, _ in unfit)
    return SavedPairs(
        {
            pair.primary_campaign_id: pair.backup_campaign_id
            for _, pair in saved
            if primaries[pair.primary_campaign_id] == 1
        }
    )


async def _evaluate_all(
    pairs: list[tuple[str, FailoverPair]],
    unreadable: list[tuple[str, dict[str, Any], str]],
    fleet_states: tuple[dict[str, FailoverState], list[GuardReadings]],
    concurrency: int,
    artifact_key: str,
    rows: list[PairOutcome] | None = None,
    everyone: bool = False,
    taken_up: TakenUp | None = None,
) -> State[Any]:
    """Evaluate `pairs` in bulk (a fleet run's body); `unreadable` blocks and `rows` given
    are reported as errors beside them. `fleet_states`: `load_fleet_states` for the pairs
    (a batch, `monitor_pairs`, reads its own pairs' only). `everyone`: `pairs` are every
    configured pair. `taken_up`: told of each pair whose evaluated event goes out.

    Raises:
        FleetIncomplete: some pairs could not be evaluated (the artifact lists them all).
    """
    states, guard_documents = fleet_states
    rows = [
        *(rows or []),
        *(_unreadable_pair(name, data, error) for name, data, error in unreadable),
    ]
    primaries = Counter(pair.primary_campaign_id for _, pair in pairs)
    configured = {*primaries, *(str(data.get("primary_campaign_id")) for _, data, _ in unreadable)}
    runs: list[PairRun] = []
    for _, pair in pairs:
        if primaries[pair.primary_campaign_id] > 1:
            rows.append(_fleet_error(pair, "several FailoverPair blocks name this primary"))
            continue
        state = states.get(pair.primary_campaign_id) or FailoverState(
            primary_campaign_id=pair.primary_campaign_id
        )
        runs.append(PairRun(pair, state, None, in_fleet=True))
    identities = {run.primary: failover_identity(run.pair, run.state.episode) for run in runs}
    groups = _by_credentials(runs)
    records, loaded = await asyncio.gather(
        operation.load_many(identities.values()), _load_each_credentials(list(groups))
    )
    for run in runs:
        run.record = records.get(identities[run.primary].name)
    now = clock.now()
    for reference, group in groups.items():
        credentials = loaded[reference]
        if isinstance(credentials, Exception):
            error = f"{type(credentials).__name__}: {credentials}"
            rows += [_fleet_error(run.pair, error) for run in group]
            continue
        windows = {
            run.primary: fresh_window(run.pair.window_minutes, run.state.episode_started_at, now)
            for run in group
        }
        readings = await read_fleet_metrics(credentials, windows, concurrency)
        guards = {run.primary: due_guard(run, now) for run in group}
        due = sorted({campaign for campaign in guards.values() if campaign})
        abandonment = await read_fleet_abandonment(credentials, due, concurrency) if due else {}
        for run in group:
            run.credentials, run.metrics = credentials, readings[run.primary]
            run.guards_due_at = now
            guarded = guards[run.primary]
            if guarded in abandonment:
                run.abandonment[guarded] = abandonment[guarded]
    gate = asyncio.Semaphore(concurrency)

    async def evaluate(run: PairRun) -> PairOutcome | None:
        if run.credentials is None:
            return None  # its credentials could not be loaded: already reported
        if isinstance(run.metrics, ReadFailure):
            return _fleet_error(run.pair, run.metrics.error)
        # A calm pair with nothing to send does not queue behind the failovers' calls.
        place = contextlib.nullcontext() if needs_no_call(run, now) else gate
        async with place:
            try:
                outcome = await evaluate_pair(run)
            except Exception as exc:
                return _fleet_error(run.pair, f"{type(exc).__name__}: {exc}")
        if _announced(run.pair, outcome):
            _evaluated(outcome)
            if taken_up is not None:
                taken_up.answered(run.primary)
        return outcome

    # The pairs likely to act start first: a failover's steps take longest, and must not
    # wait behind hundreds of quick evaluations for a place.
    first = sorted(runs, key=lambda run: _calm(run, now))
    started = {id(run): asyncio.ensure_future(evaluate(run)) for run in first}
    outcomes = await asyncio.gather(*(started[id(run)] for run in runs))
    # The routine guard readings, one document for the run; the earlier documents that
    # hold nothing newer go (`everyone`: these are all the pairs, so a gone pair's go too).
    newest = {primary: kept.abandonment_checked_at for primary, kept in states.items()}
    newest |= {run.primary: run.state.abandonment_checked_at for run in runs}
    await save_readings(
        [run.reading for run in runs if run.reading],
        guard_documents,
        newest,
        pairs=configured if everyone else None,
    )
    evaluated = [(run.pair, run.credentials, row) for run, row in zip(runs, outcomes, strict=True)]
    # A run that failed pairs over neither reads nor keeps names: it ends sooner (the next
    # run is due within the minute). The names its failovers learnt are in their records'
    # answers, where the next run finds and keeps them (a write per pair, 100 at 2,000 pairs).
    failed_over = any(row is not None and row.action == Action.FAILOVER for row in outcomes)
    named = [entry for entry in evaluated if entry[2]]
    rows += await named_outcomes(named, concurrency, after_failover=failed_over)
    await acreate_table_artifact(
        key=artifact_key,
        table=[FleetRow.of(row).as_dict() for row in rows],
        description=f"{plural(len(rows), 'pair')}: " + _fleet_counts(rows),
    )
    reports = [run.report for run in runs if run.report]
    if reports:
        await acreate_markdown_artifact(
            key="failover",
            markdown="\n".join(reports),
            description=f"{plural(len(reports), 'failover')} in this fleet run",
        )
    errors = [row for row in rows if row.action == Action.ERROR]
    if errors:
        names = ", ".join(f"{row.primary} ({row.reason})" for row in errors)
        raise FleetIncomplete(
            f"{len(errors)} of {plural(len(rows), 'pair')} could not be evaluated: {names}"
        )
    return Completed(message=_fleet_counts(rows), data={"pairs": [row.as_dict() for row in rows]})


def _announced(pair: FailoverPair, outcome: PairOutcome) -> bool:
    """Whether the fleet emits the pair's `cxone.campaign.evaluated`: not for a routine
    outcome (nothing done, a success rate read at or above the pair's threshold). The
    safety-net trigger waits for the event after a low-success event, and a reading at or
    above the threshold is not an evaluation of that collapse (if one came, the trigger's
    run evaluates the pair); each event is stored and matched against the automations by
    the Prefect server, and the calm pairs sent one a pair every run."""
    rate = outcome.success_rate
    return outcome.action != Action.NONE or rate is None or rate < pair.threshold


def _calm(run: PairRun, now: dt.datetime) -> bool:
    """Whether the pair likely has nothing to do: no failover record in its episode and a
    reading the decision's own rule would not fail over on at once (False sorts first)."""
    metrics = run.metrics
    if run.record is not None or not isinstance(metrics, CampaignMetrics):
        return False
    pair = run.pair
    reading = Reading(metrics.success_rate, metrics.calls_attempted, now)
    policy = FailoverPolicy(threshold=pair.threshold, min_calls=pair.min_calls)
    return decide(reading, policy, History()).action != Action.FAILOVER


async def _load_each_credentials(
    references: list[str],
) -> dict[str, PlatformCredentials | Exception]:
    """Each credentials block, loaded at once, or the error that stopped it loading (its
    pairs are reported with it; the others go on)."""

    async def one(reference: str) -> PlatformCredentials | Exception:
        try:
            return await load_credentials(reference)
        except Exception as exc:
            return exc

    loaded = await asyncio.gather(*(one(reference) for reference in references))
    return dict(zip(references, loaded, strict=True))


def _by_credentials(runs: list[PairRun]) -> dict[str, list[PairRun]]:
    groups: dict[str, list[PairRun]] = {}
    for run in runs:
        groups.setdefault(run.pair.credentials_block, []).append(run)
    return groups


def check_concurrency(concurrency: int) -> None:
    """Refuse a fleet run that could evaluate nothing.

    Raises:
        ValueError: `concurrency` is below 1.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")


def _fleet_error(pair: FailoverPair, reason: str) -> PairOutcome:
    primary, backup = pair.primary_campaign_id, pair.backup_campaign_id
    names = pair.campaign_names
    return PairOutcome(
        primary,
        backup,
        Action.ERROR,
        reason,
        primary_name=names.get(primary),
        backup_name=names.get(backup),
    )


def _unreadable_pair(name: str, data: dict[str, Any], error: str) -> PairOutcome:
    """A pair block that does not load (saved from the UI with a primary as its own backup,
    say): an error row naming the block, never a pair left out in silence."""
    primary = str(data.get("primary_campaign_id", ""))
    backup = str(data.get("backup_campaign_id", ""))
    reason = pair_problem(primary, backup) or error
    return PairOutcome(primary, backup, Action.ERROR, f"FailoverPair {name!r}: {reason}")


def _fleet_counts(rows: list[PairOutcome]) -> str:
    counts = Counter(row.action.value for row in rows)
    return ", ".join(f"{count} {action}" for action, count in sorted(counts.items()))


@flow(
    name="restore-primary",
    flow_run_name="restore {primary_campaign_id}",
    timeout_seconds=MONITOR_TIMEOUT_SECONDS,
)
@fails_cleanly
async def restore_primary(
    primary_campaign_id: CampaignId, credentials_block: str = "cxone"
) -> State[Any]:
    """Fail back after a failover, exactly once, and open the pair's next episode.

    Pauses the backup and confirms it, resumes the primary and confirms it, then closes the
    episode so that a new collapse can fail over again, and gives the backup back for other
    pairs. A backup that serves another pair's failover is never paused. Races and crashes
    are handled as for the failover: a run that dies half-way is completed by the next call.
    The new episode is judged on its own calls, after the pair's cooldown.

    Args:
        primary_campaign_id: The primary campaign to bring back.
        credentials_block: Used when the pair names none (it always does once saved).

    Returns:
        A `Completed` state whose data has `action`, "restored" or "nothing_to_restore",
        with the episode now open.

    Raises:
        RestoreRefused: the episode's failover is still incomplete.
    """
    await register_block_types()
    pair = await find_pair(primary_campaign_id)
    state = await load_state(primary_campaign_id)
    result: dict[str, Any] = {"primary_campaign_id": primary_campaign_id, "episode": state.episode}
    nothing = Action.NOTHING_TO_RESTORE.value
    if pair is None:
        return Completed(message="nothing to restore: no pair", data={**result, "action": nothing})
    await rename_run(f"restore {pair.label(primary_campaign_id)}")
    failover = await operation.load(failover_identity(pair, state.episode))

    async def settled(
        restore: IdempotencyRecord | None,
    ) -> operation.Outcome[dict[str, Any]] | None:
        if restore is not None and restore.status == "applied":
            return operation.Outcome(restore, restore.answers["close-episode"])
        if restore is None and (failover is None or failover.status != "applied"):
            if failover is not None:
                raise RestoreRefused(
                    f"the failover of episode {state.episode} is {failover.status}: let the "
                    "monitor complete it before restoring"
                )
            return operation.Outcome(None)
        return None

    credentials = await load_credentials(pair.credentials_block or credentials_block)
    primary, backup = pair.primary_campaign_id, pair.backup_campaign_id

    async def pause_backup(key: str) -> dict[str, Any]:
        claim = await read_claim(pair)
        if claim is not None and not claim.held_by(pair):
            get_run_logger().warning(
                "Backup %s serves the failover of %s: left dialling",
                backup,
                claim.primary_campaign_id,
            )
            return {"id": backup, "skipped": True, "serving": claim.primary_campaign_id}
        answer: dict[str, Any] = await pause_campaign(credentials, backup, key)
        return answer

    async def close(_: str) -> dict[str, Any]:
        opened = await open_episode(primary, state.episode + 1)
        await release_backup(pair)
        started = opened.episode_started_at
        return {"episode": opened.episode, "opened_at": started.isoformat() if started else None}

    async def fail_back(held: operation.HeldOperation) -> dict[str, Any]:
        await held.step("pause-backup", pause_backup)
        await held.step("resume-primary", lambda key: resume_campaign(credentials, primary, key))
        return await held.step("close-episode", close)

    outcome = await operation.run_once(
        restore_identity(pair, state.episode),
        RESTORE_STEPS,
        f"restore {primary} from {backup}",
        fail_back,
        max_wait=HOLDER_WAIT_SECONDS,
        settled=settled,
    )
    if outcome.record is None or outcome.value is None:
        message = f"nothing to restore: no failover in episode {state.episode}"
        return Completed(message=message, data={**result, "action": nothing})
    closed, name = outcome.value, _documents.name_of(outcome.record)
    if outcome.held:
        emit_pair_event(RESTORED, primary, backup, episode=state.episode, record=name)
        await acreate_markdown_artifact(
            key="restore",
            markdown=(
                f"## Restored {pair.label(primary)}; {pair.label(backup)} paused again\n\n"
                f"Episode {state.episode} closed; episode {closed['episode']} open since "
                f"{closed['opened_at']}. Record `{name}`.\n"
            ),
            description=f"Restore {pair.label(primary)} from {pair.label(backup)}",
        )
    result.update(action=Action.RESTORED.value, episode=closed["episode"], record=name)
    message = f"restored {pair.label(primary)}; episode {closed['episode']} open"
    return Completed(message=message, data=result)


@flow(
    name="reset-failover",
    flow_run_name="reset {primary_campaign_id}",
    timeout_seconds=MONITOR_TIMEOUT_SECONDS,
)
@fails_cleanly
async def reset_failover(primary_campaign_id: CampaignId, force: bool = False) -> dict[str, Any]:
    """Open a new failover episode without failing back (after a restore done by hand).

    Refuses while the primary is still paused, because the next collapse could then fail over
    a primary that is not dialling; use `restore_primary`, or `force=True` once you know.
    The pair's claim on its backup is given back.

    Args:
        primary_campaign_id: The primary campaign whose pair to reset.
        force: Open the episode even though the primary is paused.

    Returns:
        The pair's new episode number and when it started.

    Raises:
        RestoreRefused: no pair is configured, or the primary is still paused.
    """
    await register_block_types()
    pair = await find_pair(primary_campaign_id)
    if pair is None:
        raise RestoreRefused(f"no FailoverPair names primary {primary_campaign_id!r}")
    await rename_run(f"reset {pair.label(primary_campaign_id)}")
    credentials = await load_credentials(pair.credentials_block)
    if not force and await read_status(credentials, primary_campaign_id) == "paused":
        raise RestoreRefused(
            f"primary {primary_campaign_id} is still paused: run restore_primary, or reset "
            "with force=True once it is dialling again"
        )
    state = await load_state(primary_campaign_id)
    opened = await open_episode(primary_campaign_id, state.episode + 1)
    await release_backup(pair)
    get_run_logger().info("Opened failover episode %d for %s", opened.episode, primary_campaign_id)
    started = opened.episode_started_at
    return {
        "episode": opened.episode,
        "episode_started_at": started.isoformat() if started else None,
    }


def main(argv: list[str] | None = None) -> None:
    cli = _cli.parser("python -m flows.monitor", __doc__.splitlines()[0])
    commands = cli.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "run", help="evaluate the pair once and fail over if needed (monitor_campaigns)"
    )
    check.add_argument("primary_campaign_id", help="the campaign to watch")
    check.add_argument("backup_campaign_id", help="the paused campaign that takes over")
    check.add_argument(
        "--credentials-block",
        default="cxone",
        help="credentials for a pair not configured yet: NAME or TYPE-SLUG/NAME "
        "(default: %(default)s)",
    )
    check.add_argument(
        "--threshold", type=float, help="success rate 0-1, this run only (default: the pair's)"
    )
    check.add_argument(
        "--window-minutes", type=int, help="minutes of calls, this run only (default: the pair's)"
    )
    check.add_argument(
        "--min-calls", type=int, help="calls needed, this run only (default: the pair's)"
    )
    restore = commands.add_parser("restore", help="fail back after a failover (restore_primary)")
    restore.add_argument("primary_campaign_id", help="the primary to bring back")
    reset = commands.add_parser(
        "reset", help="open a new episode without failing back (reset_failover)"
    )
    reset.add_argument("primary_campaign_id", help="the primary whose pair to reset")
    reset.add_argument("--force", action="store_true", help="even though the primary is paused")
    fleet = commands.add_parser("fleet", help="evaluate every configured pair once (monitor_fleet)")
    fleet.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="pairs evaluated (and API reads in flight) at once (default: %(default)s)",
    )
    args = cli.parse_args(argv)
    options = _cli.options(args)
    flows = {
        "run": monitor_campaigns,
        "restore": restore_primary,
        "reset": reset_failover,
        "fleet": monitor_fleet,
    }

    async def check() -> None:
        """The pair the command names, and its credentials: a primary that no pair names
        was never monitored, so there is nothing to restore or reset (a mistyped id). A
        fleet's pairs each name their own credentials: one that is missing is that pair's
        error row, not a reason to evaluate none."""
        if args.command == "fleet":
            check_concurrency(args.concurrency)
            return
        primary = args.primary_campaign_id
        if args.command == "run":
            check_pair(primary, args.backup_campaign_id)
        pair = await find_pair(primary)
        if pair is None and args.command != "run":
            raise RestoreRefused(
                f"no FailoverPair names primary {primary!r}: it was never monitored, so there "
                f"is nothing to {args.command} (check the campaign id)"
            )
        await load_credentials(pair.credentials_block if pair else args.credentials_block)

    errors = (
        PairMismatch,
        RestoreRefused,
        FailoverIncomplete,
        operation.RetryLater,
        InvalidPair,
        BackupInUse,
        FleetIncomplete,
    )
    _cli.run(args, lambda: flows[args.command](**options), errors, check)


if __name__ == "__main__":
    main()
