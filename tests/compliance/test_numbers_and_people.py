"""A number's or a person's DNC or revocation holds on every row; details; non-text phones;
day lists from an instant."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import compliance
from compliance import Blocked, PersonAttempts, national_numbers
from compliance import _blocked as blocked_module
from compliance._phones import parse_phones

MIDDAY = pd.Timestamp("2026-11-30T18:00:00Z")  # Monday, 13:00 ET: inside every US window
NUMBER_DNC = "the number is do-not-call on another row"
PERSON_DNC = "the person is do-not-call on another row"
NUMBER_REVOKED = "consent for the number was revoked on another row"
PERSON_REVOKED = "the person revoked consent on another row"
NOT_TEXT = "not text: {} cell (spreadsheets round long numbers; store phones as text)"
SCIENTIFIC = "scientific notation: the digits were lost"
NOT_VALID = "not a valid +1 number"
REVOKED_AT = "2026-10-01T12:00:00Z"


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Contacts from (phone, person_id, dnc, consent_revoked_at) rows; all consent."""
    phones, persons, dnc, revoked = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "contact_id": [f"c{i}" for i in range(len(rows))],
            "phone": pd.array(phones, dtype="str"),
            "person_id": pd.array(persons, dtype="str"),
            "dnc": list(dnc),
            "consent_revoked_at": pd.array(revoked, dtype="str"),
            "consent_call": True,
        }
    )


def judged(out: pd.DataFrame) -> list[tuple[str, str | None]]:
    return [
        (reason, None if pd.isna(detail) else detail)
        for reason, detail in zip(out["reason"], out["detail"], strict=True)
    ]


# rows (phone, person_id, dnc, consent_revoked_at) -> (reason, detail) per row
CASES = [
    pytest.param(
        [
            ("(212) 736-5803", None, False, None),
            ("+12127365803", None, True, None),
            ("212.736.5803", None, False, None),
            ("(212) 736-5804", None, False, None),
        ],
        [("dnc", NUMBER_DNC), ("dnc", None), ("dnc", NUMBER_DNC), ("ok", None)],
        id="one-number-three-formats-dnc",
    ),
    pytest.param(
        [
            ("1-212-736-5803", None, False, None),
            ("2127365803", None, False, None),
            (" (212) 736 5803 ", None, False, REVOKED_AT),
        ],
        [("consent_revoked", NUMBER_REVOKED)] * 2 + [("consent_revoked", None)],
        id="one-number-three-formats-revoked",
    ),
    pytest.param(
        [
            ("2127365803", None, False, REVOKED_AT),
            ("+1 212 736 5803", None, True, None),
            ("212-736-5803", None, False, None),
        ],
        [("dnc", NUMBER_DNC), ("dnc", None), ("dnc", NUMBER_DNC)],
        id="dnc-wins-over-a-revocation",
    ),
    pytest.param(
        [
            ("2127365803", "p1", "yes", None),
            ("3055771234", "p1", False, None),
            ("8015381234", "P1", False, None),  # another id: ids are text, not folded
        ],
        [("dnc", None), ("dnc", PERSON_DNC), ("ok", None)],
        id="person-dnc",
    ),
    pytest.param(
        [
            ("2127365803", "p1", False, None),
            ("3055771234", "p1", False, REVOKED_AT),
        ],
        [("consent_revoked", PERSON_REVOKED), ("consent_revoked", None)],
        id="person-revoked",
    ),
    pytest.param(
        [
            ("2127365803", "p1", False, REVOKED_AT),  # blocks number N1 and person p1
            ("3055771234", "p1", False, None),  # by p1 ...
            ("3055771234", "p2", False, None),  # ... but N2 does not block further
            ("(212) 736-5803", "p3", False, None),  # by N1 ...
            ("8015381234", "p3", False, None),  # ... but p3 does not block further
        ],
        [
            ("consent_revoked", None),
            ("consent_revoked", PERSON_REVOKED),
            ("ok", None),
            ("consent_revoked", NUMBER_REVOKED),
            ("ok", None),
        ],
        id="one-hop-only",
    ),
    pytest.param(
        [
            ("2127365803", "", True, None),
            ("3055771234", "", False, None),
            ("8015381234", " ", False, None),
            ("6022531234", None, False, None),
        ],
        [("dnc", None), ("ok", None), ("ok", None), ("ok", None)],
        id="blank-persons-are-nobody",
    ),
    pytest.param(
        [
            ("not a number", "p1", True, None),  # an invalid number blocks no number ...
            ("n/a", None, False, None),
            ("3055771234", "p1", False, None),  # ... but its person is blocked
        ],
        [
            ("invalid_phone", NOT_VALID),
            ("invalid_phone", NOT_VALID),
            ("dnc", PERSON_DNC),
        ],
        id="invalid-numbers",
    ),
    pytest.param(
        [
            ("8765551234", None, True, None),  # Jamaica: its own reason comes first
            ("876-555-1234", None, False, None),
        ],
        [("unsupported_country", None)] * 2,
        id="unsupported-country-first",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), CASES)
