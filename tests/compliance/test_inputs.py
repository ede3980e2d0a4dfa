"""Input handling: formats, odd cells, missing columns, caps, reason precedence."""

from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import compliance
from compliance import REASONS, CallingPolicy

MIDDAY = "2026-11-30T18:00:00Z"  # Monday, 13:00 ET / 10:00 PT: inside every window
NY = "2127365000"


@pytest.mark.parametrize(
    "phone",
    [
        "(212) 736-5000",
        "212.736.5000",
        "+1-212-736-5000",
        "12127365000",
        "2127365000",
        " 1 (212) 736 5000 ",
        "212/736-5000",
    ],
)
def test_common_formats_normalise_to_e164(judge, phone):
    row = judge(MIDDAY, phone=phone)

    assert (row.reason, row.phone_e164) == ("ok", "+12127365000")


@pytest.mark.parametrize(
    "phone",
    [
        None,
        np.nan,
        "",
        "   ",
        "hello",
        "736-5000",  # no area code
        "+2127365000",  # +212 is Morocco
        "+44 20 7946 0958",
        "1212736500",  # NPA cannot start with 1
        "212736500012",
        "(212) 736-5000 x12",
        "1-800-FLOWERS",
        "0127365000",
        "2121111234",  # exchange cannot start with 1
        True,
        ["2127365000"],
        {"number": "2127365000"},
        -2127365000,
        2127365000.5,
        # Numbers are never phone numbers, even whole ones: a spreadsheet's 1.21274E+10 is
        # 12127400000, a stranger's number.
        2127365000,
        2127365000.0,
        np.int64(12127365000),
        "1.21274E+10",
    ],
)
def test_unparseable_numbers_are_invalid(judge, phone):
    row = judge(MIDDAY, phone=phone, dnc=True)

    assert row.reason == "invalid_phone"
    assert pd.isna(row.phone_e164)
    assert pd.isna(row.next_callable_at)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "ok"),
        ("true", "ok"),
        (" Yes ", "ok"),
        ("1", "ok"),
        (1, "ok"),
        (1.0, "ok"),
        (np.True_, "ok"),
        (False, "no_consent"),
        ("false", "no_consent"),
        ("no", "no_consent"),
        (0, "no_consent"),
        ("maybe", "no_consent"),
        ("", "no_consent"),
        (None, "no_consent"),
        (np.nan, "no_consent"),
        (pd.NA, "no_consent"),
        (2, "no_consent"),
        ([True], "no_consent"),
    ],
)
def test_consent_values(judge, value, reason):
    assert judge(MIDDAY, phone=NY, consent_call=value).reason == reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-01-01T00:00:00Z", "consent_revoked"),
        (pd.Timestamp("2026-11-01", tz="UTC"), "consent_revoked"),
        # A revocation recorded for later still counts: the conservative reading.
        (pd.Timestamp("2027-01-01", tz="UTC"), "consent_revoked"),
        ("yes", "consent_revoked"),
        # Not clearly empty: odd cells that the client once blanked, now kept and blocking.
        (True, "consent_revoked"),
        (1700000000, "consent_revoked"),
        ({"at": "2026-01-01"}, "consent_revoked"),
        (["2026-01-01"], "consent_revoked"),
        (False, "consent_revoked"),
        ("false", "consent_revoked"),
        (0, "consent_revoked"),
        (None, "ok"),
        (np.nan, "ok"),
        (pd.NaT, "ok"),
        ("", "ok"),
        ("  ", "ok"),
        ("null", "ok"),
        ("None", "ok"),
    ],
)
def test_revocation_values(judge, value, reason):
    assert judge(MIDDAY, phone=NY, consent_revoked_at=value).reason == reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "dnc"),
        ("TRUE", "dnc"),
        ("y", "dnc"),
        (1, "dnc"),
        # Not clearly false: blocks (these came out dialable before).
        ("DNC", "dnc"),
        ("X", "dnc"),
        (2, "dnc"),
        ("yes ", "dnc"),
        ([True], "dnc"),
        ({"flag": False}, "dnc"),
        ("garbage", "dnc"),
        (-1, "dnc"),
        (False, "ok"),
        (0, "ok"),
        ("false", "ok"),
        (" No ", "ok"),
        ("n", "ok"),
        ("0", "ok"),
        ("off", "ok"),
        # Blank: the list was not marked.
        (None, "ok"),
        ("", "ok"),
        (np.nan, "ok"),
    ],
)
def test_dnc_values(judge, value, reason):
    assert judge(MIDDAY, phone=NY, dnc=value).reason == reason


