"""The abandonment guard's routine readings, kept per fleet run in one create-only document.

A fleet reads each dialling campaign's 30-day abandonment every few minutes: at 2,000 pairs,
some 400 readings a run. Written into each pair's `FailoverState`, every reading was a write
to the Prefect server (the first one a document created), and those writes were most of a
large fleet's run. A fleet run now keeps its routine readings (the level `ok` or
`no_answered_calls`) together in one `GuardReadings` document it creates at its end; a
reading at the warning level or over the limit is still written into the pair's state at
once, as a lone run writes every reading.

Readers (`blocks.failover.load_state`, `load_states`, the dashboard) take for each pair the
newest reading, from its state or from these documents, by the reading's own time. A
document whose every reading is superseded (a newer one is kept elsewhere) is deleted by the
next fleet run: a few documents are kept at any time.
"""

from __future__ import annotations

import datetime as dt

from prefect.blocks.core import Block
from pydantic import BaseModel, Field, HttpUrl

from . import clock


class GuardReading(BaseModel):
    """One reading of a pair's dialling campaign's 30-day abandonment."""

    primary_campaign_id: str = Field(description="The pair's primary campaign.")
    campaign_id: str = Field(description="The campaign read (the primary or the backup).")
    rate: float | None = Field(default=None, description="The 30-day abandonment rate.")
    level: str = Field(description="ok or no_answered_calls (routine levels only).")
    checked_at: dt.datetime = Field(description="When it was read.")


class GuardReadings(Block):
    """The abandonment guard's routine readings of one fleet run, created once.

    Example:
        ```python
        from blocks import GuardReadings

        readings = GuardReadings.load("BLOCK_NAME")
        print(readings.written_at, len(readings.readings))
        ```
    """

    _block_type_name = "CXone Guard Readings"
    _description = (
        "The abandonment guard's routine readings (level ok) of one monitor-fleet run, one "
        "per pair read; each pair's newest reading is the one its state shows."
    )
    _documentation_url = HttpUrl("https://docs.prefect.io/v3/develop/blocks")
    _code_example = """```python
from blocks import GuardReadings

readings = GuardReadings.load("BLOCK_NAME")
print(readings.written_at, len(readings.readings))
```"""

    readings: list[GuardReading] = Field(
        default_factory=list, description="The readings, one per pair read."
    )
    written_at: dt.datetime = Field(default_factory=clock.now, description="When.")
