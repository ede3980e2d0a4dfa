"""Runtime state that cannot be lost: field groups changed by compare-and-set.

A runtime-state document (`FailoverState`, `DialListSync`) is a *head*: the fields as last
written, plus one version number per field group. The Prefect API has no conditional update,
but it refuses a second block document of one name, so every change of a group is first
claimed as a create-only `StateChange` document named for the group's next version, holding
the new values:

1. A writer reads the head (group at version `n`), computes its change from what it read,
   and creates change `n + 1`. Exactly one writer that read version `n` succeeds.
2. The winner writes the group's fields and version into the head (a partial update of
   those fields only: no other field is ever written back).
3. A loser re-reads (it follows the change documents from `n`: the winner may not have
   updated the head yet, or may have died before it did), and recomputes its change from
   the values now stored; it may find it has nothing left to change.

Readers follow the chain the same way (`load`, `load_many`: one extra read for a document,
a few for a whole fleet), and put the head right when it lags. Observations that do not
depend on what was stored before (the last abandonment reading) are written field by field
with `observe`, without a version.

Changes are created only when a value really changes, so their number grows with events
(an episode opened, a trip of the guard, a low reading), not with runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from prefect.blocks.core import Block
from pydantic import Field, HttpUrl, TypeAdapter
from pydantic_core import to_jsonable_python

from . import _documents, _prefect, clock, pause_points

# A group's new values from the state as stored now, or None when nothing needs changing.
Change = Callable[[Any], Mapping[str, Any] | None]
# How often a writer recomputes its change after losing a race before giving up.
MAX_CONFLICTS = 50


class StateConflict(RuntimeError):
    """A field group kept changing under this writer (`MAX_CONFLICTS` races lost in a row)."""


class StateChange(Block):
    """One change of one field group of a runtime-state document, created once.

    Example:
        ```python
        from blocks.state import StateChange

        change = StateChange.load("BLOCK_NAME")
        print(change.document, change.group, change.version, change.values)
        ```
    """

    _block_type_name = "CXone State Change"
    _description = (
        "One compare-and-set change of a field group of CXone runtime state (a failover "
        "pair's episode, its guard trips, a calling list's upload episode): created once, "
        "by the one writer that read the version before it."
    )
    _documentation_url = HttpUrl("https://docs.prefect.io/v3/develop/blocks")
    _code_example = """```python
from blocks.state import StateChange

change = StateChange.load("BLOCK_NAME")
print(change.document, change.group, change.version, change.values)
```"""

    document: str = Field(description="The runtime-state document it changes.")
    group: str = Field(description="The field group it changes.")
    version: int = Field(ge=1, description="The group's version this change makes.")
    values: dict[str, Any] = Field(default_factory=dict, description="The group's new values.")
    written_at: dt.datetime = Field(default_factory=clock.now, description="When.")


class VersionedState(Block):
    """Base of runtime-state blocks whose field groups change by compare-and-set.

    A subclass names its groups in `_groups` (group -> fields) and has an int field
    `<group>_version` for each.
    """

    _groups: ClassVar[dict[str, tuple[str, ...]]] = {}

    def version_of(self, group: str) -> int:
        """The group's version as this copy knows it."""
        value = getattr(self, f"{group}_version")
        assert isinstance(value, int)
        return value


S = TypeVar("S", bound=VersionedState)


def change_name(document: str, group: str, version: int) -> str:
    """Where the change that makes `version` of `group` of `document` is saved.

    Example:
        >>> change_name("pair-state-cmp-a-0a1b", "episode", 2)
        'pair-state-cmp-a-0a1b-episode-v2'
    """
    return f"{document}-{group}-v{version}"


def _apply(state: VersionedState, change: StateChange) -> None:
    """Set the change's values on `state`, validated as the block's fields."""
    fields = type(state).model_fields
    for key, value in change.values.items():
        if key in fields:
            adapter = _adapter(type(state), key)
            setattr(state, key, adapter.validate_python(value))
    setattr(state, f"{change.group}_version", change.version)


_adapters: dict[tuple[type[Block], str], Any] = {}


def _adapter(block_type: type[Block], field: str) -> Any:
    key = (block_type, field)
    if key not in _adapters:
        _adapters[key] = TypeAdapter(block_type.model_fields[field].annotation or Any)
    return _adapters[key]