@pytest.mark.parametrize(
    ("attempts_24h", "attempts_7d", "reason"),
    [
        (0, 0, "ok"),
        (1, 0, "frequency_cap"),
        ("1", 0, "frequency_cap"),
        (0, 2, "ok"),
        (0, 3, "frequency_cap"),
        (0, "3.0", "frequency_cap"),
        (None, None, "ok"),
        (np.nan, np.nan, "ok"),
        ("", " ", "ok"),
        # Odd counts are over every cap: nobody knows how often the person was called.
        (np.inf, 0, "frequency_cap"),
        (0, -np.inf, "frequency_cap"),
        (-4, 0, "frequency_cap"),
        (0, -1, "frequency_cap"),
        (0.5, 0, "frequency_cap"),
        ("x", 0, "frequency_cap"),
        (0, "many", "frequency_cap"),
        ([1], 0, "frequency_cap"),
        (0, {"n": 1}, "frequency_cap"),
        (True, 0, "frequency_cap"),
    ],
)
def test_attempt_caps(judge, attempts_24h, attempts_7d, reason):
    row = judge(MIDDAY, phone=NY, attempts_24h=attempts_24h, attempts_7d=attempts_7d)

    assert row.reason == reason


@pytest.mark.parametrize(
    ("phone", "attempts_24h", "reason"),
    [
        (NY, 3, "ok"),  # policy allows 5
        ("3055771234", 3, "frequency_cap"),  # Florida: 3 per 24 h
        ("3055771234", 2, "ok"),
        ("4052321234", 3, "frequency_cap"),  # Oklahoma: 3 per 24 h
        ("2076261234", 1, "frequency_cap"),  # Maine: 1 per 8 h, enforced as 1 per 24 h
    ],
)
def test_state_caps_apply_when_stricter(judge, phone, attempts_24h, reason):
    policy = CallingPolicy(max_attempts_24h=5, max_attempts_7d=10)
    row = judge("2026-11-30T19:00:00Z", policy, phone=phone, attempts_24h=attempts_24h)

    assert row.reason == reason


@pytest.mark.parametrize(
    ("postal_code", "zones"),
    [
        ("90210", "America/Los_Angeles;America/New_York"),
        ("90210-1234", "America/Los_Angeles;America/New_York"),
        ("902101234", "America/Los_Angeles;America/New_York"),
        (90210, "America/Los_Angeles;America/New_York"),
        (90210.0, "America/Los_Angeles;America/New_York"),
        ("501", "America/New_York"),  # 00501, leading zeros lost in a spreadsheet
        ("ABCDE", "America/New_York"),
        ("00000", "America/New_York"),
        (None, "America/New_York"),
        ("", "America/New_York"),
        (["90210"], "America/New_York"),
    ],
)
def test_postal_code_values(judge, postal_code, zones):
    assert judge(MIDDAY, phone=NY, postal_code=postal_code).time_zones == zones


@pytest.mark.parametrize(
    ("state", "states"),
    [
        ("fl", "FL;NY"),
        (" Florida ", "FL;NY"),
        ("FL", "FL;NY"),
        ("ZZ", "NY"),
        (None, "NY"),
        (12, "NY"),
        ("", "NY"),
    ],
)
def test_state_values(judge, state, states):
    assert judge(MIDDAY, phone=NY, state=state).states == states


