"""Page through a contact list so that every contact comes out exactly once.

Pages are fetched several at a time (bounded) and yielded in page order, so memory holds at
most `concurrency` pages. Records can move between pages while an export runs (an insert
shifts later ones forward, a delete shifts them back), so contacts are de-duplicated by id and
the server's `totalCount` is watched: a pass during which it changed, or that ends with fewer
distinct contacts than it, is followed by another pass that yields only contacts not seen yet.
A delete and an insert between the same two pages leave the count unchanged and cannot be
seen this way; that is the limit of offset paging.

`totalCount` is a hint, never a loop bound: a pass ends at the first empty page whatever the
count claims (a server once claimed 10^12 contacts), and reads at most `max_contacts` worth of
pages, so a server that never returns an empty or short page ends the export with an error.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

from ._exceptions import CXoneExportIncomplete
from ._models import Contact, ContactPage

logger = logging.getLogger("cxone")

FetchPage = Callable[[int], Awaitable[ContactPage]]

# Far above any list one export can read within its flow's timeout (at the default 100
# requests a minute, 2 hours read 1.2 million contacts), far below a runaway server's count.
MAX_CONTACTS = 10_000_000


async def _pages_in_order(
    fetch: FetchPage, first: int, last: int, concurrency: int
) -> AsyncGenerator[ContactPage, None]:
    """Yield pages first..last in order with at most `concurrency` requests in flight."""
    pending: dict[int, asyncio.Task[ContactPage]] = {}
    next_to_start = first
    try:
        for number in range(first, last + 1):
            while next_to_start <= last and len(pending) < concurrency:
                pending[next_to_start] = asyncio.ensure_future(fetch(next_to_start))
                next_to_start += 1
            yield await pending.pop(number)
    finally:
        for task in pending.values():
            task.cancel()
        await asyncio.gather(*pending.values(), return_exceptions=True)


async def export_contacts(
    fetch: FetchPage,
    *,
    concurrency: int = 4,
    max_passes: int = 3,
    max_contacts: int = MAX_CONTACTS,
) -> AsyncIterator[list[Contact]]:
    """Yield lists of contacts, each contact once, until the server's total is accounted for.

    Args:
        fetch: returns one page (numbered from 1) of a stable id-sorted listing.
        concurrency: pages in flight at once.
        max_passes: full passes allowed to reconcile with `totalCount`.
        max_contacts: the most contacts one pass reads (in pages of the server's page size)
            before giving up on reaching the end of the list.

    Raises:
        CXoneExportIncomplete: fewer distinct contacts than `totalCount` after `max_passes`,
            or a pass that found no end within `max_contacts`.
    """
    seen: set[str] = set()
    duplicates = 0
    total = 0
    for attempt in range(1, max_passes + 1):
        first = await fetch(1)
        page_size = max(1, first.page_size)
        limit = math.ceil(max_contacts / page_size) + 1  # +1: the empty or short last page
        pages = min(limit, max(1, math.ceil(first.total_count / page_size)))
        total = first.total_count
        moved = False
        number, page = 1, first
        stream = _pages_in_order(fetch, 2, pages, concurrency)
        try:
            while True:
                moved = moved or page.total_count != total
                total = page.total_count
                fresh = []
                for contact in page.contacts:
                    if contact.id in seen:
                        duplicates += 1
                    else:
                        seen.add(contact.id)
                        fresh.append(contact)
                if fresh:
                    yield fresh
                if not page.contacts:
                    break  # the end of the list, whatever `totalCount` claims
                if number >= limit:
                    raise CXoneExportIncomplete(
                        f"read {number:,} pages of {page_size} without reaching the end of "
                        f"the list (the server reports {page.total_count:,} contacts); an "
                        f"export reads at most {max_contacts:,}: split the list"
                    )
                if number < pages:
                    page = await anext(stream)
                elif len(page.contacts) >= page.page_size > 0:
                    # The list grew during the export: keep reading until a short page.
                    page = await fetch(number + 1)
                else:
                    break
                number += 1
        finally:
            await stream.aclose()
        if len(seen) >= total and (not moved or attempt == max_passes):
            if moved:
                logger.warning("the list kept changing through %d export passes", max_passes)
            if duplicates:
                logger.info("export skipped %d contacts repeated across pages", duplicates)
            return
        logger.warning(
            "export pass %d saw %d distinct contacts of %d%s; reading the list again",
            attempt,
            len(seen),
            total,
            " and the list changed" if moved else "",
        )
    raise CXoneExportIncomplete(
        f"saw {len(seen)} distinct contacts of the {total} the server reports "
        f"after {max_passes} passes"
    )
