"""Prefect blocks: CXone credentials and idempotency records.

Wraps `cxone` configuration for storage in Prefect; imported by `tasks` and `flows`.
Register the types once with `prefect block register -m blocks` (the flows also do it),
because concurrent first saves of an unregistered block type race.
"""

from .credentials import CXoneCredentials
from .failover import FailoverPair, pair_block_name
from .idempotency import IdempotencyRecord, record_name
from .loading import aload_if_exists

__all__ = [
    "CXoneCredentials",
    "FailoverPair",
    "IdempotencyRecord",
    "aload_if_exists",
    "pair_block_name",
    "record_name",
    "register_block_types",
]


async def register_block_types() -> None:
    """Register every block type of this package with the Prefect API (idempotent)."""
    for block in (CXoneCredentials, FailoverPair, IdempotencyRecord):
        await block.aregister_type_and_schema()