# Several reasons at once: the first in REASONS wins.
@pytest.mark.parametrize(
    ("columns", "at", "reason"),
    [
        ({"phone": "nope", "dnc": True, "consent_call": None}, MIDDAY, "invalid_phone"),
        ({"phone": "8765551234", "dnc": True}, MIDDAY, "unsupported_country"),
        ({"dnc": True, "consent_revoked_at": "2026-01-01", "consent_call": None}, MIDDAY, "dnc"),
        ({"consent_revoked_at": "2026-01-01", "consent_call": None}, MIDDAY, "consent_revoked"),
        ({"consent_call": None, "attempts_24h": 9}, MIDDAY, "no_consent"),
        ({"phone": "8005550100", "attempts_24h": 9}, MIDDAY, "frequency_cap"),
        ({"phone": "8005550100"}, "2026-11-29T04:00:00Z", "unknown_timezone"),
        ({"phone": "2053221234"}, "2026-11-30T04:00:00Z", "state_restricted_day"),
    ],
)
def test_reason_precedence(judge, columns, at, reason):
    row = judge(at, **{"phone": NY, **columns})

    assert row.reason == reason
    assert pd.isna(row.next_callable_at) == (reason not in {"state_restricted_day"})


def test_reasons_are_the_spec_codes_in_precedence_order():
    assert REASONS == (
        "invalid_phone",
        "unsupported_country",
        "dnc",
        "consent_revoked",
        "no_consent",
        "frequency_cap",
        "unknown_timezone",
        "state_restricted_day",
        "outside_calling_hours",
        "invalid_record",  # list-level: assigned by the dial-list engine, never by evaluate
        "duplicate",
        "dnc_registry",  # outside registries: assigned by the dial-list engine
        "reassigned",
    )


# phone, person ids, subjects, 24-hour attempts -> expected reasons (policy: 5 per 24 h)
PERSON_CASES = [
    pytest.param(
        ["3055771234", "3055771235"], None, None, [2, 1], ["ok", "ok"], id="no-person-column"
    ),
    pytest.param(
        ["3055771234", "3055771235"],
        ["p1", "p1"],
        None,
        [2, 1],
        ["frequency_cap", "frequency_cap"],
        id="florida-person-two-numbers",
    ),
    pytest.param(
        ["3055771234", "3055771235"],
        ["p1", "p2"],
        None,
        [2, 1],
        ["ok", "ok"],
        id="two-people",
    ),
    pytest.param(
        ["3055771234", "3055771235"],
        ["p1", None],
        None,
        [2, 1],
        ["ok", "ok"],
        id="blank-person-counts-alone",
    ),
    pytest.param(
        ["3055771234", "3055771235"],
        ["p1", "p1"],
        ["loan", "card"],
        [2, 1],
        ["ok", "ok"],
        id="different-subjects",
    ),
    pytest.param(
        ["3055771234", "3055771235", "3055771236"],
        ["p1", "p1", "p1"],
        ["loan", "card", None],
        [1, 1, 1],
        ["ok", "ok", "frequency_cap"],
        id="no-subject-counts-towards-every-subject",
    ),
    pytest.param(
        ["3055771234", "3055771235", "3055771236"],
        ["p1", "p1", "p1"],
        ["loan", "loan", None],
        [1, 1, 1],
        ["frequency_cap", "frequency_cap", "frequency_cap"],
        id="same-subject",
    ),
    pytest.param(
        ["3055771234", "3055771235"],
        ["p1", "p1"],
        None,
        [np.inf, 0],
        ["frequency_cap", "frequency_cap"],
        id="odd-count-caps-the-person",
    ),
    pytest.param(
        [NY, "2127365001"],
        ["p1", "p1"],
        None,
        [2, 2],
        ["ok", "ok"],
        id="new-york-has-no-person-cap",
    ),
    pytest.param(
        [NY, "3055771234"],
        ["p1", "p1"],
        None,
        [2, 1],
        ["ok", "frequency_cap"],
        id="florida-number-counts-new-york-attempts",
    ),
]


