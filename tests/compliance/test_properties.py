"""Property-based checks: shape is preserved; a restriction never makes a contact dialable."""

from datetime import UTC, datetime, time, timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import compliance
from compliance import CallingPolicy

PHONES = st.one_of(
    st.sampled_from(
        [
            "(212) 736-5000",
            "850-434-1234",
            "+1 305 577 1234",
            "8015381234",
            "2053221234",
            "6019611234",
            "8005550100",
            "4012221234",
            "6022531234",
            "9072691234",
            "7877221234",
            "2155611234",
            "5032291234",
            "2147481234",
        ]
    ),
    st.integers(2_000_000_000, 9_999_999_999).map(str),
    st.text(max_size=12),
    st.none(),
    st.floats(allow_nan=True),
)
CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.floats(allow_nan=True),
    st.sampled_from(["", "yes", "no", "true", "10001", "90210", "FL", "ut", "2026-01-01", "x"]),
)
INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)
OPTIONAL = [
    "postal_code",
    "state",
    "consent_call",
    "consent_revoked_at",
    "dnc",
    "attempts_24h",
    "attempts_7d",
]


@st.composite
def contact_frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    columns = {
        "contact_id": [f"c{i}" for i in range(n)],
        "phone": draw(st.lists(PHONES, min_size=n, max_size=n)),
    }
    for name in draw(st.lists(st.sampled_from(OPTIONAL), unique=True)):
        columns[name] = draw(st.lists(CELLS, min_size=n, max_size=n))
    index = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    return pd.DataFrame(columns, index=index)


@st.composite
def policy_pairs(draw) -> tuple[CallingPolicy, CallingPolicy]:
    """A policy and a stricter one (narrower window, lower caps, more rules, blocking)."""
    start = draw(st.integers(8 * 60, 20 * 60))
    end = draw(st.integers(start + 1, 21 * 60))
    strict_start = draw(st.integers(start, end - 1))
    strict_end = draw(st.integers(strict_start + 1, end))
    cap_24h, cap_7d = draw(st.integers(0, 4)), draw(st.integers(0, 6))
    levels = draw(st.sets(st.sampled_from(["high", "medium", "low"])))
    extra = draw(st.sets(st.sampled_from(["high", "medium", "low"])))
    block = draw(st.booleans())

    def clock(minutes: int) -> time:
        return time(minutes // 60, minutes % 60)

    loose = CallingPolicy(
        federal_start=clock(start),
        federal_end=clock(end),
        max_attempts_24h=cap_24h + draw(st.integers(0, 2)),
        max_attempts_7d=cap_7d + draw(st.integers(0, 2)),
        enforced_confidence=levels,
        block_unknown_timezone=block,
    )
    strict = CallingPolicy(
        federal_start=clock(strict_start),
        federal_end=clock(strict_end),
        max_attempts_24h=cap_24h,
        max_attempts_7d=cap_7d,
        enforced_confidence=levels | extra,
        block_unknown_timezone=block or draw(st.booleans()),
    )
    return loose, strict


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(contact_frames(), INSTANTS)
def test_rows_index_and_order_are_preserved(contacts, at):
    out = compliance.evaluate(contacts, at)

    assert len(out) == len(contacts)
    assert out.index.equals(contacts.index)
    assert out["contact_id"].tolist() == contacts["contact_id"].tolist()
    assert set(out["reason"]) <= {*compliance.REASONS, "ok"}
    assert (out["dialable"] == (out["reason"] == "ok")).all()
    timed = out["reason"].isin(["ok", "state_restricted_day", "outside_calling_hours"])
    assert out.loc[~timed, "next_callable_at"].isna().all()
    later = out.loc[timed, "next_callable_at"].dropna()
    assert (later >= pd.Timestamp(at)).all()
    assert (later < pd.Timestamp(at) + timedelta(days=8)).all()


@FAST
@given(contact_frames(), INSTANTS, policy_pairs())
def test_a_stricter_policy_never_makes_a_contact_dialable(contacts, at, policies):
    loose, strict = policies

    dialable_loose = compliance.evaluate(contacts, at, loose)["dialable"]
    dialable_strict = compliance.evaluate(contacts, at, strict)["dialable"]

    assert not (dialable_strict & ~dialable_loose).any()


@FAST
@given(contact_frames(), INSTANTS, st.data())
def test_a_restricting_cell_never_makes_a_contact_dialable(contacts, at, data):
    n = len(contacts)
    restricted = contacts.copy()
    column, value = data.draw(
        st.sampled_from(
            [
                ("dnc", True),
                ("consent_call", False),
                ("consent_revoked_at", "2026-01-01"),
                ("attempts_24h", 99),
                ("attempts_7d", 99),
                ("phone", "not a number"),
            ]
        )
    )
    chosen = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    values = (
        contacts[column].astype(object)
        if column in contacts
        else pd.Series([None] * n, index=contacts.index, dtype=object)
    )
    restricted[column] = values.where(~chosen, value).tolist()

    before = compliance.evaluate(contacts, at)["dialable"].to_numpy()
    after = compliance.evaluate(restricted, at)["dialable"].to_numpy()

    assert not (after & ~before).any()
    assert not after[chosen].any()
