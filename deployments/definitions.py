"""The deployments, defined once for `prefect.serve` (prefect.yaml mirrors them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.events.schemas.automations import Posture
from prefect.schedules import Cron, Interval

from flows._events import EVALUATED, EVALUATING
from flows.dial_list import sync_dial_list
from flows.export import export_segmented_contacts
from flows.monitor import monitor_campaigns, monitor_fleet, restore_primary
from flows.outcomes import collect_outcomes
from flows.provision import provision_campaign
from flows.revocations import APPLIED_EVENT, RECEIVED_EVENT, apply_revocations

LOW_SUCCESS_EVENT = "cxone.campaign.success_rate.low"
# The failover run gets only the pair's ids from the event; thresholds and the rest are read
# from the pair's FailoverPair block, the one place a pair is configured.
FAILOVER_PARAMETERS = {
    name: f"{{{{ event.payload.{name} }}}}"
    for name in ("primary_campaign_id", "backup_campaign_id", "credentials_block")
}
# The responder (deployments/responder.py) evaluates the pair within a second of the low
# event and announces it with `cxone.campaign.evaluated`; a storm's pairs, evaluated together
# by one run, are announced with `cxone.campaign.evaluating` when that run takes them up. The
# trigger is the safety net: it starts a run only when neither followed the low event within
# this window, so it does not compete with the responder for the CPU when the responder is up.
SAFETY_NET_SECONDS = 10
FAILOVER_TRIGGER = DeploymentEventTrigger(
    name="Fail over when no responder evaluated a low success rate",
    description=(
        "A low-success event for a campaign was not followed by an evaluation of its pair, "
        f"finished or under way, within {SAFETY_NET_SECONDS} s (the responder is down or "
        "busy): run the failover."
    ),
    posture=Posture.Proactive,
    after={LOW_SUCCESS_EVENT},
    expect={EVALUATED, EVALUATING},
    for_each={"prefect.resource.id"},
    match={"prefect.resource.id": "cxone.campaign.*"},
    within=dt.timedelta(seconds=SAFETY_NET_SECONDS),
    threshold=1,
    parameters=FAILOVER_PARAMETERS,
)
# The responder applies a revocation the dashboard announced within a second or two; the
# deployment's trigger runs it when no `cxone.revocation.applied` followed within this window.
REVOCATION_SAFETY_NET_SECONDS = 30
REVOCATION_TRIGGER = DeploymentEventTrigger(
    name="Apply a revocation no responder applied",
    description=(
        "The dashboard kept a signed revocation and announced it, and no run applied it within "
        f"{REVOCATION_SAFETY_NET_SECONDS} s (the responder is down or busy): apply it."
    ),
    posture=Posture.Proactive,
    after={RECEIVED_EVENT},
    expect={APPLIED_EVENT},
    for_each={"prefect.resource.id"},
    match={"prefect.resource.id": "cxone.revocation.*"},
    within=dt.timedelta(seconds=REVOCATION_SAFETY_NET_SECONDS),
    threshold=1,
    parameters={"batch": "{{ event.payload.batch }}"},
)
# Call outcomes are read back every quarter of an hour (one run per window).
OUTCOMES_EVERY = dt.timedelta(minutes=15)
# Daily, before the first legal minute anywhere: 08:00 in Puerto Rico is 07:00 Eastern in
# winter, and in Newfoundland 06:30. A day list does not depend on the hour it is made.
EXPORT_CRON = "30 5 * * *"
EXPORT_TIMEZONE = "America/New_York"
# One run at a time; a run due while one is still going is cancelled, not queued.
ONE_AT_A_TIME = ConcurrencyLimitConfig(
    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
)


def build_deployments(
    contact_list_id: str,
    credentials_block: str = "cxone",
    output_dir: str = "exports",
    monitor_interval: dt.timedelta = dt.timedelta(minutes=1),
    dial_list_source: str = "contacts.parquet",
    calling_list: str = "Daily dial list",
    dial_list_credentials: str = "cxone-access-key/prod",
    dnc_group: str | None = None,
    revocation_lists: Sequence[str] | None = None,
    dial_list_output_dir: str = "dial-lists",
    outcomes_output_dir: str = "outcomes",
) -> list[RunnerDeployment]:
    """Every deployment of the product; each shows its flow's docstring as its description.

    The fleet is every saved `FailoverPair`: adding a pair needs no deployment change. A
    revocation leaves `revocation_lists` (default: the daily sync's `calling_list`). The
    output directories are relative to the serving process's working directory.
    """
    return [
        provision_campaign.to_deployment(
            name="provision-campaign", parameters={"credentials_block": credentials_block}
        ),
        export_segmented_contacts.to_deployment(
            name="export-segmented-contacts",
            schedules=[Cron(EXPORT_CRON, timezone=EXPORT_TIMEZONE)],
            parameters={
                "contact_list_id": contact_list_id,
                "output_dir": output_dir,
                "credentials_block": credentials_block,
                "for_day": "today",
            },
        ),
        sync_dial_list.to_deployment(
            name="sync-dial-list",
            schedules=[Cron(EXPORT_CRON, timezone=EXPORT_TIMEZONE)],
            concurrency_limit=ONE_AT_A_TIME,
            parameters={
                "source": dial_list_source,
                "calling_list": calling_list,
                "credentials_block": dial_list_credentials,
                "output_dir": dial_list_output_dir,
                "for_day": "today",
            },
        ),
        collect_outcomes.to_deployment(
            name="collect-outcomes",
            schedules=[Interval(OUTCOMES_EVERY)],
            concurrency_limit=ONE_AT_A_TIME,
            parameters={
                "credentials_block": dial_list_credentials,
                "dnc_group": dnc_group,
                "output_dir": outcomes_output_dir,
            },
        ),
        apply_revocations.to_deployment(
            name="apply-revocations",
            triggers=[REVOCATION_TRIGGER],
            parameters={
                "credentials_block": dial_list_credentials,
                "dnc_group": dnc_group,
                "calling_lists": list(revocation_lists or [calling_list]),
            },
        ),
        monitor_fleet.to_deployment(
            name="monitor-fleet",
            schedules=[Interval(monitor_interval)],
            concurrency_limit=ONE_AT_A_TIME,
        ),
        # No concurrency limit: a run that finds the failover claimed waits for its holder
        # and returns, while a limit would park every extra run for Prefect's slot wait.
        monitor_campaigns.to_deployment(
            name="failover-on-low-success", triggers=[FAILOVER_TRIGGER]
        ),
        restore_primary.to_deployment(name="restore-primary"),
    ]