@pytest.mark.parametrize(("phones", "people", "subjects", "attempts", "reasons"), PERSON_CASES)
def test_state_caps_count_a_persons_attempts_over_all_numbers(
    phones, people, subjects, attempts, reasons
):
    columns = {"contact_id": range(len(phones)), "phone": phones, "consent_call": True}
    columns["attempts_24h"] = attempts
    if people is not None:
        columns["person_id"] = people
    if subjects is not None:
        columns["subject"] = subjects
    policy = CallingPolicy(max_attempts_24h=5, max_attempts_7d=10)

    out = compliance.evaluate(pd.DataFrame(columns), pd.Timestamp(MIDDAY), policy)

    assert out["reason"].tolist() == reasons


@pytest.mark.parametrize(
    ("settings", "attempts_24h", "attempts_7d", "reason"),
    [
        ({}, 0, 2, "ok"),
        ({}, 1, 0, "frequency_cap"),
        ({"max_attempts_24h": 2}, 1, 0, "ok"),
        ({"max_attempts_24h": 2}, 2, 0, "frequency_cap"),
        ({"max_attempts_7d": 5}, 0, 4, "ok"),
        ({"max_attempts_7d": 5}, 0, 5, "frequency_cap"),
        ({"max_attempts_24h": 0}, 0, 0, "frequency_cap"),
    ],
)
def test_campaign_caps_are_configurable(judge, settings, attempts_24h, attempts_7d, reason):
    row = judge(
        MIDDAY, CallingPolicy(**settings), phone=NY, attempts_24h=attempts_24h,
        attempts_7d=attempts_7d,
    )  # fmt: skip

    assert row.reason == reason


def test_missing_optional_columns_mean_unknown():
    contacts = pd.DataFrame({"contact_id": ["a", "b"], "phone": [NY, "3055771234"]})

    out = compliance.evaluate(contacts, pd.Timestamp(MIDDAY))

    # Consent unknown: blocked. Nothing else is required to decide.
    assert out["reason"].tolist() == ["no_consent", "no_consent"]
    assert out["time_zones"].tolist() == ["America/New_York", "America/New_York"]


def test_output_keeps_rows_index_order_and_input():
    contacts = pd.DataFrame(
        {
            "contact_id": ["z", "y", "x", "w"],
            "phone": [NY, None, "3055771234", NY],
            "consent_call": [True, True, False, True],
        },
        index=[10, 3, 3, -1],
    )
    before = contacts.copy()

    out = compliance.evaluate(contacts, pd.Timestamp(MIDDAY))

    pd.testing.assert_frame_equal(contacts, before)
    pd.testing.assert_frame_equal(out[contacts.columns], contacts)
    assert out["reason"].tolist() == ["ok", "invalid_phone", "no_consent", "ok"]
    assert out["dialable"].dtype == bool
    assert str(out["next_callable_at"].dtype) == "datetime64[ns, UTC]"


def test_empty_frame():
    out = compliance.evaluate(pd.DataFrame({"contact_id": [], "phone": []}), pd.Timestamp(MIDDAY))

    assert len(out) == 0
    assert {"dialable", "reason", "time_zones", "next_callable_at"} <= set(out.columns)


def test_next_callable_at_is_the_exact_instant_when_dialable(judge):
    at = "2026-11-30T18:00:17.250Z"

    assert judge(at, phone=NY).next_callable_at == pd.Timestamp(at)


def test_at_in_any_zone_is_the_same_instant(judge):
    eastern = pd.Timestamp("2026-11-30 07:59", tz="America/New_York")

    row = judge(eastern.isoformat(), phone=NY)

    assert row.next_callable_at == pd.Timestamp("2026-11-30T13:00Z")


def test_missing_required_columns_are_named():
    with pytest.raises(ValueError, match="contact_id, phone"):
        compliance.evaluate(pd.DataFrame({"name": ["x"]}), pd.Timestamp(MIDDAY))


