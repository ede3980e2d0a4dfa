"""monitor_fleet over every configured pair, and the abandonment guard, on the simulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import zlib
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.settings import PREFECT_API_URL

from blocks import (
    FailoverPair,
    FailoverState,
    GuardReadings,
    _documents,
    clock,
    guard_identity,
    load_fleet_states,
    load_state,
    load_states,
    operation,
    pause_points,
    state_block_name,
)
from cxone import CampaignMetrics
from flows import _events, _pairs, monitor
from flows.monitor import (
    FleetIncomplete,
    monitor_campaigns,
    monitor_fleet,
    monitor_pairs,
    read_saved_pairs,
)

from .conftest import create_campaign, save_pair, transitions, until


def set_numbers(sim, campaign_id: str, rate: float, calls: int, abandoned: int = 0) -> None:
    body = {
        "successRate": rate,
        "callsAttempted": calls,
        "callsConnected": int(rate * calls),
        "callsAbandoned": abandoned,
    }
    sim.put(f"/_sim/campaigns/{campaign_id}/metrics", json=body).raise_for_status()


async def test_the_fleet_fails_over_the_collapsed_pairs_once_and_reports_the_broken_one(
    sim, credentials_block, empty_fleet
):
    pairs = {}
    for name, rate in (("low-1", 0.04), ("low-2", 0.05), ("ok-1", 0.4), ("ok-2", 0.3)):
        primary = create_campaign(sim, f"{name} p", "active")
        backup = create_campaign(sim, f"{name} b", "paused")
        set_numbers(sim, primary, rate, 200)
        await save_pair(primary, backup, credentials_block)
        pairs[name] = (primary, backup)
    # A pair whose primary the platform does not know, and one saved under a UI-style name.
    await save_pair("cmp_gone", "cmp_gone_b", credentials_block)
    ui_primary = create_campaign(sim, "ui p", "active")
    ui_backup = create_campaign(sim, "ui b", "paused")
    set_numbers(sim, ui_primary, 0.45, 100)
    await FailoverPair(
        primary_campaign_id=ui_primary,
        backup_campaign_id=ui_backup,
        credentials_block=credentials_block,
    ).asave("renewals-east", overwrite=True)

    with pytest.raises(FleetIncomplete, match="1 of 6 pairs could not be evaluated: cmp_gone"):
        await monitor_fleet(concurrency=4)

    changes = transitions(sim)
    for name in ("low-1", "low-2"):
        primary, backup = pairs[name]
        assert [c for c in changes if c[0] in pairs[name]] == [
            (primary, "paused"),
            (backup, "active"),
        ]
    assert len(changes) == 4  # nothing else changed
    # Every pair again: the collapsed ones are failed over already, the rest stay healthy.
    with pytest.raises(FleetIncomplete) as again:
        await monitor_fleet(concurrency=4)
    assert len(transitions(sim)) == 4
    assert "cmp_gone" in str(again.value)


async def test_monitor_pairs_evaluates_the_named_pairs_only_and_fails_each_over_once(
    sim, credentials_block, empty_fleet
):
    """The responder's run for a storm: the named pairs as the fleet evaluates them, the
    others left alone; a primary no pair names is an error row."""
    pairs = {}
    for name in ("low-1", "low-2", "low-3"):
        primary = create_campaign(sim, f"{name} p", "active")
        backup = create_campaign(sim, f"{name} b", "paused")
        set_numbers(sim, primary, 0.04, 200)
        await save_pair(primary, backup, credentials_block)
        pairs[name] = (primary, backup)
    named = [pairs["low-1"][0], pairs["low-2"][0]]

    result = await monitor_pairs(named, concurrency=2)

    assert sorted((row["primary_campaign_id"], row["action"]) for row in result["pairs"]) == sorted(
        (primary, "failover") for primary in named
    )
    changes = transitions(sim)
    assert sorted(changes) == sorted(
        [(pairs[n][0], "paused") for n in ("low-1", "low-2")]
        + [(pairs[n][1], "active") for n in ("low-1", "low-2")]
    )

    # Each pair taken up was announced: the safety net need not start a run.
    async def announced() -> bool:
        async with get_client() as client:
            found = await client.read_events(
                EventFilter(
                    event=EventNameFilter(name=["cxone.campaign.evaluated"]),
                    resource=EventResourceFilter(id=[f"cxone.campaign.{p}" for p in named]),
                ),
                limit=50,
            )
        return {event.payload["primary_campaign_id"] for event in found.events} == set(named)

    await until(announced, "the evaluated events")
    again = await monitor_pairs(named, concurrency=2)
    assert {row["action"] for row in again["pairs"]} == {"already_failed_over"}
    assert len(transitions(sim)) == 4  # exactly once; low-3 was not named
    with pytest.raises(FleetIncomplete, match=r"cmp_nobody \(no FailoverPair names this primary\)"):
        await monitor_pairs([pairs["low-3"][0], "cmp_nobody"], concurrency=2)
    assert len(transitions(sim)) == 6  # low-3 failed over all the same


async def test_a_pair_whose_credentials_block_is_missing_is_reported_and_the_others_go_on(
    sim, credentials_block, empty_fleet
):
    """The credentials blocks are loaded together: the one that is missing fails its own
    pairs (named, with why), and the pairs of the block that loads are evaluated as ever."""
    primary = create_campaign(sim, "low p", "active")
    backup = create_campaign(sim, "low b", "paused")
    set_numbers(sim, primary, 0.04, 200)
    await save_pair(primary, backup, credentials_block)
    orphan = create_campaign(sim, "orphan p", "active")
    await save_pair(orphan, create_campaign(sim, "orphan b", "paused"), "nobody-saved-this")

    reported = rf"1 of 2 pairs could not be evaluated: {orphan} \(MissingBlock: "
    with pytest.raises(FleetIncomplete, match=reported):
        await monitor_fleet(concurrency=4)
    with pytest.raises(FleetIncomplete, match=reported):
        await monitor_pairs([primary, orphan], concurrency=2)

    assert transitions(sim) == [(primary, "paused"), (backup, "active")]  # once, by the first


async def test_batchable_pairs_are_those_saved_once_with_the_events_backup(
    prefect_harness, empty_fleet
):
    await save_pair("cmp_a", "cmp_a_b", "cxone")
    await save_pair("cmp_c", "cmp_c_saved", "cxone")
    await FailoverPair(primary_campaign_id="cmp_d", backup_campaign_id="cmp_d_b").asave(
        "pair-d-one", overwrite=True
    )
    await FailoverPair(primary_campaign_id="cmp_d", backup_campaign_id="cmp_d_b").asave(
        "pair-d-two", overwrite=True
    )
    events = {
        "cmp_a": "cmp_a_b",  # saved with this backup: batchable
        "cmp_c": "cmp_c_other",  # saved with another backup: its own run says so
        "cmp_d": "cmp_d_b",  # two blocks name it: its own run says so
        "cmp_e": "cmp_e_b",  # not saved: its own run saves it
    }
    assert (await read_saved_pairs()).batchable(events) == {"cmp_a"}


async def test_a_fleet_of_healthy_pairs_completes_with_a_row_per_pair(
    sim, credentials_block, empty_fleet
):
    for number in range(3):
        primary = create_campaign(sim, f"p{number}", "active")
        backup = create_campaign(sim, f"b{number}", "paused")
        set_numbers(sim, primary, 0.35, 100 + number)
        await save_pair(primary, backup, credentials_block)
    result = await monitor_fleet()
    assert sorted(row["action"] for row in result["pairs"]) == ["none"] * 3
    assert sorted(row["calls"] for row in result["pairs"]) == [100, 101, 102]
    assert transitions(sim) == []


async def test_over_the_safe_harbor_the_primary_is_paused_and_no_backup_resumed(
    sim, credentials_block
):
    primary = create_campaign(sim, "p", "active")
    backup = create_campaign(sim, "b", "paused")
    # 10 abandoned of 100 answered (90 handed to agents), and a collapsed success rate.
    body = {"successRate": 0.05, "callsAttempted": 1800, "callsConnected": 90, "callsAbandoned": 10}
    sim.put(f"/_sim/campaigns/{primary}/metrics", json=body).raise_for_status()

    result = await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    assert result["action"] == "none" and "abandonment" in result["reason"]
    assert result["abandonment"]["level"] == "over"
    assert result["abandonment"]["rate"] == pytest.approx(0.10)
    assert transitions(sim) == [(primary, "paused")]  # the backup stays paused
    pair = FailoverPair(primary_campaign_id=primary, backup_campaign_id=backup)
    record = await operation.load(guard_identity(pair, primary, 1))
    assert record.status == "applied" and "safe harbor" in record.operation
    assert (await load_state(primary)).guard_trips == 1

    again = await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    assert again["action"] == "none"
    assert transitions(sim) == [(primary, "paused")]
    async with get_client() as client:
        events = await client.read_events(
            EventFilter(
                event=EventNameFilter(name=["cxone.campaign.abandonment.high"]),
                resource=EventResourceFilter(id=[f"cxone.campaign.{primary}"]),
            ),
            limit=50,
        )
    assert events.events and events.events[0].payload["level"] == "over"


async def test_at_the_warning_level_an_event_and_no_pause(sim, credentials_block):
    primary = create_campaign(sim, "p", "active")
    backup = create_campaign(sim, "b", "paused")
    set_numbers(sim, primary, 0.4, 1000, abandoned=11)  # 11 of 411 answered: 2.7%
    result = await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    assert result["action"] == "none"
    assert result["abandonment"]["level"] == "warning"
    assert transitions(sim) == []


async def test_a_fleet_reads_its_due_guards_together_and_pauses_over_the_safe_harbor(
    sim, credentials_block, empty_fleet, monkeypatch
):
    primary = create_campaign(sim, "over p", "active")
    backup = create_campaign(sim, "over b", "paused")
    set_numbers(sim, primary, 0.05, 1800, abandoned=10)  # 10 of 100 answered: 10%
    await save_pair(primary, backup, credentials_block)

    async def no_read_of_its_own(*args: object) -> None:
        raise AssertionError("a fleet's due guard reads with the fleet, not on its own")

    monkeypatch.setattr(_pairs, "read_abandonment", no_read_of_its_own)
    # A fleet checks a pair first in its own minute of five (by the campaign's id).
    slot = zlib.crc32(primary.encode()) % 5
    start, started = dt.datetime(2026, 12, 1, 12, slot, tzinfo=dt.UTC), time.monotonic()
    with clock.using(lambda: start + dt.timedelta(seconds=time.monotonic() - started)):
        result = await monitor_fleet()
    [row] = result["pairs"]
    assert row["action"] == "none" and row["abandonment"]["level"] == "over"
    assert transitions(sim) == [(primary, "paused")]  # the backup stays paused
    thirty_days = [
        r for r in sim.get("/_sim/requests").json()["requests"] if "43200" in r.get("query", "")
    ]
    assert len(thirty_days) == 1


class PrefectCalls:
    """The requests a test's flows send to the Prefect API, by method and route."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        api, send = PREFECT_API_URL.value(), httpx.AsyncClient.send

        async def counted(client: httpx.AsyncClient, request: httpx.Request, **kwargs):
            if str(request.url).startswith(api):
                self.calls.append((request.method, request.url.path[len("/api") :]))
            return await send(client, request, **kwargs)

        monkeypatch.setattr(httpx.AsyncClient, "send", counted)

    def writes(self) -> list[tuple[str, str]]:
        """The block documents created or updated."""
        return [
            (method, path)
            for method, path in self.calls
            if path.startswith("/block_documents/")
            and method in ("POST", "PATCH")
            and not path.endswith("/filter")
        ]


