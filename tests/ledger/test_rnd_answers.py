"""The ledger's cache of Reassigned Numbers Database answers: kept by (number, date asked
about), a newer query replacing an older one, read back for the pairs asked."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger import RndAnswerRow, open_ledger

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
CONSENT = dt.date(2025, 1, 2)


def row(number: str, result: str, days_ago: float, day: dt.date = CONSENT, **kw) -> RndAnswerRow:
    return RndAnswerRow(number, day, result, NOW - dt.timedelta(days=days_ago), **kw)


async def test_answers_are_read_back_for_the_pairs_asked(tmp_path):
    kept = [
        row("2125550101", "no", 3, data_as_of=dt.date(2026, 12, 3)),
        row("2125550101", "yes", 3, day=dt.date(2024, 5, 1)),
        row("2125550102", "no_data", 1),
    ]
    async with open_ledger(tmp_path / "attempts.db") as ledger:
        await ledger.add_rnd_answers(kept)
        found = await ledger.rnd_answers(
            [
                ("2125550101", CONSENT),
                ("2125550102", CONSENT),
                ("2125550102", dt.date(2024, 5, 1)),  # the number, not that date: absent
                ("2125550199", CONSENT),  # never asked
            ]
        )
    assert found == {
        ("2125550101", CONSENT): kept[0],
        ("2125550102", CONSENT): kept[2],
    }
    assert found["2125550101", CONSENT].queried_at.tzinfo == dt.UTC


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        (("no", 10), ("yes", 1), ("yes", 1)),  # newer replaces older
        (("yes", 1), ("no", 10), ("yes", 1)),  # an older one, stored late, does not
        (("no", 5), ("no_data", 5), ("no", 5)),  # the same instant: the first stays
    ],
)
async def test_a_newer_query_replaces_an_older_one(tmp_path, first, second, kept):
    async with open_ledger(tmp_path / "attempts.db") as ledger:
        await ledger.add_rnd_answers([row("2125550101", *first)])
        await ledger.add_rnd_answers([row("2125550101", *second)])
        [answer] = (await ledger.rnd_answers([("2125550101", CONSENT)])).values()
    assert (answer.result, answer.queried_at) == (kept[0], NOW - dt.timedelta(days=kept[1]))


async def test_many_numbers_are_read_in_slices_and_kept_across_openings(tmp_path):
    rows = [row(f"21255{n:05d}", "no", 1) for n in range(1_200)]
    async with open_ledger(tmp_path / "attempts.db") as ledger:
        await ledger.add_rnd_answers(rows)
        await ledger.add_rnd_answers([])
    async with open_ledger(tmp_path / "attempts.db") as ledger:
        found = await ledger.rnd_answers((r.number, r.date) for r in rows)
        assert await ledger.rnd_answers([]) == {}
    assert sorted(found.values(), key=lambda r: r.number) == rows


async def test_answers_need_an_aware_query_time(tmp_path):
    naive = RndAnswerRow("2125550101", CONSENT, "no", dt.datetime(2026, 12, 7, 15))
    async with open_ledger(tmp_path / "attempts.db") as ledger:
        with pytest.raises(ValueError, match="timezone-aware"):
            await ledger.add_rnd_answers([naive])
