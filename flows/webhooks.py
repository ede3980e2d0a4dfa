"""Flow: register the metrics webhook with CXone once."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.states import Completed

from blocks import load_credentials, operation, register_block_types
from cxone import WebhookRegistration
from tasks.webhooks import register_webhook

from . import _cli
from ._user_errors import fails_cleanly

HOLDER_WAIT_SECONDS = 60.0
EVENTS = ["omnichannel.campaign.metrics.update", "omnichannel.campaign.state.change"]


@flow(
    name="register-metrics-webhook",
    flow_run_name="register webhook {name}",
    timeout_seconds=300,
)
@fails_cleanly
async def register_metrics_webhook(
    callback_url: str,
    credentials_block: str = "cxone",
    name: str = "campaign-health-dashboard",
) -> State[Any]:
    """Subscribe the dashboard to campaign metrics and state changes, once.

    The registration is an exactly-once operation on the webhook's name, URL and credentials:
    re-runs and racing runs return the first registration instead of adding a second
    subscription that would deliver every event twice.

    Args:
        callback_url: Where CXone posts events, e.g. https://dashboard.example.com/webhooks/cxone.
        credentials_block: A CXoneCredentials block's name, or '<block-type-slug>/<name>'.
        name: The webhook's name on the platform.

    Returns:
        A `Completed` state whose data is the webhook as the API returned it on first
        registration (with its `id`).
    """
    logger = get_run_logger()
    await register_block_types()
    identity = operation.OperationIdentity(
        "webhook",
        {"name": name, "callback_url": callback_url, "credentials_block": credentials_block},
    )
    registration = WebhookRegistration(name=name, callback_url=callback_url, events=EVENTS)
    credentials = await load_credentials(credentials_block, "metrics_webhook")

    async def register(held: operation.HeldOperation) -> dict[str, Any]:
        return await held.step(
            "register", lambda key: register_webhook(credentials, registration, key)
        )

    outcome = await operation.run_once(
        identity,
        ["register"],
        f"register webhook {name} -> {callback_url}",
        register,
        max_wait=HOLDER_WAIT_SECONDS,
        backoff=False,
    )
    assert outcome.record is not None
    answer: dict[str, Any] = outcome.record.answers["register"]
    if not outcome.held:
        logger.info("Webhook %s already registered as %s", name, answer["id"])
        return Completed(
            message=f"webhook {name} already registered as {answer['id']}", data=answer
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
    options = _cli.options(args)
    check = _cli.checks(register_metrics_webhook, options, "metrics_webhook")
    _cli.run(args, lambda: register_metrics_webhook(**options), check=check)


if __name__ == "__main__":
    main()
