"""Failover and abandonment decisions: plain functions on plain data, no I/O, no Prefect.

`flows.monitor` feeds them a metrics reading, the pair's policy and its recent history, and
acts on the answers.
"""

from .abandonment import (
    DEFAULT_WARNING,
    SAFE_HARBOR,
    AbandonmentReading,
    AbandonmentVerdict,
    judge_abandonment,
)
from .decision import Decision, FailoverPolicy, History, Reading, decide, fresh_window
from .outcome import AbandonmentSummary, Action, FleetRow, PairOutcome, campaign_label

__all__ = [
    "DEFAULT_WARNING",
    "SAFE_HARBOR",
    "AbandonmentReading",
    "AbandonmentSummary",
    "AbandonmentVerdict",
    "Action",
    "Decision",
    "FailoverPolicy",
    "FleetRow",
    "History",
    "PairOutcome",
    "Reading",
    "campaign_label",
    "decide",
    "fresh_window",
    "judge_abandonment",
]
