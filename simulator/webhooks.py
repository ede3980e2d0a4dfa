"""Webhook registrations and Standard Webhooks deliveries with retries."""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import ssl
import uuid
from collections.abc import Callable
from datetime import datetime

import httpx
from standardwebhooks import Webhook

from .clock import Clock, iso
from .config import SimulatorConfig

METRICS_UPDATE = "omnichannel.campaign.metrics.update"
STATE_CHANGE = "omnichannel.campaign.state.change"
EVENT_TYPES = (METRICS_UPDATE, STATE_CHANGE)
_DELIVERY_TIMEOUT_SECONDS = 5.0


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The deliveries' TLS context, built once: building one loads the CA bundle (about 20 ms
    of CPU), and a client built for each delivery held the event loop that long, so a storm's
    50 deliveries went out one after another over a second."""
    return httpx.create_ssl_context()


def signed_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, signed at `at` (whole seconds)."""
    at = at.replace(microsecond=0)
    signature = Webhook(secret).sign(message_id, at, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


class Webhooks:
    """Registrations, the delivery log, and the asyncio tasks still delivering."""

    def __init__(self, config: Callable[[], SimulatorConfig], clock: Clock) -> None:
        self._config = config  # read at publish time: PATCH /_sim/config applies at once
        self._clock = clock
        self.registrations: dict[str, dict] = {}
        self.deliveries: list[dict] = []
        self._tasks: set[asyncio.Task] = set()

    def clear(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self.registrations.clear()
        self.deliveries.clear()

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        self.clear()
        await asyncio.gather(*tasks, return_exceptions=True)

    def register(self, body: dict) -> dict:
        """Store a validated registration."""
        webhook = {
            "id": "wh_" + secrets.token_hex(6),
            "name": body["name"],
            "callbackUrl": body["callbackUrl"],
            "events": list(body["events"]),
            "enabled": body.get("enabled", True),
            "headers": dict(body.get("headers") or {}),
            "createdAt": iso(self._clock.now()),
        }
        self.registrations[webhook["id"]] = webhook
        return webhook

    def publish(self, event_type: str, data: dict) -> None:
        """Start one delivery per enabled subscriber; must run on the event loop."""
        body = json.dumps({"type": event_type, "timestamp": iso(self._clock.now()), "data": data})
        config = self._config()
        for webhook in self.registrations.values():
            if not webhook["enabled"] or event_type not in webhook["events"]:
                continue
            record = {
                "message_id": "msg_" + uuid.uuid4().hex,
                "webhook_id": webhook["id"],
                "url": webhook["callbackUrl"],
                "type": event_type,
                "attempts": 0,
                "last_status": None,
                "last_error": None,
                "delivered": False,
                "finished": False,  # delivered, or every attempt spent
            }
            self.deliveries.append(record)
            task = asyncio.get_running_loop().create_task(
                _deliver(
                    record,
                    webhook["headers"],
                    body,
                    config.webhook_secret,
                    list(config.webhook_retry_delays),
                    self._clock,
                )
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _deliver(
    record: dict,
    custom_headers: dict[str, str],
    body: str,
    secret: str,
    delays: list[float],
    clock: Clock,
) -> None:
    """POST until a 2xx, waiting `delays` between attempts; one message id for all of them.
    The record says `finished` once it was delivered or every attempt was spent."""
    try:
        # The client lives in the delivering coroutine so it belongs to the loop running it;
        # its TLS context is the process's one.
        async with httpx.AsyncClient(
            timeout=_DELIVERY_TIMEOUT_SECONDS, verify=_tls_context()
        ) as client:
            for attempt in range(1, len(delays) + 2):
                # Re-signed per attempt: a late retry must still pass the receiver's clock check.
                headers = {
                    **custom_headers,
                    "content-type": "application/json",
                    **signed_headers(secret, record["message_id"], body, clock.now()),
                }
                try:
                    response = await client.post(record["url"], content=body, headers=headers)
                except httpx.HTTPError as exc:
                    record.update(attempts=attempt, last_status=None, last_error=repr(exc))
                else:
                    record.update(
                        attempts=attempt, last_status=response.status_code, last_error=None
                    )
                    if response.is_success:
                        record["delivered"] = True
                        return
                if attempt <= len(delays):
                    await asyncio.sleep(delays[attempt - 1])
    finally:
        record["finished"] = True
