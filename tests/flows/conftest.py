"""Helpers for the flow tests: campaigns made directly on the simulator, effects counted there,
and a movable clock for the exactly-once operations (leases, backoff)."""

from __future__ import annotations

import datetime as dt

import pytest

import blocks.operation

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
    """The operations' clock: real time plus however far a test moved it on."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> MovableClock:
    moved = MovableClock()
    monkeypatch.setattr(blocks.operation, "clock", moved)
    return moved


# The scheduled daily sync's instant: 05:30 in New York on Monday 2026-11-30, before the
# first legal minute anywhere. Day lists start no window before the flows' clock.
SYNC_AT = dt.datetime(2026, 11, 30, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture
def sync_clock(monkeypatch) -> dict:
    """The dial-list flows' clock (`dial_lists.utc_now`), set to `SYNC_AT`; a test moves it
    by setting `clock["at"]`."""
    clock = {"at": SYNC_AT}
    monkeypatch.setattr("dial_lists.utc_now", lambda: clock["at"].astimezone(dt.UTC))
    return clock
