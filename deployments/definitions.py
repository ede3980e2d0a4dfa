"""The four deployments, defined once for `prefect.serve` (prefect.yaml mirrors them)."""

from __future__ import annotations

import datetime as dt

from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron, Interval

from flows.export import export_segmented_contacts
from flows.monitor import monitor_campaigns
from flows.provision import provision_campaign

LOW_SUCCESS_EVENT = "cxone.campaign.success_rate.low"
# Every parameter of the failover run comes from the event, which the dashboard fills from
# the pair's FailoverPair block: the block is the one place a pair is configured.
FAILOVER_PARAMETERS = {
    name: f"{{{{ event.payload.{name} }}}}"
    for name in (
        "primary_campaign_id",
        "backup_campaign_id",
        "credentials_block",
        "threshold",
        "window_minutes",
        "min_calls",
    )
}
EXPORT_CRON = "30 7 * * *"  # daily, before 08:00 in the earliest US zone
EXPORT_TIMEZONE = "America/New_York"


def build_deployments(
    primary_campaign_id: str,
    backup_campaign_id: str,
    contact_list_id: str,
    credentials_block: str = "cxone",
    output_dir: str = "exports",
    monitor_interval: dt.timedelta = dt.timedelta(minutes=1),
) -> list[RunnerDeployment]:
    """Deployments for one primary/backup pair and its contact list."""
    return [
        provision_campaign.to_deployment(
            name="provision-campaign",
            parameters={"credentials_block": credentials_block},
            description="Ad hoc: create or adopt a campaign.",
        ),
        export_segmented_contacts.to_deployment(
            name="export-segmented-contacts",
            schedules=[Cron(EXPORT_CRON, timezone=EXPORT_TIMEZONE)],
            parameters={
                "contact_list_id": contact_list_id,
                "output_dir": output_dir,
                "credentials_block": credentials_block,
            },
        ),
        monitor_campaigns.to_deployment(
            name="monitor-campaigns",
            schedules=[Interval(monitor_interval)],
            concurrency_limit=1,
            parameters={
                "primary_campaign_id": primary_campaign_id,
                "backup_campaign_id": backup_campaign_id,
                "credentials_block": credentials_block,
            },
        ),
        monitor_campaigns.to_deployment(
            name="failover-on-low-success",
            triggers=[
                DeploymentEventTrigger(
                    expect={LOW_SUCCESS_EVENT},
                    match={"prefect.resource.id": "cxone.campaign.*"},
                    parameters=FAILOVER_PARAMETERS,
                )
            ],
            # No concurrency limit: a run that finds the failover claimed waits for its owner
            # and returns, while a limit would park every extra run for Prefect's slot wait.
            description="Runs the failover as soon as the dashboard reports a low success rate.",
        ),
    ]
