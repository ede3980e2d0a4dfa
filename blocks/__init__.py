"""Prefect blocks: CXone credentials, failover pairs and their state, dial-list sync state,
idempotency records, credentials for contact sources (`FileStorageCredentials`), and the
Reassigned Numbers Database's API (`ReassignedNumbersDatabase`); and the backups' claims,
kept as Prefect variables (`BackupClaim`).

Wraps `cxone` configuration for storage in Prefect; imported by `tasks` and `flows`.
`blocks.operation` is the one exactly-once mechanism every flow uses. Register the types with
`prefect block register -m blocks` (the flows also do it, once per process, safely under races).
"""

import asyncio

from . import clock, operation, pause_points, state
from ._documents import read as read_block
from ._documents import read_all as read_blocks
from ._documents import register
from ._prefect import api_client
from .backup_claims import BackupClaim, BackupInUse, claim_backup, read_claim, release_backup
from .credentials import (
    CXoneAccessKey,
    CXoneCredentials,
    MissingBlock,
    PlatformCredentials,
    credentials_key,
    load_credentials,
)
from .dial_lists import (
    DialListSync,
    advance_episode,
    load_sync_state,
    record_sync,
    sync_state_name,
    upload_identity,
)
from .failover import (
    DEFAULT_COOLDOWN_MINUTES,
    AmbiguousPair,
    FailoverPair,
    FailoverState,
    InvalidPair,
    change_state,
    check_pair,
    failover_identity,
    find_pair,
    guard_identity,
    guard_reading,
    load_fleet_states,
    load_state,
    load_states,
    newest_readings,
    observe_state,
    open_episode,
    pair_block_name,
    pair_problem,
    restore_identity,
    save_names,
    save_readings,
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
from .readings import GuardReading, GuardReadings
from .reassigned import ReassignedNumbersDatabase, load_reassigned_numbers_database
from .state import StateChange
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
    StateChange,
    GuardReadings,
)

__all__ = [
    "BLOCK_TYPES",
    "DEFAULT_COOLDOWN_MINUTES",
    "DEFAULT_LEDGER",
    "AmbiguousPair",
    "AttemptsLedger",
    "BackupClaim",
    "BackupInUse",
    "CXoneAccessKey",
    "CXoneCredentials",
    "DialListSync",
    "FailoverPair",
    "FailoverState",
    "FileStorageCredentials",
    "GuardReading",
    "GuardReadings",
    "IdempotencyRecord",
    "InvalidPair",
    "MissingBlock",
    "OperationTakeover",
    "PlatformCredentials",
    "ReassignedNumbersDatabase",
    "StateChange",
    "advance_episode",
    "api_client",
    "change_state",
    "check_pair",
    "claim_backup",
    "clock",
    "credentials_key",
    "digest",
    "document_name",
    "embedded_path",
    "failover_identity",
    "find_pair",
    "guard_identity",
    "guard_reading",
    "ledger_for_writing",
    "ledger_location",
    "load_credentials",
    "load_fleet_states",
    "load_reassigned_numbers_database",
    "load_state",
    "load_states",
    "load_storage_options",
    "load_sync_state",
    "newest_readings",
    "observe_state",
    "open_episode",
    "operation",
    "pair_block_name",
    "pair_problem",
    "pause_points",
    "read_block",
    "read_blocks",
    "read_claim",
    "record_name",
    "record_sync",
    "register_block_types",
    "release_backup",
    "restore_identity",
    "save_names",
    "save_readings",
    "state",
    "state_block_name",
    "storage_options_of",
    "sync_state_name",
    "upload_identity",
]


async def register_block_types() -> None:
    """Register every block type of this package with the Prefect API.

    Once per process and API, all at once (each is a few calls; a flow run in a new process
    pays them before its first step); concurrent first registrations from several processes
    are safe.
    """
    await asyncio.gather(*(register(block) for block in BLOCK_TYPES))
