"""Revocations in: a signed `POST /webhooks/revocations` is kept in the attempts ledger at
once, and an event starts `apply_revocations` for it.

The sender (an SMS platform's STOP handler, a web form, the CRM) signs each delivery with
its own Standard Webhooks secret (`CXONE_REVOCATION_SECRET`); the body is
`{"numbers": [...], "revoked_at": ISO-8601 (optional), "source": "sms STOP"}`. Before the
answer, the numbers are kept as revocations in the ledger (so the next dial-list sync
suppresses them whatever happens next), under the batch `webhook:<webhook-id>`; then the
event `cxone.revocation.received` names the batch (never the numbers) and the responder runs
`apply_revocations(batch=...)`: the DNC group and the calling lists.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping

import pandas as pd
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

import compliance
from ledger import REVOKED, OptOutRow, open_ledger

from .events import Emit
from .signatures import (
    ReplayWindow,
    SignatureConfigError,
    SignatureVerifier,
)
from .webhooks import WebhookRejected, verified

logger = logging.getLogger(__name__)

REVOCATION_SECRET_ENV = "CXONE_REVOCATION_SECRET"
RECEIVED_EVENT = "cxone.revocation.received"
MAX_NUMBERS = 10_000


class Revocation(BaseModel):
    """One delivery's body."""

    model_config = ConfigDict(extra="forbid")

    numbers: list[str] = Field(min_length=1, max_length=MAX_NUMBERS)
    revoked_at: AwareDatetime | None = None
    source: str = Field(default="webhook", min_length=1, max_length=200)


class RevocationReceiver:
    """Verifies, keeps and announces revocations (see the module docstring).

    Args:
        secret: The senders' Standard Webhooks secret; None leaves the route answering 503.
        ledger_url: The attempts ledger (a SQLAlchemy async URL).
        emit: Emits the event (`prefect.events.emit_event` by default).
        clock: UTC now.
    """

    def __init__(
        self,
        secret: str | None,
        ledger_url: str,
        emit: Emit,
        clock: Callable[[], dt.datetime],
        replay_capacity: int = 10_000,
    ) -> None:
        self._ledger_url = ledger_url
        self._emit = emit
        self._clock = clock
        self._replays = ReplayWindow(replay_capacity)
        self._verifier: SignatureVerifier | None = None
        self.config_error: str | None = None
        if secret is None:
            self.config_error = f"{REVOCATION_SECRET_ENV} is not set; revocations cannot be taken"
        else:
            try:
                self._verifier = SignatureVerifier(secret)
            except SignatureConfigError as exc:
                self.config_error = str(exc).replace("CXONE_WEBHOOK_SECRET", REVOCATION_SECRET_ENV)

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> dict:
        """Keep one delivery's revocations and announce them.

        Returns:
            `status` ("accepted" or "duplicate"), `batch`, `numbers` (kept), `invalid`.

        Raises:
            WebhookRejected: 503 without a usable secret, 401 for a bad signature, 400 for a
                body that is not a revocation.
        """
        webhook_id, signed_at = verified(
            self._verifier, self.config_error, body, headers, "revocation"
        )
        try:
            revocation = Revocation.model_validate(json.loads(body))
        except (ValueError, ValidationError) as exc:
            problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise WebhookRejected(400, f"malformed revocation body: {problem}") from None
        if self._replays.seen(webhook_id):
            return {"status": "duplicate", "batch": webhook_id}
        national = compliance.national_numbers(pd.Series(revocation.numbers, dtype="string"))
        valid = sorted({int(number) for number in national if number})
        invalid = int((national == 0).sum())
        at = revocation.revoked_at or self._clock()
        batch = f"webhook:{webhook_id}"
        async with open_ledger(self._ledger_url) as ledger:
            await ledger.add_optouts(
                OptOutRow(number, at, REVOKED, batch, revocation.source) for number in valid
            )
        self._replays.remember(webhook_id, signed_at)
        try:
            self._emit(
                event=RECEIVED_EVENT,
                resource={"prefect.resource.id": f"cxone.revocation.{webhook_id}"},
                payload={
                    "batch": webhook_id,
                    "numbers": len(valid),
                    "invalid": invalid,
                    "source": revocation.source,
                    "revoked_at": at.isoformat(),
                },
            )
        except Exception as exc:  # kept in the ledger already: tomorrow's sync honours it
            logger.error("could not announce revocation batch %s: %s", webhook_id, exc)
        invalid = int((national == 0).sum())
        return {
            "status": "accepted",
            "batch": webhook_id,
            "numbers": len(valid),
            "invalid": invalid,
        }
