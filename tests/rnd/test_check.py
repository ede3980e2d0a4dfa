"""`check_numbers`: the cache's rule as tables, then checks against the stand-in with the
attempts ledger as the cache (what is asked, what is stored)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from ledger import RndAnswerRow, open_ledger
from rnd import RndAnswer, RndResult, RndServerError, check_numbers, combined, question
from simulator import asgi_transport

from .conftest import STAND_IN_URL, START

CONSENT = dt.date(2025, 1, 2)
DAY = dt.timedelta(days=1)
NUMBER = "2125550101"


def cached(result: str, days_ago: float, as_of: dt.date | None = None) -> RndAnswerRow:
    return RndAnswerRow(NUMBER, CONSENT, result, START - days_ago * DAY, as_of)


@pytest.mark.parametrize(
    ("kept", "max_age", "asked"),
    [
        (None, 30, CONSENT),  # never asked: the consent date
        (cached("yes", 1_000), 30, None),  # a yes stands for ever
        (cached("yes", 1_000), 0, None),
        (cached("no", 29.9), 30, None),  # young enough
        (cached("no_data", 29.9), 30, None),
        (cached("no", 30), 30, dt.date(2026, 1, 31)),  # as old as allowed: asked again,
        (cached("no", 40, dt.date(2026, 1, 15)), 30, dt.date(2026, 1, 15)),  # from its data
        (cached("no", 40, dt.date(2026, 1, 25)), 30, dt.date(2026, 1, 21)),  # not after its query
        (cached("no", 40, dt.date(2024, 6, 1)), 30, CONSENT),  # never before the consent
        (cached("no_data", 40, dt.date(2026, 1, 15)), 30, CONSENT),  # no data: the consent date
        (cached("no", 1), 0, dt.date(2026, 3, 1)),  # max_age 0: every no is asked again
    ],
)
def test_which_date_is_asked_about(kept, max_age, asked):
    assert question(CONSENT, kept, now=START, max_age_days=max_age) == asked


@pytest.mark.parametrize(
    ("kept", "new", "result"),
    [
        (None, "yes", "yes"),
        (None, "no", "no"),
        (None, "no_data", "no_data"),
        ("no", "yes", "yes"),  # disconnected since the last no: reassigned
        ("no", "no", "no"),  # no then, no since: no
        ("no", "no_data", "no_data"),  # the recent data cannot say: neither can we
        ("no_data", "no", "no"),
        ("yes", "no", "yes"),  # either says yes
    ],
)
def test_how_a_new_answer_combines_with_the_cached_one(kept, new, result):
    later = dt.date(2026, 1, 15)
    answer = RndAnswer(NUMBER, later, new, START, dt.date(2026, 3, 1))
    old = None if kept is None else cached(kept, 40)
    assert combined(CONSENT, old, answer) == RndAnswer(
        NUMBER, CONSENT, RndResult(result), START, dt.date(2026, 3, 1)
    )


@pytest.fixture
async def ledger(tmp_path):
    async with open_ledger(tmp_path / "attempts.db") as opened:
        yield opened


@pytest.fixture
async def client(stand_in_app, make_client):
    async with make_client(STAND_IN_URL, transport=asgi_transport(stand_in_app)) as opened:
        yield opened


async def queries(control) -> list[tuple[str, str]]:
    return [
        (q["tn"], q["date"]) for q in (await control.get("/_sim/rnd/queries")).json()["queries"]
    ]


PAIRS = [("2125550101", CONSENT), ("2125550102", CONSENT), ("2125550103", dt.date(2025, 6, 1))]


async def test_a_second_check_of_the_same_pairs_asks_nothing(client, ledger, control, clock):
    await control.put("/_sim/rnd/disconnections", json={"2125550102": "2025-03-01"})
    await control.put("/_sim/rnd/no-data", json=["2125550103"])
    first = await check_numbers(client, ledger, [*PAIRS, PAIRS[0]], now=clock.now())
    assert {pair: a.result for pair, a in first.items()} == dict(
        zip(PAIRS, ["no", "yes", "no_data"], strict=True)
    )
    assert len(await queries(control)) == 3
    assert await ledger.rnd_answers(PAIRS) == {
        pair: RndAnswerRow(*pair, str(a.result), START, START.date()) for pair, a in first.items()
    }
    clock.advance(29 * 86_400)
    again = await check_numbers(client, ledger, PAIRS, now=clock.now())
    assert again == first and len(await queries(control)) == 3


async def test_a_stale_no_is_asked_about_the_date_its_data_reached(client, ledger, control, clock):
    await check_numbers(client, ledger, PAIRS[:1], now=clock.now())  # no, data of 2026-03-02
    await control.put("/_sim/rnd/disconnections", json={NUMBER: "2026-03-20"})
    clock.advance(40 * 86_400)
    [answer] = (await check_numbers(client, ledger, PAIRS[:1], now=clock.now())).values()
    assert await queries(control) == [(NUMBER, "2025-01-02"), (NUMBER, "2026-03-02")]
    assert answer == RndAnswer(NUMBER, CONSENT, "yes", clock.now(), dt.date(2026, 4, 11))
    kept = await ledger.rnd_answers([(NUMBER, CONSENT), (NUMBER, dt.date(2026, 3, 2))])
    assert {day: row.result for (_, day), row in kept.items()} == {
        CONSENT: "yes",  # the combined answer for the consent date
        dt.date(2026, 3, 2): "yes",  # and the query made, as evidence
    }


async def test_a_stale_no_that_stays_no_is_renewed(client, ledger, control, clock):
    await check_numbers(client, ledger, PAIRS[:1], now=clock.now())
    clock.advance(40 * 86_400)
    await check_numbers(client, ledger, PAIRS[:1], now=clock.now())
    clock.advance(10 * 86_400)  # the renewed no is young again
    [answer] = (await check_numbers(client, ledger, PAIRS[:1], now=clock.now())).values()
    assert answer.result == "no" and answer.queried_at == START + 40 * DAY
    assert await queries(control) == [(NUMBER, "2025-01-02"), (NUMBER, "2026-03-02")]


async def test_a_yes_is_never_asked_again(client, ledger, control, clock):
    await control.put("/_sim/rnd/disconnections", json={NUMBER: "2025-03-01"})
    await check_numbers(client, ledger, PAIRS[:1], now=clock.now())
    await control.post("/_sim/reset")  # the stand-in forgets; the cache does not
    clock.advance(1_000 * 86_400)
    [answer] = (await check_numbers(client, ledger, PAIRS[:1], now=clock.now())).values()
    assert (answer.result, answer.queried_at) == ("yes", START)
    assert await queries(control) == []


async def test_a_stale_no_data_is_asked_about_the_consent_date(client, ledger, control, clock):
    await control.put("/_sim/rnd/no-data", json=[NUMBER])
    await check_numbers(client, ledger, PAIRS[:1], now=clock.now())
    clock.advance(31 * 86_400)
    await check_numbers(client, ledger, PAIRS[:1], now=clock.now())
    assert await queries(control) == [(NUMBER, "2025-01-02")] * 2


async def test_one_question_serves_two_pairs(client, ledger, control, clock):
    later = dt.date(2026, 3, 2)
    await check_numbers(client, ledger, [(NUMBER, CONSENT)], now=clock.now())
    clock.advance(40 * 86_400)
    found = await check_numbers(
        client, ledger, [(NUMBER, CONSENT), (NUMBER, later)], now=clock.now()
    )
    assert await queries(control) == [(NUMBER, "2025-01-02"), (NUMBER, "2026-03-02")]
    assert [answer.date for answer in found.values()] == [CONSENT, later]


async def test_without_a_cache_every_check_asks(client, control, clock):
    await check_numbers(client, None, PAIRS, now=clock.now())
    await check_numbers(client, None, PAIRS, now=clock.now())
    assert len(await queries(control)) == 6


async def test_a_failed_query_stores_nothing(client, ledger, control, clock, caplog):
    await control.post("/_sim/faults", json={"kind": "server_error", "count": 4})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RndServerError):
        await check_numbers(client, ledger, PAIRS, now=clock.now())
    assert await ledger.rnd_answers(PAIRS) == {}
    await check_numbers(client, ledger, PAIRS, now=clock.now())
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name in ("rnd", "cxone"))
    assert all(number not in ours for number, _ in PAIRS)
    assert "RND check of 3 pairs: 0 from the cache, 3 asked" in ours
    assert "answered 503; retry 1" in ours


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"now": dt.datetime(2026, 3, 2)}, "timezone-aware"),
        ({"now": START, "max_age_days": -1}, "must not be negative"),
    ],
)
async def test_the_time_must_be_aware_and_the_age_positive(client, ledger, options, words):
    with pytest.raises(ValueError, match=words):
        await check_numbers(client, ledger, PAIRS, **options)
