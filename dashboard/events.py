"""The Prefect events the dashboard emits, and a sender whose failures are logged, not raised.

`cxone.campaign.success_rate.low` carries everything the failover flow needs as parameters,
because its deployment trigger templates them from `event.payload`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prefect.events import emit_event

from blocks import FailoverPair

from .store import MetricsPoint, Reading

logger = logging.getLogger(__name__)

METRICS_UPDATED = "cxone.campaign.metrics.updated"
SUCCESS_RATE_LOW = "cxone.campaign.success_rate.low"

# Fixed so that the same reading always yields the same event id: Prefect then treats an
# event re-emitted after a dashboard restart (which forgets seen webhook ids) as a duplicate.
_EVENT_ID_NAMESPACE = uuid.UUID("5b0f3c1e-6f0e-4d57-9a53-2f4c8f1d7a10")

Emit = Callable[..., Any]
"""Anything called like `prefect.events.emit_event(event=, resource=, payload=, id=)`."""


@dataclass(frozen=True)
class CampaignEvent:
    """One event about one campaign, ready to emit."""

    event: str
    campaign_id: str
    payload: dict[str, Any]
    reading_id: str

    @property
    def resource(self) -> dict[str, str]:
        return {
            "prefect.resource.id": f"cxone.campaign.{self.campaign_id}",
            "cxone.campaign.id": self.campaign_id,
        }

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(_EVENT_ID_NAMESPACE, f"{self.event}/{self.reading_id}")


def metrics_updated(reading: Reading) -> CampaignEvent:
    """The event every metrics reading emits."""
    point = reading.point
    payload = {
        "success_rate": point.success_rate,
        "calls_attempted": point.calls_attempted,
        "calls_connected": point.calls_connected,
        "active_calls": point.active_calls,
        "source": reading.source,
        "reading_id": reading.reading_id,
    }
    return CampaignEvent(METRICS_UPDATED, reading.campaign_id, payload, reading.reading_id)


def is_low(pair: FailoverPair, point: MetricsPoint) -> bool:
    """Below the pair's threshold, over at least its minimum number of calls."""
    return point.success_rate < pair.threshold and point.calls_attempted >= pair.min_calls


def success_rate_low(pair: FailoverPair, reading: Reading) -> CampaignEvent:
    """The event that triggers the failover of `pair`; its payload holds the flow parameters."""
    payload = {
        "primary_campaign_id": pair.primary_campaign_id,
        "backup_campaign_id": pair.backup_campaign_id,
        "credentials_block": pair.credentials_block,
        "threshold": pair.threshold,
        "window_minutes": pair.window_minutes,
        "min_calls": pair.min_calls,
        "success_rate": reading.point.success_rate,
        "calls_attempted": reading.point.calls_attempted,
        "source": reading.source,
        "reading_id": reading.reading_id,
    }
    return CampaignEvent(SUCCESS_RATE_LOW, pair.primary_campaign_id, payload, reading.reading_id)


class EventSender:
    """Emits events; a failure is logged and reported, never raised.

    Args:
        emit: the emitting function; default `prefect.events.emit_event`.
    """

    def __init__(self, emit: Emit | None = None) -> None:
        self._emit = emit or emit_event

    def send(self, event: CampaignEvent) -> bool:
        """Emit one event; returns False (after logging) when emission failed."""
        try:
            self._emit(
                event=event.event, resource=event.resource, payload=event.payload, id=event.id
            )
        except Exception as exc:
            # The metrics are already stored; the next update emits again.
            logger.error(
                "could not emit %s for campaign %s (reading %s): %s: %s",
                event.event,
                event.campaign_id,
                event.reading_id,
                type(exc).__name__,
                exc,
            )
            return False
        return True
