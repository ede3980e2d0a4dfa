"""The calling rules in force for a state or province on a date, as a table for review; and
where a contact's candidate zones come from.

    python -m compliance.rules TX --date 2026-11-29
    python -m compliance.rules "British Columbia" --date 2026-08-03
    python -m compliance.rules --phone "(907) 581-1234" --postal-code 99685 --state AK

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
from functools import cache

import pandas as pd

from ._holidays import closed_days
from ._inputs import postal_key
from ._phones import AREA_CODE, EXCHANGE, parse_phones, zone_sets
from ._places import place_zones, postal
from ._policy import CallingPolicy
from ._rules import CANADA_WIDE, Rule, Window, federal_rule, state_rules
from ._zones import (
    AREA_CODE_ZONES_FILE,
    CANADIAN_PROVINCES,
    EXCHANGE_ZONES_FILE,
    FSA_ZONES_FILE,
    ZIP_ZONES_FILE,
    ZONE_OVERRIDES_FILE,
    data_rows,
    normalise_state,
    state_codes,
)

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


@cache
def _sources(name: str) -> dict[str, str]:
    """Key -> source text of a shipped zone table (the key's row, its other columns joined)."""
    return {key: "; ".join(rest[1:]) for key, *rest in data_rows(name)}


def _zones_text(zones: tuple[str, ...] | frozenset[str]) -> str:
    return ", ".join(sorted(zones)) or "none"


def _phone_line(phone: str) -> tuple[str, frozenset[str]]:
    phones = parse_phones(pd.Series([phone], dtype="str"))
    if not phones.valid[0]:
        return f"phone {phone!r}: {phones.problems[phones.problem[0]]}, no zone", frozenset()
    national = int(phones.national[0])
    npa, nxx = national // 10**7, national // 10**4 % 1000
    zones = zone_sets()[phones.zone_set[0]]
    origin = int(phones.zone_origin[0])
    if origin == EXCHANGE:
        source = _sources(EXCHANGE_ZONES_FILE)[f"{npa}-{nxx:03d}"]
        how = f"exchange {npa}-{nxx:03d}, verified ({source})"
    elif origin == AREA_CODE:
        how = f"area code {npa}, every zone it spans ({_sources(AREA_CODE_ZONES_FILE)[str(npa)]})"
    else:
        how = "no place: a non-geographic number or another country's"
    return f"phone {phone}: {_zones_text(zones)} <- {how}", zones


def _postal_line(code: str) -> tuple[str, frozenset[str], int]:
    key = postal_key(code)
    said = postal(key)
    if key is None:
        return f"postal code {code!r}: not a known ZIP or Canadian postal code", frozenset(), -1
    value = key.split(":", 1)[1]
    if key.startswith("Z:"):
        override = _sources(ZONE_OVERRIDES_FILE).get(value)
        how = f"ZIP {value}, " + (
            f"zone_overrides.csv ({override})"
            if override
            else f"boundaries ({_sources(ZIP_ZONES_FILE).get(value, 'no row')})"
        )
    elif said.origin == "province":
        how = f"postal code {value}: FSA not listed, every zone of {state_codes()[said.place]}"
    else:
        table = _sources(FSA_ZONES_FILE)
        prefix = next(value[:n] for n in (3, 2, 1) if value[:n] in table)
        how = f"postal code {value}, fsa_zones.csv row {prefix} ({table[prefix]})"
    line = f"postal code {code}: {_zones_text(said.zones)} <- {how}"
    return line, frozenset(said.zones), said.place


def describe_contact(
    phone: str | None = None, postal_code: str | None = None, state: str | None = None
) -> str:
    """Where a contact's candidate zones come from: the number (its verified exchange or its
    area code), the postal code (ZIP, Canadian FSA, or the whole province) and the declared
    state (added only when the postal code is not of that same state), and their union.

    Example:
        >>> print(describe_contact("(214) 555-1234", "75201", "TX"))  # doctest: +ELLIPSIS
        Candidate zones
        phone (214) 555-1234: America/Chicago <- area code 214, every zone it spans (...)
        postal code 75201: America/Chicago <- ZIP 75201, boundaries (polygons r=3km)
        state TX: not added (the postal code is in TX: it says where)
        all: America/Chicago
    """
    lines = ["Candidate zones"]
    zones: set[str] = set()
    code_place = -1
    code_zones: frozenset[str] = frozenset()
    if phone is not None:
        line, phone_zones = _phone_line(phone)
        lines.append(line)
        zones |= phone_zones
    if postal_code is not None:
        line, code_zones, code_place = _postal_line(postal_code)
        lines.append(line)
        zones |= code_zones
    if state is not None:
        place = normalise_state(state)
        index = state_codes().index(place) if place else -1
        if index < 0:
            lines.append(f"state {state!r}: not a known state or province, no zone")
        elif index == code_place and code_zones:
            lines.append(f"state {place}: not added (the postal code is in {place}: it says where)")
        else:
            stated = place_zones(index)
            lines.append(f"state {place}: {_zones_text(stated)} <- every zone of {place}")
            zones |= set(stated)
    lines.append(f"all: {_zones_text(frozenset(zones))}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: print `describe` for a place and a date (today by default), or
    `describe_contact` for a phone, postal code and declared state."""
    parser = argparse.ArgumentParser(prog="python -m compliance.rules", description=__doc__)
    parser.add_argument("place", nargs="?", help="state or province: code (TX, BC) or name")
    parser.add_argument("--date", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD")
    parser.add_argument("--phone", help="a contact's phone number: show where its zones come from")
    parser.add_argument("--postal-code", help="a contact's ZIP or Canadian postal code")
    parser.add_argument("--state", help="a contact's declared state or province")
    args = parser.parse_args(argv)
    contact = (args.phone, args.postal_code, args.state)
    if args.place is None and contact == (None, None, None):
        parser.error("name a place, or a contact with --phone, --postal-code or --state")
    try:
        if contact != (None, None, None):
            print(describe_contact(*contact))
        if args.place is not None:
            print(describe(args.place, args.date))
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