def test_duplicated_input_columns_are_rejected():
    contacts = pd.DataFrame([["a", NY, True, False]], columns=["contact_id", "phone", "dnc", "dnc"])

    with pytest.raises(ValueError, match="duplicated columns: dnc"):
        compliance.evaluate(contacts, pd.Timestamp(MIDDAY))


@pytest.mark.parametrize(
    ("contacts", "at"),
    [
        ([{"contact_id": "a", "phone": NY}], pd.Timestamp(MIDDAY)),
        (pd.DataFrame({"contact_id": ["a"], "phone": [NY]}), MIDDAY),
    ],
)
def test_wrong_argument_types_are_rejected(contacts, at):
    with pytest.raises(TypeError):
        compliance.evaluate(contacts, at)


def test_naive_instant_is_rejected():
    contacts = pd.DataFrame({"contact_id": ["a"], "phone": [NY]})

    with pytest.raises(ValueError, match="timezone-aware"):
        compliance.evaluate(contacts, datetime(2026, 11, 30, 12, 0))


@pytest.mark.parametrize(
    "settings",
    [
        {"federal_start": "07:59"},
        {"federal_end": "21:01"},
        {"federal_start": "12:00", "federal_end": "12:00"},
        {"federal_start": "09:00:30"},
        {"max_attempts_24h": -1},
        {"max_attempts_7d": -2},
        {"max_attempts_24h": "many"},
        {"enforced_confidence": {"certain"}},
    ],
)
def test_policy_rejects_unsafe_settings(settings):
    with pytest.raises(ValueError):
        CallingPolicy(**settings)


def test_arrow_chunked_and_nullable_columns_match_object_columns():
    # What the export builds: frames of Arrow text, nullable booleans and integers, concatenated
    # page by page, so each column is Arrow-chunked.
    rows = {
        "contact_id": ["a", "b", "c", "d"],
        "phone": ["(212) 736-5000", None, "+1-305-555-0100", "bad"],
        "state": ["NY", None, "FL", "TX"],
        "consent_call": [True, True, None, True],
        "dnc": [False, None, False, True],
        "attempts_24h": [0, None, 5, 0],
    }
    dtypes = {"consent_call": "boolean", "dnc": "boolean", "attempts_24h": "Int64"}
    typed = pd.concat(
        [
            pd.DataFrame(
                {k: pd.array(v[i : i + 2], dtype=dtypes.get(k, "str")) for k, v in rows.items()}
            )
            for i in (0, 2)
        ],
        ignore_index=True,
    )
    plain = pd.DataFrame(rows, dtype=object)
    at = datetime.fromisoformat(MIDDAY)

    got = compliance.evaluate(typed, at)[["reason", "time_zones"]]
    expected = compliance.evaluate(plain, at)[["reason", "time_zones"]]

    pd.testing.assert_frame_equal(got, expected)
    assert list(got["reason"]) == ["ok", "invalid_phone", "no_consent", "invalid_phone"]