async def test_a_calm_pair_whose_guard_is_not_due_sends_nothing_and_emits_nothing(
    sim, credentials_block, empty_fleet, monkeypatch
):
    primaries = []
    for number in range(6):
        primary = create_campaign(sim, f"calm p{number}", "active")
        backup = create_campaign(sim, f"calm b{number}", "paused")
        set_numbers(sim, primary, 0.4, 200)
        await save_pair(primary, backup, credentials_block)
        primaries.append(primary)
    # The first pair's minute of five: its guard is due then (a fleet's first checks spread).
    at = dt.datetime(2026, 12, 1, 12, zlib.crc32(primaries[0].encode()) % 5, tzinfo=dt.UTC)
    due = [p for p in primaries if zlib.crc32(p.encode()) % 5 == at.minute % 5]
    emitted: list[str] = []
    monkeypatch.setattr(
        monitor, "emit_pair_event", lambda event, primary, *args, **kw: emitted.append(primary)
    )
    with clock.using(lambda: at):
        first = await monitor_fleet()  # reads the names (and keeps them): not counted
        calls = PrefectCalls(monkeypatch)
        second = await monitor_fleet()  # the same minute: the guards read in the first are kept
    assert {row["action"] for row in [*first["pairs"], *second["pairs"]]} == {"none"}
    assert emitted == []  # calm readings answer no low-success event
    assert calls.writes() == []  # nothing to remember: no document written
    for primary in due:  # the first run kept the due guards' readings
        assert (await load_state(primary)).abandonment_checked_at == at
    for primary in set(primaries) - set(due):
        assert (await load_state(primary)).abandonment_checked_at is None


