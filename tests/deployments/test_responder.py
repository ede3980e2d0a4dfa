"""The serving process's responder runs the failover as soon as the low-success event arrives."""

import asyncio

import prefect.results
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.context import SyncClientContext
from prefect.events import emit_event

from blocks import CXoneCredentials
from cxone import CampaignPayload
from deployments import responder as responder_module
from deployments.definitions import LOW_SUCCESS_EVENT
from deployments.responder import (
    Responder,
    respond_to_low_success,
    shared_clients,
    with_result_settings,
)


async def test_low_success_event_fails_the_pair_over(sim, credentials_block):
    credentials = await CXoneCredentials.aload(credentials_block)
    async with credentials.get_client() as client:
        primary = await client.create_campaign(CampaignPayload(name="p", contact_list_id="CL-1"))
        backup = await client.create_campaign(
            CampaignPayload(name="b", contact_list_id="CL-1", status="paused")
        )
        sim.put(
            f"/_sim/campaigns/{primary.id}/metrics",
            json={"successRate": 0.03, "callsAttempted": 400},
        ).raise_for_status()
        listener = asyncio.create_task(respond_to_low_success())
        payload = {
            "primary_campaign_id": primary.id,
            "backup_campaign_id": backup.id,
            "credentials_block": credentials_block,
            "threshold": 0.15,
            "window_minutes": 30,
            "min_calls": 50,
            "success_rate": 0.03,
            "calls_attempted": 400,
        }
        try:
            for _ in range(60):
                # Re-sent until seen: the subscription starts asynchronously, and a repeated
                # event only meets an already-claimed failover.
                emit_event(
                    event=LOW_SUCCESS_EVENT,
                    resource={"prefect.resource.id": f"cxone.campaign.{primary.id}"},
                    payload=payload,
                )
                await asyncio.sleep(0.5)
                if (await client.get_campaign(backup.id)).status == "active":
                    break
            assert (await client.get_campaign(primary.id)).status == "paused"
            assert (await client.get_campaign(backup.id)).status == "active"
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
    puts = [
        r["path"].rsplit("/", 1)[1]
        for r in sim.get("/_sim/requests").json()["requests"]
        if r["method"] == "PUT"
    ]
    assert puts == [primary.id, backup.id]


async def test_a_revocation_is_applied_with_the_deployment_as_it_is_when_it_arrives(monkeypatch):
    """`serve` starts the responder before it registers the deployments: the settings are
    read per revocation, so one announced once `apply-revocations` is served is applied."""
    deployed: dict = {"settings": None}
    applied: list[dict] = []

    async def settings() -> dict | None:
        return deployed["settings"]

    async def apply(**parameters) -> dict:
        applied.append(parameters)
        return {"numbers": 1}

    monkeypatch.setattr(responder_module, "revocation_settings", settings)
    monkeypatch.setattr(responder_module, "apply_revocations", apply)
    responder = Responder()
    await responder.handle_revocation({"batch": "msg_early"})  # not deployed yet: not here
    deployed["settings"] = {"credentials_block": "c", "calling_lists": ["Renewals"]}
    await responder.handle_revocation({"batch": "msg_later"})
    assert applied == [
        {"credentials_block": "c", "calling_lists": ["Renewals"], "batch": "msg_later"}
    ]


async def test_the_ready_file_appears_once_subscribed_and_goes_when_stopped(tmp_path):
    ready = tmp_path / "run" / "responder.ready"
    listener = asyncio.create_task(respond_to_low_success(ready_file=ready))
    deadline = asyncio.get_running_loop().time() + 60
    try:
        while not ready.exists():
            assert not listener.done(), listener
            assert asyncio.get_running_loop().time() < deadline, "no ready file within 60 s"
            await asyncio.sleep(0.05)
        assert ready.read_text().strip().isdigit()  # this process's id, written whole
        assert [p.name for p in ready.parent.iterdir()] == ["responder.ready"]
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
    assert not ready.exists()  # a stopped responder is not ready


async def test_the_responders_flow_runs_share_its_synchronous_prefect_client():
    """Each flow run the responder starts uses the service's synchronous client instead of
    building its own (a TLS context per run); each keeps its own asynchronous client."""
    seen: list[tuple[object, object]] = []

    @flow
    async def note_clients() -> None:
        seen.append((get_client(), get_client(sync_client=True)))

    async with shared_clients():
        shared = SyncClientContext.get().client
        await note_clients()
        await note_clients()
    [(first, first_sync), (second, second_sync)] = seen
    assert first_sync is shared and second_sync is shared
    assert first is not second


async def test_the_responders_flow_runs_read_no_result_settings_from_the_server(monkeypatch):
    """Prefect reads the server's default result storage for every flow run, with a blocking
    client on the event loop; the responder picks the same settings once instead."""
    reads: list[int] = []
    original = prefect.results._read_server_default_result_storage_block_id

    def counted():
        reads.append(1)
        return original()

    monkeypatch.setattr(prefect.results, "_read_server_default_result_storage_block_id", counted)

    @flow
    async def answer() -> int:
        return 42

    async with shared_clients():
        picked = await with_result_settings(answer)
        assert await picked() == 42 and await picked() == 42
        assert reads == []
        assert picked.persist_result is False  # as Prefect's default: no storage configured
        assert await answer() == 42
    assert reads == [1]  # the flow as it is reads them on each run
