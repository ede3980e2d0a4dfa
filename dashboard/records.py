"""Failover history: the failover and restore records, each pair's state (episode and the
abandonment guard's last reading) and each calling list's last dial-list sync, read by fields.

A record says what it is about in its fields (`kind`, `subject`, `episode`); its name is a
digest and is never matched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from blocks import (
    DialListSync,
    FailoverState,
    GuardReadings,
    IdempotencyRecord,
    newest_readings,
    read_blocks,
)

from .cache import TtlCache
from .threads import off_the_loop

PAIR_KINDS = ("failover", "restore")
PairStatus = Literal["failed_over", "failover_incomplete", "restored"]


@dataclass(frozen=True)
class History:
    """Every failover and restore record, each pair's state by primary, and every list's
    dial-list sync state."""

    records: list[tuple[str, IdempotencyRecord]]
    states: dict[str, FailoverState]
    dial_lists: list[DialListSync] = field(default_factory=list)

    # The page asks per campaign: each lookup is an index built once per reading of the
    # history, not a scan of every record and state per row.
    @cached_property
    def _records(self) -> dict[tuple[str, str, int | None], IdempotencyRecord]:
        index: dict[tuple[str, str, int | None], IdempotencyRecord] = {}
        for _, record in self.records:
            key = (record.kind, record.subject.get("primary_campaign_id", ""), record.episode)
            index.setdefault(key, record)  # the first, as a scan would find it
        return index

    @cached_property
    def _abandonment(self) -> dict[str, FailoverState]:
        index: dict[str, FailoverState] = {}
        for state in self.states.values():
            if state.abandonment_campaign_id and state.abandonment_level:
                index.setdefault(state.abandonment_campaign_id, state)
        return index

    def abandonment(self, campaign_id: str) -> FailoverState | None:
        """The state whose last abandonment reading was of `campaign_id`, if any."""
        return self._abandonment.get(campaign_id)

    def record(self, kind: str, primary: str, episode: int) -> IdempotencyRecord | None:
        return self._records.get((kind, primary, episode))

    def status(self, primary: str, primary_status: str | None = None) -> PairStatus | None:
        """Where the pair of `primary` stands in its current episode; `primary_status` is the
        primary's status as last read or pushed, if known.

        "failover_incomplete" means the primary was paused by a failover whose backup is not
        confirmed active: possibly nothing is dialling. A failover writes its pause's answer
        with its end or its failure, so a holder that died between the pause and the resume
        left none: a paused primary beside the unfinished record says it instead.
        """
        state = self.states.get(primary)
        episode = state.episode if state else 1
        failover = self.record("failover", primary, episode)
        if failover is not None:
            if failover.status == "applied":
                return "failed_over"
            if failover.done("pause") or primary_status == "paused":
                return "failover_incomplete"
        restore = self.record("restore", primary, episode - 1)
        if restore is not None and restore.status == "applied":
            return "restored"
        return None


async def load_history() -> History:
    """Read the records and states from Prefect."""
    records = [
        (name, record)
        for name, record in await read_blocks(IdempotencyRecord)
        if record.kind in PAIR_KINDS
    ]
    states = {state.primary_campaign_id: state for _, state in await read_blocks(FailoverState)}
    # A fleet's routine guard readings are kept apart (`blocks.readings`): the newest shows.
    newest_readings(states, [readings for _, readings in await read_blocks(GuardReadings)])
    dial_lists = [sync for _, sync in await read_blocks(DialListSync)]
    return History(records, states, dial_lists)


class HistoryCache:
    """`load_history()`, reused for `ttl_seconds`: the history reads every record block, and
    neither page refreshes nor health requests should repeat that many times a second.

    Args:
        ttl_seconds: how long one reading of the history is reused.
        load: reads the history; default `load_history`, off the app's event loop.
    """

    def __init__(
        self,
        ttl_seconds: float,
        load: Callable[[], Awaitable[History]] = lambda: off_the_loop(load_history),
    ) -> None:
        self._cache: TtlCache[None, History] = TtlCache(lambda _: load(), ttl_seconds)

    async def get(self) -> History:
        """The failover history.

        Raises:
            Exception: the Prefect API failed (now, or within `ttl_seconds`).
        """
        return await self._cache.get(None)
