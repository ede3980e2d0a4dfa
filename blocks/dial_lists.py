"""Where a calling list's syncs stand: the current upload episode and the last sync's summary.

Runtime state, written by `sync_dial_list` only. Each sync of a list is one episode of the
exactly-once upload operation (`blocks.operation`): claiming the episode is what keeps two
syncs of one list from interleaving their uploads, and a sync whose holder failed or died is
redone whole in the next episode, never resumed halfway (see `flows.dial_list`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect.blocks.core import Block
from pydantic import Field

from . import _documents
from .idempotency import document_name
from .operation import OperationIdentity


def sync_state_name(calling_list_id: str) -> str:
    """Where a calling list's sync state is kept.

    Example:
        >>> sync_state_name("1201") != sync_state_name("12 01")
        True
    """
    return document_name("dial-list", calling_list_id, ["dial-list", calling_list_id])


class DialListSync(Block):
    """A calling list's syncs: the current upload episode and what the last one did.

    Example:
        ```python
        from blocks import DialListSync, sync_state_name

        state = DialListSync.load(sync_state_name("1201"))
        print(state.episode, state.last_sync)
        ```
    """

    _block_type_name = "CXone Dial List Sync"
    _description = (
        "Runtime state of the daily dial-list sync of one CXone calling list: its upload "
        "episode and the last sync's counts, jobs and files. Written by the flow only."
    )
    _documentation_url = "https://docs.prefect.io/v3/develop/blocks"
    _code_example = """```python
from blocks import DialListSync

sync = DialListSync.load("BLOCK_NAME")
print(sync.last_sync)
```"""

    calling_list_id: str = Field(min_length=1, description="The calling list's platform id.")
    calling_list: str = Field(default="", description="The calling list's name.")
    episode: int = Field(default=1, ge=1, description="The current upload episode.")
    last_sync: dict[str, Any] = Field(
        default_factory=dict, description="The last completed sync's summary, if any."
    )
    updated_at: dt.datetime | None = Field(default=None, description="When it last changed.")


def upload_identity(calling_list_id: str, episode: int) -> OperationIdentity:
    """The upload of one sync of a calling list: one holder per episode, however many race."""
    return OperationIdentity("dial-list-upload", {"calling_list_id": calling_list_id}, episode)


async def load_sync_state(calling_list_id: str, calling_list: str = "") -> DialListSync:
    """The list's sync state; a fresh one at episode 1 when none is kept."""
    state = await _documents.read(DialListSync, sync_state_name(calling_list_id))
    if state is None or state.calling_list_id != calling_list_id:
        return DialListSync(calling_list_id=calling_list_id, calling_list=calling_list)
    return state


async def save_sync_state(state: DialListSync) -> None:
    """Keep the state, whole."""
    state.updated_at = dt.datetime.now(dt.UTC)
    await _documents.keep(state, sync_state_name(state.calling_list_id))