async def test_a_fleet_keeps_its_routine_readings_in_one_document_and_drops_the_superseded(
    sim, credentials_block, empty_fleet
):
    """At 2,000 pairs a run reads some 400 guards: one document holds their routine
    readings, not a state per pair. A warning goes into the pair's state at once (the next
    run, whatever it is, must see it), and a document whose readings are all superseded goes.
    """
    primaries: list[str] = []
    slot = lambda campaign: zlib.crc32(campaign.encode()) % 5  # noqa: E731
    # Pairs until three share the first's minute of five (the others are not due then).
    while len(primaries) < 6 or sum(slot(p) == slot(primaries[0]) for p in primaries) < 3:
        primary = create_campaign(sim, f"kept p{len(primaries)}", "active")
        backup = create_campaign(sim, f"kept b{len(primaries)}", "paused")
        set_numbers(sim, primary, 0.4, 200)
        await save_pair(primary, backup, credentials_block)
        primaries.append(primary)
    at = dt.datetime(2026, 12, 1, 12, slot(primaries[0]), tzinfo=dt.UTC)
    due = {p for p in primaries if slot(p) == at.minute % 5}
    warned = primaries[0]
    set_numbers(sim, warned, 0.4, 1000, abandoned=11)  # 11 of 411 answered: 2.7%, a warning
    with clock.using(lambda: at):
        await monitor_fleet()
    [(_, first)] = await _documents.read_all(GuardReadings)
    assert {r.primary_campaign_id for r in first.readings} == due - {warned}
    assert {r.level for r in first.readings} == {"ok"}
    for primary in primaries:  # only the warning made a state
        assert await _documents.exists(FailoverState, state_block_name(primary)) == (
            primary == warned
        )
    states = await load_states()
    assert {p for p, kept in states.items() if kept.abandonment_checked_at == at} == due
    assert states[warned].abandonment_level == "warning"
    assert (await load_state(sorted(due - {warned})[0])).abandonment_level == "ok"
    # A batch reads its own pairs' states: a saved one, one known by its reading, no other.
    some, calm = sorted(due - {warned})[0], sorted(set(primaries) - due)[0]
    batch, _ = await load_fleet_states([warned, some, calm, "4999999"])
    # The other due pairs have readings too, and calm has neither a state nor a reading.
    assert set(batch) == {warned, some}
    assert batch[warned].abandonment_level == "warning"
    assert (batch[some].abandonment_level, batch[some].abandonment_checked_at) == ("ok", at)

    later = at + dt.timedelta(minutes=5)  # the same minute of five: the same guards are due
    set_numbers(sim, warned, 0.4, 1000)  # the warning is over
    with clock.using(lambda: later):
        await monitor_fleet()
    [(_, second)] = await _documents.read_all(GuardReadings)  # the first is superseded: gone
    assert {r.primary_campaign_id for r in second.readings} == due
    assert {r.checked_at for r in second.readings} == {later}
    assert (await load_state(warned)).abandonment_level == "ok"  # the newest reading wins
    stored = await _documents.read(FailoverState, state_block_name(warned))
    assert stored is not None and stored.abandonment_level == "warning"  # the head's, older


