"""Days on which a state closes calling: the `holidays` package plus days it lacks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.easter import easter

# Calendar name in state_rules.csv for the package's list (US federal plus the state's days).
STATE_CALENDAR = "state"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _election_day(year: int) -> date:
    # The Tuesday after the first Monday of November (2-8 November).
    return _nth_weekday(year, 11, 0, 1) + timedelta(days=1)


# Days that statutes name and the package does not carry for the state.
EXTRA_DAYS: dict[str, Callable[[int], date]] = {
    "good_friday": lambda year: easter(year) - timedelta(days=2),
    "mardi_gras": lambda year: easter(year) - timedelta(days=47),
    "flag_day": lambda year: date(year, 6, 14),
    "ri_independence_day": lambda year: date(year, 5, 4),
    "rosa_parks_day": lambda year: date(year, 12, 1),
    "election_day": _election_day,
    "day_after_thanksgiving": lambda year: _nth_weekday(year, 11, 3, 4) + timedelta(days=1),
}

KNOWN_CALENDARS = frozenset({STATE_CALENDAR, *EXTRA_DAYS})


@lru_cache(maxsize=512)
def closed_days(state: str, calendars: tuple[str, ...], year: int) -> frozenset[date]:
    """Dates of `year` on which a state's holiday rule closes calling.

    Args:
        state: USPS code, used as the `holidays` subdivision for the "state" calendar.
        calendars: Names from `KNOWN_CALENDARS`.
        year: Calendar year.

    Returns:
        The closed dates; observed dates of the package's holidays are included.

    Example:
        >>> date(2026, 6, 14) in closed_days("PA", ("flag_day",), 2026)
        True
    """
    days: set[date] = set()
    for name in calendars:
        if name == STATE_CALENDAR:
            days.update(holidays.country_holidays("US", subdiv=state, years=year))
        else:
            days.add(EXTRA_DAYS[name](year))
    return frozenset(days)
