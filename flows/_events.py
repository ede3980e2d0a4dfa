"""The Prefect events the monitoring flows emit about a pair.

Each is about the primary campaign (`cxone.campaign.<id>`), with the backup as a related
resource, so automations and the dashboard can follow a pair by its primary's id.
"""

from __future__ import annotations

from typing import Any

from prefect.events import emit_event

ABANDONMENT_HIGH = "cxone.campaign.abandonment.high"
BACKUP_IN_USE = "cxone.campaign.backup.in-use"
EVALUATED = "cxone.campaign.evaluated"
# A run has taken the pair up with others (`monitor_pairs`): its evaluation is under way.
EVALUATING = "cxone.campaign.evaluating"
FAILOVER = "cxone.campaign.failover"
FAILOVER_INCOMPLETE = "cxone.campaign.failover.incomplete"
RESTORED = "cxone.campaign.restored"


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
