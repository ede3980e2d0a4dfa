"""The failover pair block: which backup serves which primary, and when to switch."""

from __future__ import annotations

import datetime as dt

from prefect.blocks.core import Block
from pydantic import Field

from .idempotency import record_name


def pair_block_name(primary_campaign_id: str) -> str:
    """Where the pair of a primary campaign is saved.

    Example:
        >>> pair_block_name("cmp_0A1B")
        'pair-cmp-0a1b'
    """
    return record_name("pair", primary_campaign_id)


class FailoverPair(Block):
    """A primary campaign, its backup, and the success-rate rule that switches between them.

    The monitoring schedule, the dashboard (which raises the low-success event) and the
    event-triggered failover all read this one block, so they cannot disagree.

    Example:
        ```python
        from blocks import FailoverPair, pair_block_name

        FailoverPair(primary_campaign_id="cmp_a", backup_campaign_id="cmp_b").save(
            pair_block_name("cmp_a"), overwrite=True
        )
        ```
    """

    _block_type_name = "CXone Failover Pair"
    _description = (
        "A primary CXone campaign, the paused backup that replaces it, and the success-rate "
        "threshold, window and minimum call count that trigger the switch."
    )
    _documentation_url = "https://docs.prefect.io/v3/develop/blocks"
    _code_example = """```python
from blocks import FailoverPair

pair = FailoverPair.load("BLOCK_NAME")
print(pair.primary_campaign_id, pair.backup_campaign_id, pair.threshold)
```"""

    primary_campaign_id: str = Field(description="Campaign paused when its success rate falls.")
    backup_campaign_id: str = Field(description="Paused campaign resumed in its place.")
    credentials_block: str = Field(
        default="cxone", description="Name of the CXoneCredentials block to use."
    )
    threshold: float = Field(
        default=0.15, ge=0, le=1, description="Fail over below this success rate."
    )
    window_minutes: int = Field(
        default=30, gt=0, description="Minutes of calls the success rate is computed over."
    )
    min_calls: int = Field(
        default=50, ge=1, description="Calls needed in the window before the rate is trusted."
    )
    consecutive_breaches: int = Field(
        default=1, ge=1, description="Low evaluations in a row needed to fail over."
    )
    cooldown_minutes: int = Field(
        default=0, ge=0, description="Minutes after a reset during which no failover starts."
    )
    episode: int = Field(
        default=1, ge=1, description="Failover episode; reset_failover opens the next one."
    )
    episode_started_at: dt.datetime | None = Field(
        default=None, description="When the current episode was opened by reset_failover."
    )
    consecutive_low: int = Field(
        default=0, ge=0, description="Low readings in a row so far in this episode."
    )
