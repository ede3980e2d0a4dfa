"""Handling one CXone webhook delivery: verify, validate, de-duplicate, store, emit."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Literal

from .events import EventSender, is_low, metrics_updated, success_rate_low
from .messages import MalformedMessage, MetricsUpdate, parse_message
from .pairs import PairDirectory, PairLookupError
from .settings import SECRET_ENV, DashboardSettings
from .signatures import (
    InvalidSignature,
    ReplayWindow,
    SignatureConfigError,
    SignatureVerifier,
)
from .store import CampaignStore, MetricsPoint, utc_now

logger = logging.getLogger(__name__)

Receipt = Literal["accepted", "duplicate"]


class WebhookRejected(Exception):
    """The delivery is refused; `status_code` is the HTTP answer, the text its reason."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code


class WebhookReceiver:
    """Turns verified deliveries into stored metrics and Prefect events.

    A delivery is processed at most once per webhook id. Once its data is stored, nothing
    that goes wrong with Prefect (the pair lookup, the emission) rejects it: the sender would
    only retry a delivery that was already received.

    Args:
        settings: holds the webhook secret.
        store: where metrics and statuses go.
        pairs: FailoverPair lookups for the low-success-rate rule.
        sender: emits the events.
        clock: UTC now; injectable for tests.
    """

    def __init__(
        self,
        settings: DashboardSettings,
        store: CampaignStore,
        pairs: PairDirectory,
        sender: EventSender,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._store = store
        self._pairs = pairs
        self._sender = sender
        self._clock = clock
        self._replays = ReplayWindow(settings.replay_capacity)
        self._verifier: SignatureVerifier | None = None
        self.config_error: str | None = None
        if settings.webhook_secret is None:
            self.config_error = f"{SECRET_ENV} is not set; webhooks cannot be verified"
        else:
            try:
                self._verifier = SignatureVerifier(settings.webhook_secret.get_secret_value())
            except SignatureConfigError as exc:
                self.config_error = str(exc)

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> Receipt:
        """Process one delivery.

        Raises:
            WebhookRejected: 503 without a usable secret, 401 for a bad signature or
                timestamp, 400 for a body that is not an accepted message.
        """
        if self._verifier is None:
            raise WebhookRejected(503, self.config_error or "webhooks are not configured")
        try:
            webhook_id, signed_at = self._verifier.verify(body, headers)
        except InvalidSignature as exc:
            logger.warning("rejected a webhook delivery: %s", exc)
            raise WebhookRejected(401, f"invalid webhook signature: {exc}") from None
        try:
            message = parse_message(body)
        except MalformedMessage as exc:
            logger.warning("rejected webhook %s: malformed body: %s", webhook_id, exc)
            raise WebhookRejected(400, f"malformed webhook body: {exc}") from None
        if self._replays.seen(webhook_id):
            logger.info("ignored webhook %s: already processed", webhook_id)
            return "duplicate"
        # Remembered before the first await, so a concurrent re-delivery is a duplicate too.
        self._replays.remember(webhook_id, signed_at)
        # When the data was true: the sender's timestamp, else (it is optional) the arrival.
        at = message.timestamp or self._clock()
        if isinstance(message, MetricsUpdate):
            await self._metrics(message, at, webhook_id)
        else:
            self._store.record_status(message.data.campaign_id, message.data.status, at)
        return "accepted"

    async def _metrics(self, message: MetricsUpdate, at: dt.datetime, webhook_id: str) -> None:
        data = message.data
        point = MetricsPoint(
            at=at,
            success_rate=data.success_rate,
            calls_attempted=data.calls_attempted,
            calls_connected=data.calls_connected,
            active_calls=data.active_calls,
        )
        is_latest = self._store.record_metrics(data.campaign_id, point)
        self._sender.send(metrics_updated(data.campaign_id, point, webhook_id))
        if not is_latest:
            # A late delivery of older numbers must not fail over a campaign that recovered.
            return
        try:
            pair = await self._pairs.get(data.campaign_id)
        except PairLookupError:
            return  # logged by the lookup; the next update tries again
        if pair is not None and is_low(pair, point):
            logger.warning(
                "campaign %s success rate %.3f is below %.3f over %d calls",
                data.campaign_id,
                point.success_rate,
                pair.threshold,
                point.calls_attempted,
            )
            self._sender.send(success_rate_low(pair, point, webhook_id))
