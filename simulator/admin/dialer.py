"""What a skill would dial: dialing passes run through the control API, and the log they leave.

The stand-in places no calls. A pass of a skill walks every record of every calling list the
skill dials (the non-deleted lists an upload attached it to), in list then record order, and
logs one entry per record: "scrubbed" when a DNC group that scrubs the skill holds one of the
record's numbers (any destination field) on the simulator's clock, "offered" otherwise. A
group that does not scrub the skill blocks nothing, nor does a number whose `expiredDate` has
passed. A pass runs whether or not the skill is running: the control API decides when.

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

from collections.abc import Iterable
from datetime import datetime

from ..clock import iso
from .calllists import CallingList
from .dnc import DncGroup


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
