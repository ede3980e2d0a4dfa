"""The serving process's responder runs the failover as soon as the low-success event arrives."""

import asyncio
import dataclasses

import prefect.results
import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.context import SyncClientContext
from prefect.events import emit_event

from blocks import CXoneCredentials
from cxone import CampaignPayload
from deployments import responder as responder_module
from deployments.definitions import FAILOVER_TRIGGER, LOW_SUCCESS_EVENT
from deployments.responder import (
    Responder,
    respond_to_low_success,
    shared_clients,
    under_way,
    with_result_settings,
)
from flows import _events as events_module


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


class Storm:
    """A responder with recorded flows and a window that ends only when the test says
    (`end_window`): the batching is driven step by step, never slept."""

    def __init__(self, saved: dict[str, str] | None = None, unreadable: bool = False) -> None:
        self.runs: list[tuple[str, list[str]]] = []  # (flow, primaries), in start order
        self.finish = asyncio.Event()  # the flows return once set
        self.window_over = asyncio.Event()
        self.saved = saved  # primary -> backup of the saved pairs; None: every pair's own
        self.unreadable = unreadable  # the pairs cannot be read (the server is down)
        self.acknowledged: list[str] = []  # primaries of the dropped events, acknowledged
        self.listings = 0  # reads of the saved pairs begun
        self.listing_free = asyncio.Event()  # a read of the saved pairs answers once set
        self.listing_free.set()
        self.listings_cancelled = 0
        self.responder = Responder(
            failover=self.monitor_campaigns,
            batch=self.monitor_pairs,
            window=0.25,
            sleep=self.sleep,
            saved_pairs=self.saved_pairs,
            acknowledge=lambda parameters: self.acknowledged.append(
                parameters["primary_campaign_id"]
            ),
        )

    async def monitor_campaigns(self, **parameters) -> dict:
        self.runs.append(("monitor_campaigns", [parameters["primary_campaign_id"]]))
        await self.finish.wait()
        return {"action": "failover"}

    async def monitor_pairs(self, primary_campaign_ids: list[str], concurrency: int) -> dict:
        assert concurrency == len(primary_campaign_ids)  # each pair at once, as before
        self.runs.append(("monitor_pairs", list(primary_campaign_ids)))
        await self.finish.wait()
        return {
            "pairs": [
                {"primary_campaign_id": p, "action": "failover"} for p in primary_campaign_ids
            ]
        }

    async def sleep(self, seconds: float) -> None:
        assert 0 < seconds <= 0.25
        await self.window_over.wait()
        self.window_over.clear()

    async def saved_pairs(self) -> "Storm.Saved":
        """The saved pairs as they are when read (a copy: later saves are not in it)."""
        self.listings += 1
        try:
            await self.listing_free.wait()
        except asyncio.CancelledError:
            self.listings_cancelled += 1
            raise
        if self.unreadable:
            raise RuntimeError("the Prefect server is down")
        return self.Saved(None if self.saved is None else dict(self.saved))

    @dataclasses.dataclass
    class Saved:
        backups: dict[str, str] | None  # None: every pair saved with the events' backups

        def batchable(self, pairs: dict[str, str]) -> set[str]:
            if self.backups is None:
                return set(pairs)
            return {p for p, backup in pairs.items() if self.backups.get(p) == backup}

    def low(self, primary: str, backup: str | None = None) -> asyncio.Task | None:
        payload = {
            "primary_campaign_id": primary,
            "backup_campaign_id": backup or f"{primary}-b",
            "credentials_block": "cxone",
            "success_rate": 0.03,
        }
        return self.responder.handle(payload)

    async def settle(self) -> None:
        """Let every started task run up to its next wait (no time passes)."""
        for _ in range(10):
            await asyncio.sleep(0)

    async def end_window(self) -> None:
        self.window_over.set()
        await self.settle()

    async def done(self) -> None:
        self.finish.set()
        await self.responder.wait()


async def test_a_lone_low_event_runs_its_pairs_failover_when_its_window_ends():
    """The first event waits the window too (others may follow it), then runs alone, with
    no reading of the saved pairs."""
    storm = Storm()
    task = storm.low("p1")
    await storm.settle()
    assert storm.runs == []  # gathering: a storm's other events may follow within the window
    await storm.end_window()
    assert storm.runs == [("monitor_campaigns", ["p1"])]
    assert storm.listings == 0  # a lone event reads nothing first
    await storm.done()
    assert task is not None and task.done()
    storm.low("p2")  # later, another lone event: its own window, its own run
    await storm.settle()
    assert storm.runs == [("monitor_campaigns", ["p1"])]
    await storm.end_window()
    assert storm.runs[-1] == ("monitor_campaigns", ["p2"])
    await storm.done()


async def test_events_close_together_start_as_one_batch_when_the_window_ends():
    """The storm: the first event and those within the window after it start as one
    `monitor_pairs` run naming them all; the next ones form the next."""
    storm = Storm()
    storm.low("p1")
    await storm.settle()
    for primary in ("p2", "p3", "p4"):
        storm.low(primary)
    await storm.settle()
    assert storm.runs == []  # all wait for the window
    await storm.end_window()
    storm.low("p5")  # after the batch started: gathered for the next start
    storm.low("p6")
    await storm.settle()
    assert storm.runs == [("monitor_pairs", ["p1", "p2", "p3", "p4"])]
    await storm.end_window()
    assert storm.runs[-1] == ("monitor_pairs", ["p5", "p6"])
    await storm.done()


