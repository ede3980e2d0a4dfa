"""Flow-run names made from a run's parameters, so that the UI's list says what each run did."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from prefect.runtime import flow_run

from blocks import clock

from ._words import plural


def _day(value: object, zone: str) -> dt.date | None:
    """The run's day: parameters from a deployment arrive as text ("today", "2026-11-30");
    "today" by the flows' clock, as the run itself reads it."""
    # Imported here: `dial_lists` brings pandas and pyarrow (0.4 s), which the monitoring
    # flows' processes (this module names their runs too) never need.
    from dial_lists import campaign_day

    if isinstance(value, str) and value != "today":
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return None  # the flow itself reports the bad value
    try:
        return campaign_day(value, zone, clock.now())  # type: ignore[arg-type]
    except ValueError:
        return None


def for_day_run_name(verb: str, subject: str) -> Callable[[], str]:
    """A `flow_run_name` of `verb`, the `subject` parameter, and the day list's date.

    For example "export CL-DEMO for 2026-11-30" ("today" resolved in the run's `zone`), or
    "export CL-DEMO" when the run evaluates an instant instead.
    """

    def name() -> str:
        parameters = flow_run.get_parameters()
        day = _day(parameters.get("for_day"), parameters.get("zone") or "America/New_York")
        return f"{verb} {parameters.get(subject)}" + (f" for {day.isoformat()}" if day else "")

    return name


def pairs_run_name() -> str:
    """The `flow_run_name` of `monitor_pairs`: "monitor 12 pairs", or "monitor cmp_1" alone."""
    primaries = list(flow_run.get_parameters().get("primary_campaign_ids") or [])
    if len(primaries) == 1:
        return f"monitor {primaries[0]}"
    return f"monitor {plural(len(primaries), 'pair')}"
