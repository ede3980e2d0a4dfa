"""A failover pair's configuration (what people save) and its runtime state (what flows keep).

`FailoverPair` is configuration: operators save and edit it, from Python or the Prefect UI,
under any name; the pair blocks are the registry of monitored pairs. Flows never write its
settings; they only add the campaigns' display names, field by field (`save_names`).
`FailoverState` is runtime state (the episode, the breach count, the guard's trips): flows
change it field group by field group, by compare-and-set (`blocks.state`), so a run never
writes back a value it read earlier and episode numbers only move forward. Both carry the
exact campaign ids as fields, and are found by those fields.

A backup serves one failover at a time: `blocks.backup_claims`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar, Self

from prefect.blocks.core import Block
from pydantic import Field, HttpUrl, model_validator

from failover import DEFAULT_WARNING, SAFE_HARBOR, campaign_label

from . import _documents, _prefect, clock, state
from .idempotency import document_name
from .operation import OperationIdentity
from .readings import GuardReading, GuardReadings
from .state import VersionedState

DEFAULT_THRESHOLD = 0.15
DEFAULT_WINDOW_MINUTES = 30
DEFAULT_MIN_CALLS = 50
# After a restore (a new episode) no failover starts for this long: the restored primary's
# first minutes are judged on few calls, and an operator who just failed back wants to see
# it dial before the monitor may switch it away again.
DEFAULT_COOLDOWN_MINUTES = 15


class InvalidPair(ValueError):
    """A pair that cannot work: its primary is its own backup."""


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
    adds the pair to the fleet; flows never change its settings. `campaign_names` is for
    people only (run names, artifacts, the fleet's table): the monitor fills in what is
    missing, and nothing ever finds a campaign by it.

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
    _documentation_url = HttpUrl("https://docs.prefect.io/v3/develop/blocks")
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
        default=DEFAULT_COOLDOWN_MINUTES,
        ge=0,
        description="Minutes after a restore (a new episode) during which no failover starts.",
    )
    abandonment_warning: float = Field(
        default=DEFAULT_WARNING,
        gt=0,
        lt=SAFE_HARBOR,
        description="Warn at this 30-day abandonment rate; at 3% the campaign is paused.",
    )
    campaign_names: dict[str, str] = Field(
        default_factory=dict,
        description="Display only: the campaigns' names by id, as the platform gave them "
        "(filled in by the monitor when missing). Never used to find a campaign.",
    )

    def label(self, campaign_id: str) -> str:
        """A campaign of the pair as people read it: its name, then its id.

        Example:
            >>> pair = FailoverPair(primary_campaign_id="cmp_a", backup_campaign_id="cmp_b",
            ...                     campaign_names={"cmp_a": "Renewals"})
            >>> pair.label("cmp_a"), pair.label("cmp_b")
            ('Renewals (cmp_a)', 'cmp_b')
        """
        return campaign_label(campaign_id, self.campaign_names.get(campaign_id))

    def unnamed(self) -> list[str]:
        """The pair's campaigns whose names are not kept yet."""
        ids = (self.primary_campaign_id, self.backup_campaign_id)
        return [campaign_id for campaign_id in ids if not self.campaign_names.get(campaign_id)]

    @model_validator(mode="after")
    def _primary_is_not_its_backup(self) -> Self:
        problem = pair_problem(self.primary_campaign_id, self.backup_campaign_id)
        if problem:
            raise ValueError(problem)
        return self


def pair_problem(primary_campaign_id: str, backup_campaign_id: str) -> str | None:
    """Why a pair cannot work, or None.

    Example:
        >>> pair_problem("cmp_a", "cmp_a")  # doctest: +ELLIPSIS
        "primary and backup are the same campaign ('cmp_a'): ..."
        >>> pair_problem("cmp_a", "cmp_b") is None
        True
    """
    if primary_campaign_id == backup_campaign_id:
        return (
            f"primary and backup are the same campaign ({primary_campaign_id!r}): a failover "
            "would pause the only campaign"
        )
    return None


def check_pair(primary_campaign_id: str, backup_campaign_id: str) -> None:
    """Refuse a pair that cannot work (where it runs: a pair saved from the UI skips the
    block's own validation until it is loaded).

    Raises:
        InvalidPair: the primary is its own backup.

    Example:
        >>> check_pair("cmp_a", "cmp_b")
        >>> check_pair("cmp_a", "cmp_a")
        Traceback (most recent call last):
        ...
        blocks.failover.InvalidPair: primary and backup are the same campaign ('cmp_a'): ...
    """
    problem = pair_problem(primary_campaign_id, backup_campaign_id)
    if problem:
        raise InvalidPair(problem)


