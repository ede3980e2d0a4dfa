"""Flow: register the metrics webhook with CXone once."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.states import Completed

from blocks import load_credentials, operation, register_block_types
from cxone import WebhookRegistration
from tasks.webhooks import register_webhook

from . import _cli

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
    return Completed(message=f"registered webhook {name} as {answer['id']}", data=answer)


def main(argv: list[str] | None = None) -> None:
    cli = _cli.parser("python -m flows.webhooks", register_metrics_webhook.__doc__.splitlines()[0])
    cli.add_argument("callback_url", help="where the platform delivers, e.g. the dashboard's "
                     "http://127.0.0.1:8080/webhooks/cxone")  # fmt: skip
    _cli.credentials_option(cli)
    cli.add_argument("--name", default="campaign-health-dashboard", help="the webhook's name")
    args = cli.parse_args(argv)
    _cli.run(args, lambda: register_metrics_webhook(**_cli.options(args)))


if __name__ == "__main__":
    main()
