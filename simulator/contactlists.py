"""One contact list: records by id, filtered and sorted pages with a cached order."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

CONSENT_QUERY = "consentFlags.outbound.call==true"
ALL_QUERY = "true"
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
    and reused by every page until the list changes, so paging costs O(pageSize)."""

    def __init__(self, contacts: Iterable[dict] = ()) -> None:
        self._contacts: dict[str, dict] = {}
        self._orders: dict[tuple[str, str, bool], list[str]] = {}
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
        self._orders.clear()
        return count

    def delete(self, contact_id: str) -> bool:
        if self._contacts.pop(contact_id, None) is None:
            return False
        self._orders.clear()
        return True

    def page(
        self, query: str, sort_by: str, descending: bool, page: int, page_size: int
    ) -> tuple[list[dict], int]:
        """The contacts of one page (from 1) and the total matching the query."""
        order = self._order(query, sort_by, descending)
        start = (page - 1) * page_size
        return [self._contacts[cid] for cid in order[start : start + page_size]], len(order)

    def _order(self, query: str, sort_by: str, descending: bool) -> list[str]:
        key = (query, sort_by, descending)
        order = self._orders.get(key)
        if order is None:
            order = self._orders[key] = self._sorted_ids(query, sort_by, descending)
        return order

    def _sorted_ids(self, query: str, sort_by: str, descending: bool) -> list[str]:
        matches = QUERIES.get(query)
        if matches is None:
            raise ContactListError(
                f"unsupported query {query!r}; use {CONSENT_QUERY!r} or {ALL_QUERY!r}"
            )
        if not _SORT_FIELD.fullmatch(sort_by):
            raise ContactListError(f"invalid sortBy {sort_by!r}")
        # Ids first, so that ties on any other field keep id order (Python's sort is stable,
        # also with reverse=True).
        ids = sorted((cid for cid, contact in self._contacts.items() if matches(contact)))
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