async def test_a_low_reading_is_announced_even_when_nothing_is_done(
    sim, credentials_block, empty_fleet, monkeypatch
):
    primary = create_campaign(sim, "few calls p", "active")
    backup = create_campaign(sim, "few calls b", "paused")
    set_numbers(sim, primary, 0.05, 20)  # low, over fewer calls than the pair's minimum
    await save_pair(primary, backup, credentials_block)
    emitted: list[tuple[str, str]] = []
    monkeypatch.setattr(
        monitor,
        "emit_pair_event",
        lambda event, primary, *args, **kw: emitted.append((event, primary)),
    )
    result = await monitor_fleet()
    assert [row["action"] for row in result["pairs"]] == ["insufficient_data"]
    assert emitted == [("cxone.campaign.evaluated", primary)]


def test_only_a_calm_pair_with_its_guard_not_due_is_evaluated_without_a_place():
    pair = FailoverPair(
        primary_campaign_id="cmp_p", backup_campaign_id="cmp_b", consecutive_breaches=2
    )
    slot = zlib.crc32(b"cmp_p") % 5
    due_at = dt.datetime(2026, 12, 1, 12, slot, tzinfo=dt.UTC)
    later = due_at + dt.timedelta(minutes=1)

    def run(rate: float, calls: int = 200, **state) -> _pairs.PairRun:
        metrics = CampaignMetrics(success_rate=rate, calls_attempted=calls)
        kept = FailoverState(primary_campaign_id="cmp_p", **state)
        return _pairs.PairRun(pair, kept, None, metrics, None, in_fleet=True)

    assert _pairs.needs_no_call(run(0.4), later)
    assert not _pairs.needs_no_call(run(0.4), due_at)  # its guard reads and keeps a reading
    assert not _pairs.needs_no_call(run(0.05), later)  # a first low reading is counted
    assert not _pairs.needs_no_call(run(0.4, consecutive_low=1, low_episode=1), later)
    unread = run(0.4)
    unread.record = operation.UNREAD
    assert not _pairs.needs_no_call(unread, later)


