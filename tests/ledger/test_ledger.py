"""The attempts ledger: kept once, counted over the right windows, opt-outs that stick, and a
dial list judged with what the dialer did."""

from __future__ import annotations

import datetime as dt
import stat

import numpy as np
import pandas as pd
import pytest

import compliance
from dial_lists import build_dial_files
from ledger import OPTED_OUT, REVOKED, AttemptRow, LedgerView, OptOutRow, open_ledger

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in New York
HOUR = dt.timedelta(hours=1)


def attempt(n: int, number: int, ago: dt.timedelta, campaign: str = "4100") -> AttemptRow:
    return AttemptRow(campaign, f"a{n}", number, NOW - ago, "no_answer")


async def test_attempts_are_kept_once_and_counted_over_24_hours_and_7_days(tmp_path):
    async with open_ledger(tmp_path / "ledger" / "attempts.db") as ledger:
        rows = [
            attempt(1, 2125550101, HOUR),
            attempt(2, 2125550101, 23 * HOUR),
            attempt(3, 2125550101, 25 * HOUR),  # in the week, not the day
            attempt(4, 2125550101, 8 * 24 * HOUR),  # too old for both
            attempt(5, 2125550102, 2 * HOUR, campaign="4200"),  # another skill
            attempt(1, 2125550102, 3 * HOUR, campaign="4200"),  # same id, other skill: new
        ]
        assert await ledger.add_attempts(rows) == 6
        assert await ledger.add_attempts(rows[:3]) == 0  # collected twice: nothing new
        view = await ledger.view(NOW)
    assert view.numbers.tolist() == [2125550101, 2125550102]
    assert (view.day.tolist(), view.week.tolist()) == ([2, 2], [3, 2])
    assert pd.Timestamp(view.last[0], tz="UTC") == pd.Timestamp(NOW - HOUR)
    file = tmp_path / "ledger" / "attempts.db"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700


async def test_a_cursor_only_moves_forward(tmp_path):
    async with open_ledger(tmp_path / "attempts.db") as ledger:
        assert await ledger.collected_until("4100") is None
        await ledger.advance("4100", NOW)
        await ledger.advance("4100", NOW - HOUR)  # a late run that read less
        assert await ledger.collected_until("4100") == NOW


async def test_opt_outs_stick_and_a_revocation_wins(tmp_path):
    async with open_ledger(tmp_path / "attempts.db") as ledger:
        optouts = [
            OptOutRow(2125550101, NOW - 2 * HOUR, OPTED_OUT, "skill 4100", "Do Not Call"),
            OptOutRow(2125550101, NOW - HOUR, REVOKED, "webhook: sms STOP"),
            OptOutRow(2125550102, NOW - HOUR, OPTED_OUT, "skill 4100", "Do Not Call"),
        ]
        assert await ledger.add_optouts(optouts) == 3
        assert await ledger.add_optouts(optouts) == 0
        view = await ledger.view(NOW)
        recorded = await ledger.optouts(NOW - 24 * HOUR, NOW + 24 * HOUR)
    assert view.opted_out.tolist() == [2125550101, 2125550102]
    assert view.kinds.tolist() == [REVOKED, OPTED_OUT]
    assert [(o.number, o.kind) for o in recorded] == [
        (2125550101, OPTED_OUT), (2125550101, REVOKED), (2125550102, OPTED_OUT),
    ]  # fmt: skip


# file cell, ledger count in 24 h -> the count the engine judges
CELLS = [
    ("1", 3, 3.0),  # the ledger knows more: it wins
    ("4", 3, 4.0),  # the file knows more: it stays
    ("", 2, 2.0),  # blank: the ledger's count
    (None, 2, 2.0),
    ("lots", 2, float("inf")),  # odd: over every cap, as the engine reads it
    ("2.5", 1, 2.5),  # not whole: kept (the engine holds it over every cap)
    ("1", 0, "1"),  # a number the ledger does not know: the cell as it came
]


@pytest.mark.parametrize(("cell", "calls", "judged"), CELLS)
def test_the_larger_count_wins_and_odd_cells_stay_odd(cell, calls, judged):
    attempts = [(2125550101, "2026-12-07T14:00Z")] * calls
    view = LedgerView.of(pd.Timestamp(NOW), attempts=attempts)
    frame = pd.DataFrame({"phone": ["2125550101"], "attempts_24h": [cell]})
    adjusted, _ = view.adjust(frame, np.array([2125550101]))
    assert adjusted["attempts_24h"].iloc[0] == judged
    if calls == 0:
        assert adjusted is frame  # a number the ledger does not know: nothing changes


def test_the_later_attempt_wins():
    view = LedgerView.of(pd.Timestamp(NOW), attempts=[(2125550101, "2026-12-07T14:00Z")])
    frame = pd.DataFrame(
        {"phone": ["2125550101"] * 2, "last_attempt_at": ["2026-12-07T09:00Z", "2026-12-07T14:30Z"]}
    )
    adjusted, _ = view.adjust(frame, np.array([2125550101] * 2))
    assert adjusted["last_attempt_at"].tolist() == ["2026-12-07T14:00:00Z", "2026-12-07T14:30Z"]


def test_a_dial_list_counts_the_dialers_attempts_per_person_and_honours_opt_outs(tmp_path):
    """Florida allows 3 calls per person in 24 hours: two of a person's numbers were each
    called twice by the dialer today, which the CRM file does not know yet."""
    contacts = pd.DataFrame(
        {
            "contact_id": ["p1-home", "p1-cell", "p2", "p3", "p4"],
            "phone": ["(305) 555-0101", "(305) 555-0102", "(305) 555-0103", "(305) 555-0104",
                      "(305) 555-0105"],
            "person_id": ["p1", "p1", "p2", "p3", "p4"],
            "state": ["FL"] * 5,
            "consent_call": ["true"] * 5,
            "attempts_24h": ["0"] * 5,
        }
    )  # fmt: skip
    source = tmp_path / "crm.csv"
    contacts.to_csv(source, index=False)
    calls = [(3055550101, "2026-12-07T13:00Z"), (3055550101, "2026-12-07T14:00Z"),
             (3055550102, "2026-12-07T13:30Z"), (3055550102, "2026-12-07T14:30Z")]  # fmt: skip
    view = LedgerView.of(
        pd.Timestamp(NOW),
        attempts=calls,
        optouts=[(3055550104, "2026-12-07T14:45Z", OPTED_OUT),
                 (3055550105, "2026-12-07T14:50Z", REVOKED)],
    )  # fmt: skip
    policy = compliance.CallingPolicy(max_attempts_24h=5)  # only the state's cap bites
    run = build_dial_files(source, tmp_path / "out", at=NOW, policy=policy, ledger=view)
    held = pd.read_csv(run.suppressed_path, dtype=str, keep_default_na=False).set_index(
        "contact_id"
    )
    assert held["reason"].to_dict() == {
        "p1-home": "frequency_cap", "p1-cell": "frequency_cap",
        "p3": "dnc", "p4": "consent_revoked",
    }  # fmt: skip
    assert "per the ledger" in held.loc["p1-home", "detail"]
    assert held.loc["p3", "detail"].startswith("opted out on a call")
    assert held.loc["p1-home", "attempts_24h"] == "0"  # the file's cell, as it came
    without = build_dial_files(source, tmp_path / "plain", at=NOW, policy=policy)
    assert without.by_reason == {"ok": 5}
