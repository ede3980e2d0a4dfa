"""One contact list: records by id, filtered and sorted pages with a cached order.

Queries: `consentFlags.outbound.call==true` and `true` (the tutorial's), and
`phoneNumber==<number>` (not in the tutorial: the simulator's own, so that a client finds the
contacts holding a number without reading the whole list). The number is compared as E.164,
whatever format the contact and the query write it in ("+12125550101", "(212) 555-0101"; a
"+" that a query string turned into a space is taken back).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .contacts import e164

CONSENT_QUERY = "consentFlags.outbound.call==true"
ALL_QUERY = "true"
PHONE_QUERY = "phoneNumber=="
_SORT_FIELD = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def _has_call_consent(contact: dict) -> bool:
    flags = contact.get("consentFlags")
    outbound = flags.get("outbound") if isinstance(flags, dict) else None
    return isinstance(outbound, dict) and outbound.get("call") is True


QUERIES: dict[str, Callable[[dict], bool]] = {
    CONSENT_QUERY: _has_call_consent,
    ALL_QUERY: lambda _contact: True,
}


class ContactListError(ValueError):
    """A query, sort field or record the list cannot handle; the message names it."""


def _field(contact: dict, path: tuple[str, ...]) -> object:
    value: object = contact
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class ContactList:
    """Contacts by id. The filtered, sorted id order of each (query, sort) is computed once
    and reused by every page until the list changes, so paging costs O(pageSize). Phone
    queries read an index of the contacts by number, built once until the list changes."""

    def __init__(self, contacts: Iterable[dict] = ()) -> None:
        self._contacts: dict[str, dict] = {}
        self._orders: dict[tuple[str, str, bool], list[str]] = {}
        self._by_phone: dict[str, list[str]] | None = None
        self.upsert(contacts)

    def __len__(self) -> int:
        return len(self._contacts)

    def upsert(self, contacts: Iterable[dict]) -> int:
        count = 0
        for contact in contacts:
            contact_id = contact.get("id") if isinstance(contact, dict) else None
            if not isinstance(contact_id, str) or not contact_id:
                raise ContactListError("every contact needs a non-empty string id")
            self._contacts[contact_id] = contact
            count += 1
        self._changed()
        return count

    def _changed(self) -> None:
        self._orders.clear()
        self._by_phone = None

    def all(self) -> list[dict]:
        """Every contact, in id order."""
        return [self._contacts[cid] for cid in sorted(self._contacts)]

    def delete(self, contact_id: str) -> bool:
        if self._contacts.pop(contact_id, None) is None:
            return False
        self._changed()
        return True

    def page(
        self, query: str, sort_by: str, descending: bool, page: int, page_size: int
    ) -> tuple[list[dict], int]:
        """The contacts of one page (from 1) and the total matching the query."""
        order = self._order(query, sort_by, descending)
        start = (page - 1) * page_size
        return [self._contacts[cid] for cid in order[start : start + page_size]], len(order)

    def _order(self, query: str, sort_by: str, descending: bool) -> list[str]:
        if query.startswith(PHONE_QUERY):  # one per number: not worth keeping
            return self._sorted_ids(query, sort_by, descending)
        key = (query, sort_by, descending)
        order = self._orders.get(key)
        if order is None:
            order = self._orders[key] = self._sorted_ids(query, sort_by, descending)
        return order

    def _matching_ids(self, query: str) -> list[str]:
        """The ids the query selects, in id order."""
        if query.startswith(PHONE_QUERY):
            wanted = e164(query[len(PHONE_QUERY) :])
            if wanted is None:
                raise ContactListError(f"{query!r} names no valid phone number")
            return sorted(self._phone_index().get(wanted, []))
        matches = QUERIES.get(query)
        if matches is None:
            raise ContactListError(
                f"unsupported query {query!r}; use {CONSENT_QUERY!r}, {ALL_QUERY!r} or "
                f"'{PHONE_QUERY}<E.164 number>'"
            )
        return sorted(cid for cid, contact in self._contacts.items() if matches(contact))

    def _phone_index(self) -> dict[str, list[str]]:
        if self._by_phone is None:
            self._by_phone = {}
            for cid, contact in self._contacts.items():
                number = e164(contact.get("phoneNumber"))
                if number:
                    self._by_phone.setdefault(number, []).append(cid)
        return self._by_phone

    def _sorted_ids(self, query: str, sort_by: str, descending: bool) -> list[str]:
        if not _SORT_FIELD.fullmatch(sort_by):
            raise ContactListError(f"invalid sortBy {sort_by!r}")
        # Ids first, so that ties on any other field keep id order (Python's sort is stable,
        # also with reverse=True).
        ids = self._matching_ids(query)
        path = tuple(sort_by.split("."))
        if path == ("id",):
            if descending:
                ids.reverse()
            return ids

        def sort_key(cid: str) -> tuple:
            value = _field(self._contacts[cid], path)
            # Missing values sort after present ones; values group by type so mixed types
            # (a number stored as text in one record) never compare across types.
            return (value is None, type(value).__name__, value)

        try:
            ids.sort(key=sort_key, reverse=descending)
        except TypeError:
            raise ContactListError(
                f"cannot sort by {sort_by!r}: its values are not comparable"
            ) from None
        return ids
