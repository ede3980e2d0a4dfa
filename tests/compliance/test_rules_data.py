"""The state rules table: cited, well-formed, and read as intended; holiday calendars."""

from datetime import date

import pytest

from compliance._holidays import closed_days
from compliance._policy import CallingPolicy
from compliance._rules import enforced_rules, federal_rule, state_rules


def test_every_rule_cites_its_source_and_confidence():
    rules = state_rules()

    assert len(rules) >= 25
    for rule in rules:
        assert rule.citation
        assert rule.confidence in {"high", "medium", "low"}
        assert (rule.holiday_confidence in {"high", "medium", "low"}) == bool(rule.holidays)
        assert len(rule.week) == 7


@pytest.mark.parametrize(
    ("rule_id", "weekday", "saturday", "sunday"),
    [
        ("FL", (480, 1200), (480, 1200), (480, 1200)),
        ("CT", (540, 1200), (540, 1200), (540, 1200)),
        ("AL", (480, 1200), (480, 1200), None),
        ("RI", (540, 1080), (600, 1020), None),
        ("ME", (540, 1020), None, None),
        ("SD", (540, 1260), None, None),
        ("TX", (540, 1260), (540, 1260), (720, 1260)),
    ],
)
def test_hours_per_day_type(rule_id, weekday, saturday, sunday):
    rule = next(rule for rule in state_rules() if rule.rule_id == rule_id)

    assert rule.week == (weekday,) * 5 + (saturday, sunday)


def test_uncertain_rows_are_marked_and_not_enforced_by_default():
    confidence = {rule.rule_id: rule.confidence for rule in state_rules()}
    default = enforced_rules(CallingPolicy().enforced_confidence)

    assert confidence["TX"] == confidence["KY-SOL"] == "low"
    assert confidence["MS-CST"] == "medium"
    assert "TX" not in default
    assert [rule.rule_id for rule in default["KY"]] == ["KY-ACE"]
    assert [rule.rule_id for rule in default["MS"]] == ["MS", "MS-CST"]


def test_holiday_lists_follow_their_own_confidence():
    only_high = enforced_rules(frozenset({"high"}))
    pa = only_high["PA"][0]

    assert pa.holidays == ()  # the PA list is medium
    assert pa.week == ((480, 1260),) * 7  # the PA hours are high
    assert "ME" not in only_high  # medium only


def test_caps_and_effective_dates():
    rules = {rule.rule_id: rule for rule in state_rules()}

    assert {rid: rules[rid].max_attempts_24h for rid in ("FL", "OK", "MD", "OR", "ME")} == {
        "FL": 3,
        "OK": 3,
        "MD": 3,
        "OR": 3,
        "ME": 1,
    }
    assert rules["OR"].effective == date(2026, 1, 1)
    assert rules["MS-CST"].clock_zone == "Etc/GMT+6"


def test_federal_rule_follows_policy():
    rule = federal_rule(CallingPolicy(federal_start="09:30", federal_end="20:00"))

    assert rule.week == ((570, 1200),) * 7
    assert "64.1200" in rule.citation


@pytest.mark.parametrize(
    ("state", "calendars", "day", "closed"),
    [
        ("PA", ("state", "good_friday", "flag_day", "election_day"), date(2026, 4, 3), True),
        ("PA", ("state", "good_friday", "flag_day", "election_day"), date(2026, 6, 14), True),
        ("PA", ("state", "good_friday", "flag_day", "election_day"), date(2026, 11, 3), True),
        ("PA", ("state", "good_friday", "flag_day", "election_day"), date(2027, 11, 2), True),
        ("PA", ("state", "good_friday", "flag_day", "election_day"), date(2026, 11, 27), True),
        ("PA", ("state", "good_friday", "flag_day", "election_day"), date(2026, 11, 4), False),
        ("PA", ("state",), date(2026, 6, 14), False),  # the package lacks Flag Day
        ("RI", ("state", "ri_independence_day", "election_day"), date(2026, 5, 4), True),
        ("RI", ("state", "ri_independence_day", "election_day"), date(2026, 8, 10), True),
        ("UT", ("state",), date(2026, 7, 24), True),
        ("UT", ("state",), date(2026, 7, 3), True),  # Independence Day observed
        ("AL", ("state", "mardi_gras", "rosa_parks_day"), date(2026, 2, 17), True),
        ("AL", ("state", "mardi_gras", "rosa_parks_day"), date(2026, 12, 1), True),
        ("AL", ("state", "mardi_gras", "rosa_parks_day"), date(2026, 4, 27), True),
        ("LA", ("state", "day_after_thanksgiving"), date(2026, 11, 27), True),
        ("LA", ("state", "day_after_thanksgiving"), date(2025, 11, 28), True),
        ("LA", ("state", "day_after_thanksgiving"), date(2026, 11, 20), False),
    ],
)
def test_closed_days(state, calendars, day, closed):
    assert (day in closed_days(state, calendars, day.year)) == closed


def test_election_day_is_the_tuesday_after_the_first_monday():
    days = [next(iter(closed_days("XX", ("election_day",), year))) for year in range(2024, 2032)]

    assert days == [
        date(2024, 11, 5),
        date(2025, 11, 4),
        date(2026, 11, 3),
        date(2027, 11, 2),
        date(2028, 11, 7),
        date(2029, 11, 6),
        date(2030, 11, 5),
        date(2031, 11, 4),
    ]
