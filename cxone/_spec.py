"""A campaign as code: the platform-neutral spec that provisioning validates and each platform
maps onto its own objects (a described-API campaign, or a NICE Personal Connection skill with
its schedule and general settings).

Every rule is a field constraint, so one invalid spec raises one `ValidationError` listing all
its violations, before any request. Unknown keys are errors too: a misspelt setting must not
be silently dropped.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._models import (
    FEDERAL_END,
    FEDERAL_START,
    WEEKDAYS,
    CampaignPayload,
    CampaignStatus,
    ComplianceConfig,
    DialerConfig,
    DialingRules,
    FailoverConfig,
    IanaZone,
    PredictiveSettings,
    RateLimits,
)

Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# The tutorial's days, which the described API takes when a spec names none.
TUTORIAL_DAYS = list(WEEKDAYS[:5])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DialingWindow(_Strict):
    """When the campaign dials, in the campaign's time zone.

    `allowed_days` None means the platform's default: Monday to Friday on the described API
    (the tutorial's), every day on NICE CXone, whose Personal Connection schedules cannot
    close a day. Calls are still judged per contact by the compliance rules either way.
    """

    start_time: dt.time = FEDERAL_START
    # Validated even when left out: the window check runs on the end, seeing the start.
    end_time: dt.time = Field(FEDERAL_END, validate_default=True)
    allowed_days: list[Weekday] | None = Field(default=None, min_length=1)

    @field_validator("start_time", "end_time")
    @classmethod
    def _local_time(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError(
                f"{value.isoformat()} has a UTC offset; give a local time (the campaign's "
                "time zone applies)"
            )
        return value

    @field_validator("end_time")
    @classmethod
    def _inside_federal_window(cls, end: dt.time, info: ValidationInfo) -> dt.time:
        # A field validator (not a model one) so that it reports alongside other fields' errors.
        start = info.data.get("start_time")
        if start is not None and not FEDERAL_START <= start < end <= FEDERAL_END:
            raise ValueError(
                f"dialing window {start}-{end} must lie inside {FEDERAL_START}-{FEDERAL_END} "
                "and start before it ends"
            )
        return end

    @field_validator("allowed_days")
    @classmethod
    def _no_repeats(cls, days: list[str] | None) -> list[str] | None:
        if days is not None and len(set(days)) != len(days):
            raise ValueError("allowed_days lists a day twice")
        return days


class StrictPredictive(PredictiveSettings):
    model_config = ConfigDict(extra="forbid")


class StrictRateLimits(RateLimits):
    model_config = ConfigDict(extra="forbid")


class StrictFailover(FailoverConfig):
    model_config = ConfigDict(extra="forbid")


class CampaignSettings(_Strict):
    """Dialer and compliance settings of a campaign; defaults are the tutorial's."""

    description: str = ""
    predictive: StrictPredictive = Field(default_factory=StrictPredictive)
    dialing_rules: DialingWindow = Field(default_factory=DialingWindow)
    rate_limits: StrictRateLimits = Field(default_factory=StrictRateLimits)
    failover: StrictFailover = Field(default_factory=StrictFailover)
    queue_id: str = "default_outbound_queue"


class CampaignSpec(_Strict):
    """Everything that defines a campaign, validated in one pass.

    On NICE CXone the campaign is a Personal Connection skill named `name` (at most 30
    characters there), and `contact_list_id` is the name of the calling list it dials.

    Example:
        >>> spec = CampaignSpec(name="Renewals", contact_list_id="CL-1")
        >>> spec.payload().to_wire()["complianceConfig"]["dialingRules"]["allowedDays"][-1]
        'Friday'
    """

    name: str = Field(min_length=1, max_length=255)
    contact_list_id: str = Field(min_length=1)
    timezone: IanaZone = "America/New_York"
    initial_status: CampaignStatus = "active"
    settings: CampaignSettings = Field(default_factory=CampaignSettings)

    @model_validator(mode="wrap")
    @classmethod
    def _name_unknown_keys(cls, data: Any, handler: Any) -> CampaignSpec:
        # Only here, at the top: every violation is still listed together, and an unknown key
        # gets the known ones it is closest to.
        try:
            spec: CampaignSpec = handler(data)
            return spec
        except ValidationError as exc:
            errors = [_with_suggestion(error, cls) for error in exc.errors()]
            raise ValidationError.from_exception_data(exc.title, errors) from None

    def payload(self) -> CampaignPayload:
        """The described API's create-campaign body."""
        s, window = self.settings, self.settings.dialing_rules
        rules = DialingRules(
            start_time=window.start_time,
            end_time=window.end_time,
            allowed_days=window.allowed_days or TUTORIAL_DAYS,
        )
        return CampaignPayload(
            name=self.name,
            description=s.description,
            status=self.initial_status,
            dialer_config=DialerConfig(predictive_settings=s.predictive),
            compliance_config=ComplianceConfig(
                time_zone=self.timezone, dialing_rules=rules, rate_limits=s.rate_limits
            ),
            contact_list_id=self.contact_list_id,
            queue_id=s.queue_id,
            failover_config=s.failover,
        )


def _known_keys(model: type[BaseModel], path: tuple[int | str, ...]) -> list[str]:
    """The field names of the model found at `path` inside `model` (empty if none is)."""
    for step in path:
        field = model.model_fields.get(str(step))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _with_suggestion(error: Any, root: type[BaseModel]) -> Any:
    """An unknown-key error that names the closest known key, or all of them."""
    if error["type"] != "extra_forbidden":
        return error
    *path, key = error["loc"]
    known = _known_keys(root, tuple(path))
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
    message = f"unknown key {str(key)!r}; " + hint.replace("{", "{{").replace("}", "}}")
    return {
        "type": PydanticCustomError("unknown_key", message),
        "loc": error["loc"],
        "input": error["input"],
    }


class CampaignSpecMismatch(ValueError):
    """A campaign with this name exists with other settings; nothing was changed."""


def differences(wanted: dict[str, Any], existing: dict[str, Any], prefix: str = "") -> list[str]:
    """Field-by-field differences between what a spec wants and what a platform holds.

    Example:
        >>> differences({"a": {"b": 1}, "c": 2}, {"a": {"b": 2}, "c": 2})
        ['a.b: campaign has 2, spec wants 1']
    """
    found = []
    for key, value in wanted.items():
        path = f"{prefix}{key}"
        have = existing.get(key)
        if isinstance(value, dict) and isinstance(have, dict):
            found.extend(differences(value, have, f"{path}."))
        elif have != value:
            found.append(f"{path}: campaign has {have!r}, spec wants {value!r}")
    return found
