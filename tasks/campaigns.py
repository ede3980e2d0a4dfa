"""Tasks that create, find and read campaigns, on whichever platform the credentials name."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task

from blocks import IdempotencyRecord, PlatformCredentials
from cxone import CampaignSpec, CampaignSpecMismatch, CXoneNotFound

from .errors import CXONE_TASK_OPTIONS, ONE_CALL_SECONDS, THREE_CALLS_SECONDS


@task(name="find-or-create-campaign", timeout_seconds=4 * THREE_CALLS_SECONDS, **CXONE_TASK_OPTIONS)
async def find_or_create_campaign(
    credentials: PlatformCredentials, spec: CampaignSpec, idempotency_key: str
) -> dict[str, Any]:
    """Adopt the campaign with this name if it matches the spec, else create it once.

    Looking up the name first makes a retry after a create whose answer was lost find the
    campaign instead of creating a second one; a campaign found with this operation's key is
    ours, half-made, and its creation is finished instead.

    Returns:
        The campaign as the platform returns it, plus `created`: whether this call created it.

    Raises:
        CampaignSpecMismatch: a campaign of that name exists with different settings, or
            several campaigns share the name.
    """
    logger = get_run_logger()
    async with credentials.get_client() as platform:
        existing = await platform.find_campaigns_by_name(spec.name)
        if len(existing) > 1:
            raise CampaignSpecMismatch(
                f"{len(existing)} campaigns are named {spec.name!r} "
                f"({', '.join(c.id for c in existing)}); resolve the duplicates first"
            )
        if existing and not platform.made_by(existing[0], idempotency_key):
            campaign = existing[0]
            differences = await platform.spec_differences(campaign, spec)
            if differences:
                raise CampaignSpecMismatch(
                    f"campaign {spec.name!r} ({campaign.id}) exists with other settings:\n  "
                    + "\n  ".join(differences)
                )
            logger.info("Campaign %r already exists as %s; adopting it", spec.name, campaign.id)
            return {**campaign.model_dump(mode="json", by_alias=True), "created": False}
        created = await platform.create_campaign(spec, idempotency_key=idempotency_key)
        logger.info("Created campaign %r as %s (%s)", created.name, created.id, created.status)
        return {**created.model_dump(mode="json", by_alias=True), "created": True}


class ProvisionedCampaignGone(LookupError):
    """A campaign recorded as provisioned no longer exists on the platform."""


@task(name="read-provisioned-campaign", timeout_seconds=ONE_CALL_SECONDS, **CXONE_TASK_OPTIONS)
async def read_provisioned_campaign(
    credentials: PlatformCredentials, campaign_id: str, record_name: str
) -> dict[str, Any]:
    """The campaign a provisioning record created, as the platform holds it now.

    Raises:
        ProvisionedCampaignGone: it was deleted; the message names the record to delete
            before provisioning again (re-creating it unasked could race another run).
    """
    async with credentials.get_client() as platform:
        try:
            campaign = await platform.get_campaign(campaign_id)
        except CXoneNotFound:
            raise ProvisionedCampaignGone(
                f"campaign {campaign_id} was provisioned by record {record_name} but no longer "
                f"exists; to provision it again, delete that record first: prefect block delete "
                f"{IdempotencyRecord.get_block_type_slug()}/{record_name}"
            ) from None
    return campaign.model_dump(mode="json", by_alias=True)
