"""Tasks of the monitor: read metrics, keep the pair block, change a status and confirm it."""

from __future__ import annotations

import datetime as dt

from prefect import get_run_logger, task

from blocks import CXoneCredentials, FailoverPair, aload_if_exists, pair_block_name
from cxone import CampaignStatus

from .errors import CXONE_TASK_OPTIONS, StatusNotConfirmed


@task(name="read-metrics", **CXONE_TASK_OPTIONS)
async def read_metrics(
    credentials: CXoneCredentials, campaign_id: str, window_minutes: int
) -> dict:
    """The campaign's success rate and call counts over the window."""
    async with credentials.get_client() as client:
        metrics = await client.get_metrics(campaign_id, window_minutes=window_minutes)
    return metrics.model_dump(mode="json")


async def ensure_pair(
    primary_campaign_id: str,
    backup_campaign_id: str,
    credentials_block: str,
    threshold: float,
    window_minutes: int,
    min_calls: int,
) -> FailoverPair:
    """Load the pair's block, creating it or updating the fields a caller passed explicitly.

    The block is what the dashboard reads to decide when to raise the low-success event, so
    the last explicit configuration is what everyone acts on; the episode and breach count
    it carries are kept.
    """
    name = pair_block_name(primary_campaign_id)
    wanted = {
        "primary_campaign_id": primary_campaign_id,
        "backup_campaign_id": backup_campaign_id,
        "credentials_block": credentials_block,
        "threshold": threshold,
        "window_minutes": window_minutes,
        "min_calls": min_calls,
    }
    pair = await aload_if_exists(FailoverPair, name)
    if pair is None:
        pair = FailoverPair(**wanted)
        await pair.asave(name, overwrite=True)
        return pair
    changed = {k: v for k, v in wanted.items() if getattr(pair, k) != v}
    if changed:
        get_run_logger().warning("Updating failover pair %s: %s", name, changed)
        for field, value in changed.items():
            setattr(pair, field, value)
        await pair.asave(name, overwrite=True)
    return pair


async def _set_status_confirmed(
    credentials: CXoneCredentials, campaign_id: str, status: CampaignStatus, idempotency_key: str
) -> dict:
    """Send the change with the operation's key, then read the campaign back.

    The read-back is what counts: an answer can be lost after the server applied the change,
    and a 409 (already in that status) is success only if the campaign really is there.
    """
    async with credentials.get_client() as client:
        await client.set_campaign_status(campaign_id, status, idempotency_key=idempotency_key)
        campaign = await client.get_campaign(campaign_id)
    if campaign.status != status:
        raise StatusNotConfirmed(f"campaign {campaign_id} is {campaign.status!r}, not {status!r}")
    get_run_logger().info("Campaign %s confirmed %s", campaign_id, status)
    return {**campaign.model_dump(mode="json"), "confirmed_at": dt.datetime.now(dt.UTC).isoformat()}


pause_campaign = task(_set_status_confirmed, name="pause-campaign", **CXONE_TASK_OPTIONS)
resume_campaign = task(_set_status_confirmed, name="resume-campaign", **CXONE_TASK_OPTIONS)
