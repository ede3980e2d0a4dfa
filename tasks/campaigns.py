"""Tasks that create and find campaigns."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from pydantic import BaseModel, Field

from blocks import CXoneCredentials, IdempotencyRecord
from cxone import (
    Campaign,
    CampaignPayload,
    CampaignStatus,
    ComplianceConfig,
    CXoneNotFound,
    DialerConfig,
    DialingRules,
    FailoverConfig,
    IanaZone,
    PredictiveSettings,
    RateLimits,
)

from .errors import CXONE_TASK_OPTIONS, ONE_CALL_SECONDS, TWO_CALLS_SECONDS


class CampaignSettings(BaseModel):
    """Dialer and compliance settings of a campaign; defaults are the tutorial's."""

    description: str = ""
    predictive: PredictiveSettings = Field(default_factory=PredictiveSettings)
    dialing_rules: DialingRules = Field(default_factory=DialingRules)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    failover: FailoverConfig = Field(default_factory=FailoverConfig)
    queue_id: str = "default_outbound_queue"


class CampaignSpec(BaseModel):
    """Everything that defines a campaign, validated in one pass.

    Every rule of the API is a field constraint here or in the nested settings, so a bad
    spec raises one ValidationError that lists all of its violations.
    """

    name: str = Field(min_length=1, max_length=255)
    contact_list_id: str = Field(min_length=1)
    timezone: IanaZone = "America/New_York"
    initial_status: CampaignStatus = "active"
    settings: CampaignSettings = Field(default_factory=CampaignSettings)

    def payload(self) -> CampaignPayload:
        """The create-campaign body."""
        s = self.settings
        return CampaignPayload(
            name=self.name,
            description=s.description,
            status=self.initial_status,
            dialer_config=DialerConfig(predictive_settings=s.predictive),
            compliance_config=ComplianceConfig(
                time_zone=self.timezone, dialing_rules=s.dialing_rules, rate_limits=s.rate_limits
            ),
            contact_list_id=self.contact_list_id,
            queue_id=s.queue_id,
            failover_config=s.failover,
        )


class CampaignSpecMismatch(ValueError):
    """A campaign with this name exists with other settings; nothing was changed."""


# Status is how a campaign runs, not what it is: failover resumes a backup created paused.
IGNORED_IN_DIFF = {"status"}


def spec_differences(
    wanted: dict[str, Any], existing: dict[str, Any], prefix: str = ""
) -> list[str]:
    """Field-by-field differences between a wanted payload and a campaign the server holds.

    Example:
        >>> spec_differences({"a": {"b": 1}, "c": 2}, {"a": {"b": 2}, "c": 2})
        ['a.b: campaign has 2, spec wants 1']
    """
    found = []
    for key, value in wanted.items():
        path = f"{prefix}{key}"
        if path in IGNORED_IN_DIFF:
            continue
        have = existing.get(key)
        if isinstance(value, dict) and isinstance(have, dict):
            found.extend(spec_differences(value, have, f"{path}."))
        elif have != value:
            found.append(f"{path}: campaign has {have!r}, spec wants {value!r}")
    return found


@task(name="find-or-create-campaign", timeout_seconds=TWO_CALLS_SECONDS, **CXONE_TASK_OPTIONS)
async def find_or_create_campaign(
    credentials: CXoneCredentials, payload: CampaignPayload, idempotency_key: str
) -> dict[str, Any]:
    """Adopt the campaign with this name if it matches the spec, else create it once.

    Looking up the name first makes a retry after a create whose answer was lost find the
    campaign instead of creating a second one; the provisioning record's key covers the
    window in which the server has committed but not yet listed it.

    Returns:
        The campaign as the API returns it, plus `created`: whether this call created it.

    Raises:
        CampaignSpecMismatch: a campaign of that name exists with different settings, or
            several campaigns share the name.
    """
    logger = get_run_logger()
    async with credentials.get_client() as client:
        existing = await client.find_campaigns_by_name(payload.name)
        if len(existing) > 1:
            raise CampaignSpecMismatch(
                f"{len(existing)} campaigns are named {payload.name!r} "
                f"({', '.join(c.id for c in existing)}); resolve the duplicates first"
            )
        if existing:
            campaign = existing[0].model_dump(mode="json", by_alias=True)
            differences = spec_differences(payload.to_wire(), campaign)
            if differences:
                raise CampaignSpecMismatch(
                    f"campaign {payload.name!r} ({campaign['id']}) exists with other settings:\n  "
                    + "\n  ".join(differences)
                )
            logger.info(
                "Campaign %r already exists as %s; adopting it", payload.name, campaign["id"]
            )
            return {**campaign, "created": False}
        created: Campaign = await client.create_campaign(payload, idempotency_key=idempotency_key)
        logger.info("Created campaign %r as %s (%s)", created.name, created.id, created.status)
        return {**created.model_dump(mode="json", by_alias=True), "created": True}


class ProvisionedCampaignGone(LookupError):
    """A campaign recorded as provisioned no longer exists on the platform."""


@task(name="read-provisioned-campaign", timeout_seconds=ONE_CALL_SECONDS, **CXONE_TASK_OPTIONS)
async def read_provisioned_campaign(
    credentials: CXoneCredentials, campaign_id: str, record_name: str
) -> dict[str, Any]:
    """The campaign a provisioning record created, as the platform holds it now.

    Raises:
        ProvisionedCampaignGone: it was deleted; the message names the record to delete
            before provisioning again (re-creating it unasked could race another run).
    """
    async with credentials.get_client() as client:
        try:
            campaign = await client.get_campaign(campaign_id)
        except CXoneNotFound:
            raise ProvisionedCampaignGone(
                f"campaign {campaign_id} was provisioned by record {record_name} but no longer "
                f"exists; to provision it again, delete that record first: prefect block delete "
                f"{IdempotencyRecord.get_block_type_slug()}/{record_name}"
            ) from None
    return campaign.model_dump(mode="json", by_alias=True)
