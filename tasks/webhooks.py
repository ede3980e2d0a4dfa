"""Task: register a webhook subscription with the platform."""

from __future__ import annotations

from prefect import task

from blocks import PlatformCredentials
from cxone import WebhookRegistration

from .errors import CXONE_TASK_OPTIONS, ONE_CALL_SECONDS


@task(name="register-webhook", timeout_seconds=ONE_CALL_SECONDS, **CXONE_TASK_OPTIONS)
async def register_webhook(
    credentials: PlatformCredentials, registration: WebhookRegistration, idempotency_key: str
) -> dict:
    """Register the subscription with the operation's key; returns the webhook (with `id`)."""
    async with credentials.get_client() as client:
        webhook = await client.register_webhook(registration, idempotency_key=idempotency_key)
    return webhook.model_dump(mode="json", by_alias=True)
