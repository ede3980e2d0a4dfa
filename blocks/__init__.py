"""Prefect blocks: CXone credentials and idempotency records.

Wraps `cxone` configuration for storage in Prefect; imported by `tasks` and `flows`.
Register the types once with `prefect block register -m blocks` (the flows also do it),
because concurrent first saves of an unregistered block type race.
"""

from .credentials import CXoneCredentials
from .idempotency import IdempotencyRecord, record_name

__all__ = ["CXoneCredentials", "IdempotencyRecord", "record_name"]


async def register_block_types() -> None:
    """Register every block type of this package with the Prefect API (idempotent)."""
    for block in (CXoneCredentials, IdempotencyRecord):
        await block.aregister_type_and_schema()
