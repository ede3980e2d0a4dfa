"""Items by integer id, ids counting up: what every store of the stand-in keeps.

Each kind of object counts from its own base (skills from 4100001, lists from 5001, ...),
so an id of one kind never names an object of another by accident.

>>> campaigns = Registry("campaign", first_id=7001)
>>> campaigns.add(lambda campaign_id: {"id": campaign_id, "name": "Spring"})["id"]
7001
>>> campaigns.get(7002)
Traceback (most recent call last):
...
simulator.admin.errors.AdminError: campaign 7002 was not found
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import not_found

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str, first_id: int) -> None:
        self._what = what
        self._first_id = first_id
        self.clear()

    def clear(self) -> None:
        self._items: dict[int, T] = {}
        self._ids = itertools.count(self._first_id)

    def add(self, build: Callable[[int], T]) -> T:
        """Store `build(new_id)` under a new id and return it."""
        item_id = next(self._ids)
        self._items[item_id] = build(item_id)
        return self._items[item_id]

    def find(self, item_id: object) -> T | None:
        """The item with this id, or None; an id that is no JSON integer finds none."""
        if isinstance(item_id, bool) or not isinstance(item_id, int):
            return None
        return self._items.get(item_id)

    def get(self, item_id: int) -> T:
        item = self.find(item_id)
        if item is None:
            raise not_found(f"{self._what} {item_id}")
        return item

    def all(self) -> list[T]:
        return list(self._items.values())

    def ids(self) -> list[int]:
        return list(self._items)
