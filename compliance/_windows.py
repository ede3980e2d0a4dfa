"""When calls are allowed, minute by minute, for 8 days from the evaluation instant.

Every rule boundary is a whole local minute and every zone offset a whole number of minutes,
so permission is constant within each UTC minute and a minute grid is exact. Local clocks
come from the zone database through pandas, so DST, Arizona, Hawaii and the rest follow it.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd

from ._holidays import closed_days
from ._rules import Rule

GRID_DAYS = 8
GRID_MINUTES = GRID_DAYS * 24 * 60
_EPOCH_ORDINAL = pd.Timestamp("1970-01-01").toordinal()


class Status(IntEnum):
    """Outcome of the calling-window check at the first minute of the grid."""

    OK = 0
    RESTRICTED_DAY = 1  # some rule closes the whole local day
    OUTSIDE_HOURS = 2


class CallingGrid:
    """Calling permission per UTC minute from `start` for `GRID_DAYS` days.

    Args:
        start: A UTC timestamp on a whole minute.

    Example:
        >>> from compliance._rules import Rule
        >>> grid = CallingGrid(pd.Timestamp("2026-07-01 11:59", tz="UTC"))
        >>> rule = Rule("US-FED", "US", week=((480, 1260),) * 7)
        >>> grid.judge(frozenset({"America/New_York"}), (rule,))
        (<Status.OUTSIDE_HOURS: 2>, 1)
    """

    def __init__(self, start: pd.Timestamp) -> None:
        self.start = start
        self._utc = pd.date_range(start, periods=GRID_MINUTES, freq="min")
        self._clocks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        # Keyed by rule id: ids are unique among the rules of one evaluation.
        self._masks: dict[tuple[str, str], tuple[np.ndarray, bool]] = {}

    def _clock(self, zone: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Local minute of day, weekday (Monday 0) and day number (days since 1970-01-01)."""
        if zone not in self._clocks:
            local = self._utc.tz_convert(zone).tz_localize(None)
            minute = (local.hour * 60 + local.minute).to_numpy()
            days = local.to_numpy().astype("datetime64[D]").astype(np.int64)
            self._clocks[zone] = minute, local.day_of_week.to_numpy(), days
        return self._clocks[zone]

    def _closed_day_numbers(self, rule: Rule, days: np.ndarray) -> np.ndarray:
        first, last = (pd.Timestamp(int(day), unit="D").year for day in (days[0], days[-1]))
        closed = set().union(
            *(closed_days(rule.state, rule.holidays, year) for year in range(first, last + 1))
        )
        return np.array([day.toordinal() - _EPOCH_ORDINAL for day in closed], dtype=np.int64)

    def rule_mask(self, rule: Rule, zone: str) -> tuple[np.ndarray, bool]:
        """Minutes the rule allows in `zone`, and whether it closes the first minute's day."""
        zone = rule.clock_zone or zone
        key = (rule.rule_id, zone)
        if key not in self._masks:
            minute, weekday, days = self._clock(zone)
            starts = np.array([window[0] if window else 0 for window in rule.week])
            ends = np.array([window[1] if window else 0 for window in rule.week])
            open_day = np.array([window is not None for window in rule.week])[weekday]
            if rule.holidays:
                open_day &= ~np.isin(days, self._closed_day_numbers(rule, days))
            allowed = open_day & (minute >= starts[weekday]) & (minute < ends[weekday])
            if rule.effective is not None:
                before = days < rule.effective.toordinal() - _EPOCH_ORDINAL
                allowed |= before
                open_day |= before
            self._masks[key] = allowed, not open_day[0]
        return self._masks[key]

    def judge(self, zones: frozenset[str], rules: tuple[Rule, ...]) -> tuple[Status, int]:
        """Status at the first minute when every rule must allow the call in every zone.

        Returns:
            The status and the index of the first allowed minute (-1 if none in the grid).
        """
        allowed = np.ones(GRID_MINUTES, dtype=bool)
        closed = False
        for zone in zones:
            for rule in rules:
                mask, closes = self.rule_mask(rule, zone)
                allowed &= mask
                closed |= closes
        first = int(allowed.argmax()) if allowed.any() else -1
        if first == 0:
            return Status.OK, 0
        return (Status.RESTRICTED_DAY if closed else Status.OUTSIDE_HOURS), first
