"""The failover decision: plain functions on plain data, no I/O, no Prefect.

`flows.monitor` feeds it a metrics reading, the pair's policy and its recent history, and
acts on the answer.
"""

from .decision import Decision, FailoverPolicy, History, Reading, decide

__all__ = ["Decision", "FailoverPolicy", "History", "Reading", "decide"]
