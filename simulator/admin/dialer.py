"""What a skill dials: dialing passes and runs started through the control API, and the log
they leave.

**Passes** (`POST /_sim/admin/skills/{id}/dial`) place no calls. A pass of a skill walks
every record of every calling list the skill dials (the non-deleted lists an upload attached
it to), in list then record order, and logs one entry per record: "scrubbed" when a DNC
group that scrubs the skill holds one of the record's numbers (any destination field) on the
simulator's clock, "offered" otherwise. A group that does not scrub the skill blocks nothing,
nor does a number whose `expiredDate` has passed. A pass runs whether or not the skill is
running: the control API decides when.

**Runs** (`POST /_sim/admin/skills/{id}/dial-until`, see `simulator.dialing` for the steps,
attempt rules and outcomes) attempt calls while the skill is running. At each step a record
of the skill's lists is due (`due_records`) when none of its numbers is held by a DNC group
that scrubs the skill at that moment, its zone (`zones.record_zone`) is known and the step
is within 08:00-21:00 there, its `CallRequestDateTime` has come, and the attempt rules allow
it (its attempts are counted by skill, list and external id). Removed records have left the
list and are never due. The record's first number is dialled.

>>> from datetime import UTC, datetime
>>> from simulator.admin.calllists import CallingList
>>> from simulator.admin.dnc import DncGroup
>>> now = datetime(2026, 3, 2, 15, tzinfo=UTC)
>>> held = {"expiredDate": None, "dateCollected": now, "lastUpdateTime": now}
>>> group = DncGroup(301, "Internal DNC", "", now, now, {"2125550102": held}, [4100001])
>>> calling_list = CallingList(5001, "Renewals", {}, [("PhoneNumber", "phone")], [], None,
...     now, now, records=[{"ExternalId": "c1", "PhoneNumber": "2125550101"},
...                        {"ExternalId": "c2", "PhoneNumber": "2125550102"}])
>>> [(e["externalId"], e["outcome"], e["dncGroupIds"])
...  for e in dial_pass(4100001, [calling_list], [group], now)]
[('c1', 'offered', []), ('c2', 'scrubbed', [301])]
>>> [e["outcome"] for e in dial_pass(4100002, [calling_list], [group], now)]
['offered', 'offered']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from ..clock import iso
from ..dialing import AttemptBook, DialUntil, within_window
from .calllists import CallingList
from .dnc import DncGroup
from .zones import call_request_time, record_zone


def blocked_numbers(
    groups: Iterable[DncGroup], skill_ids: Iterable[int], now: datetime
) -> dict[str, list[int]]:
    """Each number held now by a group that scrubs one of `skill_ids`, with those groups' ids."""
    skills = set(skill_ids)
    blocked: dict[str, list[int]] = {}
    for group in groups:
        if skills & set(group.scrubbed_skill_ids):
            for phone in group.active(now):
                blocked.setdefault(phone, []).append(group.group_id)
    return blocked


def _entry(
    skill_id: int,
    calling_list: CallingList,
    record: dict,
    blocked: dict[str, list[int]],
    at: str,
) -> dict:
    """The log entry of one record. `phone` is its first blocked number when it is
    scrubbed, else its first number."""
    phones = [record[f] for f, _ in calling_list.destinations if record.get(f)]
    held = [phone for phone in phones if phone in blocked]
    return {
        "skillId": skill_id,
        "listId": calling_list.list_id,
        "externalId": record.get("ExternalId", ""),
        "phone": (held or phones or [""])[0],
        "outcome": "scrubbed" if held else "offered",
        "dncGroupIds": sorted({group_id for phone in held for group_id in blocked[phone]}),
        "at": at,
    }


def dial_pass(
    skill_id: int, lists: Iterable[CallingList], groups: Iterable[DncGroup], now: datetime
) -> list[dict]:
    """One entry per record of `lists` (the skill's), in order: offered or scrubbed."""
    blocked = blocked_numbers(groups, [skill_id], now)
    at = iso(now)
    return [
        _entry(skill_id, calling_list, record, blocked, at)
        for calling_list in lists
        for record in calling_list.records
    ]


def expired(record: dict, at: datetime) -> bool:
    """Whether the record's `ExpirationDate` has passed at `at` (it expires at the end of
    that day, UTC: the strict reading; the platform's hour was not found).

    >>> from datetime import UTC
    >>> expired({"ExpirationDate": "2026-12-08T00:00:00.000Z"}, datetime(2026, 12, 9, tzinfo=UTC))
    True
    >>> expired({}, datetime(2026, 12, 9, tzinfo=UTC))
    False
    """
    text = str(record.get("ExpirationDate") or "")[:10]
    try:
        day = datetime.fromisoformat(text).date()
    except ValueError:
        return False
    return at.date() > day


def due_records(
    skill_id: int,
    lists: Iterable[CallingList],
    groups: Iterable[DncGroup],
    book: AttemptBook,
    at: datetime,
    rules: DialUntil,
) -> Iterator[tuple[CallingList, dict, str, tuple]]:
    """(list, record, number to dial, attempt key) of each record due at `at`, in list then
    record order. Lazy: an attempt the caller books before taking the next one counts."""
    blocked = blocked_numbers(groups, [skill_id], at)
    for calling_list in lists:
        for record in calling_list.records:
            phones = [record[f] for f, _ in calling_list.destinations if record.get(f)]
            if not phones or any(phone in blocked for phone in phones):
                continue
            if expired(record, at):
                continue
            zone = record_zone(record)
            if zone is None or not within_window(at, zone):
                continue
            requested = call_request_time(record, zone)
            if requested is False or (requested is not None and requested > at):
                continue
            key = (skill_id, calling_list.list_id, record.get("ExternalId", ""))
            if book.due(key, at, rules):
                yield calling_list, record, phones[0], key


class DialLog:
    """Every entry of every pass so far, oldest first."""

    def __init__(self) -> None:
        self._entries: list[dict] = []

    def clear(self) -> None:
        self._entries.clear()

    def add(self, entries: list[dict]) -> None:
        self._entries += entries

    def entries(self, skill_id: int | None = None) -> list[dict]:
        """The entries, only the skill's when `skill_id` is given."""
        return [e for e in self._entries if skill_id is None or e["skillId"] == skill_id]
