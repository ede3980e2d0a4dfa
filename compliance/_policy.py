"""The knobs of an evaluation: calling window, per-contact caps, which state rules apply.

One `CallingPolicy` per campaign: flows pass the campaign's own window and caps.
"""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Confidence = Literal["high", "medium", "low"]

# Precedence order: when several reasons apply, the first one in this tuple is reported.
# `evaluate` gives the first nine; the last four are list-level reasons that the dial-list
# engine assigns to rows `evaluate` passed (it never gives them itself).
REASONS: tuple[str, ...] = (
    "invalid_phone",
    "unsupported_country",  # a +1 number of a country other than the US and Canada
    "dnc",  # the number or the person is do-not-call on this row or another one
    "consent_revoked",  # consent for the number, or the person's, was revoked on some row
    "no_consent",
    "frequency_cap",
    "unknown_timezone",
    "state_restricted_day",
    "outside_calling_hours",
    "invalid_record",  # a cell the platform cannot take (an over-long field ...): see detail
    "duplicate",  # a later row of a contact id or number already placed in the list
    "dnc_registry",  # on a national or state Do-Not-Call registry snapshot
    "reassigned",  # the Reassigned Numbers Database: the number changed hands since consent
)

# Federal hours: 47 CFR 64.1200(c)(1) and 16 CFR 310.4(c), at the called party's location.
_FEDERAL_EARLIEST = time(8, 0)
_FEDERAL_LATEST = time(21, 0)


class CallingPolicy(BaseModel):
    """How strictly `evaluate` judges contacts.

    Attributes:
        federal_start: First local minute a US call may be placed, in every candidate zone.
        federal_end: US calls must start before this local time (21:00 itself is outside).
        max_attempts_24h: The campaign's own cap: a contact (one row, one number) with this
            many attempts in the last 24 h is capped. State caps (FL, MD, OK, OR: 3 per 24 h;
            ME: 1) count the person's attempts over all their numbers and apply on top.
        max_attempts_7d: The campaign's cap for the last 7 days, per contact.
        enforced_confidence: Rules (and holiday lists) of `compliance/data/state_rules.csv`
            are enforced when their confidence is one of these. Every level by default:
            "low" marks rules that could not be verified and are blocked conservatively.
        block_unknown_timezone: When no time zone can be derived, block the contact
            (`unknown_timezone`); when False, judge it in every zone of its country (every
            US zone, Alaska, Hawaii and the territories included) instead.

    Example:
        >>> from datetime import time
        >>> CallingPolicy(federal_start=time(9, 0)).federal_window_minutes
        (540, 1260)
    """

    model_config = ConfigDict(frozen=True)

    federal_start: time = _FEDERAL_EARLIEST
    federal_end: time = _FEDERAL_LATEST
    max_attempts_24h: int = Field(default=1, ge=0)
    max_attempts_7d: int = Field(default=3, ge=0)
    enforced_confidence: frozenset[Confidence] = frozenset({"high", "medium", "low"})
    block_unknown_timezone: bool = True

    @model_validator(mode="after")
    def _window_inside_federal_hours(self) -> CallingPolicy:
        for value in (self.federal_start, self.federal_end):
            # The evaluation works on whole minutes; a zone-aware time would be ambiguous.
            if value.second or value.microsecond or value.tzinfo is not None:
                raise ValueError("federal_start and federal_end must be naive whole minutes")
        if not _FEDERAL_EARLIEST <= self.federal_start < self.federal_end <= _FEDERAL_LATEST:
            raise ValueError(
                "the calling window must lie inside 08:00-21:00 and start before it ends"
            )
        return self

    @property
    def federal_window_minutes(self) -> tuple[int, int]:
        """The calling window as (start, end) minutes after local midnight."""
        return (
            self.federal_start.hour * 60 + self.federal_start.minute,
            self.federal_end.hour * 60 + self.federal_end.minute,
        )
