"""Flows: evaluate a primary campaign's success rate and fail over to its backup exactly once."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.events import emit_event

from blocks import (
    CXoneCredentials,
    FailoverPair,
    IdempotencyRecord,
    aload_if_exists,
    pair_block_name,
    record_name,
    register_block_types,
)
from failover import FailoverPolicy, History, Reading, decide
from tasks.failover import ensure_pair, pause_campaign, read_metrics, resume_campaign

STEPS = ("pause", "resume")
OWNER_WAIT_SECONDS = 120.0
OWNER_POLL_SECONDS = 0.5


def failover_record_name(pair: FailoverPair) -> str:
    """One record per pair and episode: the claim that makes the failover happen once."""
    return record_name(
        "failover", pair.primary_campaign_id, pair.backup_campaign_id, f"e{pair.episode}"
    )


def _this_run() -> str | None:
    context = FlowRunContext.get()
    return str(context.flow_run.id) if context and context.flow_run else None


async def _owner_is_running(record: IdempotencyRecord) -> bool:
    if not record.owner or record.owner == _this_run():
        return False
    async with get_client() as client:
        run = await client.read_flow_run(record.owner)
    return run.state is not None and not run.state.is_final()


async def _wait_for_owner(name: str, record: IdempotencyRecord) -> IdempotencyRecord:
    """Let the run that holds the claim finish instead of acting beside it."""
    logger = get_run_logger()
    deadline = asyncio.get_running_loop().time() + OWNER_WAIT_SECONDS
    while record.status == "pending" and await _owner_is_running(record):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"failover {name} is still running in flow run {record.owner}")
        logger.info("Failover %s is being carried out by flow run %s; waiting", name, record.owner)
        await asyncio.sleep(OWNER_POLL_SECONDS)
        record = await IdempotencyRecord.aload(name)
    return record


async def _carry_out(
    name: str, record: IdempotencyRecord, pair: FailoverPair, credentials: CXoneCredentials
) -> IdempotencyRecord:
    """Pause the primary, confirm, then resume the backup, confirm; each step once.

    Steps already answered in the record are skipped, and a step is re-sent with the key the
    record holds, so a run that died anywhere is completed without a second effect.
    """
    if record.status != "pending" or record.owner != _this_run():
        # Taking over a failed or abandoned record; a fresh claim is already ours and pending.
        await record.aupdate(status="pending", owner=_this_run(), error=None)
    targets = {
        "pause": (pause_campaign, pair.primary_campaign_id, "paused"),
        "resume": (resume_campaign, pair.backup_campaign_id, "active"),
    }
    for step in STEPS:
        if step in record.answers:
            continue
        task, campaign_id, status = targets[step]
        try:
            answer = await task(credentials, campaign_id, status, record.keys[step])
        except Exception as exc:
            # Never resume the backup while the primary may still be dialling.
            await record.aupdate(status="failed", error=f"{step} {campaign_id}: {exc}")
            raise
        await record.aupdate(answers={**record.answers, step: answer})
    await record.aupdate(status="applied")
    return record


async def _announce(name: str, record: IdempotencyRecord, pair: FailoverPair, reason: str) -> None:
    emit_event(
        event="cxone.campaign.failover",
        resource={
            "prefect.resource.id": f"cxone.campaign.{pair.primary_campaign_id}",
            "cxone.campaign.id": pair.primary_campaign_id,
        },
        related=[
            {
                "prefect.resource.id": f"cxone.campaign.{pair.backup_campaign_id}",
                "prefect.resource.role": "backup",
            }
        ],
        payload={
            "record": name,
            "primary_campaign_id": pair.primary_campaign_id,
            "backup_campaign_id": pair.backup_campaign_id,
            "reason": reason,
        },
    )
    pause, resume = record.answers["pause"], record.answers["resume"]
    await acreate_markdown_artifact(
        key="failover",
        markdown=(
            f"## Failover of `{pair.primary_campaign_id}` to `{pair.backup_campaign_id}`\n\n"
            f"{reason}\n\n| step | campaign | status | confirmed at |\n|---|---|---|---|\n"
            f"| pause | `{pause['id']}` | {pause['status']} | {pause['confirmed_at']} |\n"
            f"| resume | `{resume['id']}` | {resume['status']} | {resume['confirmed_at']} |\n"
            f"\nRecord `{name}` (episode {pair.episode}); run `reset_failover` once the "
            "primary is restored.\n"
        ),
        description=f"Failover {pair.primary_campaign_id} -> {pair.backup_campaign_id}",
    )


@flow(name="monitor-campaigns")
async def monitor_campaigns(
    primary_campaign_id: str,
    backup_campaign_id: str,
    credentials_block: str = "cxone",
    threshold: float = 0.15,
    window_minutes: int = 30,
    min_calls: int = 50,
) -> dict:
    """Evaluate the primary's success rate once and fail over to the backup if it collapsed.

    Fails over when the success rate over the window is below `threshold` and at least
    `min_calls` calls were attempted. The failover pauses the primary, confirms it, and only
    then resumes the backup and confirms that; it happens once per episode however many runs
    (scheduled, event-triggered, retried) race for it. A pause that cannot be confirmed stops
    the failover with the backup untouched, and this run fails.

    Args:
        primary_campaign_id: The campaign to watch.
        backup_campaign_id: The paused campaign that takes over.
        credentials_block: Name of the saved CXoneCredentials block.
        threshold: Fail over below this success rate (0-1).
        window_minutes: Minutes of calls the rate is computed over.
        min_calls: Calls needed in the window before the rate is trusted.

    Returns:
        `action`: "none", "insufficient_data", "failover" or "already_failed_over", with the
        reading, the reason and the failover record's name.

    Example:
        ```python
        import asyncio
        from flows.monitor import monitor_campaigns

        result = asyncio.run(monitor_campaigns("cmp_primary", "cmp_backup"))
        ```
    """
    logger = get_run_logger()
    await register_block_types()
    pair = await ensure_pair(
        primary_campaign_id,
        backup_campaign_id,
        credentials_block,
        threshold,
        window_minutes,
        min_calls,
    )
    name = failover_record_name(pair)
    result = {
        "primary_campaign_id": primary_campaign_id,
        "backup_campaign_id": backup_campaign_id,
        "record": name,
        "episode": pair.episode,
    }
    record = await aload_if_exists(IdempotencyRecord, name)
    if record is not None and record.status == "pending":
        record = await _wait_for_owner(name, record)
    if record is not None and record.status == "applied":
        logger.info("Already failed over in episode %d (%s)", pair.episode, name)
        return {**result, "action": "already_failed_over", "reason": record.operation}

    credentials = await CXoneCredentials.aload(credentials_block)
    if record is not None and record.status == "pending":
        reason = f"completing the failover left unfinished by flow run {record.owner}"
    else:
        metrics = await read_metrics(credentials, primary_campaign_id, window_minutes)
        decision = decide(
            Reading(metrics["success_rate"], metrics["calls_attempted"], dt.datetime.now(dt.UTC)),
            FailoverPolicy(
                threshold=threshold,
                min_calls=min_calls,
                consecutive_breaches=pair.consecutive_breaches,
                cooldown=dt.timedelta(minutes=pair.cooldown_minutes),
            ),
            History(pair.consecutive_low, pair.episode_started_at),
        )
        result.update(success_rate=metrics["success_rate"], calls=metrics["calls_attempted"])
        if decision.consecutive_low != pair.consecutive_low:
            pair.consecutive_low = decision.consecutive_low
            await pair.asave(pair_block_name(primary_campaign_id), overwrite=True)
        logger.info("Decision: %s (%s)", decision.action, decision.reason)
        if decision.action != "failover":
            return {**result, "action": decision.action, "reason": decision.reason}
        reason = decision.reason
        if record is None:
            record, claimed = await IdempotencyRecord.aclaim(
                name,
                f"fail over {primary_campaign_id} to {backup_campaign_id}: {reason}",
                list(STEPS),
                owner=_this_run(),
            )
            if not claimed:
                record = await _wait_for_owner(name, record)
                if record.status == "applied":
                    return {**result, "action": "already_failed_over", "reason": reason}
    record = await _carry_out(name, record, pair, credentials)
    await _announce(name, record, pair, reason)
    logger.info("Failed over %s to %s", primary_campaign_id, backup_campaign_id)
    return {**result, "action": "failover", "reason": reason}


@flow(name="reset-failover")
async def reset_failover(primary_campaign_id: str) -> dict:
    """Open a new failover episode for a primary the operator has restored.

    Past episodes keep their records; the next collapse of the primary can fail over again.

    Args:
        primary_campaign_id: The primary campaign whose pair to reset.

    Returns:
        The pair's new episode number and when it started.
    """
    name = pair_block_name(primary_campaign_id)
    pair = await FailoverPair.aload(name)
    pair.episode += 1
    pair.episode_started_at = dt.datetime.now(dt.UTC)
    pair.consecutive_low = 0
    await pair.asave(name, overwrite=True)
    get_run_logger().info("Opened failover episode %d for %s", pair.episode, primary_campaign_id)
    return {"episode": pair.episode, "episode_started_at": pair.episode_started_at.isoformat()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=monitor_campaigns.__doc__.splitlines()[0])
    parser.add_argument("primary_campaign_id")
    parser.add_argument("backup_campaign_id")
    parser.add_argument("--credentials-block", default="cxone")
    parser.add_argument("--threshold", type=float, default=0.15)
    parser.add_argument("--window-minutes", type=int, default=30)
    parser.add_argument("--min-calls", type=int, default=50)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(monitor_campaigns(**vars(args))), indent=2))


if __name__ == "__main__":
    main()
