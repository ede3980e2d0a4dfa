"""Pydantic models of what goes over the wire: camelCase there, snake_case here.

Request models validate strictly (a bad campaign is reported before any request is sent);
response models keep whatever extra fields the server adds and never reject a contact for a
malformed optional field, because one bad record must not abort an export.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
from collections.abc import Callable
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationError,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FEDERAL_START = dt.time(8, 0)
FEDERAL_END = dt.time(21, 0)
CampaignStatus = Literal["active", "paused"]
WebhookEvent = Literal["omnichannel.campaign.metrics.update", "omnichannel.campaign.state.change"]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; dump with `to_wire()`."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ServerModel(WireModel):
    """A response object: unknown fields from the server are kept, not rejected."""

    model_config = ConfigDict(extra="allow")


def _set_none_at(record: Any, loc: tuple[int | str, ...]) -> bool:
    """Blank the field at `loc` inside a raw record; False if the path is not there."""
    *parents, leaf = loc
    for key in parents:
        if not isinstance(record, dict) or key not in record:
            return False
        record = record[key]
    if not isinstance(record, dict) or leaf not in record or leaf == "id":
        return False
    record[leaf] = None
    return True


def _contacts_with_malformed_fields_blanked(value: Any, handler: Callable[[Any], Any]) -> Any:
    """Validate a page's contacts; a malformed optional field becomes None, not an error.

    The whole list is validated in pydantic-core first (the fast path). Only when that fails
    are the offending fields, and only those, blanked in copies of their records before one
    more try; a record without a usable `id` still fails the page.
    """
    try:
        return handler(value)
    except ValidationError as exc:
        if not isinstance(value, list):
            raise
        blanked: dict[int, dict[str, Any]] = {}
        for error in exc.errors():
            first, *path = error["loc"]
            if not isinstance(first, int):
                raise
            index = first
            record = blanked.get(index)
            if record is None and isinstance(value[index], dict):
                record = blanked[index] = copy.deepcopy(value[index])
            if not path or not _set_none_at(record, tuple(path)):
                raise
        repaired = [blanked.get(i, record) for i, record in enumerate(value)]
        return handler(repaired)


class PredictiveSettings(WireModel):
    answer_ratio: float = Field(0.85, ge=0, le=1)
    max_calls_in_flight: int = Field(50, gt=0)
    call_rate: float = Field(12.0, gt=0)
    abandonment_threshold: float = Field(
        0.03, ge=0, le=0.03, description="The FTC's 3% abandonment cap (16 CFR 310.4(b)(4))."
    )


class DialerConfig(WireModel):
    type: Literal["predictive"] = "predictive"
    predictive_settings: PredictiveSettings = Field(default_factory=PredictiveSettings)


class DialingRules(WireModel):
    start_time: dt.time = FEDERAL_START
    end_time: dt.time = FEDERAL_END
    allowed_days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)

    @field_validator("allowed_days")
    @classmethod
    def _known_days(cls, days: list[str]) -> list[str]:
        unknown = [day for day in days if day not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown day names {unknown}; use {list(WEEKDAYS)}")
        if len(set(days)) != len(days):
            raise ValueError("allowed_days lists a day twice")
        return days

    @model_validator(mode="after")
    def _inside_federal_window(self) -> DialingRules:
        if not FEDERAL_START <= self.start_time < self.end_time <= FEDERAL_END:
            raise ValueError(
                f"dialing window {self.start_time}-{self.end_time} must lie inside "
                f"{FEDERAL_START}-{FEDERAL_END} and start before it ends"
            )
        return self


class RateLimits(WireModel):
    max_calls_per_contact_per_day: int = Field(1, gt=0)
    max_calls_per_contact_per_week: int = Field(3, gt=0)
    max_calls_per_day: int = Field(5000, gt=0)


def _iana_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{zone!r} is not an IANA time zone") from None
    return zone


IanaZone = Annotated[str, AfterValidator(_iana_zone)]


class ComplianceConfig(WireModel):
    time_zone: IanaZone = "America/New_York"
    dialing_rules: DialingRules = Field(default_factory=DialingRules)
    rate_limits: RateLimits = Field(default_factory=RateLimits)


class FailoverConfig(WireModel):
    enabled: bool = True
    threshold_type: Literal["success_rate"] = "success_rate"
    threshold_value: float = Field(0.15, ge=0, le=1)
    evaluation_window_minutes: int = Field(30, gt=0)


class CampaignPayload(WireModel):
    """The body of a create-campaign request, with the tutorial's defaults.

    Every rule of the described API is checked here, and pydantic reports all violations
    of one payload together.

    Example:
        >>> from cxone import CampaignPayload
        >>> payload = CampaignPayload(name="Renewals", contact_list_id="CL-1")
        >>> payload.to_wire()["dialerConfig"]["predictiveSettings"]["abandonmentThreshold"]
        0.03
    """

    name: str = Field(min_length=1, max_length=255)
    description: str = ""
    status: CampaignStatus = "active"
    dialer_config: DialerConfig = Field(default_factory=DialerConfig)
    compliance_config: ComplianceConfig = Field(default_factory=ComplianceConfig)
    contact_list_id: str = Field(min_length=1)
    queue_id: str = "default_outbound_queue"
    failover_config: FailoverConfig = Field(default_factory=FailoverConfig)


class Campaign(ServerModel):
    """A campaign as the server returns it."""

    id: str
    name: str
    status: str


class CampaignList(ServerModel):
    campaigns: list[Campaign]
    total_count: int


# Fields where a blanked value would let a call through (an unreadable revocation or DNC flag
# would read as "none") take any JSON value as it came: the compliance engine blocks what is
# not clearly empty or false, and the suppressed file shows it.
class OutboundConsent(ServerModel):
    call: bool | None = None  # malformed: blanked, which reads as no consent
    revoked_at: JsonValue = None  # normally an ISO-8601 time


class ConsentFlags(ServerModel):
    outbound: OutboundConsent | None = None


class Attempts(ServerModel):
    last24h: JsonValue = Field(None, alias="last24h")  # normally a count
    last7d: JsonValue = Field(None, alias="last7d")


class Contact(ServerModel):
    """One contact record. Only `id` is required; malformed optional fields become None.

    Except where None would let a call through: a DNC flag, revocation time or attempt count
    (or attempts object) is kept as it came, and the compliance engine blocks an odd one.
    """

    id: str
    phone_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    postal_code: str | None = None
    state: str | None = None
    consent_flags: ConsentFlags | None = None
    do_not_call: JsonValue = None  # normally a boolean
    # An object is read as Attempts; anything else ("lots") is kept as it came.
    attempts: Attempts | JsonValue = Field(None, union_mode="left_to_right")
    last_modified_time: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("phone_number", "postal_code", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        # Spreadsheets turn numbers and ZIPs into integers; keep them as the digits they were.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ContactPage(ServerModel):
    contacts: Annotated[list[Contact], WrapValidator(_contacts_with_malformed_fields_blanked)]
    page: int
    page_size: int
    total_count: int


class CampaignMetrics(ServerModel):
    success_rate: float
    active_calls: int = 0
    calls_attempted: int = 0
    calls_connected: int = 0
    calls_abandoned: int = 0
    calls_handled: int = 0
    failover_triggered: bool = False
    last_updated: dt.datetime | None = None


class WebhookRegistration(WireModel):
    """The body of a webhook registration."""

    name: str = Field(min_length=1)
    callback_url: str = Field(pattern=r"^https?://")
    events: list[WebhookEvent] = Field(min_length=1)
    enabled: bool = True
    headers: dict[str, str] = Field(default_factory=dict)


class Webhook(ServerModel):
    id: str


class AttemptResult(enum.StrEnum):
    """How a call attempt ended, in the same words on every platform."""

    ANSWERED = "answered"  # a person answered and reached an agent
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    ABANDONED = "abandoned"  # a person answered and no agent was free (the TSR's abandoned)
    MACHINE = "machine"  # an answering machine or voicemail
    OTHER = "other"  # anything the platform reported that is none of the above


def as_utc(value: dt.datetime) -> dt.datetime:
    """The moment in UTC; a naive one is taken to be in UTC already.

    Example:
        >>> as_utc(dt.datetime(2026, 3, 2, 15)).isoformat()
        '2026-03-02T15:00:00+00:00'
    """
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class CallAttempt(BaseModel):
    """One call the platform placed, as both clients read it back (`call_attempts`).

    Example:
        >>> attempt = CallAttempt(attempt_id="700000001", campaign_id="4100001",
        ...     number="2125550101", attempted_at="2026-03-02T10:00:00-05:00",
        ...     result="answered", disposition_id="2005", disposition_name="Do Not Call")
        >>> attempt.attempted_at.isoformat(), attempt.result is AttemptResult.ANSWERED
        ('2026-03-02T15:00:00+00:00', True)
    """

    model_config = ConfigDict(frozen=True)

    attempt_id: str = Field(min_length=1, description="Unique per platform.")
    campaign_id: str = Field(description="The campaign; on NICE CXone, the skill id.")
    number: str = Field(pattern=r"^[2-9]\d{2}[2-9]\d{6}$", description="Ten NANP digits.")
    attempted_at: Annotated[dt.datetime, AfterValidator(as_utc)] = Field(description="In UTC.")
    result: AttemptResult
    disposition_id: str | None = None
    disposition_name: str | None = None
    contact_id: str | None = Field(None, description="The contact or record, when known.")


# An id as the platforms issue them (a campaign, a skill, a contact list): no empty value, no
# path tricks (".", ".."), no template left unrendered ("{{ $VAR }}").
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
PlatformId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
