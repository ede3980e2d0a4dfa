"""What every task that calls CXone shares: no result caching, and the confirmation error.

No task-level retries: the client already retries what is safe to retry within each call's
deadline, and the exactly-once operations retry across runs with a backoff. A second retry
layer would multiply a hung server's cost (tries x attempts) instead of failing the run.
"""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

# A cached answer to "create" or "pause" would skip the call.
CXONE_TASK_OPTIONS = {"cache_policy": NO_CACHE}

# One API call ends within the credentials' deadline (at most 60 s); a task's timeout leaves
# room for the calls it makes.
ONE_CALL_SECONDS = 75
TWO_CALLS_SECONDS = 135
THREE_CALLS_SECONDS = 195


class StatusNotConfirmed(Exception):
    """A status change was accepted but a read-back shows the campaign in another status."""