async def _catch_up(states: Iterable[tuple[str, VersionedState]]) -> None:
    """Follow every group's chain of changes past the versions `states` know, in bulk, and
    put each lagging head right (its fields and version only)."""
    pending = list(states)
    while pending:
        wanted = {
            change_name(name, group, state.version_of(group) + 1): (name, state, group)
            for name, state in pending
            for group in type(state)._groups
        }
        found = await _documents.read_named(StateChange, wanted)
        moved: dict[str, VersionedState] = {}
        for change_name_, change in sorted(found.items(), key=lambda item: item[1].version):
            name, state, group = wanted[change_name_]
            _apply(state, change)
            moved[name] = state
            if _prefect.document_id(state) is not None:
                fields = (*type(state)._groups[group], f"{group}_version")
                await _documents.update(state, *fields)
        pending = [(name, state) for name, state in pending if name in moved]


async def load(block_type: type[S], name: str) -> S | None:
    """The state saved as `name`, with every change made so far (None when there is none)."""
    state = await _documents.read(block_type, name)
    if state is not None:
        await _catch_up([(name, state)])
    return state


async def load_many(block_type: type[S]) -> list[tuple[str, S]]:
    """Every saved state of `block_type`, each with every change made so far."""
    states = await _documents.read_all(block_type)
    await _catch_up(states)
    return states


async def load_named(block_type: type[S], names: Iterable[str]) -> list[tuple[str, S]]:
    """The states saved under `names` (those that exist), each with every change made so
    far: a few states of a large fleet in one or two reads instead of all of them."""
    states = sorted((await _documents.read_named(block_type, names)).items())
    await _catch_up(states)
    return states


async def catch_up(named: Iterable[tuple[str, VersionedState]]) -> None:
    """Bring states read by other means up to date with their changes."""
    await _catch_up(list(named))


async def _ensure_head(state: VersionedState, name: str) -> bool:
    """Create the head of a state never saved, as it stands (at version 0 of every group);
    True when this call created it, False when it was there (then `state` takes its values).
    """
    if _prefect.document_id(state) is not None:
        return False
    try:
        await _documents.create(state, name)
        return True
    except _documents.DocumentExists:  # created meanwhile by another run: adopt it
        stored = await _documents.read(type(state), name)
        if stored is None:  # deleted again at once; not seen in practice
            raise
        _prefect.bind_document(state, name, _prefect.document_id(stored) or "")
        for field in type(state).model_fields:
            setattr(state, field, getattr(stored, field))
        await _catch_up([(name, state)])
        return False


async def change(state: S, name: str, group: str, compute: Change) -> dict[str, Any] | None:
    """Change `group` of `state` (saved as `name`) by compare-and-set; returns what changed.

    `compute(state)` gives the group's new values from the state as stored, or None when
    nothing needs changing; after a lost race it is called again on the values the winner
    stored. `state` is updated in place.

    Raises:
        StateConflict: the group kept changing for `MAX_CONFLICTS` tries.
        ValueError: `compute` named a field outside the group.

    Example:
        ```python
        await state.change(pair_state, name, "episode", lambda s: {"episode": s.episode + 1})
        ```
    """
    fields = type(state)._groups[group]
    for _ in range(MAX_CONFLICTS):
        wanted = compute(state)
        if not wanted:
            return None  # nothing to change: nothing is read or written
        stray = set(wanted) - set(fields)
        if stray:
            raise ValueError(f"{sorted(stray)} are not fields of group {group!r}")
        values = {key: value for key, value in wanted.items() if getattr(state, key) != value}
        if not values:
            return None
        if _prefect.document_id(state) is None:
            await _ensure_head(state, name)  # a state never saved (its head may hold more)
            continue
        version = state.version_of(group) + 1
        await pause_points.point(pause_points.STATE_WRITE, document=name, group=group)
        record = StateChange(
            document=name, group=group, version=version, values=to_jsonable_python(values)
        )
        try:
            await _documents.create(record, change_name(name, group, version))
        except _documents.DocumentExists:
            await _catch_up([(name, state)])  # another writer won: recompute from its values
            continue
        for key, value in values.items():
            setattr(state, key, value)
        setattr(state, f"{group}_version", version)
        await _documents.update(state, *values, f"{group}_version")
        return values
    raise StateConflict(f"{name}: group {group!r} changed {MAX_CONFLICTS} times under this run")


async def observe(state: VersionedState, name: str, values: Mapping[str, Any]) -> None:
    """Write observations (fields outside every group) as they are, and those fields only.

    Raises:
        ValueError: a field belongs to a versioned group (change it with `change`).
    """
    grouped = {field for fields in type(state)._groups.values() for field in fields}
    if grouped & set(values):
        raise ValueError(f"{sorted(grouped & set(values))} change by compare-and-set only")
    await pause_points.point(pause_points.STATE_WRITE, document=name, group=None)
    for key, value in values.items():
        setattr(state, key, value)
    if await _ensure_head(state, name):
        return  # created holding the observations
    for key, value in values.items():  # the stored head was adopted: observe again
        setattr(state, key, value)
    await _documents.update(state, *values)
