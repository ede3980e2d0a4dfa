"""Should the primary campaign be failed over, given one success-rate reading?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .outcome import Action


@dataclass(frozen=True)
class Reading:
    """The primary's numbers over the evaluation window."""

    success_rate: float
    calls_attempted: int
    at: dt.datetime


@dataclass(frozen=True)
class FailoverPolicy:
    """Fail over below `threshold` once `min_calls` make the rate meaningful.

    `consecutive_breaches` low readings in a row are needed (1: the first), and no failover
    starts within `cooldown` of the episode's start, so a restored primary is not switched
    away again on its first noisy reading.
    """

    threshold: float
    min_calls: int
    consecutive_breaches: int = 1
    cooldown: dt.timedelta = dt.timedelta(0)


@dataclass(frozen=True)
class History:
    """What earlier readings of this episode left behind."""

    consecutive_low: int = 0
    episode_started_at: dt.datetime | None = None


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    consecutive_low: int  # carry into the next reading's History


def decide(reading: Reading, policy: FailoverPolicy, history: History) -> Decision:
    """Decide on one reading.

    A window with too few calls says nothing either way, so it neither counts as a breach nor
    clears earlier ones. A rate exactly at the threshold is healthy ("below" is strict).

    Example:
        >>> at = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
        >>> decide(Reading(0.05, 120, at), FailoverPolicy(0.15, 50), History()).action
        <Action.FAILOVER: 'failover'>
        >>> decide(Reading(0.05, 10, at), FailoverPolicy(0.15, 50), History()).action
        <Action.INSUFFICIENT_DATA: 'insufficient_data'>
    """
    if reading.calls_attempted < policy.min_calls:
        return Decision(
            Action.INSUFFICIENT_DATA,
            f"{reading.calls_attempted} calls in the window, {policy.min_calls} needed",
            history.consecutive_low,
        )
    if reading.success_rate >= policy.threshold:
        return Decision(
            Action.NONE, f"success rate {reading.success_rate:.1%} is at or above threshold", 0
        )
    low = history.consecutive_low + 1
    if low < policy.consecutive_breaches:
        needed = policy.consecutive_breaches
        return Decision(Action.NONE, f"success rate low {low} of {needed} times needed", low)
    started = history.episode_started_at
    if started is not None and reading.at < started + policy.cooldown:
        until = started + policy.cooldown
        return Decision(Action.NONE, f"cooling down until {until:%H:%M} UTC", low)
    return Decision(
        Action.FAILOVER,
        f"success rate {reading.success_rate:.1%} below {policy.threshold:.1%} "
        f"over {reading.calls_attempted} calls",
        low,
    )


def fresh_window(
    window_minutes: int, episode_started_at: dt.datetime | None, now: dt.datetime
) -> int:
    """Minutes of calls to judge: the pair's window, cut to the whole minutes since the
    episode began, so that a restored primary is judged on calls made after the restore
    (0: not a whole minute yet, nothing to judge).

    Example:
        >>> began = dt.datetime(2026, 11, 30, 12, 24, 56, tzinfo=dt.UTC)
        >>> fresh_window(30, began, began + dt.timedelta(seconds=45))
        0
        >>> fresh_window(30, began, began + dt.timedelta(minutes=7, seconds=5))
        7
        >>> fresh_window(30, None, began), fresh_window(30, began, began + dt.timedelta(hours=2))
        (30, 30)
    """
    if episode_started_at is None:
        return window_minutes
    since = int((now - episode_started_at).total_seconds() // 60)
    return max(0, min(window_minutes, since))
