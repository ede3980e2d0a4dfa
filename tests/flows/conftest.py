"""Helpers for the flow tests: campaigns made directly on the simulator, effects counted there,
and movable clocks handed to the flows (`blocks.clock.using`): leases, backoffs, cooldowns,
metric windows and day lists all read it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext

from blocks import (
    FailoverPair,
    FailoverState,
    GuardReadings,
    _documents,
    pair_block_name,
    pause_points,
)
from blocks import clock as flow_clock
from blocks.backup_claims import CLAIM_TAG

API = "/api/v2/omnichannel/campaigns"


def bearer(sim) -> dict:
    """An Authorization header for calling the simulator's API directly, as an operator would."""
    token = sim.post(
        "/api/v2/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sim-client",
            "client_secret": "sim-secret",
        },
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def create_campaign(sim, name: str, status: str) -> str:
    body = {"name": name, "status": status, "contactListId": "CL-1"}
    response = sim.post(API, json=body, headers=bearer(sim))
    response.raise_for_status()
    return response.json()["id"]


def set_status(sim, campaign_id: str, status: str) -> None:
    sim.put(f"{API}/{campaign_id}", json={"status": status}, headers=bearer(sim))


def set_metrics(sim, campaign_id: str, rate: float, calls: int) -> None:
    sim.put(
        f"/_sim/campaigns/{campaign_id}/metrics",
        json={"successRate": rate, "callsAttempted": calls, "callsConnected": int(rate * calls)},
    ).raise_for_status()


def transitions(sim) -> list[tuple[str, str]]:
    """Status changes that took effect, as (campaign id, new status), oldest first."""
    return [
        (t["campaignId"], t["status"]) for t in sim.get("/_sim/transitions").json()["transitions"]
    ]


def statuses(sim) -> dict[str, str]:
    return {c["id"]: c["status"] for c in sim.get("/_sim/campaigns").json()["campaigns"]}


async def until(condition: Callable[[], Awaitable[object]], what: str, seconds: float = 90) -> None:
    """Wait until `condition` answers something true (a run getting somewhere, the server
    storing what was emitted); TimeoutError naming `what` after `seconds`."""
    for _ in range(int(seconds / 0.1)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"never saw: {what}")


def add_fault(sim, **fault) -> None:
    sim.post("/_sim/faults", json=fault).raise_for_status()


@pytest.fixture
def pair(sim, credentials_block):
    """A fresh active primary and paused backup on the simulator."""
    primary = create_campaign(sim, "primary", "active")
    backup = create_campaign(sim, "backup", "paused")
    sim.delete("/_sim/requests")
    return primary, backup


class MovableClock:
    """The flows' clock: real time plus however far a test moved it on."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock():
    """A movable clock handed to every flow of the test."""
    moved = MovableClock()
    with flow_clock.using(moved):
        yield moved


# The scheduled daily sync's instant: 05:30 in New York on Monday 2026-11-30, before the
# first legal minute anywhere. Day lists start no window before the flows' clock.
SYNC_AT = dt.datetime(2026, 11, 30, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture
def sync_clock():
    """The flows' clock, set to `SYNC_AT`; a test moves it by setting `clock["at"]`."""
    clock = {"at": SYNC_AT}
    with flow_clock.using(lambda: clock["at"].astimezone(dt.UTC)):
        yield clock


class Hold:
    """Holds the first run that reaches pause point `point` (in flow `flow`, where `about`
    matches) until the test releases it; the test awaits `reached`, never a sleep."""

    def __init__(self, point: str, flow: str | None, about: dict) -> None:
        self.point, self.flow, self.about = point, flow, about
        self.reached, self.released = asyncio.Event(), asyncio.Event()
        self.used = False

    def matches(self, point: str, about: dict) -> bool:
        if self.used or point != self.point:
            return False
        if any(about.get(key) != value for key, value in self.about.items()):
            return False
        if self.flow is not None:
            context = FlowRunContext.get()
            return context is not None and context.flow.name == self.flow
        return True

    async def wait_until_reached(self) -> None:
        await asyncio.wait_for(self.reached.wait(), REACH_SECONDS)

    def release(self) -> None:
        self.released.set()


REACH_SECONDS = 120  # a bound on waiting for a run to reach a point, not a sequencing sleep


class PausePoints:
    """The test's hook at every pause point: holds runs where the test asked."""

    def __init__(self) -> None:
        self.holds: list[Hold] = []

    def hold(self, point: str, flow: str | None = None, **about) -> Hold:
        held = Hold(point, flow, about)
        self.holds.append(held)
        return held

    async def __call__(self, point: str, about) -> None:
        for held in self.holds:
            if held.matches(point, dict(about)):
                held.used = True
                held.reached.set()
                await held.released.wait()
                return

    def release_all(self) -> None:
        for held in self.holds:
            held.release()


@pytest.fixture
def pauses():
    """Pause points held where the test asks (`pauses.hold(...)`), all released at the end."""
    points = PausePoints()
    with pause_points.installed(points):
        yield points
        points.release_all()


@pytest.fixture
async def empty_fleet(prefect_harness):
    """No pair left from other tests: the fleet is every FailoverPair block there is."""
    async with get_client() as client:
        claims = {"variables": {"tags": {"all_": [CLAIM_TAG]}}}
        while found := (await client.request("POST", "/variables/filter", json=claims)).json():
            for claim in found:  # the server's first page each time, until none is left
                await client.delete_variable_by_name(claim["name"])
        for block in (FailoverPair, FailoverState, GuardReadings):
            found, unfit = await _documents.read_all_checked(block)
            for name in [name for name, _ in found] + [name for name, _, _ in unfit]:
                document = await client.read_block_document_by_name(
                    name, block.get_block_type_slug()
                )
                await client.delete_block_document(document.id)


async def save_pair(primary: str, backup: str, credentials_block: str, **settings) -> None:
    pair = FailoverPair(
        primary_campaign_id=primary,
        backup_campaign_id=backup,
        credentials_block=credentials_block,
        **settings,
    )
    await pair.asave(pair_block_name(primary), overwrite=True)