def test_a_number_or_person_is_blocked_on_every_row(rows, expected):
    contacts = frame(rows)

    assert judged(compliance.evaluate(contacts, MIDDAY)) == expected
    assert judged(compliance.evaluate_day(contacts, date(2026, 11, 30))) == expected


@pytest.mark.parametrize(("rows", "expected"), CASES)
@pytest.mark.parametrize("size", [1, 2])
def test_chunks_with_the_tally_judge_as_the_whole_list(rows, expected, size):
    contacts = frame(rows)
    chunks = [contacts.iloc[i : i + size] for i in range(0, len(contacts), size)]
    blocked = Blocked.tally(chunk[list(Blocked.COLUMNS)] for chunk in chunks)

    out = pd.concat([compliance.evaluate(chunk, MIDDAY, blocked=blocked) for chunk in chunks])

    assert judged(out) == expected


def test_the_tally_keeps_only_blocked_keys_sorted():
    contacts = frame(
        [
            ("3055771234", "p2", False, REVOKED_AT),
            ("2127365803", "p1", True, None),
            ("(212) 736-5803", None, False, REVOKED_AT),
            ("8015381234", "p3", False, None),
            ("bad", "p4", "maybe", None),
        ]
    )
    builder = Blocked.builder()
    builder.add(contacts.iloc[:2], numbers=national_numbers(contacts["phone"].iloc[:2]))
    builder.add(contacts.iloc[2:])
    blocked = builder.build()

    dnc, revoked = compliance.REASONS.index("dnc"), compliance.REASONS.index("consent_revoked")
    assert blocked.numbers.dtype == np.int64 and blocked.persons.dtype == np.uint64
    assert blocked.numbers.tolist() == [2127365803, 3055771234]
    assert blocked.number_reasons.tolist() == [dnc, revoked]
    assert len(blocked.persons) == 3 and (np.diff(blocked.persons) > 0).all()
    assert blocked.of_persons(np.array([0], dtype=np.uint64)).tolist() == [blocked_module.CLEAR]
    assert Blocked.tally([contacts]).numbers.tolist() == blocked.numbers.tolist()


def test_the_builder_merges_as_it_goes(monkeypatch):
    monkeypatch.setattr(blocked_module, "_MERGE_KEYS", 1)
    rows = [(f"212736{5800 + i}", f"p{i % 3}", i % 2 == 0, None) for i in range(8)]
    chunks = [frame(rows[i : i + 3]) for i in range(0, 8, 3)]

    blocked = Blocked.tally(chunks)

    assert blocked.numbers.tolist() == [2127365800, 2127365802, 2127365804, 2127365806]
    assert len(blocked.persons) == 3


def test_a_frame_without_the_columns_blocks_nothing():
    blocked = Blocked.tally([pd.DataFrame({"phone": ["2127365803"]}), pd.DataFrame()])

    assert len(blocked.numbers) == len(blocked.persons) == 0


NUMBERS = ["(212) 736-5803", "+12127365803", "2127365804", "305-577-1234", "bad", None]
PERSONS = ["p1", "p2", "p3", "", None]


@st.composite
def lists(draw) -> tuple[pd.DataFrame, int]:
    n = draw(st.integers(1, 10))
    rows = [
        (
            draw(st.sampled_from(NUMBERS)),
            draw(st.sampled_from(PERSONS)),
            draw(st.sampled_from([False, True, "no", None])),
            draw(st.sampled_from([None, "", REVOKED_AT])),
        )
        for _ in range(n)
    ]
    attempts = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return frame(rows).assign(attempts_24h=attempts), draw(st.integers(1, n))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lists())
def test_chunked_evaluation_is_the_whole_evaluation(case):
    contacts, size = case
    chunks = [contacts.iloc[i : i + size] for i in range(0, len(contacts), size)]
    blocked, people = Blocked.tally(chunks), PersonAttempts.tally(chunks)
    policy = compliance.CallingPolicy(max_attempts_24h=3)

    whole = compliance.evaluate(contacts, MIDDAY, policy)
    parts = pd.concat(
        [compliance.evaluate(c, MIDDAY, policy, people=people, blocked=blocked) for c in chunks]
    )

    assert judged(parts) == judged(whole)


