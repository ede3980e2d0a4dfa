"""DNC groups: numbers a scrubbed skill never dials.

- Creating a group is not idempotent: a repeated create makes a second group of that name.
- `POST .../records` takes `phoneNumber` as a JSON integer (verified live by one client);
  a string, a boolean or a number that is no NANP number fails that item only. Adding a
  number already in the group refreshes it (a group is a set of numbers).
- `DELETE .../records` expires numbers (now, or at the given `expiredDate`); it takes the
  number as a string or an integer. A number the group does not hold (or no longer does)
  fails that item.
- A number stops counting once its `expiredDate` has passed on the simulator's clock: it
  leaves the group's records, `validRecords` and search results.
- `formattedPhone` is the bare ten digits (the platform's formatting was not found).
- A group blocks the skills it scrubs (`scrubbed_skill_ids`) and collects from the skills
  that contribute to it (`contributing_skill_ids`): a call on a contributing skill that ends
  with a do-not-call disposition adds its number at the call's time (`collect`). A skill
  may be both (reference, section 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..clock import Clock, iso
from .dates import parse_date
from .errors import bad_request
from .phones import normalize_phone
from .registry import Registry


@dataclass
class DncGroup:
    group_id: int
    name: str
    description: str
    created: datetime
    updated: datetime
    # ten-digit number -> {"expiredDate": datetime | None, "dateCollected": datetime}
    numbers: dict[str, dict] = field(default_factory=dict)
    scrubbed_skill_ids: list[int] = field(default_factory=list)
    contributing_skill_ids: list[int] = field(default_factory=list)

    def collect(self, phone: str, at: datetime) -> None:
        """Hold `phone` from `at` on, as an agent's do-not-call disposition adds it."""
        self.numbers[phone] = {"expiredDate": None, "dateCollected": at, "lastUpdateTime": at}
        self.updated = at

    def active(self, now: datetime) -> dict[str, dict]:
        return {
            phone: entry
            for phone, entry in self.numbers.items()
            if entry["expiredDate"] is None or entry["expiredDate"] > now
        }

    def view(self, now: datetime) -> dict:
        return {
            "dncGroupId": self.group_id,
            "dncGroupName": self.name,
            "dncGroupDescription": self.description,
            "validRecords": len(self.active(now)),
            "isActive": True,
            "isRemoved": False,
            "createDate": iso(self.created),
            "lastUpdateTime": iso(self.updated),
        }


def record_view(phone: str, entry: dict) -> dict:
    expired = entry["expiredDate"]
    return {
        "phoneNumber": phone,
        "expiredDate": iso(expired) if expired else None,
        "dateCollected": iso(entry["dateCollected"]),
        "lastUpdateTime": iso(entry["lastUpdateTime"]),
    }


def _result(phone: str | None, error: str | None) -> dict:
    return {"success": error is None, "error": error, "formattedPhone": phone or ""}


class DncGroups:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._groups: Registry[DncGroup] = Registry("DNC group", first_id=301)

    def clear(self) -> None:
        self._groups.clear()

    def create(self, body: object) -> DncGroup:
        name = body.get("dncGroupName") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise bad_request("dncGroupName is required")
        description = body.get("dncGroupDescription", "")
        if not isinstance(description, str):
            raise bad_request("dncGroupDescription must be a string")
        now = self._clock.now()
        return self._groups.add(lambda group_id: DncGroup(group_id, name, description, now, now))

    def get(self, group_id: int) -> DncGroup:
        return self._groups.get(group_id)

    def all(self) -> list[DncGroup]:
        return self._groups.all()

    def add(self, group: DncGroup, items: object) -> list[dict]:
        """One result per `{phoneNumber: <integer>, expiredDate?}` item."""
        results = []
        now = self._clock.now()
        for item in _items(items):
            number = item.get("phoneNumber") if isinstance(item, dict) else None
            if isinstance(number, bool) or not isinstance(number, int):
                results.append(_result(None, "phoneNumber must be an integer"))
                continue
            phone = normalize_phone(number)
            expired, problem = _expiry(item)
            if phone is None or problem:
                results.append(_result(phone, problem or f"{number} is not a valid number"))
                continue
            group.numbers[phone] = {
                "expiredDate": expired,
                "dateCollected": now,
                "lastUpdateTime": now,
            }
            results.append(_result(phone, None))
        group.updated = now
        return results

    def expire(self, group: DncGroup, items: object) -> list[dict]:
        """One result per `{phoneNumber, expiredDate?}` item; absent numbers fail."""
        results = []
        now = self._clock.now()
        for item in _items(items):
            number = item.get("phoneNumber") if isinstance(item, dict) else None
            phone = normalize_phone(number) if isinstance(number, str | int) else None
            if phone not in group.active(now):
                results.append(_result(phone, "the number is not in the group"))
                continue
            expired, problem = _expiry(item)
            if not problem:
                group.numbers[phone].update(expiredDate=expired or now, lastUpdateTime=now)
            results.append(_result(phone, problem))
        group.updated = now
        return results

    def search(self, phone: str) -> list[tuple[DncGroup, dict]]:
        """The groups that hold a ten-digit number now, each with its entry for it."""
        now = self._clock.now()
        return [
            (group, group.active(now)[phone])
            for group in self._groups.all()
            if phone in group.active(now)
        ]


def _items(body: object) -> list:
    items = body.get("dncGroupRecords") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise bad_request('the body must be {"dncGroupRecords": [{"phoneNumber": ...}]}')
    return items


def _expiry(item: dict) -> tuple[datetime | None, str | None]:
    """(the item's expiredDate or None, a problem with it or None)."""
    if item.get("expiredDate") is None:
        return None, None
    moment = parse_date(item["expiredDate"])
    return (moment, None) if moment else (None, "expiredDate is not a date")
