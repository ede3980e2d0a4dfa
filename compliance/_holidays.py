"""Days on which a state or province closes calling: the `holidays` package plus days it lacks."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.easter import easter

# Calendar names in state_rules.csv for the package's lists.
STATE_CALENDAR = "state"  # US federal days plus the state's own
PROVINCE_CALENDAR = "province"  # a Canadian province's statutory days
_FIXED_DATE = re.compile(r"(\d\d)-(\d\d)")  # "MM-DD": that date every year


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    after = date(year + month // 12, month % 12 + 1, 1)  # first day of the next month
    return after - timedelta(days=(after.weekday() - weekday - 1) % 7 + 1)


def _election_day(year: int) -> date:
    # The Tuesday after the first Monday of November (2-8 November).
    return _nth_weekday(year, 11, 0, 1) + timedelta(days=1)


def _good_friday(year: int) -> date:
    return easter(year) - timedelta(days=2)


def _weekend_moved(day: date) -> date:
    """Saturday to the Friday before, Sunday to the Monday after (63G-1-301(2)(a)-(b))."""
    return day + timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))


def _utah_juneteenth(year: int) -> date:
    """63G-1-301(2)(c)-(d): the Monday before a Tuesday-Friday June 19, after a weekend one."""
    june_19 = date(year, 6, 19)
    weekday = june_19.weekday()
    return june_19 - timedelta(days=weekday) if weekday < 5 else june_19 + timedelta(7 - weekday)


def utah_legal_holidays(year: int) -> set[date]:
    """Legal holidays of Utah Code 63G-1-301(1)-(2), as amended in 2025 and 2026.

    Sundays (1)(c) are left to the rules' weekday hours. Good Friday is listed "subject to
    Subsection (6)", which was not read: it is closed every year, the conservative side.

    Example:
        >>> sorted(day for day in utah_legal_holidays(2026) if day.month in (6, 7))
        [datetime.date(2026, 6, 15), datetime.date(2026, 7, 3), datetime.date(2026, 7, 24)]
    """
    fixed = [date(year, month, day) for month, day in ((1, 1), (7, 4), (7, 24), (11, 11), (12, 25))]
    return {
        *(_weekend_moved(day) for day in fixed),
        _nth_weekday(year, 1, 0, 3),  # Dr. Martin Luther King, Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Presidents' Day
        _good_friday(year),
        easter(year),
        _last_weekday(year, 5, 0),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day
        _utah_juneteenth(year),
    }


# Days that statutes name and the package does not carry for the state.
EXTRA_DAYS: dict[str, Callable[[int], date]] = {
    "good_friday": _good_friday,
    "mardi_gras": lambda year: easter(year) - timedelta(days=47),
    "flag_day": lambda year: date(year, 6, 14),
    "ri_independence_day": lambda year: date(year, 5, 4),
    "rosa_parks_day": lambda year: date(year, 12, 1),
    "election_day": _election_day,
    "day_after_thanksgiving": lambda year: _nth_weekday(year, 11, 3, 4) + timedelta(days=1),
}
_CALENDARS: dict[str, Callable[[str, int], set[date]]] = {
    STATE_CALENDAR: lambda state, year: set(
        holidays.country_holidays("US", subdiv=state, years=year)
    ),
    PROVINCE_CALENDAR: lambda province, year: set(
        holidays.country_holidays("CA", subdiv=province, years=year)
    ),
    "utah": lambda _, year: utah_legal_holidays(year),
}


def is_known_calendar(name: str) -> bool:
    """Whether `closed_days` understands a calendar name of state_rules.csv.

    Example:
        >>> is_known_calendar("state"), is_known_calendar("08-30"), is_known_calendar("13-01")
        (True, True, False)
    """
    if name in _CALENDARS or name in EXTRA_DAYS:
        return True
    match = _FIXED_DATE.fullmatch(name)
    if not match:
        return False
    try:
        date(2000, int(match.group(1)), int(match.group(2)))  # 2000: leap, so 02-29 passes
    except ValueError:
        return False
    return True


def _fixed_date(name: str, year: int) -> set[date]:
    month, day = (int(part) for part in name.split("-"))
    try:
        return {date(year, month, day)}
    except ValueError:  # 02-29 outside leap years
        return set()


@lru_cache(maxsize=1024)
def closed_days(state: str, calendars: tuple[str, ...], year: int) -> frozenset[date]:
    """Dates of `year` on which a state's or province's holiday rule closes calling.

    Args:
        state: USPS or province code, the `holidays` subdivision for "state" and "province".
        calendars: Names that `is_known_calendar` accepts.
        year: Calendar year.

    Returns:
        The closed dates; observed dates of the package's holidays are included. An observed
        date may fall in the year before or after (New Year's Day on a Saturday).

    Example:
        >>> date(2026, 6, 14) in closed_days("PA", ("flag_day",), 2026)
        True
    """
    days: set[date] = set()
    for name in calendars:
        if name in _CALENDARS:
            days.update(_CALENDARS[name](state, year))
        elif name in EXTRA_DAYS:
            days.add(EXTRA_DAYS[name](year))
        else:
            days.update(_fixed_date(name, year))
    return frozenset(days)
