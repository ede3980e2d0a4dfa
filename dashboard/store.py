"""What the webhooks and polls said, per campaign: recent metrics points and the latest status.

Memory only: after a restart the dashboard starts empty and the health endpoint reads the API
until new readings arrive.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from typing import Literal


def utc_now() -> dt.datetime:
    """The default clock of the dashboard's parts; each takes an injectable one for tests."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class MetricsPoint:
    """One metrics update, as of `at` (when the sender observed it)."""

    at: dt.datetime
    success_rate: float
    calls_attempted: int
    calls_connected: int
    active_calls: int


@dataclass(frozen=True)
class Reading:
    """One stored metrics point of one campaign, on its way to becoming events.

    Attributes:
        campaign_id: the campaign.
        point: the numbers, as stored.
        reading_id: what makes it unique: the webhook id of a delivery, or
            `poll:<campaign>:<time>` for a polled reading; event ids derive from it.
        source: "webhook" or "poll".
        received: monotonic time it was stored.
    """

    campaign_id: str
    point: MetricsPoint
    reading_id: str
    source: Literal["webhook", "poll"]
    received: float


@dataclass
class _Campaign:
    points: list[MetricsPoint] = field(default_factory=list)  # oldest first
    status: str | None = None
    status_at: dt.datetime | None = None


class CampaignStore:
    """Latest metrics, the last few points and the latest status of every reporting campaign.

    Deliveries can arrive out of order (a retried one after a newer one), so points are kept
    in the order they were observed and "latest" means the newest observation, not the last
    arrival.

    Args:
        history_points: points kept per campaign.
    """

    def __init__(self, history_points: int) -> None:
        self._history_points = history_points
        self._campaigns: dict[str, _Campaign] = {}

    def record_metrics(self, campaign_id: str, point: MetricsPoint) -> None:
        """Add a point in the order of observation."""
        points = self._campaigns.setdefault(campaign_id, _Campaign()).points
        bisect.insort(points, point, key=lambda p: p.at)
        del points[: -self._history_points]

    def record_status(self, campaign_id: str, status: str, at: dt.datetime) -> None:
        """Keep `status` unless a newer one is already known."""
        campaign = self._campaigns.setdefault(campaign_id, _Campaign())
        if campaign.status_at is None or at >= campaign.status_at:
            campaign.status, campaign.status_at = status, at

    def campaign_ids(self) -> list[str]:
        """Every campaign a reading has mentioned, in the order they first appeared."""
        return list(self._campaigns)

    def __contains__(self, campaign_id: str) -> bool:
        return campaign_id in self._campaigns

    def latest(self, campaign_id: str) -> MetricsPoint | None:
        campaign = self._campaigns.get(campaign_id)
        return campaign.points[-1] if campaign and campaign.points else None

    def history(self, campaign_id: str) -> list[MetricsPoint]:
        """The kept points, oldest first."""
        campaign = self._campaigns.get(campaign_id)
        return list(campaign.points) if campaign else []

    def status(self, campaign_id: str, since: dt.datetime | None = None) -> str | None:
        """The latest status; with `since`, only when it was read or pushed then or later."""
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            return None
        if since is not None and (campaign.status_at is None or campaign.status_at < since):
            return None
        return campaign.status