class FailoverState(VersionedState):
    """Where a pair stands: the failover episode and the low readings in a row.

    Written by the monitoring flows only, a field group at a time by compare-and-set
    (`blocks.state`): `episode` (with when it started), `low` (the low readings in a row, for
    the episode they were counted in) and `guard` (the guard's trips). An episode ends when
    `restore_primary` (or `reset_failover`) opens the next one; each episode can fail over
    once, and episode numbers only move forward. The guard's last reading is kept here too,
    except a fleet run's routine readings, which `GuardReadings` documents hold: read a pair's
    newest with `load_state`.

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
    _documentation_url = HttpUrl("https://docs.prefect.io/v3/develop/blocks")
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
        default=0, ge=0, description="Low readings in a row, counted in `low_episode`."
    )
    low_episode: int | None = Field(
        default=None, description="The episode `consecutive_low` was counted in."
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
    episode_version: int = Field(default=0, ge=0, description="Changes of the episode so far.")
    low_version: int = Field(default=0, ge=0, description="Changes of the low count so far.")
    guard_version: int = Field(default=0, ge=0, description="Changes of the guard trips so far.")

    _groups: ClassVar[dict[str, tuple[str, ...]]] = {
        "episode": ("episode", "episode_started_at"),
        "low": ("consecutive_low", "low_episode"),
        "guard": ("guard_trips",),
    }

    @property
    def low_readings(self) -> int:
        """Low readings in a row in the current episode (a count from an earlier one is 0).

        Example:
            >>> FailoverState(primary_campaign_id="a", episode=2, consecutive_low=1,
            ...               low_episode=1).low_readings
            0
        """
        if self.low_episode is not None and self.low_episode != self.episode:
            return 0
        return self.consecutive_low


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


async def save_names(pair: FailoverPair, names: dict[str, str]) -> bool:
    """Keep the names of the pair's campaigns among `names` in its block (only the
    `campaign_names` field is written: an operator's concurrent edit of a setting stands).
    A pair that is not saved, or that knows these names already, is not written.

    Returns:
        Whether the block was written.
    """
    ids = (pair.primary_campaign_id, pair.backup_campaign_id)
    new = {cid: name for cid, name in names.items() if cid in ids and name}
    if _prefect.document_id(pair) is None or all(
        pair.campaign_names.get(cid) == name for cid, name in new.items()
    ):
        return False
    pair.campaign_names = {**pair.campaign_names, **new}
    await _documents.update(pair, "campaign_names")
    return True


async def load_state(primary_campaign_id: str) -> FailoverState:
    """The primary's failover state, with every change made so far and the guard's newest
    reading; a fresh (unsaved) one at episode 1 if none is kept."""
    kept = await state.load(FailoverState, state_block_name(primary_campaign_id))
    if kept is None or kept.primary_campaign_id != primary_campaign_id:
        kept = FailoverState(primary_campaign_id=primary_campaign_id)
    states = {primary_campaign_id: kept}
    newest_readings(states, await read_readings(), primaries={primary_campaign_id})
    return kept


async def load_states() -> dict[str, FailoverState]:
    """Every pair's state by primary, with every change made so far and the guard's newest
    readings (a fleet's in bulk). A pair whose only trace is a reading is a fresh (unsaved)
    state holding it."""
    return (await load_fleet_states())[0]


async def load_fleet_states(
    primaries: Iterable[str] | None = None,
) -> tuple[dict[str, FailoverState], list[GuardReadings]]:
    """`load_states()`, and the readings documents it read (for `save_readings`).

    `primaries`: only these pairs' states (a storm's batch of a large fleet reads its own
    few, in one or two requests, instead of every pair's); a state found under a primary's
    name is that primary's only when its field says so.
    """
    if primaries is None:
        named = await state.load_many(FailoverState)
        wanted = None
    else:
        wanted = set(primaries)
        names = [state_block_name(primary) for primary in sorted(wanted)]
        named = await state.load_named(FailoverState, names)
    states = {
        kept.primary_campaign_id: kept
        for _, kept in named
        if wanted is None or kept.primary_campaign_id in wanted
    }
    documents = await read_readings()
    newest_readings(states, documents, primaries=wanted)
    return states, documents


async def read_readings() -> list[GuardReadings]:
    """Every fleet run's routine guard readings still kept (see `blocks.readings`)."""
    return [document for _, document in await _documents.read_all(GuardReadings)]


def newest_readings(
    states: dict[str, FailoverState],
    documents: Iterable[GuardReadings],
    primaries: set[str] | None = None,
) -> None:
    """Give each state the newest of its own reading and those in `documents`, by the time
    read (in memory only: nothing is written). A primary with a reading and no state gets a
    fresh one (only among `primaries`, when given).

    Example:
        >>> at = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
        >>> states = {"a": FailoverState(primary_campaign_id="a", abandonment_level="over",
        ...                              abandonment_checked_at=at)}
        >>> newer = GuardReading(primary_campaign_id="a", campaign_id="a", rate=0.01,
        ...                      level="ok", checked_at=at + dt.timedelta(minutes=5))
        >>> newest_readings(states, [GuardReadings(readings=[newer])])
        >>> states["a"].abandonment_level, states["a"].abandonment_rate
        ('ok', 0.01)
    """
    for document in documents:
        for reading in document.readings:
            primary = reading.primary_campaign_id
            if primaries is not None and primary not in primaries:
                continue
            kept = states.get(primary) or states.setdefault(
                primary, FailoverState(primary_campaign_id=primary)
            )
            held = kept.abandonment_checked_at
            if held is None or reading.checked_at > held:
                kept.abandonment_rate = reading.rate
                kept.abandonment_level = reading.level
                kept.abandonment_campaign_id = reading.campaign_id
                kept.abandonment_checked_at = reading.checked_at


def guard_reading(kept: FailoverState) -> GuardReading | None:
    """The state's reading (its abandonment fields), if it has one."""
    if kept.abandonment_checked_at is None or kept.abandonment_campaign_id is None:
        return None
    return GuardReading(
        primary_campaign_id=kept.primary_campaign_id,
        campaign_id=kept.abandonment_campaign_id,
        rate=kept.abandonment_rate,
        level=kept.abandonment_level or "",
        checked_at=kept.abandonment_checked_at,
    )


async def save_readings(
    readings: list[GuardReading],
    earlier: list[GuardReadings],
    newest: dict[str, dt.datetime | None],
    pairs: set[str] | None = None,
) -> None:
    """Keep a fleet run's routine guard readings in one new document, then delete the
    `earlier` documents (as read at the run's start) whose every reading is superseded: a
    newer one is kept (`newest`: each primary's newest reading time, this run's included),
    or, when `pairs` names every configured pair, the pair is gone.

    Raises:
        httpx.HTTPStatusError: the Prefect server refused the new document (then nothing is
            deleted: the earlier readings stay the newest kept).
    """
    if readings:
        document = GuardReadings(readings=readings)
        await _documents.create(document, f"guard-readings-{uuid.uuid4().hex}")

    def superseded(reading: GuardReading) -> bool:
        primary = reading.primary_campaign_id
        if pairs is not None and primary not in pairs:
            return True
        at = newest.get(primary)
        return at is not None and at > reading.checked_at

    for document in earlier:
        if all(superseded(reading) for reading in document.readings):
            await _documents.delete(document)


async def change_state(
    kept: FailoverState, group: str, compute: state.Change
) -> dict[str, Any] | None:
    """Change one field group of a pair's state by compare-and-set (see `blocks.state`)."""
    return await state.change(kept, state_block_name(kept.primary_campaign_id), group, compute)


async def observe_state(kept: FailoverState, **values: Any) -> None:
    """Write observations of a pair's state (the last abandonment reading), those only."""
    await state.observe(kept, state_block_name(kept.primary_campaign_id), values)


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
    """Make `episode` the primary's current one, from now, unless it (or a later one) is
    open already: episodes only move forward, so a repeated call changes nothing.

    The low readings of the episode before are not carried over (`low_readings`).
    """
    kept = await load_state(primary_campaign_id)

    def forward(current: FailoverState) -> dict[str, Any] | None:
        if current.episode >= episode:
            return None
        return {"episode": episode, "episode_started_at": clock.now()}

    await change_state(kept, "episode", forward)
    return kept
