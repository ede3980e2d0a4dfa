"""Run the failover in the serving process the moment the low-success event arrives.

The `failover-on-low-success` trigger starts a new flow-run process, which costs a runner poll
and a Python start-up (2-3 s here). This listener, running in the already warm `serve`
process, calls the same flow directly; the triggered run that follows finds the failover
claimed or done and returns. The trigger stays the path that works when no serve process is
listening (workers pulling from a pool).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

from flows.monitor import monitor_campaigns

from .definitions import FAILOVER_PARAMETERS, LOW_SUCCESS_EVENT

logger = logging.getLogger("deployments.responder")


async def _fail_over(parameters: dict) -> None:
    try:
        result = await monitor_campaigns(**parameters)
        logger.info("Responded to %s: %s", LOW_SUCCESS_EVENT, result["action"])
    except Exception:
        # The flow run records its own failure; the listener must keep listening.
        logger.exception("Failover for %s failed", parameters.get("primary_campaign_id"))


async def respond_to_low_success() -> None:
    """Listen for low-success events from now on and run the failover for each."""
    events = EventFilter(
        event=EventNameFilter(name=[LOW_SUCCESS_EVENT]),
        occurred=EventOccurredFilter(since=dt.datetime.now(dt.UTC)),  # no backlog replay
    )
    running: set[asyncio.Task] = set()
    async with get_events_subscriber(filter=events) as subscriber:
        async for event in subscriber:
            parameters = {name: event.payload[name] for name in FAILOVER_PARAMETERS}
            task = asyncio.create_task(_fail_over(parameters))
            running.add(task)
            task.add_done_callback(running.discard)
