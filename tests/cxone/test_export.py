"""The contact export yields every contact exactly once, even when the list moves under it."""

import asyncio

import pytest

from cxone import Contact, ContactPage, CXoneExportIncomplete
from cxone._export import export_contacts


class FakeList:
    """An id-sorted, offset-paged listing whose contents tests can change between pages."""

    def __init__(self, ids, page_size=10, delay=0.0):
        self.ids = sorted(ids)
        self.page_size = page_size
        self.delay = delay
        self.calls: list[int] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.before_page = {}  # page number -> callable run before serving it

    async def fetch(self, page: int) -> ContactPage:
        self.calls.append(page)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if page in self.before_page:
                self.before_page.pop(page)(self)
            start = (page - 1) * self.page_size
            chunk = self.ids[start : start + self.page_size]
            return ContactPage(
                contacts=[Contact(id=i) for i in chunk],
                page=page,
                page_size=self.page_size,
                total_count=len(self.ids),
            )
        finally:
            self.in_flight -= 1


async def collect(listing, **kwargs):
    out = []
    async for page in export_contacts(listing.fetch, **kwargs):
        out.extend(c.id for c in page)
    return out


def ids(n, start=0):
    return [f"c{i:05d}" for i in range(start, start + n)]


async def test_every_contact_once_in_id_order_with_bounded_concurrency():
    listing = FakeList(ids(95), page_size=10, delay=0.01)
    got = await collect(listing, concurrency=3)
    assert got == ids(95)
    assert sorted(listing.calls) == list(range(1, 11))
    assert listing.max_in_flight == 3


async def test_empty_list():
    assert await collect(FakeList([])) == []


async def test_insert_before_the_cursor_is_picked_up_without_duplicates():
    listing = FakeList(ids(50, start=1))

    def insert(lst):
        lst.ids = sorted([*lst.ids, "c00000"])  # shifts every later record one page forward

    listing.before_page[3] = insert
    got = await collect(listing, concurrency=1)
    assert sorted(got) == ids(51)
    assert len(got) == len(set(got))


async def test_delete_before_the_cursor_loses_nothing_that_remains():
    listing = FakeList(ids(50))

    def delete(lst):
        lst.ids.remove("c00001")  # shifts every later record one page back

    listing.before_page[3] = delete
    got = await collect(listing, concurrency=1)
    remaining = [i for i in ids(50) if i != "c00001"]
    assert set(remaining) <= set(got)
    assert len(got) == len(set(got))


async def test_list_that_grows_past_the_first_count_is_read_to_the_end():
    listing = FakeList(ids(30))

    def append(lst):
        lst.ids = [*lst.ids, *ids(15, start=30)]

    listing.before_page[2] = append
    got = await collect(listing, concurrency=1)
    assert got == ids(45)


async def test_server_repeating_a_contact_across_pages_yields_it_once():
    listing = FakeList(ids(20))
    original = listing.fetch

    async def repeating(page):
        result = await original(page)
        if page == 2:
            result.contacts.insert(0, Contact(id="c00009"))  # last of page 1 again
        return result

    listing.fetch = repeating
    got = await collect(listing)
    assert got == ids(20)


async def test_unreconcilable_count_raises_instead_of_returning_short():
    listing = FakeList(ids(20))
    original = listing.fetch

    async def overcounting(page):
        result = await original(page)
        return result.model_copy(update={"total_count": 25})

    listing.fetch = overcounting
    with pytest.raises(CXoneExportIncomplete, match="20 distinct contacts of the 25"):
        await collect(listing, max_passes=2)


async def test_stopping_early_cancels_pages_in_flight():
    listing = FakeList(ids(100), delay=0.01)
    stream = export_contacts(listing.fetch, concurrency=4)
    await anext(stream)
    await stream.aclose()
    await asyncio.sleep(0.05)
    assert listing.in_flight == 0


async def test_a_wild_total_count_ends_at_the_first_empty_page():
    listing = FakeList(ids(25))
    original = listing.fetch

    async def claiming(page):
        return (await original(page)).model_copy(update={"total_count": 10**12})

    listing.fetch = claiming
    with pytest.raises(CXoneExportIncomplete, match="25 distinct contacts of the 1000000000000"):
        await collect(listing, concurrency=4, max_passes=2)
    # Per pass: pages 1-4 (the 4th is empty) and at most `concurrency` pages started ahead.
    assert len(listing.calls) <= 2 * (4 + 4)
    assert max(listing.calls) <= 4 + 4


async def test_a_server_that_never_ends_the_list_is_stopped_by_the_bound():
    listing = FakeList(ids(10))
    original = listing.fetch

    async def endless(page):  # ignores the page number: always the same full page
        return (await original(1)).model_copy(update={"page": page, "total_count": 10**12})

    listing.fetch = endless
    with pytest.raises(CXoneExportIncomplete, match="at most 50: split the list"):
        await collect(listing, concurrency=2, max_contacts=50)
    assert len(listing.calls) <= 50 // 10 + 1 + 2


async def test_the_bound_lets_a_list_of_exactly_that_size_through():
    listing = FakeList(ids(50))
    assert await collect(listing, concurrency=2, max_contacts=50) == ids(50)
    grown = FakeList(ids(45))
    grown.before_page[2] = lambda lst: setattr(lst, "ids", ids(50))  # count said 45
    assert await collect(grown, concurrency=1, max_contacts=50) == ids(50)
