"""Where a calling list's syncs stand: the current upload episode and the last sync's summary.

Runtime state, written by `sync_dial_list` only, field by field: the episode by
compare-and-set (it only moves forward), the last sync's summary as an observation. Each
sync of a list is one episode of the exactly-once upload operation (`blocks.operation`):
claiming the episode is what keeps two syncs of one list from interleaving their uploads,
and a sync whose holder failed or died is redone whole in the next episode, never resumed
halfway (see `flows.dial_list`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import Field, HttpUrl

from . import clock, state
from .credentials import credentials_key
from .idempotency import document_name
from .operation import OperationIdentity
from .state import VersionedState


def sync_state_name(calling_list_id: str, credentials_block: str) -> str:
    """Where a calling list's sync state is kept: per tenant (its credentials block), as two
    tenants (or the simulator and a tenant) may each have a list 1201.

    Example:
        >>> sync_state_name("1201", "prod") != sync_state_name("12 01", "prod")
        True
        >>> sync_state_name("1201", "prod") != sync_state_name("1201", "staging")
        True
    """
    tenant = credentials_key(credentials_block)
    return document_name("dial-list", calling_list_id, ["dial-list", tenant, calling_list_id])


class DialListSync(VersionedState):
    """A calling list's syncs: the current upload episode and what the last one did.

    Example:
        ```python
        from blocks import DialListSync, sync_state_name

        state = DialListSync.load(sync_state_name("1201", "cxone-access-key/prod"))
        print(state.episode, state.last_sync)
        ```
    """

    _block_type_name = "CXone Dial List Sync"
    _description = (
        "Runtime state of the daily dial-list sync of one CXone calling list: its upload "
        "episode and the last sync's counts, jobs and files. Written by the flow only."
    )
    _documentation_url = HttpUrl("https://docs.prefect.io/v3/develop/blocks")
    _code_example = """```python
from blocks import DialListSync

sync = DialListSync.load("BLOCK_NAME")
print(sync.last_sync)
```"""

    calling_list_id: str = Field(min_length=1, description="The calling list's platform id.")
    calling_list: str = Field(default="", description="The calling list's name.")
    tenant: str = Field(
        default="", description="The credentials block (slug/name) of the list's tenant."
    )
    episode: int = Field(default=1, ge=1, description="The current upload episode.")
    last_sync: dict[str, Any] = Field(
        default_factory=dict, description="The last completed sync's summary, if any."
    )
    updated_at: dt.datetime | None = Field(default=None, description="When it last changed.")
    episode_version: int = Field(default=0, ge=0, description="Changes of the episode so far.")

    _groups: ClassVar[dict[str, tuple[str, ...]]] = {"episode": ("episode",)}


def upload_identity(
    calling_list_id: str, credentials_block: str, episode: int
) -> OperationIdentity:
    """The upload of one sync of a tenant's calling list: one holder per episode, however
    many race."""
    subject = {"calling_list_id": calling_list_id, "tenant": credentials_key(credentials_block)}
    return OperationIdentity("dial-list-upload", subject, episode)


async def load_sync_state(
    calling_list_id: str, credentials_block: str, calling_list: str = ""
) -> DialListSync:
    """The list's sync state (the list of the tenant `credentials_block` reaches), with
    every change made so far; a fresh one at episode 1 when none is kept."""
    tenant = credentials_key(credentials_block)
    kept = await state.load(DialListSync, sync_state_name(calling_list_id, tenant))
    if kept is None or kept.calling_list_id != calling_list_id or kept.tenant != tenant:
        return DialListSync(
            calling_list_id=calling_list_id, calling_list=calling_list, tenant=tenant
        )
    return kept


async def advance_episode(kept: DialListSync, episode: int) -> DialListSync:
    """Make `episode` the list's current upload episode unless a later one is (episodes only
    move forward; racing syncs that agree change it once)."""

    def forward(current: DialListSync) -> dict[str, Any] | None:
        return {"episode": episode} if current.episode < episode else None

    await state.change(kept, sync_state_name(kept.calling_list_id, kept.tenant), "episode", forward)
    return kept


async def record_sync(kept: DialListSync, last_sync: dict[str, Any]) -> None:
    """Keep the last completed sync's summary (that field and when, nothing else)."""
    values = {"last_sync": last_sync, "updated_at": clock.now()}
    await state.observe(kept, sync_state_name(kept.calling_list_id, kept.tenant), values)
