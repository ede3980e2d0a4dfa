"""Handling one CXone webhook delivery: verify, validate, de-duplicate, store, acknowledge."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Literal

from .messages import MalformedMessage, MetricsUpdate, parse_message
from .readings import ReadingPipeline
from .settings import SECRET_ENV, DashboardSettings
from .signatures import (
    TOLERANCE_SECONDS,
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


def verified(
    verifier: SignatureVerifier | None,
    config_error: str | None,
    body: bytes,
    headers: Mapping[str, str],
    what: str,
) -> tuple[str, float]:
    """A delivery's webhook id and signing time, once its signature holds.

    Raises:
        WebhookRejected: 503 without a usable secret (`what` names the deliveries), 401 for
            a bad signature.
    """
    if verifier is None:
        raise WebhookRejected(503, config_error or f"{what}s are not configured")
    try:
        return verifier.verify(body, headers)
    except InvalidSignature as exc:
        logger.warning("rejected a %s delivery: %s", what, exc)
        raise WebhookRejected(401, f"invalid webhook signature: {exc}") from None


class WebhookReceiver:
    """Turns verified deliveries into stored readings and statuses.

    A delivery is processed at most once per webhook id, and acknowledged as soon as it is
    stored: its events (and the FailoverPair check they need) follow behind, in the
    `ReadingPipeline`, so no delivery waits on Prefect.

    Args:
        settings: holds the webhook secret.
        store: where statuses go.
        readings: where metrics readings go.
        clock: UTC now; injectable for tests.
    """

    def __init__(
        self,
        settings: DashboardSettings,
        store: CampaignStore,
        readings: ReadingPipeline,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._store = store
        self._readings = readings
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

    def receive(self, body: bytes, headers: Mapping[str, str]) -> Receipt:
        """Process one delivery: nothing here waits on Prefect or the platform.

        Raises:
            WebhookRejected: 503 without a usable secret, 401 for a bad signature or
                signed timestamp, 400 for a body that is not an accepted message or whose own
                timestamp lies more than `TOLERANCE_SECONDS` from now.
        """
        webhook_id, signed_at = verified(
            self._verifier, self.config_error, body, headers, "webhook"
        )
        try:
            message = parse_message(body)
        except MalformedMessage as exc:
            logger.warning("rejected webhook %s: malformed body: %s", webhook_id, exc)
            raise WebhookRejected(400, f"malformed webhook body: {exc}") from None
        now = self._clock()
        # When the data was true: the sender's timestamp, else (it is optional) the arrival.
        at = message.timestamp or now
        if abs((at - now).total_seconds()) > TOLERANCE_SECONDS:
            # A reading dated ahead would stay "latest" and hide every real one after it.
            logger.warning("rejected webhook %s: body timestamp %s", webhook_id, at.isoformat())
            raise WebhookRejected(
                400,
                f"malformed webhook body: timestamp is more than {TOLERANCE_SECONDS:g} s "
                "from the receiver's clock",
            )
        if self._replays.seen(webhook_id):
            logger.info("ignored webhook %s: already processed", webhook_id)
            return "duplicate"
        self._replays.remember(webhook_id, signed_at)
        data = message.data
        if isinstance(message, MetricsUpdate):
            point = MetricsPoint(
                at=at,
                success_rate=data.success_rate,
                calls_attempted=data.calls_attempted,
                calls_connected=data.calls_connected,
                active_calls=data.active_calls,
            )
            self._readings.record(data.campaign_id, point, webhook_id, "webhook")
        else:
            self._store.record_status(data.campaign_id, data.status, at)
        return "accepted"
