"""Tasks of the attempts ledger: read what it knows for a list, keep what a run collected."""

from __future__ import annotations

import datetime as dt

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from blocks import ledger_location
from ledger import LedgerView, open_ledger

READ_SECONDS = 600


@task(name="read-attempts-ledger", timeout_seconds=READ_SECONDS, cache_policy=NO_CACHE)
async def read_ledger(reference: str | None, at: dt.datetime) -> tuple[LedgerView | None, str]:
    """What the ledger `reference` names knows at `at` (see `blocks.ledger_location`), and
    the ledger as shown (its URL without a password, or "none").

    Returns:
        The view (None when there is no ledger) and what to call the ledger in a summary.
    """
    found = await ledger_location(reference)
    if found is None:
        get_run_logger().info(
            "No attempts ledger (%s): caps count the contact file's attempts only", reference
        )
        return None, "none"
    url, shown = found
    async with open_ledger(url) as ledger:
        view = await ledger.view(at)
    get_run_logger().info(
        "The attempts ledger %s knows %d numbers called in 7 days and %d opted out",
        shown,
        len(view.numbers),
        len(view.opted_out),
    )
    return view, shown
