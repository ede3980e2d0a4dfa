"""Flows: evaluate a pair and fail over exactly once; fail back; open a new episode.

`monitor_campaigns` reads as decide -> pause -> resume -> announce. The exactly-once part (the
claim, a key per step, the lease, takeover of a dead or failed holder) is `blocks.operation`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.states import Completed
from pydantic import StringConstraints

from blocks import (
    FailoverPair,
    FailoverState,
    IdempotencyRecord,
    _documents,
    failover_identity,
    find_pair,
    load_credentials,
    load_state,
    open_episode,
    operation,
    pair_block_name,
    register_block_types,
    restore_identity,
    save_state,
)
from failover import FailoverPolicy, History, Reading, decide
from tasks.failover import pause_campaign, read_metrics, read_status, resume_campaign

from . import _cli
from ._events import EVALUATED, FAILOVER, FAILOVER_INCOMPLETE, RESTORED, emit_pair_event

# A campaign id as the platforms issue them: no empty value, no path tricks, no template left
# unrendered. Checked when a deployment is applied (it is in the parameter schema) and when
# a run starts.
CampaignId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]

FAILOVER_STEPS = ["pause", "resume"]
RESTORE_STEPS = ["pause-backup", "resume-primary", "close-episode"]
# How long a run waits for another live run holding the same failover (it renews a 30 s
# lease; a dead one is taken over once its lease lapses).
HOLDER_WAIT_SECONDS = 60.0
# Documented bound of one monitor run when the API hangs: three tasks of at most three calls
# each, every call within the credentials' deadline (30 s by default, at most 60 s).
MONITOR_TIMEOUT_SECONDS = 600


class PairMismatch(ValueError):
    """The run names a backup other than the one saved for the primary's pair."""


class FailoverIncomplete(RuntimeError):
    """The primary is paused by a failover whose backup could not be resumed yet."""


