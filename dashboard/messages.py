"""The webhook bodies the dashboard accepts (SPEC.md section 1), validated strictly.

Strict types reject what a sloppy sender might slip through (a rate sent as text, a count as
a float, a boolean as a number); unknown extra fields are ignored so that additions on the
sender's side do not break delivery.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from blocks.ids import CAMPAIGN_ID_PATTERN

METRICS_UPDATE = "omnichannel.campaign.metrics.update"
STATE_CHANGE = "omnichannel.campaign.state.change"


class MalformedMessage(Exception):
    """A body that is not one of the accepted webhook messages; the text says what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


# Ids go into API paths later (names, health reads): the same pattern as every other entry.
CampaignId = Annotated[str, Field(pattern=CAMPAIGN_ID_PATTERN)]
Count = Annotated[int, Field(ge=0)]


class MetricsData(_Strict):
    campaign_id: CampaignId = Field(alias="campaignId")
    success_rate: float = Field(alias="successRate", ge=0, le=1, allow_inf_nan=False)
    calls_attempted: Count = Field(alias="callsAttempted")
    calls_connected: Count = Field(alias="callsConnected")
    active_calls: Count = Field(alias="activeCalls")


class StateData(_Strict):
    campaign_id: CampaignId = Field(alias="campaignId")
    status: str = Field(min_length=1, max_length=50)


class MetricsUpdate(_Strict):
    """`omnichannel.campaign.metrics.update`: the campaign's current numbers."""

    type: Literal["omnichannel.campaign.metrics.update"]
    timestamp: AwareDatetime | None = None
    data: MetricsData


class StateChange(_Strict):
    """`omnichannel.campaign.state.change`: the campaign's new status."""

    type: Literal["omnichannel.campaign.state.change"]
    timestamp: AwareDatetime | None = None
    data: StateData


Message = Annotated[MetricsUpdate | StateChange, Field(discriminator="type")]
_MESSAGE = TypeAdapter(Message)


def parse_message(body: bytes) -> MetricsUpdate | StateChange:
    """Validate a verified webhook body.

    Raises:
        MalformedMessage: the body is not JSON, has an unknown `type`, or a missing or
            ill-typed field; the message lists each problem without echoing values.
    """
    try:
        return _MESSAGE.validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_where(error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise MalformedMessage(problems) from None


def _where(loc: tuple) -> str:
    # A union error's location starts with the message type it tried; the field path is enough.
    if loc and loc[0] in (METRICS_UPDATE, STATE_CHANGE):
        loc = loc[1:]
    return ".".join(str(part) for part in loc) or "body"