MESSY_POSTAL = ["10001", None, "ABCDE", "10001-1234", "m5v 3l9", "85001", " 10001", "", "00000",
                "02134", "2134", "K1A0B1", "x0a 0h0", "99999", "nan", "86045", "M5V", "1000/",
                "/0001", "1:001", "１0001", "10001 ", "100010", "9500", "95014"]  # fmt: skip


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "string[python]", "object"])
def test_postal_codes_read_at_once_say_what_each_cell_says(dtype):
    from compliance._inputs import _postal_places, postal_places

    rng = np.random.default_rng(4)
    cells = pd.Series(rng.choice(np.array(MESSY_POSTAL, dtype=object), 500), dtype=dtype)
    cells = cells.iloc[7:]  # a column that does not start at its buffer's start
    ids, keys = postal_places(cells, len(cells))
    one_ids, one_keys = _postal_places(cells)
    assert [keys[i] if i >= 0 else None for i in ids] == [
        one_keys[i] if i >= 0 else None for i in one_ids
    ]
    assert sorted(keys) == sorted(one_keys)


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]"])
def test_text_cells_are_numbered_as_pandas_numbers_them(dtype):
    from compliance._inputs import _distinct

    cells = pd.Series(["b", None, "a", "b", "", "a", " b", None], dtype=dtype).iloc[1:]
    codes, uniques = _distinct(cells)
    expected_codes, expected = pd.factorize(cells, use_na_sentinel=True)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques == expected.tolist()


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_each_row_says_what_its_postal_code_says_cell_by_cell(dtype):
    from compliance._inputs import _postal_places, postal_cells
    from compliance._places import postal_id, said_rows

    rng = np.random.default_rng(6)
    cells = pd.Series(rng.choice(np.array(MESSY_POSTAL, dtype=object), 300), dtype=dtype)
    ids, keys = _postal_places(cells)
    expected = [postal_id(keys[i]) if i >= 0 else -1 for i in ids]
    for _ in range(2):  # the second time from the per-ZIP table
        assert said_rows(postal_cells(cells, len(cells))).tolist() == expected


@pytest.mark.parametrize(("rows", "space"), [(5000, 60), (5000, 19_000), (300, 1 << 20), (0, 10)])
def test_small_keys_are_numbered_as_pandas_numbers_them(rows, space):
    """By a table when the keys' space is small next to the rows, else by hashing: the same
    codes and the same order of first appearance either way."""
    from compliance._evaluate import _first_appearance

    keys = np.random.default_rng(rows + space).integers(0, space, rows)
    codes, distinct = _first_appearance(keys, space)
    expected_codes, expected = pd.factorize(keys)
    assert codes.tolist() == expected_codes.tolist()
    assert distinct.tolist() == expected.tolist()


def test_a_key_table_computes_each_key_once_and_keeps_it():
    from compliance._places import KeyTable

    table, asked = KeyTable(2), []

    def compute(keys):
        def rows(new):
            asked.extend(keys[new].tolist())
            return [(int(key) * 2, -int(key)) for key in keys[new]]

        return rows

    for keys in ([5, 3, 5, 9], [3, 7, 5, 1 << 40], [9, 9, 1]):
        keys = np.array(keys, dtype=np.int64)
        assert table.rows(keys, compute(keys)).tolist() == [[k * 2, -k] for k in keys.tolist()]
    assert sorted(asked) == [1, 3, 5, 7, 9, 1 << 40]


_MIXED_CELLS = [
    0, False, 1, True, 1.0, np.True_, np.False_, np.int64(1), "1", "yes", " ", "x", None,
    float("nan"), pd.NaT, 7, 7.0, 2**70, "2026-11-30T15:00Z", 1_700_000_000, -1,
    Decimal(1), Decimal("7.0"), Decimal("1.5"), Fraction(1), np.float64(7.0), np.uint8(1),
]  # fmt: skip


def _judges():
    from compliance._inputs import (
        attempt_count,
        instant_ns,
        is_dnc,
        is_revoked,
        is_true,
        state_index,
    )

    return [
        (is_true, False, bool),
        (is_dnc, False, bool),
        (is_revoked, False, bool),
        (attempt_count, 0.0, float),
        (instant_ns, pd.NaT.value, np.int64),
        (state_index, -1, np.int16),
    ]


@pytest.mark.parametrize("few", [True, False])
@pytest.mark.parametrize("judge_index", range(6))
def test_each_object_cell_is_judged_by_its_own_value(monkeypatch, few, judge_index):
    """A cell is never judged as an equal value of another type (True == 1 == Decimal(1)),
    whichever comes first: `attempt_count(True)` and `attempt_count(Decimal(1))` are over
    every cap, `attempt_count(1)` is 1. Both ways of numbering object cells: by identity (few
    distinct objects) and by value (many)."""
    from compliance import _inputs

    judge, missing, dtype = _judges()[judge_index]
    if not few:
        monkeypatch.setattr(_inputs, "_FEW_OBJECTS", 2)
    rng = np.random.default_rng(judge_index)
    for _ in range(5):
        cells = [_MIXED_CELLS[i] for i in rng.permutation(len(_MIXED_CELLS))] * 3
        expected = [missing if _inputs._is_missing(cell) else judge(cell) for cell in cells]
        column = pd.Series(np.array(cells, dtype=object), dtype=object)
        found = _inputs.per_distinct(column, len(cells), judge, missing, dtype)
        assert found.tolist() == np.array(expected, dtype=dtype).tolist(), cells


