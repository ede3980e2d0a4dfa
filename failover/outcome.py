"""What one evaluation of a pair did, and a fleet's row for it: typed, and JSON-able.

The flows return `as_dict()` of these (the keys SPEC pins: `primary_campaign_id`,
`backup_campaign_id`, `action`, ...); `Action` is a `StrEnum`, so an action compares equal to
its text (`Action.FAILOVER == "failover"`) and serialises as it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """What a monitor, fleet or restore run did about a pair.

    Example:
        >>> Action("failover") is Action.FAILOVER and Action.FAILOVER == "failover"
        True
    """

    NONE = "none"
    INSUFFICIENT_DATA = "insufficient_data"
    FAILOVER = "failover"
    ALREADY_FAILED_OVER = "already_failed_over"
    ERROR = "error"
    RESTORED = "restored"
    NOTHING_TO_RESTORE = "nothing_to_restore"


def campaign_label(campaign_id: str, name: str | None) -> str:
    """A campaign as people read it: its name with its id beside, or the id alone.

    Example:
        >>> campaign_label("cmp_381b4dd415", "Renewals"), campaign_label("cmp_381b4dd415", None)
        ('Renewals (cmp_381b4dd415)', 'cmp_381b4dd415')
    """
    return f"{name} ({campaign_id})" if name else campaign_id


@dataclass(frozen=True)
class AbandonmentSummary:
    """The dialling campaign's 30-day abandonment, as last read."""

    campaign_id: str
    rate: float
    level: str
    checked_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready.

        Example:
            >>> at = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
            >>> AbandonmentSummary("cmp_a", 0.01, "ok", at).as_dict()["checked_at"]
            '2026-11-30T12:00:00+00:00'
        """
        return {
            "campaign_id": self.campaign_id,
            "rate": self.rate,
            "level": self.level,
            "checked_at": self.checked_at.isoformat(),
        }


@dataclass(frozen=True)
class PairOutcome:
    """One evaluation of one pair (or why it could not be evaluated: `Action.ERROR`)."""

    primary_campaign_id: str
    backup_campaign_id: str
    action: Action
    reason: str
    episode: int | None = None
    record: str | None = None
    success_rate: float | None = None
    calls: int | None = None
    abandonment: AbandonmentSummary | None = None
    primary_name: str | None = None
    backup_name: str | None = None

    @property
    def primary(self) -> str:
        """The primary as people read it ("Renewals (cmp_a)")."""
        return campaign_label(self.primary_campaign_id, self.primary_name)

    @property
    def backup(self) -> str:
        """The backup as people read it."""
        return campaign_label(self.backup_campaign_id, self.backup_name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the keys the flows have always returned (unknown ones left out).

        Example:
            >>> PairOutcome("cmp_a", "cmp_b", Action.NONE, "healthy", episode=1).as_dict()
            {'primary_campaign_id': 'cmp_a', 'backup_campaign_id': 'cmp_b', 'action': 'none', \
'reason': 'healthy', 'episode': 1}
        """
        values: dict[str, Any] = {
            "primary_campaign_id": self.primary_campaign_id,
            "backup_campaign_id": self.backup_campaign_id,
            "action": self.action.value,
            "reason": self.reason,
        }
        optional = {
            "episode": self.episode,
            "record": self.record,
            "success_rate": self.success_rate,
            "calls": self.calls,
            "abandonment": self.abandonment.as_dict() if self.abandonment else None,
            "primary_name": self.primary_name,
            "backup_name": self.backup_name,
        }
        values.update({key: value for key, value in optional.items() if value is not None})
        return values


@dataclass(frozen=True)
class FleetRow:
    """A pair's line in the fleet's table artifact (text, as people read it)."""

    primary: str
    backup: str
    action: str
    success_rate: str
    calls: str
    abandonment: str
    reason: str

    @classmethod
    def of(cls, outcome: PairOutcome) -> FleetRow:
        """The row of one outcome.

        Example:
            >>> FleetRow.of(PairOutcome("a", "b", Action.NONE, "ok", success_rate=0.4,
            ...                         calls=120)).success_rate
            '40.0%'
        """
        rate, abandonment = outcome.success_rate, outcome.abandonment
        return cls(
            primary=outcome.primary,
            backup=outcome.backup,
            action=outcome.action.value,
            success_rate=f"{rate:.1%}" if rate is not None else "",
            calls=str(outcome.calls) if outcome.calls is not None else "",
            abandonment=f"{abandonment.rate:.2%}" if abandonment else "",
            reason=outcome.reason,
        )

    def as_dict(self) -> dict[str, str]:
        """The table's columns, as the artifact shows them."""
        return {
            "primary": self.primary,
            "backup": self.backup,
            "action": self.action,
            "success rate": self.success_rate,
            "calls": self.calls,
            "abandonment": self.abandonment,
            "reason": self.reason,
        }
