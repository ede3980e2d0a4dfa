"""The Reassigned Numbers Database (RND): ask whether a number changed hands since a date.

The FCC's RND answers, for a number and a date (of consent), `yes` (permanently disconnected
on or after that date: the consent may now reach a stranger), `no`, or `no_data`; a caller
who checked the most recent data has a safe harbor (47 CFR 64.1200(m)) and must prove it, so
every `RndAnswer` keeps when it was queried and the date of the data.

- `RndClient`: a reseller's API, in batches of up to 1,000 numbers at its rate limit, with
  retries (through `cxone`'s pacing transport); errors are `RndError`s.
- `check_numbers`: answers from the attempts ledger's cache where they still stand, the rest
  asked and stored (the rule is in `rnd._check`).

No Prefect here (the block is `blocks.ReassignedNumbersDatabase`); no whole number in a log,
a repr or an error (`cxone.mask_phone`).
"""

from ._check import AnswerCache, Asker, CachedAnswer, check_numbers, combined, question
from ._client import MAX_BATCH, QUERY_PATH, Pair, RndClient, checked_pairs
from ._models import (
    RndAnswer,
    RndAuthError,
    RndError,
    RndInvalidQuery,
    RndInvalidResponse,
    RndRateLimited,
    RndResult,
    RndServerError,
)

__all__ = [
    "MAX_BATCH",
    "QUERY_PATH",
    "AnswerCache",
    "Asker",
    "CachedAnswer",
    "Pair",
    "RndAnswer",
    "RndAuthError",
    "RndClient",
    "RndError",
    "RndInvalidQuery",
    "RndInvalidResponse",
    "RndRateLimited",
    "RndResult",
    "RndServerError",
    "check_numbers",
    "checked_pairs",
    "combined",
    "question",
]