def test_unhashable_object_cells_are_judged_by_their_text():
    from compliance._inputs import attempt_count, per_distinct

    cells = [["1"], True, 1, None, {"a": 1}]
    column = pd.Series(np.array(cells, dtype=object), dtype=object)
    found = per_distinct(column, len(cells), attempt_count, 0.0, float).tolist()
    assert found == [attempt_count(str(cell)) if cell is not None else 0.0 for cell in cells]


@pytest.mark.parametrize("attempts", [[0, False], [False, 0], [1.0, True], [True, 1]])
def test_a_flag_in_an_attempt_count_is_over_the_caps_whatever_comes_before_it(attempts):
    contacts = pd.DataFrame({
        "contact_id": ["a", "b"],
        "phone": ["(212) 736-5000", "(212) 736-5001"],
        "consent_call": [True, True],
        "attempts_24h": pd.Series(attempts, dtype=object),
    })  # fmt: skip
    policy = CallingPolicy(max_attempts_24h=3)
    result = compliance.evaluate(contacts, datetime.fromisoformat("2026-12-01T16:30Z"), policy)
    flag = [isinstance(cell, bool) for cell in attempts]
    assert result["reason"].tolist() == ["frequency_cap" if f else "ok" for f in flag]


def test_a_column_of_many_objects_after_few_keeps_its_types_apart():
    """Shared objects first, then more distinct objects than are numbered by identity: the
    cells are numbered by value, each type apart from the equal values of others (a
    `Decimal(1)` consent is not a 1, a `True` attempt count not a 1)."""
    from compliance._inputs import _FEW_OBJECTS, attempt_count, is_true, per_distinct

    shared = [0, False, 1, True, Decimal(1), 1.0] * 1000
    cells = shared + [f"{i}" for i in range(_FEW_OBJECTS + 10)] + [True, 0, Decimal(1)]
    column = pd.Series(np.array(cells, dtype=object), dtype=object)
    for judge, dtype in ((attempt_count, float), (is_true, bool)):
        found = per_distinct(column, len(cells), judge, judge(None), dtype)
        assert found.tolist() == [judge(cell) for cell in cells], judge.__name__


_ONE_KIND_CELLS = [
    *([v, np.int64(v), np.int32(v)] for v in (0, 1, 7, -1, 1_700_000_000, 20261130)),
    [1, np.uint8(1)],
    *([v, np.float64(v), np.float32(v)] for v in (0.0, 1.0, 7.0, 1.5, -1.0, 1.7e9)),
    [True, np.True_],
    [False, np.False_],
    ["CA", np.str_("CA")],
    ["yes", np.str_("yes")],
    [datetime(2026, 1, 1, 5), pd.Timestamp("2026-01-01 05:00")],
]


@pytest.mark.parametrize("cells", _ONE_KIND_CELLS, ids=repr)
@pytest.mark.parametrize("judge_index", range(6))
def test_equal_cells_of_one_kind_are_judged_alike(cells, judge_index):
    """Why a column pandas infers as one kind is numbered by value without a split by type:
    Python's and numpy's equal scalars of that kind get one judgement."""
    from compliance import _inputs

    judge = _judges()[judge_index][0]
    assert pd.api.types.infer_dtype(np.array(cells, dtype=object)) in _inputs._ONE_KIND
    assert len({judge(cell) for cell in cells}) == 1
