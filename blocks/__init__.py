"""Prefect blocks: CXone credentials, failover pairs and their state, dial-list sync state,
idempotency records, credentials for contact sources (`FileStorageCredentials`), and the
Reassigned Numbers Database's API (`ReassignedNumbersDatabase`).

Wraps `cxone` configuration for storage in Prefect; imported by `tasks` and `flows`.
`blocks.operation` is the one exactly-once mechanism every flow uses. Register the types with
`prefect block register -m blocks` (the flows also do it, once per process, safely under races).
"""

from . import operation
from ._documents import read as read_block
from ._documents import read_all as read_blocks
from ._documents import register
from .credentials import (
    CXoneAccessKey,
    CXoneCredentials,
    MissingBlock,
    PlatformCredentials,
    load_credentials,
)
from .dial_lists import (
    DialListSync,
    load_sync_state,
    save_sync_state,
    sync_state_name,
    upload_identity,
)
from .failover import (
    AmbiguousPair,
    FailoverPair,
    FailoverState,
    failover_identity,
    find_pair,
    guard_identity,
    load_state,
    open_episode,
    pair_block_name,
    restore_identity,
    save_state,
    state_block_name,
)
from .idempotency import IdempotencyRecord, OperationTakeover, digest, document_name, record_name
from .ledger import (
    DEFAULT_LEDGER,
    AttemptsLedger,
    embedded_path,
    ledger_for_writing,
    ledger_location,
)
from .reassigned import ReassignedNumbersDatabase, load_reassigned_numbers_database
from .storage import FileStorageCredentials, load_storage_options, storage_options_of

BLOCK_TYPES = (
    AttemptsLedger,
    CXoneCredentials,
    CXoneAccessKey,
    FailoverPair,
    FailoverState,
    IdempotencyRecord,
    OperationTakeover,
    DialListSync,
    FileStorageCredentials,
    ReassignedNumbersDatabase,
)

__all__ = [
    "BLOCK_TYPES",
    "DEFAULT_LEDGER",
    "AmbiguousPair",
    "AttemptsLedger",
    "CXoneAccessKey",
    "CXoneCredentials",
    "DialListSync",
    "FailoverPair",
    "FailoverState",
    "FileStorageCredentials",
    "IdempotencyRecord",
    "MissingBlock",
    "OperationTakeover",
    "PlatformCredentials",
    "ReassignedNumbersDatabase",
    "digest",
    "document_name",
    "embedded_path",
    "failover_identity",
    "find_pair",
    "guard_identity",
    "ledger_for_writing",
    "ledger_location",
    "load_credentials",
    "load_reassigned_numbers_database",
    "load_state",
    "load_storage_options",
    "load_sync_state",
    "open_episode",
    "operation",
    "pair_block_name",
    "read_block",
    "read_blocks",
    "record_name",
    "register_block_types",
    "restore_identity",
    "save_state",
    "save_sync_state",
    "state_block_name",
    "storage_options_of",
    "sync_state_name",
    "upload_identity",
]


async def register_block_types() -> None:
    """Register every block type of this package with the Prefect API.

    Once per process and API; concurrent first registrations from several processes are safe.
    """
    for block in BLOCK_TYPES:
        await register(block)