async def test_an_event_for_a_pair_being_evaluated_or_gathered_is_dropped_and_acknowledged():
    """Each dropped event is acknowledged, so the safety net does not start a run for it
    while the responder's is slow; an event that starts or joins a run is not."""
    storm = Storm()
    first = storm.low("p1")
    await storm.settle()
    assert storm.acknowledged == []
    assert storm.low("p1") is None  # gathered
    assert storm.acknowledged == ["p1"]
    await storm.end_window()
    assert storm.low("p1") is None  # running
    gathered = storm.low("p2")
    assert storm.low("p2") is None  # gathered for the next start
    await storm.end_window()
    assert storm.low("p2") is None  # running (a batch of one: its own run)
    assert storm.runs == [("monitor_campaigns", ["p1"]), ("monitor_campaigns", ["p2"])]
    assert storm.acknowledged == ["p1", "p1", "p2", "p2"]
    assert first is not gathered
    await storm.done()
    storm.low("p1")  # evaluated: a new event for it runs again
    await storm.end_window()
    assert storm.runs[-1] == ("monitor_campaigns", ["p1"])
    assert storm.acknowledged == ["p1", "p1", "p2", "p2"]
    await storm.done()


async def test_the_acknowledgment_is_an_evaluating_event_about_the_pair(monkeypatch):
    """What the safety-net trigger expects (`FAILOVER_TRIGGER.expect`), about the low event's
    resource; a failure to emit is logged, never raised into the listener."""
    emitted: list[dict] = []
    monkeypatch.setattr(events_module, "emit_event", lambda **event: emitted.append(event))
    under_way({"primary_campaign_id": "p1", "backup_campaign_id": "b1", "credentials_block": "c"})
    [event] = emitted
    assert event["event"] in FAILOVER_TRIGGER.expect
    assert event["resource"]["prefect.resource.id"] == "cxone.campaign.p1"
    assert event["related"][0]["cxone.campaign.id"] == "b1"

    def broken(**event):
        raise RuntimeError("events client closed")

    monkeypatch.setattr(events_module, "emit_event", broken)
    under_way({"primary_campaign_id": "p1", "backup_campaign_id": "b1", "credentials_block": "c"})


@pytest.mark.parametrize(
    ("saved", "together", "alone"),
    [
        # every pair saved with the events' backups: one batch
        ({"p1": "p1-b", "p2": "p2-b", "p3": "p3-b"}, ["p1", "p2", "p3"], []),
        # p2 not saved yet: its own run saves it (today's treatment)
        ({"p1": "p1-b", "p3": "p3-b"}, ["p1", "p3"], ["p2"]),
        # p3's saved backup is another: its own run fails saying so
        ({"p1": "p1-b", "p2": "p2-b", "p3": "other"}, ["p1", "p2"], ["p3"]),
        # one batchable pair left: no batch of one, a run of its own too
        ({"p2": "p2-b"}, [], ["p1", "p2", "p3"]),
    ],
)
async def test_a_pair_the_batch_cannot_evaluate_gets_monitor_campaigns(saved, together, alone):
    storm = Storm(saved=saved)
    for primary in ("p1", "p2", "p3"):
        storm.low(primary)
    await storm.end_window()
    assert [primaries for flow, primaries in storm.runs if flow == "monitor_pairs"] == (
        [together] if together else []
    )
    assert sorted(ps[0] for flow, ps in storm.runs if flow == "monitor_campaigns") == alone
    await storm.done()


async def test_a_batch_whose_pairs_cannot_be_read_runs_each_pair_alone():
    storm = Storm(unreadable=True)
    storm.low("p1")
    await storm.settle()
    storm.low("p2")
    storm.low("p3")
    await storm.end_window()
    assert sorted(storm.runs) == [
        ("monitor_campaigns", ["p1"]),
        ("monitor_campaigns", ["p2"]),
        ("monitor_campaigns", ["p3"]),
    ]
    await storm.done()


async def test_a_batchs_pairs_are_read_while_its_window_lasts():
    """The window is not spent idle: the saved pairs are read from a gathering's second
    event on, and that reading routes it. A pair saved after the reading is not in it, so
    its event gets `monitor_campaigns` (which finds the saved pair), never a wrong batch."""
    storm = Storm(saved={"p1": "p1-b", "p2": "p2-b", "p4": "p4-b"})
    storm.low("p1")
    await storm.settle()
    assert storm.listings == 0  # one event so far: perhaps a lone one, which reads nothing
    storm.low("p2")
    await storm.settle()
    assert storm.listings == 1  # read now, before the window ends
    storm.saved = {**storm.saved, "p3": "p3-b"}  # saved after that reading
    storm.low("p3")
    storm.low("p4")
    await storm.end_window()
    assert storm.listings == 1  # the window's end reads nothing more
    assert sorted(storm.runs) == [
        ("monitor_campaigns", ["p3"]),
        ("monitor_pairs", ["p1", "p2", "p4"]),
    ]
    await storm.done()


async def test_a_gathering_stopped_before_its_window_ends_drops_its_reading_of_the_pairs():
    """The responder stopping (its tasks cancelled) leaves no reading of the pairs going."""
    storm = Storm()
    storm.listing_free.clear()  # the reading is slow: still going when the gathering stops
    task = storm.low("p1")
    storm.low("p2")
    await storm.settle()
    assert storm.listings == 1
    assert task is not None
    task.cancel()
    await storm.settle()
    assert storm.listings_cancelled == 1
    assert storm.runs == []
