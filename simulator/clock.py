"""The one clock every part of a simulator reads, and timestamps in the APIs' format.

Token expiry, rate-limit refills, upload jobs, listing delays, metric windows and every
timestamp read `clock.now()`. Servers get a `SystemClock` unless a test hands them a
`FakeClock`, which moves only when told to, so tests advance time instead of sleeping.

>>> clock = FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
>>> iso(clock.advance(90.5))
'2026-03-01T12:01:30.500Z'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until `advance` moves it; starts at `start` (default: now).

    Safe to move from a test thread while a server thread reads it: each read and each move
    is one attribute access.
    """

    def __init__(self, start: datetime | None = None) -> None:
        moment = start or datetime.now(UTC)
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by `seconds` (never back) and return the new time."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self._now += timedelta(seconds=seconds)
        return self._now


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a trailing Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
