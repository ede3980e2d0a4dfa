"""Check (number, consent date) pairs against the RND, asking only what the cache cannot say.

The rule, pair by pair (`question` and `combined`):

1. A cached `yes` stands for ever: a permanent disconnection does not undo itself.
2. A cached `no` or `no_data` younger than `max_age_days` (by its `queried_at`) stands.
3. An older `no` is asked again, about the date its data reached (its `data_as_of`, else the
   day it was queried; never before the consent date), not the consent date: the old `no`
   already says the number was not disconnected from the consent to then, and the FCC's
   query takes "the date of consent, or when the caller was reasonably sure the consumer
   could be reached" (DA 21-1649). The answer for the consent date is then `yes` if either
   says `yes`, else the new answer (`no`, or `no_data` when the new data cannot say).
4. An older `no_data`, and a pair never asked, are asked about the consent date.

Every answer obtained is stored, with its `queried_at` and `data_as_of` (the evidence the safe
harbor of 47 CFR 64.1200(m) needs): the combined answer under the consent date, and the
answer to a later date under that date as well.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Protocol

from ._client import Pair, checked_pairs
from ._models import RndAnswer, RndResult

logger = logging.getLogger("rnd")


class CachedAnswer(Protocol):
    """An answer as a cache keeps it (`RndAnswer`, or the ledger's `RndAnswerRow`)."""

    # Read-only, so that `RndAnswer` (its result an `RndResult`) is one.
    @property
    def number(self) -> str: ...
    @property
    def date(self) -> dt.date: ...
    @property
    def result(self) -> str: ...
    @property
    def queried_at(self) -> dt.datetime: ...
    @property
    def data_as_of(self) -> dt.date | None: ...


class AnswerCache(Protocol):
    """Where answers are kept between checks: the attempts ledger (`ledger.Ledger`)."""

    async def rnd_answers(self, pairs: Iterable[Pair]) -> Mapping[Pair, CachedAnswer]: ...

    async def add_rnd_answers(self, answers: Iterable[CachedAnswer]) -> None: ...


class Asker(Protocol):
    """What answers queries: an `RndClient`."""

    async def query(self, pairs: Iterable[Pair]) -> list[RndAnswer]: ...


def question(
    asked_about: dt.date, cached: CachedAnswer | None, *, now: dt.datetime, max_age_days: float
) -> dt.date | None:
    """The date to ask the RND about for a pair, or None when its cached answer stands.

    Example:
        >>> now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
        >>> old_no = RndAnswer("2125550101", dt.date(2025, 1, 2), "no",
        ...                    dt.datetime(2026, 1, 5, tzinfo=dt.UTC), dt.date(2026, 1, 4))
        >>> question(dt.date(2025, 1, 2), old_no, now=now, max_age_days=30)
        datetime.date(2026, 1, 4)
        >>> question(dt.date(2025, 1, 2), old_no, now=now, max_age_days=90) is None
        True
    """
    if cached is None:
        return asked_about
    if cached.result == RndResult.YES or now - cached.queried_at < dt.timedelta(max_age_days):
        return None
    if cached.result != RndResult.NO:
        return asked_about
    queried_on = cached.queried_at.astimezone(dt.UTC).date()
    reached = min(cached.data_as_of or queried_on, queried_on)
    return max(asked_about, reached)


def combined(asked_about: dt.date, cached: CachedAnswer | None, answer: RndAnswer) -> RndAnswer:
    """The answer for `asked_about` from a cached one and a new `answer` (perhaps about a
    later date): `yes` if either says `yes`, else the new result; stamped with the new query.

    Example:
        >>> at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
        >>> new = RndAnswer("2125550101", dt.date(2026, 1, 4), "yes", at, dt.date(2026, 3, 1))
        >>> answer = combined(dt.date(2025, 1, 2), None, new)
        >>> answer.date, answer.result, answer.queried_at == at
        (datetime.date(2025, 1, 2), <RndResult.YES: 'yes'>, True)
    """
    result = answer.result
    if cached is not None and RndResult(cached.result) == RndResult.YES:
        result = RndResult.YES
    return RndAnswer(answer.number, asked_about, result, answer.queried_at, answer.data_as_of)


def _answer(cached: CachedAnswer) -> RndAnswer:
    if isinstance(cached, RndAnswer):
        return cached
    return RndAnswer(
        cached.number, cached.date, RndResult(cached.result), cached.queried_at, cached.data_as_of
    )


async def check_numbers(
    client: Asker,
    ledger: AnswerCache | None,
    pairs: Iterable[Pair],
    *,
    now: dt.datetime,
    max_age_days: float = 30,
) -> dict[Pair, RndAnswer]:
    """The RND's answer for each (ten-digit number, consent date) pair, from the cache where
    the rule above lets it stand, else asked (and stored).

    Args:
        client: An `RndClient` (open).
        ledger: The cache (an open `ledger.Ledger`); None asks every pair.
        pairs: The pairs; one given twice is answered once.
        now: The time cached answers are aged at, timezone-aware.
        max_age_days: How old a cached `no` or `no_data` may be and still stand.

    Returns:
        The answer of every pair, keyed by the pair.

    Example:
        With a stand-in client that answers `no` to everything, and no cache:

        >>> import asyncio
        >>> now = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
        >>> class Always:
        ...     async def query(self, pairs):
        ...         return [RndAnswer(number, day, "no", now) for number, day in pairs]
        >>> pair = ("2125550101", dt.date(2025, 1, 2))
        >>> answers = asyncio.run(check_numbers(Always(), None, [pair, pair], now=now))
        >>> list(answers) == [pair], answers[pair].result
        (True, <RndResult.NO: 'no'>)

        In a flow: `async with open_ledger(url) as ledger, block.get_client() as client:
        answers = await check_numbers(client, ledger, pairs, now=now)`.

    Raises:
        ValueError: `now` has no time zone, or `max_age_days` is negative.
        RndError: A pair is malformed (`RndInvalidQuery`), or the service failed (see
            `RndClient.query`); nothing is stored then.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if max_age_days < 0:
        raise ValueError("max_age_days must not be negative")
    wanted = list(dict.fromkeys(checked_pairs(pairs)))
    cached = dict(await ledger.rnd_answers(wanted)) if ledger is not None and wanted else {}
    found: dict[Pair, RndAnswer] = {}
    questions: dict[Pair, Pair] = {}
    for pair in wanted:
        day = question(pair[1], cached.get(pair), now=now, max_age_days=max_age_days)
        if day is None:
            found[pair] = _answer(cached[pair])
        else:
            questions[pair] = (pair[0], day)
    asked = await client.query(list(dict.fromkeys(questions.values()))) if questions else []
    by_question = {(answer.number, answer.date): answer for answer in asked}
    for pair, asked_pair in questions.items():
        found[pair] = combined(pair[1], cached.get(pair), by_question[asked_pair])
    stored = [found[pair] for pair in questions]
    # The answers to later dates are evidence too, and answer those pairs another time.
    stored += [answer for key, answer in by_question.items() if key not in questions]
    if ledger is not None and stored:
        await ledger.add_rnd_answers(stored)
    later = sum(1 for pair, asked_pair in questions.items() if asked_pair != pair)
    logger.info(
        "RND check of %d pairs: %d from the cache, %d asked (%d about a later date)",
        len(wanted), len(wanted) - len(questions), len(questions), later,
    )  # fmt: skip
    return found
