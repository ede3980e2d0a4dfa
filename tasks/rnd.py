"""The Reassigned Numbers Database during a dial-list sync: ask about the contacts with
consent, from the worker thread that judges the list."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Callable

import numpy as np

from blocks import ReassignedNumbersDatabase
from dial_lists import NO, NO_DATA, YES, Reassigned
from ledger import open_ledger
from rnd import RndResult, check_numbers

_CODES = {RndResult.YES: YES, RndResult.NO: NO, RndResult.NO_DATA: NO_DATA}
_EPOCH = dt.date(1970, 1, 1)


def reassigned_numbers(
    block: ReassignedNumbersDatabase,
    ledger_url: str | None,
    *,
    now: dt.datetime,
    max_age_days: float,
    no_data_blocks: bool,
    loop: asyncio.AbstractEventLoop,
    tally: Counter,
) -> Callable[[np.ndarray], Reassigned]:
    """What `build_dial_files(reassigned=...)` calls between its passes, in its worker
    thread: the RND's answers for the (number, consent date) keys of the contacts with
    consent (`dial_lists.pair_keys`), cached in the attempts ledger. The questions run on
    the flow's event loop (`loop`); `tally` counts the answers."""

    async def ask(keys: np.ndarray) -> Reassigned:
        numbers, days = np.divmod(keys, 100_000)
        pairs = [
            (str(int(number)), _EPOCH + dt.timedelta(days=int(day)))
            for number, day in zip(numbers, days, strict=True)
        ]
        async with block.get_client() as client:
            if ledger_url is None:
                answers = await check_numbers(
                    client, None, pairs, now=now, max_age_days=max_age_days
                )
            else:
                async with open_ledger(ledger_url) as cache:
                    answers = await check_numbers(
                        client, cache, pairs, now=now, max_age_days=max_age_days
                    )
        tally.update(answer.result.value for answer in answers.values())
        return Reassigned.of(
            {
                (int(number), day): (
                    _CODES[answer.result],
                    answer.queried_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                )
                for (number, day), answer in answers.items()
            },
            no_data_blocks,
        )

    def answered(keys: np.ndarray) -> Reassigned:
        return asyncio.run_coroutine_threadsafe(ask(keys), loop).result()

    return answered
