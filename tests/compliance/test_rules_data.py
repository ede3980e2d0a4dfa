"""The state rules table: cited, well-formed, and read as intended; holiday calendars."""

from datetime import date

import pytest

from compliance._holidays import closed_days, is_known_calendar
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
        ("CA-ADAD", (540, 1260), (540, 1260), (540, 1260)),
        ("SC-ADAD", (480, 1140), (480, 1140), (480, 1140)),
        ("CAN-CRTC", (540, 1290), (600, 1080), (600, 1080)),
        ("PA-SB992", (540, 1140), (540, 1140), None),
        ("UT-2027", (0, 1440), (0, 1440), (0, 1440)),
    ],
)
def test_hours_per_day_type(rule_id, weekday, saturday, sunday):
    rule = next(rule for rule in state_rules() if rule.rule_id == rule_id)

    assert rule.week == (weekday,) * 5 + (saturday, sunday)


UNVERIFIED = {"KY-SOL", "PA-SB992", "UT-2027", "WY"}


def test_unverified_rows_are_low_say_so_and_are_blocked_by_default():
    rules = {rule.rule_id: rule for rule in state_rules()}
    default = enforced_rules(CallingPolicy().enforced_confidence)
    counsel = enforced_rules(frozenset({"high", "medium"}))

    assert {rid for rid, rule in rules.items() if rule.confidence == "low"} == UNVERIFIED
    assert all(rules[rid].notes.startswith("UNVERIFIED, BLOCKED") for rid in UNVERIFIED)
    assert [rule.rule_id for rule in default["KY"]] == ["KY-ACE", "KY-SOL"]
    assert [rule.rule_id for rule in counsel["KY"]] == ["KY-ACE"]
    assert "WY" in default and "WY" not in counsel
    assert rules["TX"].confidence == "medium" and "TX" in counsel
    assert "301.051" in rules["TX"].citation and "305.053" not in rules["TX"].citation
    assert [rule.rule_id for rule in default["MS"]] == ["MS", "MS-CST"]


def test_canada_wide_rules_are_filed_under_can_not_california():
    rules = enforced_rules(CallingPolicy().enforced_confidence)

    assert [rule.rule_id for rule in rules["CAN"]] == ["CAN-CRTC"]
    assert [rule.rule_id for rule in rules["CA"]] == ["CA-ADAD"]
    assert rules["CA"][0].clock_zone == "America/Los_Angeles"


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


def test_new_year_on_a_saturday_closes_the_friday_of_the_year_before():
    # 2028-01-01 is a Saturday: Utah observes it on Friday 2027-12-31.
    assert date(2027, 12, 31) in closed_days("UT", ("utah",), 2028)


@pytest.mark.parametrize("name", ["13-01", "02-30", "tuesday", "1-8"])
def test_unknown_calendars_are_refused(name):
    assert not is_known_calendar(name)


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
        # Utah Code 63G-1-301: Juneteenth moved to a Monday; Good Friday; weekend days moved.
        ("UT", ("utah",), date(2026, 6, 15), True),  # June 19 is a Friday
        ("UT", ("utah",), date(2026, 6, 19), False),
        ("UT", ("utah",), date(2027, 6, 21), True),  # June 19 is a Saturday: the Monday after
        ("UT", ("utah",), date(2027, 6, 18), False),  # not the Friday before, as for July 4
        ("UT", ("utah",), date(2029, 6, 18), True),  # June 19 is a Tuesday
        ("UT", ("utah",), date(2028, 6, 19), True),  # June 19 is a Monday itself
        ("UT", ("utah",), date(2026, 4, 3), True),  # Good Friday
        ("UT", ("utah",), date(2026, 7, 3), True),  # July 4 on a Saturday: the Friday before
        ("UT", ("utah",), date(2026, 7, 24), True),  # Pioneer Day
        ("UT", ("utah",), date(2026, 5, 25), True),  # Memorial Day
        ("UT", ("utah",), date(2026, 11, 27), False),  # no day after Thanksgiving in Utah
        ("LA", ("01-08", "08-30", "11-01"), date(2027, 1, 8), True),
        ("LA", ("01-08", "08-30", "11-01"), date(2027, 11, 1), True),
        ("LA", ("01-08", "08-30", "11-01"), date(2027, 11, 2), False),
        ("XX", ("02-29",), date(2027, 3, 1), False),  # no February 29 outside leap years
        ("BC", ("province",), date(2026, 8, 3), True),  # British Columbia Day
        ("BC", ("province",), date(2026, 9, 30), True),  # Truth and Reconciliation
        ("ON", ("province",), date(2026, 8, 3), False),  # a civic holiday, not statutory
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
