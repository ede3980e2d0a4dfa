"""Which campaign day a day list is for."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

# A day list's `for_day`: a date, or "today" in the campaign's zone (for schedules, whose
# parameters are fixed when the deployment is applied).
ForDay = dt.date | Literal["today"] | None


def utc_now() -> dt.datetime:
    """The current instant (UTC): the one clock the flows read, so tests can set it."""
    return dt.datetime.now(dt.UTC)


def campaign_day(for_day: ForDay, zone: str, now: dt.datetime | None = None) -> dt.date | None:
    """`for_day` as a date: "today" is the date in the campaign's `zone` at `now`.

    Example:
        >>> late = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)  # 22:00 on Nov 30 in New York
        >>> campaign_day("today", "America/New_York", late), campaign_day(None, "UTC")
        (datetime.date(2026, 11, 30), None)

    Raises:
        ValueError: Any other text, or a zone that is not an IANA time zone.
    """
    if for_day is None or isinstance(for_day, dt.date):
        return for_day
    if for_day != "today":
        raise ValueError(f"for_day must be a date or 'today', got {for_day!r}")
    return (now or utc_now()).astimezone(iana_zone(zone)).date()


def iana_zone(zone: str) -> ZoneInfo:
    """The IANA time zone named `zone`.

    Example:
        >>> iana_zone("America/New_York").key
        'America/New_York'
        >>> iana_zone("America/New_Yrok")
        Traceback (most recent call last):
        ...
        ValueError: 'America/New_Yrok' is not an IANA time zone

    Raises:
        ValueError: No IANA time zone has that name.
    """
    try:
        return ZoneInfo(zone)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{zone!r} is not an IANA time zone") from exc