def _announcements(monkeypatch) -> list[tuple[str, str]]:
    """The pair events `monitor` emits (evaluated, evaluating) as (event, primary), in order."""
    emitted: list[tuple[str, str]] = []

    def emit(**event: Any) -> None:
        if event["event"] in ("cxone.campaign.evaluated", "cxone.campaign.evaluating"):
            emitted.append((event["event"], event["payload"]["primary_campaign_id"]))

    monkeypatch.setattr(_events, "emit_event", emit)
    return emitted


async def test_a_batch_announces_each_pair_once_acted_on_by_its_evaluated_event(
    sim, credentials_block, empty_fleet, monkeypatch
):
    """No evaluating event for a pair the batch fails over in time: its evaluated event tells
    the safety net; a pair it does not act on (healthy) is announced as taken up at its end."""
    emitted = _announcements(monkeypatch)
    monkeypatch.setattr(monitor, "TAKEN_UP_SECONDS", 600.0)
    named = []
    for name, rate in (("low-1", 0.04), ("low-2", 0.04), ("fine", 0.9)):
        primary = create_campaign(sim, f"{name} p", "active")
        set_numbers(sim, primary, rate, 200)
        await save_pair(primary, create_campaign(sim, f"{name} b", "paused"), credentials_block)
        named.append(primary)

    await monitor_pairs(named, concurrency=3)

    assert sorted(emitted) == sorted(
        [
            ("cxone.campaign.evaluated", named[0]),
            ("cxone.campaign.evaluated", named[1]),
            ("cxone.campaign.evaluating", named[2]),
        ]
    )


async def test_a_batch_announces_a_pair_still_under_way_after_its_time_as_taken_up(
    sim, credentials_block, empty_fleet, monkeypatch
):
    """A pair held past `TAKEN_UP_SECONDS` is announced (evaluating) while it is held, and
    its evaluated event follows when it fails over."""
    emitted = _announcements(monkeypatch)
    monkeypatch.setattr(monitor, "TAKEN_UP_SECONDS", 0.01)
    primary = create_campaign(sim, "held p", "active")
    set_numbers(sim, primary, 0.04, 200)
    await save_pair(primary, create_campaign(sim, "held b", "paused"), credentials_block)
    announced = asyncio.Event()

    async def hold(name: str, about: Mapping[str, Any]) -> None:
        if name == pause_points.PAIR_EVALUATE and about["primary"] == primary:
            async with asyncio.timeout(30):  # the announcement comes while the pair is held
                while ("cxone.campaign.evaluating", primary) not in emitted:
                    await asyncio.sleep(0.01)
            announced.set()

    with pause_points.installed(hold):
        await monitor_pairs([primary], concurrency=1)

    assert announced.is_set()
    assert emitted == [
        ("cxone.campaign.evaluating", primary),
        ("cxone.campaign.evaluated", primary),
    ]


async def test_a_batch_whose_announcement_fails_still_reports_its_pairs(
    sim, credentials_block, empty_fleet, monkeypatch
):
    """The evaluating event goes out after the pair's work: when it cannot be sent, the run's
    outcome stands (the safety net would start a run of its own)."""
    monkeypatch.setattr(monitor, "TAKEN_UP_SECONDS", 600.0)

    def emit(**event: Any) -> None:
        if event["event"] == "cxone.campaign.evaluating":
            raise RuntimeError("the events client is gone")

    monkeypatch.setattr(_events, "emit_event", emit)
    primary = create_campaign(sim, "fine p", "active")
    set_numbers(sim, primary, 0.9, 200)
    await save_pair(primary, create_campaign(sim, "fine b", "paused"), credentials_block)

    result = await monitor_pairs([primary], concurrency=1)

    assert [(row["primary_campaign_id"], row["action"]) for row in result["pairs"]] == [
        (primary, "none")
    ]
