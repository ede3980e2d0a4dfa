"""The Prefect events the monitoring flows emit about a pair.

Each is about the primary campaign (`cxone.campaign.<id>`), with the backup as a related
resource, so automations and the dashboard can follow a pair by its primary's id.
"""

from __future__ import annotations

from typing import Any

from prefect.events import emit_event
from prefect.logging import get_logger

ABANDONMENT_HIGH = "cxone.campaign.abandonment.high"
BACKUP_IN_USE = "cxone.campaign.backup.in-use"
EVALUATED = "cxone.campaign.evaluated"
# A run has taken the pair up with others (`monitor_pairs`): its evaluation is under way.
EVALUATING = "cxone.campaign.evaluating"
FAILOVER = "cxone.campaign.failover"
FAILOVER_INCOMPLETE = "cxone.campaign.failover.incomplete"
RESTORED = "cxone.campaign.restored"

# Prefect's logger tree: a failed announcement shows in the service's or run's console.
logger = get_logger("cxone.events")


def campaign_resource(campaign_id: str) -> dict[str, str]:
    return {
        "prefect.resource.id": f"cxone.campaign.{campaign_id}",
        "cxone.campaign.id": campaign_id,
    }


def emit_pair_event(event: str, primary: str, backup: str, **payload: Any) -> None:
    """Emit `event` about the pair; the payload names both campaigns."""
    emit_event(
        event=event,
        resource=campaign_resource(primary),
        related=[{**campaign_resource(backup), "prefect.resource.role": "backup"}],
        payload={"primary_campaign_id": primary, "backup_campaign_id": backup, **payload},
    )


def announce_taken_up(primary: str, backup: str, **payload: Any) -> None:
    """Emit `EVALUATING` about the pair: the safety-net trigger counts it as an answer to the
    pair's low event. A failure is logged, never raised: the safety net then starts a run of
    its own (slower, still exactly once)."""
    try:
        emit_pair_event(EVALUATING, primary, backup, **payload)
    except Exception:
        logger.exception("Could not announce the evaluation of %s", primary)
