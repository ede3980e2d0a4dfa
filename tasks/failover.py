"""Tasks of the monitor: read a campaign's metrics and status, pause it, resume it.

`pause_campaign` only ever pauses and `resume_campaign` only ever resumes. Each reads the
campaign before it writes (nothing is sent when it is already there) and after (the change
counts only once the campaign is seen in its new status).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from prefect import get_run_logger, task

from blocks import PlatformCredentials, clock
from cxone import CampaignMetrics, CampaignStatus, CXoneError
from failover import AbandonmentReading
from failover.abandonment import WINDOW as ABANDONMENT_WINDOW

from .errors import CXONE_TASK_OPTIONS, ONE_CALL_SECONDS, THREE_CALLS_SECONDS, StatusNotConfirmed

# A fleet's readings share one rate limit: 500 campaigns at 100 requests a second take 5 s.
FLEET_READ_SECONDS = 300


# The reading of a window with no whole minute in it yet (a fresh episode): no calls.
NO_CALLS = CampaignMetrics(success_rate=0.0)


@dataclass(frozen=True)
class ReadFailure:
    """A campaign whose metrics could not be read, and why."""

    campaign_id: str
    error: str


@task(name="read-metrics", timeout_seconds=ONE_CALL_SECONDS, **CXONE_TASK_OPTIONS)
async def read_metrics(
    credentials: PlatformCredentials, campaign_id: str, window_minutes: int
) -> CampaignMetrics:
    """The campaign's success rate and call counts over the last `window_minutes` (0: none,
    without a call)."""
    if window_minutes < 1:
        return NO_CALLS
    async with credentials.get_client() as client:
        return await client.get_metrics(campaign_id, window_minutes=window_minutes)


@task(name="read-fleet-metrics", timeout_seconds=FLEET_READ_SECONDS, **CXONE_TASK_OPTIONS)
async def read_fleet_metrics(
    credentials: PlatformCredentials, windows: dict[str, int], concurrency: int
) -> dict[str, CampaignMetrics | ReadFailure]:
    """Every campaign's reading over its window, through one client (one rate limit).

    Returns:
        Campaign id -> the metrics, or a `ReadFailure` for a campaign that could not be read
        (one failure must not hide the others). A window of 0 minutes reads nothing.
    """
    gate = asyncio.Semaphore(concurrency)

    async def read(client, campaign_id: str, window: int):  # type: ignore[no-untyped-def]
        if window < 1:
            return campaign_id, NO_CALLS
        async with gate:
            try:
                return campaign_id, await client.get_metrics(campaign_id, window_minutes=window)
            except CXoneError as exc:
                return campaign_id, ReadFailure(campaign_id, f"{type(exc).__name__}: {exc}")

    async with credentials.get_client() as client:
        readings = await asyncio.gather(*(read(client, c, w) for c, w in windows.items()))
    return dict(readings)


@task(name="read-abandonment", timeout_seconds=ONE_CALL_SECONDS, **CXONE_TASK_OPTIONS)
async def read_abandonment(
    credentials: PlatformCredentials, campaign_id: str
) -> AbandonmentReading:
    """The campaign's abandoned and handled calls over the rolling 30 days (16 CFR 310.4)."""
    window = int(ABANDONMENT_WINDOW.total_seconds() // 60)
    async with credentials.get_client() as client:
        metrics = await client.get_metrics(campaign_id, window_minutes=window)
    return AbandonmentReading(metrics.calls_abandoned, metrics.calls_handled)


@task(name="read-campaign-status", timeout_seconds=ONE_CALL_SECONDS, **CXONE_TASK_OPTIONS)
async def read_status(credentials: PlatformCredentials, campaign_id: str) -> str:
    """The campaign's status as the platform reports it now."""
    async with credentials.get_client() as client:
        return (await client.get_campaign(campaign_id)).status


async def _change_status(
    credentials: PlatformCredentials, campaign_id: str, status: CampaignStatus, idempotency_key: str
) -> dict:
    """Read, send the change with the operation's key if needed, read back.

    The read-back is what counts: an answer can be lost after the platform applied the
    change, and "already in that status" is success only if the campaign really is there.
    On NICE CXone a pause is a stop without force: live calls end normally.

    Raises:
        StatusNotConfirmed: the campaign is in another status after the change.
    """
    async with credentials.get_client() as platform:
        if (await platform.get_campaign(campaign_id)).status != status:
            change = platform.pause_campaign if status == "paused" else platform.resume_campaign
            await change(campaign_id, idempotency_key=idempotency_key)
        campaign = await platform.get_campaign(campaign_id)
    if campaign.status != status:
        raise StatusNotConfirmed(f"campaign {campaign_id} is {campaign.status!r}, not {status!r}")
    get_run_logger().info("Campaign %s confirmed %s", campaign_id, status)
    return {
        "id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "confirmed_at": clock.now().isoformat(),
    }


@task(name="pause-campaign", timeout_seconds=THREE_CALLS_SECONDS, **CXONE_TASK_OPTIONS)
async def pause_campaign(
    credentials: PlatformCredentials, campaign_id: str, idempotency_key: str
) -> dict:
    """Pause the campaign and confirm it paused.

    Raises:
        StatusNotConfirmed: the campaign still is not paused after the change.
    """
    return await _change_status(credentials, campaign_id, "paused", idempotency_key)


@task(name="resume-campaign", timeout_seconds=THREE_CALLS_SECONDS, **CXONE_TASK_OPTIONS)
async def resume_campaign(
    credentials: PlatformCredentials, campaign_id: str, idempotency_key: str
) -> dict:
    """Resume the campaign and confirm it is active.

    Raises:
        StatusNotConfirmed: the campaign still is not active after the change.
    """
    return await _change_status(credentials, campaign_id, "active", idempotency_key)
