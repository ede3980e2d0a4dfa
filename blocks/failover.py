"""A failover pair's configuration (what people save) and its runtime state (what flows keep).

`FailoverPair` is configuration: operators save and edit it, from Python or the Prefect UI,
under any name; the pair blocks are the registry of monitored pairs. Flows never write it.
`FailoverState` is runtime state (the episode, the breach count): flows write it, people don't
need to. Both carry the exact campaign ids as fields, and are found by those fields.
"""

from __future__ import annotations

import datetime as dt

from prefect.blocks.core import Block
from pydantic import Field

from failover import DEFAULT_WARNING, SAFE_HARBOR

from . import _documents
from .idempotency import document_name
from .operation import OperationIdentity

DEFAULT_THRESHOLD = 0.15
DEFAULT_WINDOW_MINUTES = 30
DEFAULT_MIN_CALLS = 50


def pair_block_name(primary_campaign_id: str) -> str:
    """The conventional name of a primary's pair block (any other name works too).

    Example:
        >>> pair_block_name("cmp_0A1B") != pair_block_name("cmp-0a1b")
        True
    """
    return document_name("pair", primary_campaign_id, ["pair", primary_campaign_id])


def state_block_name(primary_campaign_id: str) -> str:
    """Where a primary's failover state is kept."""
    return document_name("pair-state", primary_campaign_id, ["state", primary_campaign_id])


class AmbiguousPair(ValueError):
    """Several FailoverPair blocks name the same primary campaign."""


class FailoverPair(Block):
    """A primary campaign, its backup, and the success-rate rule that switches between them.

    The monitoring flows, the dashboard (which raises the low-success event) and the
    event-triggered failover all read this one block, so they cannot disagree. Saving one
    adds the pair to the fleet; flows never change it.

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

    primary_campaign_id: str = Field(
        min_length=1, description="Campaign paused when its success rate falls."
    )
    backup_campaign_id: str = Field(
        min_length=1, description="Paused campaign resumed in its place."
    )
    credentials_block: str = Field(
        default="cxone",
        description="Credentials block to use: a CXoneCredentials name or '<type-slug>/<name>'.",
    )
    threshold: float = Field(
        default=DEFAULT_THRESHOLD, ge=0, le=1, description="Fail over below this success rate."
    )
    window_minutes: int = Field(
        default=DEFAULT_WINDOW_MINUTES,
        gt=0,
        description="Minutes of calls the success rate is computed over.",
    )
    min_calls: int = Field(
        default=DEFAULT_MIN_CALLS,
        ge=1,
        description="Calls needed in the window before the rate is trusted.",
    )
    consecutive_breaches: int = Field(
        default=1, ge=1, description="Low evaluations in a row needed to fail over."
    )
    cooldown_minutes: int = Field(
        default=0, ge=0, description="Minutes after a restore during which no failover starts."
    )
    abandonment_warning: float = Field(
        default=DEFAULT_WARNING,
        gt=0,
        lt=SAFE_HARBOR,
        description="Warn at this 30-day abandonment rate; at 3% the campaign is paused.",
    )


class FailoverState(Block):
    """Where a pair stands: the failover episode and the low readings in a row.

    Written by the monitoring flows only. An episode ends when `restore_primary` (or
    `reset_failover`) opens the next one; each episode can fail over once.

    Example:
        ```python
        from blocks import FailoverState

        state = FailoverState.load("BLOCK_NAME")
        print(state.primary_campaign_id, state.episode, state.consecutive_low)
        ```
    """

    _block_type_name = "CXone Failover State"
    _description = (
        "Runtime state of a failover pair, kept by the monitoring flows: the current episode, "
        "when it started, and how many low readings came in a row."
    )
    _documentation_url = "https://docs.prefect.io/v3/develop/blocks"
    _code_example = """```python
from blocks import FailoverState

state = FailoverState.load("BLOCK_NAME")
print(state.primary_campaign_id, state.episode, state.consecutive_low)
```"""

    primary_campaign_id: str = Field(description="The pair's primary campaign.")
    episode: int = Field(default=1, ge=1, description="The current failover episode.")
    episode_started_at: dt.datetime | None = Field(
        default=None, description="When the current episode was opened."
    )
    consecutive_low: int = Field(
        default=0, ge=0, description="Low readings in a row so far in this episode."
    )
    abandonment_rate: float | None = Field(
        default=None, description="The dialling campaign's 30-day abandonment rate, last read."
    )
    abandonment_level: str | None = Field(
        default=None, description="ok, warning, over or no_answered_calls, last read."
    )
    abandonment_campaign_id: str | None = Field(
        default=None, description="The campaign the abandonment was read for."
    )
    abandonment_checked_at: dt.datetime | None = Field(
        default=None, description="When the abandonment rate was last read."
    )
    guard_trips: int = Field(
        default=0, ge=0, description="Times the abandonment guard paused a campaign of the pair."
    )


async def find_pair(primary_campaign_id: str) -> FailoverPair | None:
    """The pair whose primary is exactly `primary_campaign_id`, wherever it is saved.

    The conventional name is tried first (one read); a pair saved under another name, for
    example from the UI, is found by scanning every pair block's fields.

    Raises:
        AmbiguousPair: several pair blocks name this primary.
    """
    pair = await _documents.read(FailoverPair, pair_block_name(primary_campaign_id))
    if pair is not None and pair.primary_campaign_id == primary_campaign_id:
        return pair
    found = [
        (name, pair)
        for name, pair in await _documents.read_all(FailoverPair)
        if pair.primary_campaign_id == primary_campaign_id
    ]
    if len(found) > 1:
        names = ", ".join(name for name, _ in found)
        raise AmbiguousPair(
            f"{len(found)} FailoverPair blocks name primary {primary_campaign_id!r} ({names}); "
            "delete all but one"
        )
    return found[0][1] if found else None


async def load_state(primary_campaign_id: str) -> FailoverState:
    """The primary's failover state; a fresh (unsaved) one at episode 1 if none is kept."""
    state = await _documents.read(FailoverState, state_block_name(primary_campaign_id))
    if state is None or state.primary_campaign_id != primary_campaign_id:
        return FailoverState(primary_campaign_id=primary_campaign_id)
    return state


