"""Calling rules as data: the US federal window from the policy, other rules from the CSV."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from ._holidays import is_known_calendar
from ._policy import CallingPolicy

Window = tuple[int, int] | None  # (start, end) minutes after local midnight; None = closed
_OPEN_DAY: Window = (0, 24 * 60)
_HOURS = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_CONFIDENCE = frozenset({"high", "medium", "low"})
US_FEDERAL = "US"  # the place code of the federal rule
CANADA_WIDE = "CAN"  # the place code in state_rules.csv of rules for all of Canada


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: rules are built once
class Rule:
    """One calling rule: hours per weekday, closed holidays, an optional cap.

    `week` holds seven windows, Monday first. `clock_zone` None means the called party's
    zones. A rule applies from local midnight of `effective` (None = always). `state` is the
    place the rule belongs to: a state or province code, "US" or "CAN" for a whole country.
    """

    rule_id: str
    state: str
    week: tuple[Window, ...]
    holidays: tuple[str, ...] = ()
    clock_zone: str | None = None
    max_attempts_24h: int | None = None
    effective: date | None = None
    confidence: str = "high"
    holiday_confidence: str = ""
    citation: str = ""
    scope: str = ""
    notes: str = ""

    def enforced_part(self, levels: frozenset[str]) -> Rule | None:
        """The parts of this rule enforced at the given confidence levels, or None."""
        hours = self.confidence in levels
        holidays = bool(self.holidays) and self.holiday_confidence in levels
        if not (hours or holidays):
            return None
        return replace(
            self,
            week=self.week if hours else (_OPEN_DAY,) * 7,
            holidays=self.holidays if holidays else (),
            max_attempts_24h=self.max_attempts_24h if hours else None,
        )


def federal_rule(policy: CallingPolicy) -> Rule:
    """The policy's calling window as a rule that applies in every zone, every day.

    Example:
        >>> federal_rule(CallingPolicy()).week[6]
        (480, 1260)
    """
    return Rule(
        rule_id="US-FED",
        state=US_FEDERAL,
        week=(policy.federal_window_minutes,) * 7,
        citation="47 CFR 64.1200(c)(1); 16 CFR 310.4(c)",
        scope="telephone solicitation (TCPA) and telemarketing (TSR); window set by the policy",
    )


def _window(text: str, rule_id: str) -> Window:
    if text == "closed":
        return None
    match = _HOURS.fullmatch(text)
    if not match:
        raise ValueError(f"state rule {rule_id}: bad hours {text!r}")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if not 0 <= start < end <= 24 * 60:
        raise ValueError(f"state rule {rule_id}: hours {text!r} are not a window")
    return start, end


def _rule(row: dict[str, str]) -> Rule:
    rule_id = row["rule_id"]
    weekday, saturday, sunday = (_window(row[day], rule_id) for day in ("mon_fri", "sat", "sun"))
    calendars = tuple(name for name in row["holidays"].split(";") if name)
    unknown = {name for name in calendars if not is_known_calendar(name)}
    if unknown:
        raise ValueError(f"state rule {rule_id}: unknown holiday calendars {sorted(unknown)}")
    confidences = {row["confidence"], row["holiday_confidence"] or row["confidence"]}
    if not confidences <= _CONFIDENCE or bool(calendars) != bool(row["holiday_confidence"]):
        raise ValueError(f"state rule {rule_id}: bad confidence columns")
    if not row["citation"]:
        raise ValueError(f"state rule {rule_id}: no citation")
    if row["clock_zone"]:
        ZoneInfo(row["clock_zone"])  # fails loudly on a misspelt zone
    return Rule(
        rule_id=rule_id,
        state=row["state"],
        week=(weekday,) * 5 + (saturday, sunday),
        holidays=calendars,
        clock_zone=row["clock_zone"] or None,
        max_attempts_24h=int(row["max_attempts_24h"]) if row["max_attempts_24h"] else None,
        effective=date.fromisoformat(row["effective_date"]) if row["effective_date"] else None,
        confidence=row["confidence"],
        holiday_confidence=row["holiday_confidence"],
        citation=row["citation"],
        scope=row["scope"],
        notes=row["notes"],
    )


@cache
def state_rules() -> tuple[Rule, ...]:
    """All rows of `compliance/data/state_rules.csv`, validated.

    Example:
        >>> [rule.rule_id for rule in state_rules() if rule.state == "OK"]
        ['OK', 'OK-ADAD']
    """
    text = resources.files("compliance").joinpath("data/state_rules.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    rules = tuple(_rule(row) for row in csv.DictReader(lines))
    if len({rule.rule_id for rule in rules}) != len(rules):
        raise ValueError("state_rules.csv: duplicate rule_id")
    return rules


@cache
def enforced_rules(levels: frozenset[str]) -> dict[str, tuple[Rule, ...]]:
    """Place code ("CAN" for Canada-wide) -> the parts of its rules enforced at these levels."""
    by_state: dict[str, list[Rule]] = {}
    for rule in state_rules():
        part = rule.enforced_part(levels)
        if part is not None:
            by_state.setdefault(rule.state, []).append(part)
    return {state: tuple(rules) for state, rules in by_state.items()}
