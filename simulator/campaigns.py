"""Campaigns and their metrics. Names are not unique, like on many real APIs."""

from __future__ import annotations

import secrets

from .clock import Clock, iso
from .errors import ApiError

# callsAbandoned: calls answered by a person but not connected to an agent in time (the TSR's
# abandoned calls); callsConnected are the ones that reached an agent.
METRIC_FIELDS = ("successRate", "callsAttempted", "callsConnected", "callsAbandoned", "activeCalls")


class Campaigns:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._campaigns: dict[str, dict] = {}
        self._metrics: dict[str, dict] = {}
        # Every status change that took effect, oldest first: what tests count to prove that
        # retries, replays and racing runs changed a campaign once.
        self.transitions: list[dict] = []

    def clear(self) -> None:
        self._campaigns.clear()
        self._metrics.clear()
        self.transitions.clear()

    def create(self, payload: dict) -> dict:
        """Store a validated payload as sent, plus id, status and timestamps."""
        campaign_id = "cmp_" + secrets.token_hex(5)
        now = iso(self._clock.now())
        campaign = {
            **payload,
            "id": campaign_id,
            "status": payload.get("status", "active"),
            "createdAt": now,
            "updatedAt": now,
        }
        self._campaigns[campaign_id] = campaign
        self._metrics[campaign_id] = {
            "campaignId": campaign_id,
            "successRate": 0.0,
            "activeCalls": 0,
            "callsAttempted": 0,
            "callsConnected": 0,
            "callsAbandoned": 0,
            "failoverTriggered": False,
            "lastUpdated": now,
        }
        return campaign

    def all(self, name: str | None = None) -> list[dict]:
        return [c for c in self._campaigns.values() if name is None or c.get("name") == name]

    def get(self, campaign_id: str) -> dict:
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            raise ApiError(404, f"campaign {campaign_id!r} not found")
        return campaign

    def set_status(self, campaign_id: str, status: str) -> dict:
        """Change the status (409 if it already is that); pausing ends the active calls."""
        campaign = self.get(campaign_id)
        if campaign["status"] == status:
            raise ApiError(
                409, f"campaign {campaign_id!r} is already {status}", currentStatus=status
            )
        campaign["status"] = status
        campaign["updatedAt"] = iso(self._clock.now())
        self.transitions.append(
            {"campaignId": campaign_id, "status": status, "at": campaign["updatedAt"]}
        )
        if status == "paused":
            self._metrics[campaign_id]["activeCalls"] = 0
        return campaign

    def metrics(self, campaign_id: str) -> dict:
        self.get(campaign_id)
        return self._metrics[campaign_id]

    def update_metrics(self, campaign_id: str, values: dict) -> dict:
        metrics = self.metrics(campaign_id)
        metrics.update(values)
        metrics["lastUpdated"] = iso(self._clock.now())
        return metrics
