"""The Reassigned Numbers Database block: its key never shown, saved and loaded with the key
still usable, and its client answered by the simulator's stand-in."""

from __future__ import annotations

import datetime as dt

import pytest
from prefect.client.orchestration import get_client

from blocks import (
    BLOCK_TYPES,
    MissingBlock,
    ReassignedNumbersDatabase,
    load_reassigned_numbers_database,
)
from rnd import RndClient, RndResult
from simulator import FakeClock, SimulatorConfig, asgi_transport, create_app

KEY = "rnd-key-hunter2"


def test_the_block_is_registered_with_its_slug():
    assert ReassignedNumbersDatabase in BLOCK_TYPES
    assert ReassignedNumbersDatabase.get_block_type_slug() == "reassigned-numbers-database"
    assert ReassignedNumbersDatabase(api_url="http://x", api_key=KEY).requests_per_minute == 500


def test_the_key_is_never_shown():
    block = ReassignedNumbersDatabase(api_url="http://127.0.0.1:1/api/rnd/v1", api_key=KEY)
    client = block.get_client()
    shown = (repr(block), str(block), block.model_dump_json(), repr(client), str(vars(client)))
    assert all(KEY not in text for text in shown)
    assert isinstance(client, RndClient) and client.requests_per_minute == 500


def test_clients_of_one_service_share_its_rate_limit():
    block = ReassignedNumbersDatabase(api_url="http://127.0.0.1:1/api/rnd/v1", api_key=KEY)
    other = ReassignedNumbersDatabase(api_url="http://127.0.0.1:2/api/rnd/v1", api_key=KEY)
    assert block.get_client().bucket is block.get_client().bucket
    assert block.get_client().bucket is not other.get_client().bucket
    assert block.get_client().bucket.rate == pytest.approx(500 / 60)


async def test_saved_and_loaded_the_key_still_works_and_stays_hidden(prefect_harness):
    app = create_app(
        SimulatorConfig(rnd_api_key=KEY, contact_lists={}),
        clock=FakeClock(dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)),
    )
    await ReassignedNumbersDatabase(
        api_url="http://sim/api/rnd/v1", api_key=KEY, requests_per_minute=60
    ).asave("rnd-test", overwrite=True)
    loaded = await load_reassigned_numbers_database("rnd-test")
    also = await load_reassigned_numbers_database("reassigned-numbers-database/rnd-test")
    assert (loaded.api_key.get_secret_value(), loaded.requests_per_minute) == (KEY, 60)
    assert also.api_url == loaded.api_url
    app.state.sim.rnd.disconnections["2125550101"] = dt.date(2025, 6, 1)
    async with loaded.get_client(transport=asgi_transport(app)) as client:
        [answer] = await client.query([("2125550101", dt.date(2025, 1, 2))])
    assert answer.result is RndResult.YES
    async with get_client() as prefect:
        document = await prefect.read_block_document_by_name(
            "rnd-test", "reassigned-numbers-database", include_secrets=False
        )
    assert KEY not in str(document.data)


async def test_a_missing_block_is_named(prefect_harness):
    with pytest.raises(MissingBlock, match="no reassigned-numbers-database block named 'nope'"):
        await load_reassigned_numbers_database("nope")
