"""A backup's claim: one pair at a time, kept as a Prefect variable, given back by id, and
claims saved as block documents before moved into variables without losing one."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from prefect.client.orchestration import get_client

from blocks import (
    BackupClaim,
    BackupInUse,
    FailoverPair,
    _documents,
    _variables,
    backup_claims,
    claim_backup,
    read_claim,
    release_backup,
)
from blocks.backup_claims import CLAIM_TAG, backup_claim_name


def pair(primary: str, backup: str) -> FailoverPair:
    return FailoverPair(
        primary_campaign_id=primary, backup_campaign_id=backup, credentials_block="claims"
    )


def fresh(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


async def stored(backup: str) -> _variables.StoredVariable | None:
    return await _variables.read(backup_claim_name("claims", backup))


async def test_pairs_racing_for_one_backup_leave_exactly_one_holder(prefect_harness):
    backup = fresh("b")
    pairs = [pair(fresh("p"), backup) for _ in range(8)]
    results = await asyncio.gather(*(claim_backup(p, 1) for p in pairs), return_exceptions=True)
    held = [r for r in results if isinstance(r, BackupClaim)]
    refused = [r for r in results if isinstance(r, BackupInUse)]
    assert len(held) == 1 and len(refused) == 7
    winner = held[0].primary_campaign_id
    assert all(f"already serves the failover of {winner}" in str(r) for r in refused)
    variable = await stored(backup)
    assert variable is not None
    assert variable.value["primary_campaign_id"] == winner
    assert variable.value["episode"] == 1
    name = backup_claim_name("claims", backup)
    tagged = {"tags": {"all_": [CLAIM_TAG]}, "name": {"any_": [name]}}
    async with get_client() as client:
        found = await client.request("POST", "/variables/filter", json={"variables": tagged})
    assert [v["name"] for v in found.json()] == [name]


async def test_a_repeated_claim_by_its_holder_is_its_own(prefect_harness):
    holder = pair(fresh("p"), fresh("b"))
    first = await claim_backup(holder, 3)
    # As after a create whose answer was lost: the variable exists, and it is this pair's.
    again = await claim_backup(holder, 3)
    assert again == first
    assert await read_claim(holder) == first


async def test_only_the_holder_gives_the_claim_back_and_the_next_pair_takes_it(prefect_harness):
    backup = fresh("b")
    first, second = pair(fresh("p"), backup), pair(fresh("p"), backup)
    await claim_backup(first, 1)
    assert await release_backup(second) is False
    assert (await read_claim(first)).held_by(first)
    assert await release_backup(first) is True
    assert await read_claim(first) is None
    assert await release_backup(first) is False  # nothing left to give back
    assert (await claim_backup(second, 1)).held_by(second)


async def test_a_claim_made_again_since_is_not_deleted_by_a_stale_give_back(prefect_harness):
    backup = fresh("b")
    first, second = pair(fresh("p"), backup), pair(fresh("p"), backup)
    await claim_backup(first, 1)
    old = await stored(backup)
    assert await _variables.delete(old) is True
    await claim_backup(second, 2)
    assert await _variables.delete(old) is False  # by id: the new claim is another variable
    assert (await read_claim(second)).held_by(second)


async def test_a_variable_name_taken_by_something_else_is_reported(prefect_harness):
    name = fresh("claim")
    await _variables.create(name, {"x": 1}, [])
    with pytest.raises(_variables.VariableExists, match=name):
        await _variables.create(name, {"x": 2}, [])
    assert (await _variables.read(name)).value == {"x": 1}


async def save_old_claim(primary: str, backup: str, episode: int) -> str:
    """A claim as the version before saved it: a `CXone Backup Claim` block document."""
    name = backup_claim_name("claims", backup)
    old = backup_claims._SavedClaim(
        backup_campaign_id=backup,
        credentials_block="claims",
        primary_campaign_id=primary,
        episode=episode,
        claimed_at=backup_claims.clock.now(),
    )
    await _documents.create(old, name)
    return name


async def test_claims_saved_as_block_documents_are_moved_into_variables(
    prefect_harness, monkeypatch
):
    holder = pair(fresh("p"), fresh("b"))
    other = pair(fresh("p"), holder.backup_campaign_id)
    await save_old_claim(holder.primary_campaign_id, holder.backup_campaign_id, 4)
    monkeypatch.setattr(backup_claims, "_adopted", set())  # as a process started after

    # The failover in progress across the upgrade keeps its backup.
    with pytest.raises(BackupInUse, match=holder.primary_campaign_id):
        await claim_backup(other, 1)
    claim = await read_claim(holder)
    assert claim.held_by(holder) and claim.episode == 4
    assert await _documents.read_all(backup_claims._SavedClaim) == []
    # Its restore gives it back as any other.
    assert await release_backup(holder) is True
    assert (await claim_backup(other, 1)).held_by(other)


async def test_the_move_lists_the_old_claims_once_for_a_batch_of_claims(
    prefect_harness, monkeypatch
):
    listings = []
    read_all = _documents.read_all

    async def counted(block_type):
        listings.append(block_type)
        await asyncio.sleep(0.05)  # the other claims arrive while the listing is under way
        return await read_all(block_type)

    monkeypatch.setattr(_documents, "read_all", counted)
    monkeypatch.setattr(backup_claims, "_adopted", set())
    pairs = [pair(fresh("p"), fresh("b")) for _ in range(10)]
    claims = await asyncio.gather(*(claim_backup(p, 1) for p in pairs))
    assert [c.held_by(p) for c, p in zip(claims, pairs, strict=True)] == [True] * 10
    assert listings == [backup_claims._SavedClaim]
    await read_claim(pairs[0])
    assert len(listings) == 1  # not again in this process
