"""Flow: provision a campaign from a validated spec, exactly once."""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed

from blocks import digest, load_credentials, operation, register_block_types
from cxone import CampaignSettings, CampaignSpec
from tasks.campaigns import find_or_create_campaign, read_provisioned_campaign

from . import _cli
from ._user_errors import fails_cleanly

HOLDER_WAIT_SECONDS = 120.0


def spec_of(
    campaign_name: str,
    contact_list_id: str,
    timezone: str = "America/New_York",
    initial_status: str = "active",
    settings: CampaignSettings | dict[str, Any] | None = None,
    **_: object,
) -> CampaignSpec:
    """The campaign the arguments ask for, every violation found at once.

    Raises:
        pydantic.ValidationError: The spec breaks rules; each is listed.
    """
    return CampaignSpec.model_validate(
        {
            "name": campaign_name,
            "contact_list_id": contact_list_id,
            "timezone": timezone,
            "initial_status": initial_status,
            "settings": settings or {},
        }
    )


# Parameters are validated by CampaignSpec in one pass (so every violation is reported at
# once), not piecemeal by Prefect; the UI still renders the form from the annotations.
@flow(
    name="provision-campaign",
    flow_run_name="provision {campaign_name}",
    validate_parameters=False,
    timeout_seconds=300,
)
@fails_cleanly
async def provision_campaign(
    campaign_name: str,
    contact_list_id: str,
    credentials_block: str = "cxone",
    timezone: str = "America/New_York",
    initial_status: Literal["active", "paused"] = "active",
    settings: CampaignSettings | dict[str, Any] | None = None,
) -> State[Any]:
    """Create a predictive outbound campaign, or adopt the identical one that already exists.

    Re-running with the same arguments returns the same campaign and creates nothing, also
    when runs race or one died after the platform created the campaign. A campaign with the
    same name but other settings is reported field by field, never overwritten or
    duplicated. Use `initial_status="paused"` for a backup campaign that must not dial until
    a failover resumes it.

    Args:
        campaign_name: Unique campaign name.
        contact_list_id: The contact list the campaign dials.
        credentials_block: A CXoneCredentials block's name, or '<block-type-slug>/<name>'.
        timezone: IANA zone of the campaign's own schedule.
        initial_status: "active" to dial at once, "paused" for a backup.
        settings: Dialer, window, rate-limit and failover settings (tutorial defaults).

    Returns:
        A `Completed` state whose data (what a call returns) is the campaign as the API
        returns it, with its `id`.

    Raises:
        pydantic.ValidationError: the spec breaks a rule; every violation is listed.
        CampaignSpecMismatch: a campaign of that name exists with other settings.
        ProvisionedCampaignGone: the campaign this spec created was deleted since.

    Example:
        ```python
        import asyncio
        from flows.provision import provision_campaign

        campaign = asyncio.run(provision_campaign("Renewals", "CL-DEMO"))
        ```
    """
    logger = get_run_logger()
    spec = spec_of(campaign_name, contact_list_id, timezone, initial_status, settings)
    await register_block_types()
    credentials = await load_credentials(credentials_block)
    identity = operation.OperationIdentity(
        "provision",
        {
            "campaign_name": campaign_name,
            "spec": digest(spec.model_dump(mode="json")),
            "credentials_block": credentials_block,
        },
    )
    outcome = await operation.run_once(
        identity,
        ["create"],
        f"provision campaign {campaign_name!r}",
        lambda held: held.step(
            "create", lambda key: find_or_create_campaign(credentials, spec, key)
        ),
        max_wait=HOLDER_WAIT_SECONDS,
        backoff=False,
    )
    if outcome.held and outcome.value is not None:
        campaign = outcome.value
    else:
        assert outcome.record is not None
        campaign_id = outcome.record.answers["create"]["id"]
        campaign = await read_provisioned_campaign(credentials, campaign_id, identity.name)
        campaign["created"] = False
    verb = "Created" if campaign.pop("created") else "Adopted existing"
    logger.info("%s campaign %s (%s)", verb, campaign["id"], campaign["status"])
    await acreate_markdown_artifact(
        key="provisioned-campaign",
        markdown=(
            f"## {verb} campaign `{campaign['name']}`\n\n"
            f"| field | value |\n|---|---|\n"
            f"| id | `{campaign['id']}` |\n| status | {campaign['status']} |\n"
            f"| contact list | `{contact_list_id}` |\n| time zone | {timezone} |\n"
        ),
        description=f"{verb} campaign {campaign['name']}",
    )
    message = f"{verb} campaign {campaign['name']!r} ({campaign['id']}, {campaign['status']})"
    return Completed(message=message, data=campaign)


def main(argv: list[str] | None = None) -> None:
    cli = _cli.parser("python -m flows.provision", provision_campaign.__doc__.splitlines()[0])
    cli.add_argument("campaign_name", help="unique campaign name (the skill's name on NICE)")
    cli.add_argument("contact_list_id", help="the contact list (calling list) it dials")
    _cli.credentials_option(cli)
    cli.add_argument("--timezone", default="America/New_York", help="IANA zone of its schedule")
    cli.add_argument(
        "--initial-status",
        choices=["active", "paused"],
        default="active",
        help="paused for a backup that must not dial until a failover",
    )
    cli.add_argument(
        "--settings",
        type=_cli.json_object,
        help="dialer, window, rate-limit and failover settings as JSON, e.g. "
        '\'{"dialing_rules": {"start_time": "09:00"}}\', or @FILE (default: the tutorial\'s)',
    )
    args = cli.parse_args(argv)
    options = _cli.options(args)

    async def check() -> None:
        spec_of(**options)
        await load_credentials(options["credentials_block"])

    _cli.run(args, lambda: provision_campaign(**options), check=check)


if __name__ == "__main__":
    main()