class RestoreRefused(RuntimeError):
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
    """
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


async def _rename_run(name: str) -> None:
    context = FlowRunContext.get()
    if context and context.flow_run:
        async with get_client() as client:
            await client.update_flow_run(context.flow_run.id, name=name)


def _incomplete(pair: FailoverPair, state: FailoverState, error: Exception) -> FailoverIncomplete:
    """Say loudly that nothing may be dialling: an event, and the error that fails the run."""
    message = (
        f"failover of {pair.primary_campaign_id} to {pair.backup_campaign_id} is incomplete: "
        f"the primary is paused and the backup is not confirmed active ({error})"
    )
    emit_pair_event(
        FAILOVER_INCOMPLETE,
        pair.primary_campaign_id,
        pair.backup_campaign_id,
        episode=state.episode,
        error=str(error),
    )
    return FailoverIncomplete(message)


async def _paused_by_failover(record: IdempotencyRecord, pair: FailoverPair, credentials) -> bool:
    """Whether this episode's failover already took the primary out of service.

    A recorded pause says so; so does a paused primary after a failed attempt, whose pause
    may have been applied with its answer lost.
    """
    if record.done("pause"):
        return True
    return await read_status(credentials, pair.primary_campaign_id) == "paused"


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
    await _rename_run(f"failover {pair.primary_campaign_id} → {pair.backup_campaign_id}")


def _finish(result: dict, message: str) -> Completed:
    emit_pair_event(
        EVALUATED,
        result["primary_campaign_id"],
        result["backup_campaign_id"],
        action=result["action"],
        reason=result.get("reason"),
    )
    return Completed(message=message, data=result)


@flow(
    name="monitor-campaigns",
    flow_run_name="monitor {primary_campaign_id}",
    timeout_seconds=MONITOR_TIMEOUT_SECONDS,
)
async def monitor_campaigns(
    primary_campaign_id: CampaignId,
    backup_campaign_id: CampaignId,
    credentials_block: str = "cxone",
    threshold: float | None = None,
    window_minutes: int | None = None,
    min_calls: int | None = None,
) -> dict:
    """Evaluate the primary's success rate once and fail over to the backup if it collapsed.

    The settings come from the pair's `FailoverPair` block; a value given here applies to this
    run only. The failover pauses the primary, confirms it, and only then resumes the backup
    and confirms that; it happens once per episode however many runs (scheduled,
    event-triggered, retried, crashed) race for it. Once the primary is paused by a failover,
    finishing is mandatory: a later run resumes the backup whatever the metrics then say.

    Args:
        primary_campaign_id: The campaign to watch.
        backup_campaign_id: The paused campaign that takes over.
        credentials_block: Credentials for a pair not configured yet: a CXoneCredentials
            block's name or '<block-type-slug>/<name>'.
        threshold: Fail over below this success rate (0-1); default: the pair's (0.15).
        window_minutes: Minutes of calls the rate is computed over; default: the pair's (30).
        min_calls: Calls needed before the rate is trusted; default: the pair's (50).

    Returns:
        `action`: "none", "insufficient_data", "failover" or "already_failed_over", with the
        reading, the reason, the episode and the failover record's name.

    Raises:
        FailoverIncomplete: the primary is paused and the backup could not be resumed (the
            run fails; a later run retries after a backoff).
        PairMismatch: the saved pair names another backup.

    Example:
        ```python
        import asyncio
        from flows.monitor import monitor_campaigns

        result = asyncio.run(monitor_campaigns("cmp_primary", "cmp_backup"))
        ```
    """
    logger = get_run_logger()
    await register_block_types()
    pair = await pair_for_run(
        primary_campaign_id,
        backup_campaign_id,
        credentials_block,
        {"threshold": threshold, "window_minutes": window_minutes, "min_calls": min_calls},
    )
    state = await load_state(primary_campaign_id)
    identity = failover_identity(pair, state.episode)
    result = {
        "primary_campaign_id": primary_campaign_id,
        "backup_campaign_id": backup_campaign_id,
        "record": identity.name,
        "episode": state.episode,
    }
    credentials = await load_credentials(pair.credentials_block)
    decided: str | None = None
    while True:
        record = await operation.settle(
            identity, await operation.load(identity), HOLDER_WAIT_SECONDS
        )
        if record is not None and record.status == "applied":
            result.update(action="already_failed_over", reason=record.operation)
            logger.info("Already failed over in episode %d", state.episode)
            return _finish(result, f"already failed over in episode {state.episode}")
        committed = record is not None and (
            record.status == "pending" or await _paused_by_failover(record, pair, credentials)
        )
        if committed:
            reason = f"completing the failover left unfinished ({record.error or 'holder died'})"
        elif decided is None:
            metrics = await read_metrics(credentials, primary_campaign_id, pair.window_minutes)
            decision = decide(
                Reading(
                    metrics["success_rate"], metrics["calls_attempted"], dt.datetime.now(dt.UTC)
                ),
                FailoverPolicy(
                    threshold=pair.threshold,
                    min_calls=pair.min_calls,
                    consecutive_breaches=pair.consecutive_breaches,
                    cooldown=dt.timedelta(minutes=pair.cooldown_minutes),
                ),
                History(state.consecutive_low, state.episode_started_at),
            )
            result.update(success_rate=metrics["success_rate"], calls=metrics["calls_attempted"])
            logger.info("Decision: %s (%s)", decision.action, decision.reason)
            if decision.action != "failover":
                if decision.consecutive_low != state.consecutive_low:
                    state.consecutive_low = decision.consecutive_low
                    await save_state(state)
                result.update(action=decision.action, reason=decision.reason)
                return _finish(result, f"{decision.action}: {decision.reason}")
            reason = decided = decision.reason
        else:
            reason = decided
        try:
            async with operation.hold(
                identity,
                FAILOVER_STEPS,
                f"fail over {primary_campaign_id} to {backup_campaign_id}",
                record=record,
            ) as held:
                await held.step(
                    "pause", lambda key: pause_campaign(credentials, primary_campaign_id, key)
                )
                try:
                    await held.step(
                        "resume", lambda key: resume_campaign(credentials, backup_campaign_id, key)
                    )
                except Exception as exc:
                    raise _incomplete(pair, state, exc) from exc
        except operation.OperationTaken:
            continue  # another run holds it now: wait for its outcome
        except operation.RetryLater as exc:
            if committed:
                raise _incomplete(pair, state, exc) from None
            raise
        await _announce(held, pair, reason)
        logger.info("Failed over %s to %s", primary_campaign_id, backup_campaign_id)
        result.update(action="failover", reason=reason)
        return _finish(result, f"failover: {reason}")


@flow(
    name="restore-primary",
    flow_run_name="restore {primary_campaign_id}",
    timeout_seconds=MONITOR_TIMEOUT_SECONDS,
)
async def restore_primary(
    primary_campaign_id: CampaignId, credentials_block: str = "cxone"
) -> dict:
    """Fail back after a failover, exactly once, and open the pair's next episode.

    Pauses the backup and confirms it, resumes the primary and confirms it, then closes the
    episode so that a new collapse can fail over again. Races and crashes are handled as for
    the failover: a run that dies half-way is completed by the next call.

    Args:
        primary_campaign_id: The primary campaign to bring back.
        credentials_block: Used when the pair names none (it always does once saved).

    Returns:
        `action`: "restored" or "nothing_to_restore", with the episode now open.

    Raises:
        RestoreRefused: the episode's failover is still incomplete.
    """
    await register_block_types()
    pair = await find_pair(primary_campaign_id)
    state = await load_state(primary_campaign_id)
    result = {"primary_campaign_id": primary_campaign_id, "episode": state.episode}
    if pair is None:
        return Completed(
            message="nothing to restore: no pair", data={**result, "action": "nothing_to_restore"}
        )
    failover = await operation.load(failover_identity(pair, state.episode))
    identity = restore_identity(pair, state.episode)
    restore = await operation.settle(identity, await operation.load(identity), HOLDER_WAIT_SECONDS)
    if restore is None and (failover is None or failover.status != "applied"):
        if failover is not None:
            raise RestoreRefused(
                f"the failover of episode {state.episode} is {failover.status}: let the monitor "
                "complete it before restoring"
            )
        message = f"nothing to restore: no failover in episode {state.episode}"
        return Completed(message=message, data={**result, "action": "nothing_to_restore"})
    credentials = await load_credentials(pair.credentials_block or credentials_block)
    primary, backup = pair.primary_campaign_id, pair.backup_campaign_id
    async with operation.hold(
        identity, RESTORE_STEPS, f"restore {primary} from {backup}", record=restore
    ) as held:
        await held.step("pause-backup", lambda key: pause_campaign(credentials, backup, key))
        await held.step("resume-primary", lambda key: resume_campaign(credentials, primary, key))

        async def close(_: str) -> dict:
            opened = await open_episode(primary, state.episode + 1)
            return {"episode": opened.episode, "opened_at": opened.episode_started_at.isoformat()}

        closed = await held.step("close-episode", close)
    emit_pair_event(RESTORED, primary, backup, episode=state.episode, record=held.name)
    await acreate_markdown_artifact(
        key="restore",
        markdown=(
            f"## Restored `{primary}`; `{backup}` paused again\n\n"
            f"Episode {state.episode} closed; episode {closed['episode']} open since "
            f"{closed['opened_at']}. Record `{held.name}`.\n"
        ),
        description=f"Restore {primary} from {backup}",
    )
    result.update(action="restored", episode=closed["episode"], record=held.name)
    return Completed(message=f"restored {primary}; episode {closed['episode']} open", data=result)


@flow(
    name="reset-failover",
    flow_run_name="reset {primary_campaign_id}",
    timeout_seconds=MONITOR_TIMEOUT_SECONDS,
)
async def reset_failover(primary_campaign_id: CampaignId, force: bool = False) -> dict:
    """Open a new failover episode without failing back (after a restore done by hand).

    Refuses while the primary is still paused, because the next collapse could then fail over
    a primary that is not dialling; use `restore_primary`, or `force=True` once you know.

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
    credentials = await load_credentials(pair.credentials_block)
    if not force and await read_status(credentials, primary_campaign_id) == "paused":
        raise RestoreRefused(
            f"primary {primary_campaign_id} is still paused: run restore_primary, or reset "
            "with force=True once it is dialling again"
        )
    state = await load_state(primary_campaign_id)
    opened = await open_episode(primary_campaign_id, state.episode + 1)
    get_run_logger().info("Opened failover episode %d for %s", opened.episode, primary_campaign_id)
    return {"episode": opened.episode, "episode_started_at": opened.episode_started_at.isoformat()}


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
    args = cli.parse_args(argv)
    options = {k: v for k, v in vars(args).items() if k not in ("command", "debug")}
    flows = {"run": monitor_campaigns, "restore": restore_primary, "reset": reset_failover}
    errors = (PairMismatch, RestoreRefused, FailoverIncomplete, operation.RetryLater)
    _cli.run(args, lambda: flows[args.command](**options), errors)


if __name__ == "__main__":
    main()