async def save_state(state: FailoverState) -> None:
    """Keep the state (runtime data only: never a pair's configuration), whole."""
    await _documents.keep(state, state_block_name(state.primary_campaign_id))


def failover_identity(pair: FailoverPair, episode: int) -> OperationIdentity:
    """The failover of `pair` in `episode`: one per episode, however many runs race."""
    return OperationIdentity("failover", _subject(pair), episode)


def restore_identity(pair: FailoverPair, episode: int) -> OperationIdentity:
    """The fail-back that closes `episode` of `pair`."""
    return OperationIdentity("restore", _subject(pair), episode)


def guard_identity(pair: FailoverPair, campaign_id: str, trip: int) -> OperationIdentity:
    """The abandonment guard's `trip`-th pause of a campaign of `pair`."""
    return OperationIdentity(
        "abandonment-pause", {**_subject(pair), "campaign_id": campaign_id}, trip
    )


def _subject(pair: FailoverPair) -> dict[str, str]:
    return {
        "primary_campaign_id": pair.primary_campaign_id,
        "backup_campaign_id": pair.backup_campaign_id,
    }


async def open_episode(primary_campaign_id: str, episode: int) -> FailoverState:
    """Make `episode` the primary's current one, from now. Setting the number (not adding
    one) makes a repeated call harmless."""
    state = await load_state(primary_campaign_id)
    state.episode, state.consecutive_low = episode, 0
    state.episode_started_at = dt.datetime.now(dt.UTC)
    await save_state(state)
    return state
