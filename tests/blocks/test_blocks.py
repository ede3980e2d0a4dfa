"""Block standards (offline), the credentials block, and idempotency records as atomic claims."""

import asyncio
import re

import pytest
from prefect.blocks.core import Block

from blocks import (
    CXoneCredentials,
    FailoverPair,
    IdempotencyRecord,
    record_name,
    register_block_types,
)
from cxone import DEFAULT_SCOPES, CXoneClient

BLOCKS = [CXoneCredentials, FailoverPair, IdempotencyRecord]


# Prefect's BlockStandardTestSuite fetches each logo over the internet; these are its checks
# that run offline.
@pytest.mark.parametrize("block", BLOCKS)
class TestBlockStandards:
    def test_has_a_description(self, block: type[Block]):
        assert block.get_description()

    def test_has_a_documentation_url(self, block: type[Block]):
        assert str(block._documentation_url).startswith("https://")

    def test_all_fields_have_a_description_ending_in_a_period(self, block: type[Block]):
        for name, field in block.model_fields.items():
            assert field.description, f"{block.__name__}.{name} has no description"
            assert field.description.endswith("."), f"{block.__name__}.{name}"

    def test_has_a_valid_code_example(self, block: type[Block]):
        example = block.get_code_example()
        assert re.search(rf"from .* import {block.__name__}", example)
        assert re.search(rf'.* = {block.__name__}\.load\("BLOCK_NAME"\)', example)


def test_credentials_never_show_the_secret():
    block = CXoneCredentials(client_id="app", client_secret="hunter2-secret")
    client = block.get_client()
    for text in (repr(block), str(block), repr(client), repr(block.get_config())):
        assert "hunter2-secret" not in text
    assert isinstance(client, CXoneClient)
    assert block.get_config().scopes == DEFAULT_SCOPES
    assert block.get_config().client_secret.get_secret_value() == "hunter2-secret"


async def test_credentials_round_trip_keeps_the_secret_usable(prefect_harness):
    await CXoneCredentials(
        client_id="app", client_secret="s3", base_url="http://127.0.0.1:1"
    ).asave("roundtrip", overwrite=True)
    loaded = await CXoneCredentials.aload("roundtrip")
    assert loaded.client_secret.get_secret_value() == "s3"
    assert loaded.base_url == "http://127.0.0.1:1"


def test_record_names_are_deterministic_valid_block_names():
    name = record_name("create-campaign", "Renewals Q4/2026", payload={"b": 1, "a": [2]})
    assert name == record_name("create-campaign", "Renewals Q4/2026", payload={"a": [2], "b": 1})
    assert name != record_name("create-campaign", "Renewals Q4/2026", payload={"a": [3], "b": 1})
    assert re.fullmatch(r"[a-z0-9-]+", name)


async def test_eight_concurrent_claims_give_exactly_one_winner(prefect_harness):
    await register_block_types()
    results = await asyncio.gather(
        *(
            IdempotencyRecord.aclaim("race-1", "race test", steps=["pause", "resume"])
            for _ in range(8)
        )
    )
    winners = [record for record, created in results if created]
    assert len(winners) == 1
    # Everyone sees the winner's keys, so whoever continues sends the same keys.
    assert {tuple(record.keys.values()) for record, _ in results} == {
        tuple(winners[0].keys.values())
    }


async def test_record_updates_persist(prefect_harness):
    await register_block_types()
    record, created = await IdempotencyRecord.aclaim("persist-1", "persist test", steps=["a"])
    assert created and record.status == "pending"
    await record.aupdate(status="applied", answers={"a": {"status": "paused"}})
    loaded = await IdempotencyRecord.aload("persist-1")
    assert loaded.status == "applied" and loaded.answers == {"a": {"status": "paused"}}
    assert loaded.updated_at >= loaded.created_at
