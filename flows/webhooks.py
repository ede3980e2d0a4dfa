"""Flow: register the metrics webhook with CXone once."""

from __future__ import annotations

import argparse
import asyncio
import json

from prefect import flow, get_run_logger

from blocks import load_credentials, operation, register_block_types
from cxone import WebhookRegistration
from tasks.webhooks import register_webhook

HOLDER_WAIT_SECONDS = 60.0
EVENTS = ["omnichannel.campaign.metrics.update", "omnichannel.campaign.state.change"]


@flow(
    name="register-metrics-webhook",
    flow_run_name="register webhook {name}",
    timeout_seconds=300,
)
async def register_metrics_webhook(
    callback_url: str,
    credentials_block: str = "cxone",
    name: str = "campaign-health-dashboard",
) -> dict:
    """Subscribe the dashboard to campaign metrics and state changes, once.

    The registration is an exactly-once operation on the webhook's name, URL and credentials:
    re-runs and racing runs return the first registration instead of adding a second
    subscription that would deliver every event twice.

    Args:
        callback_url: Where CXone posts events, e.g. https://dashboard.example.com/webhooks/cxone.
        credentials_block: A CXoneCredentials block's name, or '<block-type-slug>/<name>'.
        name: The webhook's name on the platform.

    Returns:
        The webhook as the API returned it on first registration (with its `id`).
    """
    logger = get_run_logger()
    await register_block_types()
    identity = operation.OperationIdentity(
        "webhook",
        {"name": name, "callback_url": callback_url, "credentials_block": credentials_block},
    )
    record = await operation.settle(identity, await operation.load(identity), HOLDER_WAIT_SECONDS)
    if record is not None and record.status == "applied":
        logger.info("Webhook %s already registered as %s", name, record.answers["register"]["id"])
        return record.answers["register"]
    credentials = await load_credentials(credentials_block)
    registration = WebhookRegistration(name=name, callback_url=callback_url, events=EVENTS)
    async with operation.hold(
        identity, ["register"], f"register webhook {name} -> {callback_url}", record, False
    ) as held:
        answer = await held.step(
            "register", lambda key: register_webhook(credentials, registration, key)
        )
    logger.info("Registered webhook %s as %s", name, answer["id"])
    return answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m flows.webhooks",
        description=register_metrics_webhook.__doc__.splitlines()[0],
    )
    parser.add_argument("callback_url")
    parser.add_argument("--credentials-block", default="cxone")
    parser.add_argument("--name", default="campaign-health-dashboard")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(register_metrics_webhook(**vars(args))), indent=2))


if __name__ == "__main__":
    main()
