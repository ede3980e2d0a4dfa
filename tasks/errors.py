"""Which CXone failures a Prefect task should retry."""

from __future__ import annotations

from prefect import Task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from cxone import CXoneConflict, CXoneRateLimited, CXoneServerError

RETRY_DELAYS = [1, 4, 16]
RETRY_JITTER = 0.5


class StatusNotConfirmed(Exception):
    """A status change was accepted but a read-back shows the campaign in another status."""


async def retry_transient(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry server errors, rate limits, conflicts and unconfirmed changes; no other errors.

    A 400, 401, 403 or 404 will answer the same way next time, so retrying only delays the
    failure; anything that is not a CXone error (a bug) is not retried either.
    """
    try:
        await state.aresult()
    except (CXoneServerError, CXoneRateLimited, CXoneConflict, StatusNotConfirmed):
        return True
    except Exception:
        return False
    return False


# The options every task that calls CXone shares: backoff with jitter, transient errors only,
# and no result caching (a cached answer to "create" or "pause" would skip the call).
CXONE_TASK_OPTIONS = {
    "retries": len(RETRY_DELAYS),
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_jitter_factor": RETRY_JITTER,
    "retry_condition_fn": retry_transient,
    "cache_policy": NO_CACHE,
}
