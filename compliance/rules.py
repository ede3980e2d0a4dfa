"""The calling rules in force for a state or province on a date, as a table for review.

    python -m compliance.rules TX --date 2026-11-29
    python -m compliance.rules "British Columbia" --date 2026-08-03

Lists the country rule (the policy's US window, or the CRTC rules for Canada) and every row of
`data/state_rules.csv` for the place: hours per day type, the clock they are read on, closed
days of the year, cap, effective date, confidence and citation, then the notes, and whether
the date itself is closed. Rules not yet in force on the date are listed after the others.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from datetime import date

from ._holidays import closed_days
from ._policy import CallingPolicy
from ._rules import CANADA_WIDE, Rule, Window, federal_rule, state_rules
from ._zones import CANADIAN_PROVINCES, normalise_state

_DAY_TYPES = (("Mon-Fri", 0), ("Sat", 5), ("Sun", 6))
_COLUMNS = ("rule", "Mon-Fri", "Sat", "Sun", "clock", "cap/24h", "from", "confidence", "citation")


def _hours(window: Window) -> str:
    if window is None:
        return "closed"
    (start_h, start_m), (end_h, end_m) = divmod(window[0], 60), divmod(window[1], 60)
    return f"{start_h:02d}:{start_m:02d}-{end_h:02d}:{end_m:02d}"


def _rules_for(place: str, policy: CallingPolicy) -> list[Rule]:
    country = (
        [rule for rule in state_rules() if rule.state == CANADA_WIDE]
        if place in CANADIAN_PROVINCES
        else [federal_rule(policy)]
    )
    return [*country, *(rule for rule in state_rules() if rule.state == place)]


def _row(rule: Rule, enforced: bool) -> tuple[str, ...]:
    confidence = rule.confidence + ("" if enforced else " (not enforced)")
    return (
        rule.rule_id,
        *(_hours(rule.week[weekday]) for _, weekday in _DAY_TYPES),
        rule.clock_zone or "called party's",
        str(rule.max_attempts_24h or "-"),
        str(rule.effective or "always"),
        confidence,
        rule.citation,
    )


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in (_COLUMNS, *rows)) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    header = "  ".join(name.ljust(width) for name, width in zip(_COLUMNS, widths, strict=True))
    return [header.rstrip(), "-" * len(header.rstrip()), *(line.rstrip() for line in lines)]


def _closed_on(rule: Rule, day: date) -> list[date]:
    return sorted(d for d in closed_days(rule.state, rule.holidays, day.year) if d.year == day.year)


def describe(place: str, day: date, policy: CallingPolicy | None = None) -> str:
    """The rules for `place` (code or name) in force on `day`, as printable text.

    Raises:
        ValueError: `place` is not a US state, territory or Canadian province.

    Example:
        >>> print(describe("TX", date(2026, 11, 29)).splitlines()[0])
        Calling rules for TX on Sunday 2026-11-29
    """
    code = normalise_state(place)
    if code is None:
        raise ValueError(f"{place!r} is not a US state, territory or Canadian province")
    policy = policy or CallingPolicy()
    rules = _rules_for(code, policy)
    in_force = [rule for rule in rules if rule.effective is None or rule.effective <= day]
    later = [rule for rule in rules if rule not in in_force]
    enforced = {rule.rule_id for rule in rules if rule.confidence in policy.enforced_confidence}
    enforced.add("US-FED")
    lines = [f"Calling rules for {code} on {day:%A} {day.isoformat()}", ""]
    lines += _table([_row(rule, rule.rule_id in enforced) for rule in in_force])
    for rule in in_force:
        lines += ["", f"{rule.rule_id}: {rule.scope}"]
        if rule.holidays:
            closed = ", ".join(f"{d:%m-%d}" for d in _closed_on(rule, day))
            lines.append(f"  closed in {day.year} ({rule.holiday_confidence}): {closed}")
            if day in closed_days(rule.state, rule.holidays, day.year):
                lines.append(f"  {day.isoformat()} IS CLOSED under this rule")
        if rule.week[day.weekday()] is None:
            lines.append(f"  {day:%A}s are closed under this rule")
        lines += textwrap.wrap(rule.notes, 96, initial_indent="  ", subsequent_indent="  ")
    if later:
        lines += ["", "Not yet in force on this date:", *_table([_row(r, True) for r in later])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: print `describe` for a place and a date (today by default)."""
    parser = argparse.ArgumentParser(prog="python -m compliance.rules", description=__doc__)
    parser.add_argument("place", help="state or province: code (TX, BC) or name")
    parser.add_argument("--date", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    try:
        print(describe(args.place, args.date))
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
