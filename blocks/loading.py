"""Loading a block document that may not exist yet."""

from __future__ import annotations

from typing import TypeVar

from prefect.blocks.core import Block
from prefect.exceptions import ObjectNotFound

B = TypeVar("B", bound=Block)


async def aload_if_exists(block_class: type[B], name: str) -> B | None:
    """The saved block of that name, or None when there is none (other errors propagate)."""
    try:
        return await block_class.aload(name)
    except ValueError as exc:  # Prefect wraps the API's ObjectNotFound in a ValueError
        if isinstance(exc.__cause__, ObjectNotFound):
            return None
        raise
