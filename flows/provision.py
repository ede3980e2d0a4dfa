"""Flow: provision a campaign from a validated spec, exactly once."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Literal

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from blocks import CXoneCredentials, register_block_types
from tasks.campaigns import CampaignSettings, CampaignSpec, find_or_create_campaign


# Parameters are validated by CampaignSpec in one pass (so every violation is reported at
# once), not piecemeal by Prefect; the UI still renders the form from the annotations.
@flow(name="provision-campaign", validate_parameters=False)
async def provision_campaign(
    campaign_name: str,
    contact_list_id: str,
    credentials_block: str = "cxone",
    timezone: str = "America/New_York",
    initial_status: Literal["active", "paused"] = "active",
    settings: CampaignSettings | dict | None = None,
) -> dict:
    """Create a predictive outbound campaign, or adopt the identical one that already exists.

    Re-running with the same arguments returns the same campaign and creates nothing. A
    campaign with the same name but other settings is reported field by field, never
    overwritten or duplicated. Use `initial_status="paused"` for a backup campaign that must
    not dial until a failover resumes it.

    Args:
        campaign_name: Unique campaign name.
        contact_list_id: The contact list the campaign dials.
        credentials_block: Name of the saved CXoneCredentials block.
        timezone: IANA zone of the campaign's own schedule.
        initial_status: "active" to dial at once, "paused" for a backup.
        settings: Dialer, window, rate-limit and failover settings (tutorial defaults).

    Returns:
        The campaign as the API returns it, with its `id`.

    Example:
        ```python
        import asyncio
        from flows.provision import provision_campaign

        campaign = asyncio.run(provision_campaign("Renewals", "CL-DEMO"))
        ```
    """
    logger = get_run_logger()
    spec = CampaignSpec.model_validate(
        {
            "name": campaign_name,
            "contact_list_id": contact_list_id,
            "timezone": timezone,
            "initial_status": initial_status,
            "settings": settings or {},
        }
    )  # every violation at once, before any request
    payload = spec.payload()
    await register_block_types()
    credentials = await CXoneCredentials.aload(credentials_block)
    campaign, created = await find_or_create_campaign(credentials, payload)
    verb = "Created" if created else "Adopted existing"
    logger.info("%s campaign %s (%s)", verb, campaign["id"], campaign["status"])
    await acreate_markdown_artifact(
        key="provisioned-campaign",
        markdown=(
            f"## {verb} campaign `{campaign['name']}`\n\n"
            f"| field | value |\n|---|---|\n"
            f"| id | `{campaign['id']}` |\n| status | {campaign['status']} |\n"
            f"| contact list | `{contact_list_id}` |\n| time zone | {timezone} |\n"
            f"| API | {credentials.base_url} |\n"
        ),
        description=f"{verb} campaign {campaign['name']}",
    )
    return campaign


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=provision_campaign.__doc__.splitlines()[0])
    parser.add_argument("campaign_name")
    parser.add_argument("contact_list_id")
    parser.add_argument("--credentials-block", default="cxone")
    parser.add_argument("--timezone", default="America/New_York")
    parser.add_argument("--initial-status", choices=["active", "paused"], default="active")
    args = parser.parse_args(argv)
    campaign = asyncio.run(provision_campaign(**vars(args)))
    print(json.dumps(campaign, indent=2))


if __name__ == "__main__":
    main()
