"""Dialing activity per skill (set through the control API) and the interval summaries the
reporting API answers. Metrics are polled: the platform pushes nothing.

A summary sums the activity whose time falls in [startDate, endDate), so a 30-minute window
and a 30-day window read the same records. Like the platform's reporting endpoints it
answers every number as a string. `abandonRate` is a percentage, abandons over handled plus
abandons, rounded to two decimals: the unit was not found, and a client that takes it for a
fraction must fail.

>>> row = summary_row({"skillId": 7, "skillName": "S", "campaignId": 1, "campaignName": "C",
...                    "mediaTypeId": 4, "mediaTypeName": "Phone Call", "isOutbound": True},
...                   {"dials": 40, "connects": 10, "rightPartyConnects": 8, "abandons": 1,
...                    "handled": 9, "offered": 10}, active_calls=2)
>>> row["dials"], row["connects"], row["abandonCount"], row["abandonRate"], row["isOutbound"]
('40', '10', '1', '10', True)
"""

from __future__ import annotations

from datetime import datetime

COUNTS = ("dials", "connects", "rightPartyConnects", "abandons", "handled", "offered")


class SkillActivity:
    def __init__(self) -> None:
        self._records: dict[int, list[dict]] = {}

    def clear(self) -> None:
        self._records.clear()

    def add(self, skill_id: int, at: datetime, counts: dict[str, int]) -> None:
        self._records.setdefault(skill_id, []).append({"at": at, **counts})

    def records(self, skill_id: int) -> list[dict]:
        return self._records.get(skill_id, [])

    def totals(self, skill_id: int, start: datetime, end: datetime) -> dict[str, int]:
        """Each count summed over the records at or after `start` and before `end`."""
        inside = [r for r in self.records(skill_id) if start <= r["at"] < end]
        return {count: sum(r[count] for r in inside) for count in COUNTS}


def summary_row(skill: dict, totals: dict[str, int], active_calls: int) -> dict:
    """One entry of `skillSummaries` for a skill view and its interval totals."""
    abandons, handled = totals["abandons"], totals["handled"]
    rate = 100 * abandons / (handled + abandons) if handled + abandons else 0
    return {
        "skillId": str(skill["skillId"]),
        "skillName": skill["skillName"],
        "campaignId": str(skill["campaignId"]),
        "campaignName": skill["campaignName"],
        "mediaTypeId": str(skill["mediaTypeId"]),
        "mediaTypeName": skill["mediaTypeName"],
        "isOutbound": skill["isOutbound"],
        "dials": str(totals["dials"]),
        "connects": str(totals["connects"]),
        "connectsAHT": "0",
        "rightPartyConnects": str(totals["rightPartyConnects"]),
        "rightPartyConnectsAHT": "0",
        "abandonCount": str(abandons),
        "abandonRate": f"{round(rate, 2):g}",
        "contactsOffered": str(totals["offered"]),
        "contactsHandled": str(handled),
        "contactsActive": str(active_calls),
        "contactsQueued": "0",
    }
