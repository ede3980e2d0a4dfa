"""Dates on the wire: what the stand-in accepts, and how strictly.

>>> parse_date("2026-05-01")
datetime.datetime(2026, 5, 1, 0, 0, tzinfo=datetime.timezone.utc)
>>> parse_date("2026-05-01T08:30:00Z").hour, parse_date("tomorrow")
(8, None)
>>> parse_utc_z("2026-05-01T08:30:00+00:00") is None, parse_utc_z("2026-05-01T08:30:00Z").minute
(True, 30)
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_date(text: object) -> datetime | None:
    """A `YYYY-MM-DD` date (midnight UTC) or an ISO 8601 time (naive means UTC), else None."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_utc_z(text: object) -> datetime | None:
    """An ISO 8601 time in UTC written with a literal Z, else None.

    Reporting wants the Z: one client of the platform switched to it "due to API quirks" after
    `+00:00` failed, so the stand-in refuses any other spelling.
    """
    if not (isinstance(text, str) and text.endswith("Z") and "T" in text):
        return None
    return parse_date(text)
