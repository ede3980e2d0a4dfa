"""Tasks of the monitor: read a campaign's metrics and status, pause it, resume it.

`pause_campaign` only ever pauses and `resume_campaign` only ever resumes. Nothing is sent
to a campaign already in the target status (read first, unless the platform applies a change
once per key and refuses one to a campaign already there), and the change counts only once
the platform shows the campaign in its new status (the change's answer, else a read-back).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from prefect import get_run_logger, task

from blocks import PlatformCredentials, clock
from cxone import Campaign, CampaignMetrics, CampaignPlatform, CampaignStatus, CXoneError
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

    Where the platform lists every campaign's summary (NICE CXone), a request reads 100
    campaigns; elsewhere each campaign is one request, at most `concurrency` in flight.

    Returns:
        Campaign id -> the metrics, or a `ReadFailure` for a campaign that could not be read
        (one failure must not hide the others). A window of 0 minutes reads nothing.
    """
    by_window: dict[int, list[str]] = {}
    for campaign_id, window in windows.items():
        by_window.setdefault(window, []).append(campaign_id)
    readings: dict[str, CampaignMetrics | ReadFailure] = {}
    async with credentials.get_client() as client:
        for window, campaign_ids in by_window.items():
            readings |= await _read_many(client, campaign_ids, window, concurrency)
    return readings


@task(name="read-fleet-abandonment", timeout_seconds=FLEET_READ_SECONDS, **CXONE_TASK_OPTIONS)
async def read_fleet_abandonment(
    credentials: PlatformCredentials, campaign_ids: list[str], concurrency: int
) -> dict[str, AbandonmentReading | ReadFailure]:
    """These campaigns' abandoned and handled calls over the rolling 30 days, read as
    `read_fleet_metrics` reads (a `ReadFailure` for a campaign that could not be read)."""
    window = int(ABANDONMENT_WINDOW.total_seconds() // 60)
    async with credentials.get_client() as client:
        readings = await _read_many(client, campaign_ids, window, concurrency)
    return {
        campaign_id: reading
        if isinstance(reading, ReadFailure)
        else AbandonmentReading(reading.calls_abandoned, reading.calls_handled)
        for campaign_id, reading in readings.items()
    }


async def _read_many(
    client: CampaignPlatform, campaign_ids: list[str], window: int, concurrency: int
) -> dict[str, CampaignMetrics | ReadFailure]:
    """The platform's bulk listing first, then one request for each campaign it left out."""
    if window < 1:
        return dict.fromkeys(campaign_ids, NO_CALLS)
    try:
        readings: dict[str, CampaignMetrics | ReadFailure] = dict(
            await client.bulk_metrics(campaign_ids, window)
        )
    except CXoneError as exc:  # the campaigns are read one by one instead
        get_run_logger().warning("The bulk metrics read failed (%s); reading each campaign", exc)
        readings = {}
    gate = asyncio.Semaphore(concurrency)

    async def read(campaign_id: str) -> None:
        async with gate:
            try:
                readings[campaign_id] = await client.get_metrics(campaign_id, window_minutes=window)
            except CXoneError as exc:
                readings[campaign_id] = ReadFailure(campaign_id, f"{type(exc).__name__}: {exc}")

    await asyncio.gather(*(read(c) for c in campaign_ids if c not in readings))
    return readings


@task(name="read-abandonment", timeout_seconds=ONE_CALL_SECONDS, **CXONE_TASK_OPTIONS)
async def read_abandonment(
    credentials: PlatformCredentials, campaign_id: str
) -> AbandonmentReading:
    """The campaign's abandoned and handled calls over the rolling 30 days (16 CFR 310.4)."""
    window = int(ABANDONMENT_WINDOW.total_seconds() // 60)
    async with credentials.get_client() as client:
        metrics = await client.get_metrics(campaign_id, window_minutes=window)
    return AbandonmentReading(metrics.calls_abandoned, metrics.calls_handled)


@task(name="read-campaign-names", timeout_seconds=ONE_CALL_SECONDS)
async def read_names(
    credentials: PlatformCredentials, campaign_ids: list[str], concurrency: int
) -> dict[str, str]:
    """The campaigns' names, for people (run names, artifacts, the fleet's table).

    Names never hold up a failover: no retries, and a campaign whose name cannot be read is
    left out (its id stands in for it until a later run reads it).

    Returns:
        Campaign id -> name, for the campaigns that could be read.
    """
    gate = asyncio.Semaphore(concurrency)
    names: dict[str, str] = {}

    async def read(client: CampaignPlatform, campaign_id: str) -> None:
        async with gate:
            try:
                names[campaign_id] = (await client.get_campaign(campaign_id)).name
            except CXoneError as exc:
                get_run_logger().debug("No name for %s: %s", campaign_id, type(exc).__name__)

    async with credentials.get_client() as client:
        await asyncio.gather(*(read(client, campaign_id) for campaign_id in campaign_ids))
    return {campaign_id: name for campaign_id, name in names.items() if name}


@task(name="read-campaign-status", timeout_seconds=ONE_CALL_SECONDS, **CXONE_TASK_OPTIONS)
async def read_status(credentials: PlatformCredentials, campaign_id: str) -> str:
    """The campaign's status as the platform reports it now."""
    async with credentials.get_client() as client:
        return (await client.get_campaign(campaign_id)).status


async def _change_status(
    credentials: PlatformCredentials, campaign_id: str, status: CampaignStatus, idempotency_key: str
) -> dict:
    """Send the change with the operation's key if needed, and confirm it.

    Nothing is sent to a campaign already in that status: where the platform applies a change
    once per key and answers one to a campaign already there as applied without acting
    (`changes_by_key`), the change goes out at once; elsewhere the campaign is read first.
    The confirmation is the platform's own answer: the read that found the campaign there
    already, or the change's answer when it shows the new status, else a read-back (an answer
    can be lost after the platform applied the change, and "already in that status" is
    success only if the campaign really is there).
    On NICE CXone a pause is a stop without force: live calls end normally.

    Raises:
        StatusNotConfirmed: the campaign is in another status after the change.
    """
    async with credentials.get_client() as platform:
        change = platform.pause_campaign if status == "paused" else platform.resume_campaign
        campaign: Campaign | None = None
        if not platform.changes_by_key:
            campaign = await platform.get_campaign(campaign_id)
        if campaign is None or campaign.status != status:
            campaign = await change(campaign_id, idempotency_key=idempotency_key)
        if campaign is None or campaign.status != status:
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
