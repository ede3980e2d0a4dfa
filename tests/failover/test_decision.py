"""Every branch of the failover decision, as a table."""

import datetime as dt

import pytest

from failover import FailoverPolicy, History, Reading, decide

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
POLICY = FailoverPolicy(threshold=0.15, min_calls=50)
STRICT = FailoverPolicy(threshold=0.15, min_calls=50, consecutive_breaches=3)
COOL = FailoverPolicy(threshold=0.15, min_calls=50, cooldown=dt.timedelta(minutes=10))


@pytest.mark.parametrize(
    ("rate", "calls", "policy", "history", "action", "low_after"),
    [
        (0.40, 200, POLICY, History(), "none", 0),  # healthy
        (0.15, 200, POLICY, History(), "none", 0),  # exactly at the threshold is healthy
        (0.1499, 200, POLICY, History(), "failover", 1),  # just below
        (0.05, 49, POLICY, History(), "insufficient_data", 0),  # one call short
        (0.05, 50, POLICY, History(), "failover", 1),  # exactly min_calls counts
        (0.00, 0, POLICY, History(), "insufficient_data", 0),  # nothing dialled yet
        (0.05, 10, STRICT, History(consecutive_low=2), "insufficient_data", 2),  # keeps the count
        (0.40, 200, STRICT, History(consecutive_low=2), "none", 0),  # healthy clears it
        (0.05, 200, STRICT, History(consecutive_low=0), "none", 1),  # 1 of 3
        (0.05, 200, STRICT, History(consecutive_low=1), "none", 2),  # 2 of 3
        (0.05, 200, STRICT, History(consecutive_low=2), "failover", 3),  # 3 of 3
        (0.05, 200, COOL, History(episode_started_at=NOW - MINUTE * 5), "none", 1),
        (0.05, 200, COOL, History(episode_started_at=NOW - MINUTE * 10), "failover", 1),
        (0.05, 200, COOL, History(episode_started_at=None), "failover", 1),
    ],
)
def test_decide(rate, calls, policy, history, action, low_after):
    decision = decide(Reading(rate, calls, NOW), policy, history)
    assert (decision.action, decision.consecutive_low) == (action, low_after)
    assert decision.reason


def test_cooldown_reason_names_when_it_ends():
    history = History(episode_started_at=NOW - dt.timedelta(minutes=5))
    assert "12:05" in decide(Reading(0.05, 200, NOW), COOL, history).reason
