"""A backup serves one failover at a time: its claim, made once and given back by the restore.

A failover first claims its backup; a second pair sharing that backup is refused
(`BackupInUse`) until the first pair's restore gives the claim back. A claim never changes
once made, so it is kept as a Prefect variable (`blocks._variables`: the cheapest atomic
create the API has, a third of a block document's cost on the failover's hot path), named by
`backup_claim_name` and tagged `cxone-backup-claim`, which the Prefect UI's Variables page
filters on. Its value says which pair holds the backup and since when.

Claims saved before as `CXone Backup Claim` block documents are moved into variables the
first time a process touches a claim on an API (`_adopt_saved_claims`), so a failover in
progress across the upgrade keeps its backup. Upgrade every worker together: a process of
the version before sees only block documents.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from prefect.blocks.core import Block
from prefect.settings import PREFECT_API_URL
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from . import _documents, _variables, clock
from .failover import FailoverPair
from .idempotency import document_name

logger = logging.getLogger(__name__)

CLAIM_TAG = "cxone-backup-claim"


class BackupInUse(RuntimeError):
    """The pair's backup already serves another pair's failover."""


class BackupClaim(BaseModel):
    """A backup campaign serving one pair's failover, until that pair is restored.

    Kept as the value of the Prefect variable `backup_claim_name(...)`, created once (the
    server refuses a second of the same name), so two pairs sharing a backup cannot both fail
    over onto it.

    Example:
        >>> from blocks import BackupClaim, FailoverPair
        >>> claim = BackupClaim(backup_campaign_id="cmp_b", credentials_block="cxone",
        ...                     primary_campaign_id="cmp_a", episode=2)
        >>> claim.held_by(FailoverPair(primary_campaign_id="cmp_a", backup_campaign_id="cmp_b"))
        True
    """

    model_config = ConfigDict(frozen=True)

    backup_campaign_id: str = Field(description="The backup campaign claimed.")
    credentials_block: str = Field(description="The platform the backup lives on.")
    primary_campaign_id: str = Field(description="The primary whose failover it serves.")
    episode: int = Field(ge=1, description="The primary's episode of that failover.")
    claimed_at: dt.datetime = Field(default_factory=clock.now, description="When.")

    def held_by(self, pair: FailoverPair) -> bool:
        """Whether `pair`'s failover holds this claim."""
        return self.primary_campaign_id == pair.primary_campaign_id


class _SavedClaim(Block):
    """A claim as saved before claims were variables: read only to move it into one."""

    _block_type_name = "CXone Backup Claim"
    _documentation_url = HttpUrl("https://docs.prefect.io/v3/develop/blocks")

    backup_campaign_id: str
    credentials_block: str
    primary_campaign_id: str
    episode: int
    claimed_at: dt.datetime


def backup_claim_name(credentials_block: str, backup_campaign_id: str) -> str:
    """Where the claim on a backup is kept (one per backup campaign and platform).

    Example:
        >>> backup_claim_name("cxone", "cmp_b") != backup_claim_name("cxone", "cmp_B")
        True
    """
    return document_name(
        "backup", backup_campaign_id, ["backup", credentials_block, backup_campaign_id]
    )


async def read_claim(pair: FailoverPair) -> BackupClaim | None:
    """The claim on the pair's backup, whoever holds it."""
    stored = await _read(pair)
    return None if stored is None else BackupClaim.model_validate(stored.value)


async def claim_backup(pair: FailoverPair, episode: int) -> BackupClaim:
    """Claim the pair's backup for its failover in `episode` (a repeat by the same pair is
    its own claim).

    Raises:
        BackupInUse: another pair's failover holds the backup.
    """
    await _adopt_saved_claims()
    name = backup_claim_name(pair.credentials_block, pair.backup_campaign_id)
    while True:
        claim = BackupClaim(
            backup_campaign_id=pair.backup_campaign_id,
            credentials_block=pair.credentials_block,
            primary_campaign_id=pair.primary_campaign_id,
            episode=episode,
        )
        try:
            await _variables.create(name, _value(claim), [CLAIM_TAG])  # the usual case
            return claim
        except _variables.VariableExists:
            pass
        held = await read_claim(pair)
        if held is None:
            continue  # given back meanwhile: claim it again
        if held.held_by(pair):
            return held
        raise BackupInUse(
            f"backup {pair.backup_campaign_id} already serves the failover of "
            f"{held.primary_campaign_id} (episode {held.episode}, since "
            f"{held.claimed_at:%Y-%m-%d %H:%M} UTC); {pair.primary_campaign_id} cannot "
            "fail over onto it until that pair is restored: give it a backup of its own"
        )


async def release_backup(pair: FailoverPair) -> bool:
    """Give back the pair's claim on its backup (another pair's claim stays); True when one
    was given back."""
    stored = await _read(pair)
    if stored is None or not BackupClaim.model_validate(stored.value).held_by(pair):
        return False
    return await _variables.delete(stored)


async def _read(pair: FailoverPair) -> _variables.StoredVariable | None:
    await _adopt_saved_claims()
    name = backup_claim_name(pair.credentials_block, pair.backup_campaign_id)
    return await _variables.read(name)


def _value(claim: BackupClaim) -> dict[str, Any]:
    return claim.model_dump(mode="json")


# The APIs whose saved claims this process moved into variables.
_adopted: set[str | None] = set()


async def _adopt_saved_claims() -> None:
    """Move the claims saved as block documents into variables, once per process and API.

    One listing of the old block type (empty, or a type never registered, on an API that
    never had one): each claim found is created as a variable, then its document deleted, so
    a claim is never lost between the two; a process doing the same at once finds the
    variable made, and the document gone. The claims of one event loop wait for its first.
    """
    api = PREFECT_API_URL.value()
    if api in _adopted:
        return
    async with _documents.loop_lock("adopt saved backup claims"):
        if api in _adopted:
            return
        for name, saved in await _documents.read_all(_SavedClaim):
            fields = saved.model_dump(include=set(BackupClaim.model_fields))
            claim = BackupClaim.model_validate(fields)
            try:
                await _variables.create(name, _value(claim), [CLAIM_TAG])
            except _variables.VariableExists:  # moved already, or claimed since by a process
                kept = await _variables.read(name)  # of the new version beside an old one
                holder = None if kept is None else BackupClaim.model_validate(kept.value)
                if holder is not None and holder.primary_campaign_id != claim.primary_campaign_id:
                    logger.warning(
                        "backup %s: the claim saved for %s gives way to %s's, made since",
                        claim.backup_campaign_id,
                        claim.primary_campaign_id,
                        holder.primary_campaign_id,
                    )
            await _documents.delete(saved)
        _adopted.add(api)
