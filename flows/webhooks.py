"""Flow: register the metrics webhook with CXone once."""

from __future__ import annotations

import argparse
import asyncio
import json

from prefect import flow, get_run_logger

from blocks import CXoneCredentials, IdempotencyRecord, record_name, register_block_types
from cxone import WebhookRegistration

EVENTS = ["omnichannel.campaign.metrics.update", "omnichannel.campaign.state.change"]


@flow(name="register-metrics-webhook")
async def register_metrics_webhook(
    callback_url: str,
    credentials_block: str = "cxone",
    name: str = "campaign-health-dashboard",
) -> dict:
    """Subscribe the dashboard to campaign metrics and state changes, once.

    The registration is recorded in an IdempotencyRecord named after the webhook's name and
    URL, and sent with the record's idempotency key: re-runs return the first registration
    instead of adding a second subscription that would deliver every event twice.

    Args:
        callback_url: Where CXone posts events, e.g. https://dashboard.example.com/webhooks/cxone.
        credentials_block: Name of the saved CXoneCredentials block.
        name: The webhook's name on the platform.

    Returns:
        The webhook as the API returned it on first registration (with its `id`).
    """
    logger = get_run_logger()
    await register_block_types()
    record_id = record_name("webhook", name, callback_url)
    record, _ = await IdempotencyRecord.aclaim(
        record_id, f"register webhook {name} -> {callback_url}", ["register"]
    )
    if record.status == "applied":
        logger.info("Webhook %s already registered as %s", name, record.answers["register"]["id"])
        return record.answers["register"]
    credentials = await CXoneCredentials.aload(credentials_block)
    registration = WebhookRegistration(name=name, callback_url=callback_url, events=EVENTS)
    async with credentials.get_client() as client:
        webhook = await client.register_webhook(
            registration, idempotency_key=record.keys["register"]
        )
    answer = webhook.model_dump(mode="json", by_alias=True)
    await record.aupdate(status="applied", answers={"register": answer})
    logger.info("Registered webhook %s as %s", name, webhook.id)
    return answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=register_metrics_webhook.__doc__.splitlines()[0])
    parser.add_argument("callback_url")
    parser.add_argument("--credentials-block", default="cxone")
    parser.add_argument("--name", default="campaign-health-dashboard")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(register_metrics_webhook(**vars(args))), indent=2))


if __name__ == "__main__":
    main()
