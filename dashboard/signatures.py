"""Standard Webhooks verification and the window of webhook ids already processed."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from .settings import SECRET_ENV

logger = logging.getLogger(__name__)

# standardwebhooks checks timestamps against a fixed 5 minutes either way; the replay window
# and the check of a body's own timestamp must cover the same span, so it is named once here.
TOLERANCE_SECONDS = 300.0
# Standard Webhooks secrets are 24 to 64 random bytes; a shorter one is guessable.
MIN_SECRET_BYTES = 24


class SignatureConfigError(Exception):
    """The webhook secret is missing or unusable, so no delivery can be verified."""


class InvalidSignature(Exception):
    """A delivery whose headers, timestamp or signature do not check out."""


class SignatureVerifier:
    """Checks the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.

    Args:
        secret: the shared `whsec_<base64>` secret, at least `MIN_SECRET_BYTES` once decoded.

    Raises:
        SignatureConfigError: the secret is not a valid Standard Webhooks secret, or too short.
    """

    def __init__(self, secret: str) -> None:
        try:
            # Padding added as the library does: unpadded base64 is common in such secrets.
            key = base64.b64decode(secret.removeprefix("whsec_") + "==")
        except binascii.Error:
            raise SignatureConfigError(
                f"{SECRET_ENV} is not a valid whsec_<base64> secret (bad base64)"
            ) from None
        if len(key) < MIN_SECRET_BYTES:
            raise SignatureConfigError(
                f"{SECRET_ENV} decodes to {len(key)} bytes; Standard Webhooks secrets need at "
                f"least {MIN_SECRET_BYTES}"
            )
        self._webhook = Webhook(key)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, float]:
        """Check one delivery (constant-time compare, timestamp within 5 minutes either way).

        Returns:
            The delivery's webhook id and its signed timestamp (Unix seconds).

        Raises:
            InvalidSignature: with the reason, which names no secret.
        """
        try:
            text = body.decode()
        except UnicodeDecodeError:
            # Signatures cover the UTF-8 text of the body, so other bytes cannot be checked.
            raise InvalidSignature("body is not UTF-8, so its signature cannot match") from None
        try:
            self._webhook.verify(text, dict(headers), json_parse=False)
        except WebhookVerificationError as exc:
            raise InvalidSignature(str(exc)) from None
        except (ValueError, binascii.Error):
            # The library unpacks "v1,<b64>" without checking its shape first.
            raise InvalidSignature("malformed webhook-signature header") from None
        lowered = {key.lower(): value for key, value in headers.items()}
        return lowered["webhook-id"], float(lowered["webhook-timestamp"])


class ReplayWindow:
    """Webhook ids already processed, each kept until its signed message could not verify.

    A delivery is only valid within TOLERANCE_SECONDS of its signed timestamp, so an id can be
    forgotten once both its timestamp and the moment it was seen lie further back than that:
    a replay after then fails the timestamp check instead.

    Args:
        capacity: most ids kept; past it the oldest are dropped (and a warning logged), which
            bounds memory under a flood at the cost of replay detection for those ids.
        clock: Unix seconds now; injectable for tests.
    """

    def __init__(self, capacity: int, clock: Callable[[], float] = time.time) -> None:
        self._capacity = capacity
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def seen(self, webhook_id: str) -> bool:
        """Whether this id was processed and is still inside its validity window."""
        self._forget_expired()
        return webhook_id in self._expiry

    def remember(self, webhook_id: str, signed_at: float) -> None:
        """Record a processed id with the signed timestamp of its delivery."""
        now = self._clock()
        self._forget_expired()
        self._expiry[webhook_id] = max(now, signed_at) + TOLERANCE_SECONDS
        while len(self._expiry) > self._capacity:
            self._expiry.popitem(last=False)
            logger.warning("replay window full (%d ids): dropped the oldest", self._capacity)

    def _forget_expired(self) -> None:
        # Insertion order is nearly expiry order (expiries differ by at most the tolerance), so
        # stopping at the first live id only keeps a few expired ones a little longer.
        now = self._clock()
        while self._expiry:
            webhook_id, expires = next(iter(self._expiry.items()))
            if expires > now:
                return
            del self._expiry[webhook_id]
