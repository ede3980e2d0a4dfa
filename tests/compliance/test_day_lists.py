"""evaluate_day: who may be called on a campaign day, and when; cap cures with last_attempt_at."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import compliance
from compliance import CallingPolicy

NY = "2127365000"
NEW_YORK = ZoneInfo("America/New_York")
DEC_7 = date(2026, 12, 7)  # a Monday


def day_row(
    day: date, zone: str = "America/New_York", policy=None, not_before=None, **columns
) -> pd.Series:
    row = {"contact_id": "c1", "consent_call": True, **columns}
    contacts = pd.DataFrame([row])
    return compliance.evaluate_day(contacts, day, zone, policy, not_before=not_before).iloc[0]


def new_york(hour: int, minute: int = 0, second: int = 0, day: int = 7) -> dict[str, datetime]:
    """`not_before` at a New York time of December 2026."""
    return {"not_before": datetime(2026, 12, day, hour, minute, second, tzinfo=NEW_YORK)}


def assert_instant(value: pd.Timestamp, expected: str | None) -> None:
    """`value` is the instant `expected` names, or NaT when it names none."""
    if expected is None:
        assert pd.isna(value)
    else:
        assert value == pd.Timestamp(expected)


# phone, extra columns (and `not_before`), campaign day, reason, callable_from_local,
# callable_until_local, next_callable_at (UTC; the first legal minute after the day when not
# dialable)
CASES = [
    pytest.param(
        NY, {}, date(2026, 11, 30), "ok",
        "2026-11-30T08:00:00-05:00", "2026-11-30T21:00:00-05:00", "2026-11-30T13:00Z",
        id="new-york-monday",
    ),
    # Daylight saving: a 23-hour and a 25-hour campaign day keep the local window.
    pytest.param(
        NY, {}, date(2026, 3, 8), "ok",
        "2026-03-08T08:00:00-04:00", "2026-03-08T21:00:00-04:00", "2026-03-08T12:00Z",
        id="spring-forward-day",
    ),
    pytest.param(
        NY, {}, date(2026, 11, 1), "ok",
        "2026-11-01T08:00:00-05:00", "2026-11-01T21:00:00-05:00", "2026-11-01T13:00Z",
        id="fall-back-day",
    ),
    pytest.param(
        "3146211234", {}, date(2026, 3, 8), "ok",  # St. Louis: 08:00 CDT is 09:00 EDT
        "2026-03-08T08:00:00-05:00", "2026-03-08T21:00:00-05:00", "2026-03-08T13:00Z",
        id="spring-forward-central",
    ),
    pytest.param(
        "6022531234", {}, date(2026, 3, 8), "ok",  # Arizona keeps standard time
        "2026-03-08T08:00:00-07:00", "2026-03-08T21:00:00-07:00", "2026-03-08T15:00Z",
        id="spring-forward-arizona",
    ),
    # Hawaii and Alaska: the first legal interval of an Eastern day is their evening before.
    pytest.param(
        "8085861234", {}, date(2026, 11, 30), "ok",
        "2026-11-29T19:00:00-10:00", "2026-11-29T21:00:00-10:00", "2026-11-30T05:00Z",
        id="hawaii-on-an-eastern-day",
    ),
    pytest.param(
        "9072691234", {}, date(2026, 11, 30), "ok",
        "2026-11-29T20:00:00-09:00", "2026-11-29T21:00:00-09:00", "2026-11-30T05:00Z",
        id="alaska-on-an-eastern-day",
    ),
    # State holidays and closed days: the next legal minute comes after the day.
    pytest.param(
        "8015381234", {}, date(2026, 7, 24), "state_restricted_day", None, None,
        "2026-07-25T14:00Z",  # Saturday 08:00 MDT
        id="utah-pioneer-day",
    ),
    pytest.param(
        "2155611234", {}, date(2026, 11, 26), "state_restricted_day", None, None,
        "2026-11-28T14:00Z",  # the day after Thanksgiving is closed too; SB 992: 09:00
        id="pennsylvania-thanksgiving",
    ),
    pytest.param(
        "2053221234", {}, date(2026, 11, 29), "state_restricted_day", None, None,
        "2026-11-30T14:00Z",
        id="alabama-sunday",
    ),
    # Canada on a weekend day: 10:00-18:00 local.
    pytest.param(
        "4165551234", {}, date(2026, 11, 28), "ok",
        "2026-11-28T10:00:00-05:00", "2026-11-28T18:00:00-05:00", "2026-11-28T15:00Z",
        id="toronto-saturday",
    ),
    # Reasons time cannot cure give no time at all.
    pytest.param("8765551234", {}, date(2026, 11, 30), "unsupported_country", None, None, None,
                 id="jamaica"),
    pytest.param(NY, {"dnc": True}, date(2026, 11, 30), "dnc", None, None, None, id="dnc"),
    pytest.param("8005550100", {}, date(2026, 11, 30), "unknown_timezone", None, None, None,
                 id="no-zone"),
    # A list made at `not_before`: the first legal window from then on, within the day.
    pytest.param(
        "8085861234", new_york(5, 30), DEC_7, "ok",
        "2026-12-07T08:00:00-10:00", "2026-12-07T19:00:00-10:00", "2026-12-07T18:00Z",
        id="honolulu-morning-not-the-evening-before",
    ),
    pytest.param(
        "8085861234", {}, DEC_7, "ok",
        "2026-12-06T19:00:00-10:00", "2026-12-06T21:00:00-10:00", "2026-12-07T05:00Z",
        id="honolulu-whole-day",
    ),
    pytest.param(
        NY, new_york(20, 30), DEC_7, "ok",
        "2026-12-07T20:30:00-05:00", "2026-12-07T21:00:00-05:00", "2026-12-08T01:30Z",
        id="new-york-last-half-hour",
    ),
    pytest.param(
        NY, new_york(20, 30, 20), DEC_7, "ok",
        "2026-12-07T20:31:00-05:00", "2026-12-07T21:00:00-05:00", "2026-12-08T01:31Z",
        id="rounded-up-to-the-minute",
    ),
    pytest.param(
        NY, new_york(21), DEC_7, "outside_calling_hours", None, None, "2026-12-08T13:00Z",
        id="new-york-after-the-window",
    ),
    pytest.param(
        NY, {"not_before": datetime(2026, 12, 6, 12, tzinfo=UTC)}, DEC_7, "ok",
        "2026-12-07T08:00:00-05:00", "2026-12-07T21:00:00-05:00", "2026-12-07T13:00Z",
        id="before-the-day-changes-nothing",
    ),
    pytest.param(
        "8085861234", new_york(1, day=8), DEC_7, "outside_calling_hours", None, None,
        "2026-12-08T06:00Z",  # the first legal minute after the day and not_before (20:00 HST)
        id="after-the-day-nobody",
    ),
    pytest.param(
        "8015381234", {"not_before": datetime(2026, 7, 24, 10, tzinfo=NEW_YORK)},
        date(2026, 7, 24), "state_restricted_day", None, None, "2026-07-25T14:00Z",
        id="a-closed-day-stays-closed",
    ),
    pytest.param(
        NY, {"attempts_24h": 1, "last_attempt_at": "2026-12-06T14:00Z", **new_york(12)}, DEC_7,
        "frequency_cap", None, None, "2026-12-07T17:00Z",
        id="a-cap-lifting-earlier-waits-for-not-before",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("phone", "extra", "day", "reason", "from_local", "until_local", "next_at"), CASES
)
def test_day_lists(phone, extra, day, reason, from_local, until_local, next_at):
    row = day_row(day, phone=phone, **extra)

    assert row.reason == reason
    assert row.dialable == (reason == "ok")
    assert (row.callable_from_local, row.callable_until_local) == (
        from_local or row.callable_from_local,
        until_local or row.callable_until_local,
    )
    if from_local is None:
        assert pd.isna(row.callable_from) and pd.isna(row.callable_until)
        assert pd.isna(row.callable_from_local) and pd.isna(row.callable_until_local)
    else:
        assert row.callable_from == pd.Timestamp(from_local)
        assert row.callable_until == pd.Timestamp(until_local)
    assert_instant(row.next_callable_at, next_at)
    if "not_before" in extra and reason == "ok":
        assert row.callable_from >= extra["not_before"]


def test_candidate_zones_with_no_common_window_are_outside_hours():
    # A morning campaign (08:00-12:00): New York's mornings and Hawaii's never meet.
    morning = CallingPolicy(federal_start="08:00", federal_end="12:00")

    row = day_row(date(2026, 11, 30), policy=morning, phone=NY, state="HI")

    assert row.reason == "outside_calling_hours"
    assert row.time_zones == "America/New_York;Pacific/Honolulu"
    assert pd.isna(row.callable_from) and pd.isna(row.next_callable_at)
    assert day_row(date(2026, 11, 30), policy=morning, phone=NY).reason == "ok"


def test_local_zone_is_the_numbers_then_the_postal_codes_then_the_declared_states():
    rows = compliance.evaluate_day(
        pd.DataFrame(
            {
                "contact_id": ["a", "b", "c", "d"],
                "phone": [NY, "8005550100", "8005550100", "8005550100"],
                "postal_code": ["96813", "96813", None, None],
                "state": ["AK", "AK", "FL", None],
                "consent_call": True,
            }
        ),
        date(2026, 11, 30),
    )

    assert rows["local_zone"].tolist()[:3] == [
        "America/New_York",
        "Pacific/Honolulu",
        "America/New_York",  # Florida's most common zone
    ]
    assert pd.isna(rows["local_zone"].iloc[3])


def test_campaign_zone_sets_the_day():
    pacific = day_row(date(2026, 11, 30), "America/Los_Angeles", phone=NY)

    # The Pacific day starts at 03:00 ET: New York's window is 08:00-21:00 ET all the same.
    assert pacific.callable_from == pd.Timestamp("2026-11-30T13:00Z")
    assert pacific.callable_until == pd.Timestamp("2026-12-01T02:00Z")


# Caps with last_attempt_at: the cap lifts 24 h (24-hour cap) or 7 days (7-day cap) after the
# person's last attempt, then the first legal minute counts.
CAP_CASES = [
    pytest.param(
        {"phone": "3055771234", "attempts_24h": 3, "last_attempt_at": "2026-11-30T12:00:00Z"},
        "2026-12-01T13:00Z",  # lifts 07:00 ET, Florida opens at 08:00
        id="florida-24h-cap",
    ),
    pytest.param(
        {"phone": NY, "attempts_7d": 3, "last_attempt_at": "2026-11-28T15:00:00Z"},
        "2026-12-05T15:00Z",  # lifts Saturday 10:00 ET, inside the window
        id="campaign-7-day-cap",
    ),
    pytest.param(
        {"phone": NY, "attempts_24h": 1, "last_attempt_at": "2026-11-30T12:00:00"},
        "2026-12-02T00:00Z",  # naive: read at UTC-12, so 2026-12-01T00:00Z, + 24 h
        id="naive-last-attempt-read-late",
    ),
    pytest.param(
        {"phone": NY, "attempts_24h": 1, "last_attempt_at": "yesterday"}, None, id="unreadable"
    ),
    pytest.param({"phone": NY, "attempts_24h": 1}, None, id="no-last-attempt"),
    pytest.param(
        {"phone": NY, "attempts_24h": 1, "dnc": True, "last_attempt_at": "2026-11-30T12:00Z"},
        None,
        id="dnc-is-not-cured-by-time",
    ),
]


@pytest.mark.parametrize(("columns", "next_at"), CAP_CASES)
def test_frequency_caps_lift_after_the_last_attempt(columns, next_at):
    contacts = pd.DataFrame([{"contact_id": "c1", "consent_call": True, **columns}])
    at = datetime.fromisoformat("2026-11-30T18:00:00+00:00")

    instant = compliance.evaluate(contacts, at).iloc[0]
    day = compliance.evaluate_day(contacts, date(2026, 11, 30)).iloc[0]

    for row in (instant, day):
        assert row.reason == ("dnc" if "dnc" in columns else "frequency_cap")
        assert_instant(row.next_callable_at, next_at)
    if next_at:
        zone_text = pd.Timestamp(next_at).tz_convert("America/New_York").isoformat()
        assert instant.next_callable_local == zone_text


def test_a_persons_last_attempt_on_another_number_counts():
    contacts = pd.DataFrame(
        {
            "contact_id": ["a", "b"],
            "phone": ["3055771234", "3055771235"],
            "person_id": ["p1", "p1"],
            "attempts_24h": [2, 1],
            "last_attempt_at": ["2026-11-30T12:00:00Z", None],
            "consent_call": True,
        }
    )
    policy = CallingPolicy(max_attempts_24h=5)

    out = compliance.evaluate(contacts, pd.Timestamp("2026-11-30T18:00Z"), policy)

    assert out["reason"].tolist() == ["frequency_cap"] * 2
    assert out["next_callable_at"].tolist() == [pd.Timestamp("2026-12-01T13:00Z")] * 2


def test_evaluate_gives_local_times_of_when_next():
    contacts = pd.DataFrame({"contact_id": ["a"], "phone": ["8085861234"], "consent_call": [1]})

    row = compliance.evaluate(contacts, pd.Timestamp("2026-11-30T12:00Z")).iloc[0]

    assert row.reason == "outside_calling_hours"
    assert row.next_callable_local == "2026-11-30T08:00:00-10:00"


def test_output_columns_and_types():
    contacts = pd.DataFrame(
        {"contact_id": ["a", "b"], "phone": [NY, "bad"], "consent_call": True}, index=[7, 3]
    )

    out = compliance.evaluate_day(contacts, date(2026, 11, 30))

    assert out.index.tolist() == [7, 3] and out["contact_id"].tolist() == ["a", "b"]
    for name in ("callable_from", "callable_until", "next_callable_at"):
        assert str(out[name].dtype) == "datetime64[ns, UTC]"
    assert out["reason"].tolist() == ["ok", "invalid_phone"]
    assert out.loc[3, ["callable_from_local", "local_zone"]].isna().all()


@pytest.mark.parametrize(
    ("day", "zone", "error"),
    [
        (datetime(2026, 11, 30, 9, 0), "America/New_York", TypeError),
        ("2026-11-30", "America/New_York", TypeError),
        (date(2026, 11, 30), "Mars/Olympus", ValueError),
        (date(2026, 11, 30), None, ValueError),
    ],
)
def test_bad_day_or_zone_is_a_clear_error(day, zone, error):
    contacts = pd.DataFrame({"contact_id": ["a"], "phone": [NY]})

    with pytest.raises(error, match=r"day must be|zone must be"):
        compliance.evaluate_day(contacts, day, zone)


def test_missing_required_columns_are_named():
    with pytest.raises(ValueError, match="contact_id"):
        compliance.evaluate_day(pd.DataFrame({"phone": [NY]}), date(2026, 11, 30))


PHONES = st.sampled_from(
    [
        NY,
        "8085861234",
        "9072691234",
        "2053221234",
        "8015381234",
        "4165551234",
        "2155611234",
        "3055771234",
        "6022531234",
        "8005550100",
    ]
)
PLACES = st.sampled_from([None, "HI", "FL", "TX", "ON", "AZ", "96813", "86045", "10001"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(PHONES, PLACES, PLACES), min_size=1, max_size=6),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
)
def test_day_list_agrees_with_evaluate_through_the_day(rows, day):
    contacts = pd.DataFrame(
        [
            {"contact_id": i, "phone": phone, "state": state, "postal_code": code}
            for i, (phone, state, code) in enumerate(rows)
        ]
    ).assign(consent_call=True)
    listed = compliance.evaluate_day(contacts, day)
    start, end = (pd.Timestamp(d, tz="America/New_York") for d in (day, day + timedelta(days=1)))
    instants = pd.date_range(start, end, freq="30min", inclusive="left")
    open_at = pd.concat(
        [compliance.evaluate(contacts, moment)["dialable"] for moment in instants], axis=1
    )

    # Dialable in the list exactly when dialable at some half hour of the day (all rule
    # boundaries here are on half hours), and legal over the whole interval it gives.
    assert listed["dialable"].tolist() == open_at.any(axis=1).tolist()
    for i, row in listed[listed["dialable"]].iterrows():
        ends = [row.callable_from, row.callable_until - pd.Timedelta(minutes=1)]
        assert all(compliance.evaluate(contacts.loc[[i]], t)["dialable"].iloc[0] for t in ends)
        assert start <= row.callable_from < row.callable_until <= end