# A phone column -> the detail of each row (None: a valid number, dialable here)
PHONE_DETAILS = [
    pytest.param(["2127365803"], [None], id="text"),
    pytest.param([None, "", "  ", "nan"], ["no number"] * 4, id="blank"),
    pytest.param(["1.21274E+10", "2.127365803e9"], [SCIENTIFIC] * 2, id="scientific-text"),
    pytest.param(["hello", "+44 20 7946 0958", "736-5803"], [NOT_VALID] * 3, id="not-valid"),
    pytest.param(pd.Series([2127365803, 12127365803]), [NOT_TEXT.format("an int")] * 2, id="ints"),
    pytest.param(
        pd.Series([1.21274e10, np.nan]), [NOT_TEXT.format("a float"), "no number"], id="floats"
    ),
    pytest.param(pd.Series([True, False]), [NOT_TEXT.format("a bool")] * 2, id="flags"),
    pytest.param(
        pd.Series(pd.array([2127365803, None], dtype="Int64")),
        [NOT_TEXT.format("an int"), "no number"],
        id="nullable-ints",
    ),
    pytest.param(
        pd.Series(["2127365803", 2127365803, 2127365803.0, ["2127365803"], None], dtype=object),
        [None, *(NOT_TEXT.format(kind) for kind in ("an int", "a float", "a list")), "no number"],
        id="mixed-objects",
    ),
]


@pytest.mark.parametrize(("phones", "details"), PHONE_DETAILS)
def test_invalid_phones_say_why_and_numbers_are_never_phones(phones, details):
    contacts = pd.DataFrame(
        {"contact_id": range(len(phones)), "phone": phones, "consent_call": True}
    )

    out = compliance.evaluate(contacts, MIDDAY)

    reasons = ["ok" if detail is None else "invalid_phone" for detail in details]
    assert judged(out) == list(zip(reasons, details, strict=True))
    assert isinstance(out["detail"].dtype, pd.CategoricalDtype)
    assert out.loc[out["reason"] == "invalid_phone", "phone_e164"].isna().all()


def test_national_numbers():
    phones = pd.Series(["(212) 736-5803", "+1-212-736-5803", "12127365803", "x", None, "1.2E+10"])

    assert national_numbers(phones).tolist() == [2127365803] * 3 + [0] * 3
    assert national_numbers(pd.Series([2127365803.0])).tolist() == [0]
    assert national_numbers(pd.Series([], dtype="str")).dtype == np.int64


# Cells of every kind the engine tells apart: valid and unassigned exchanges, toll-free,
# Canadian and other +1 countries, other country codes, extensions past the short-cell
# window, letters, blanks, and cells that are not text.
_CELLS = [
    "(212) 736-5803", "212-555-0100", "+1 800 555 0199", "416 555 0134", "+1 (876) 555-0123",
    "+44 20 7946 0958", "212.736.5803 ext. 12", "  +1 (212)   736 - 5803  ", "911", "",
    "212-736-580X", "(000) 736-5803", "1 212 136 5803", "12127365803", "+12127365803",
]  # fmt: skip


@pytest.mark.parametrize(
    "cells",
    [
        pd.Series(_CELLS, dtype="str"),
        pd.Series(_CELLS, dtype="string[pyarrow]"),
        pd.Series([*_CELLS, None, 2127365803, 2127365803.0, True], dtype=object),
        pd.Series([2127365803, 4165550134]),
    ],
    ids=["str", "arrow", "mixed objects", "integers"],
)
def test_national_numbers_read_as_the_engine_reads(cells):
    # The lean reading of the first pass and the engine's own give the same number per cell.
    expected = parse_phones(cells).national

    found = national_numbers(cells)

    assert found.tolist() == expected.tolist()
    assert found.dtype == np.int64


def test_evaluate_never_gives_the_list_level_reasons():
    list_level = ("invalid_record", "duplicate", "dnc_registry", "reassigned")
    assert compliance.REASONS[-4:] == list_level
    labels = {*compliance.REASONS[:-4], "ok"}
    contacts = frame([("2127365803", "p1", True, None), ("bad", None, False, None)])
    assert set(compliance.evaluate(contacts, MIDDAY)["reason"]) <= labels


# --- Day lists from an instant (the windows: test_day_lists.py) ---


@pytest.mark.parametrize(
    ("not_before", "error"),
    [(datetime(2026, 12, 7, 5, 30), ValueError), ("2026-12-07T05:30Z", TypeError)],
)
def test_not_before_must_be_an_aware_datetime(not_before, error):
    contacts = pd.DataFrame({"contact_id": ["c1"], "phone": ["2127365803"]})

    with pytest.raises(error, match="not_before"):
        compliance.evaluate_day(contacts, date(2026, 12, 7), not_before=not_before)


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_a_lookup_agrees_with_a_dictionary(dtype):
    rng = np.random.default_rng(1)
    keys = np.unique(rng.integers(1, 10**10, 5000)).astype(dtype)
    reasons = rng.choice([blocked_module.DNC, blocked_module.REVOKED], len(keys)).astype(np.int8)
    wanted = np.concatenate([keys[::3], rng.integers(0, 10**10, 20000).astype(dtype), [0]])

    found = blocked_module._lookup(keys, reasons, wanted.astype(dtype))

    table = dict(zip(keys.tolist(), reasons.tolist(), strict=True))
    assert found.tolist() == [table.get(key, blocked_module.CLEAR) for key in wanted.tolist()]
