"""The rate limit shared across processes (`blocks.rate_limit`): slots leased in batches from a
fake coordinator, the server's bound, the fallback while the server cannot be asked, which
clients share, and the Prefect coordinator on the session's server."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import httpx
import pytest
import respx
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

from blocks import CXoneAccessKey, CXoneCredentials, load_credentials
from blocks import rate_limit as rl
from blocks._prefect import bind_document
from cxone import ChainedLimiter

SECRET = "s3cret-value"
Step = str | float | None  # "missing", "down", seconds to wait, or None (granted)


@dataclass
class FakeCoordinator:
    """Answers `take` from a script; records every call."""

    takes: list[Step] = field(default_factory=list)
    rooms: list[Step] = field(default_factory=list)
    ensure_fails: bool = False
    calls: list[tuple[object, ...]] = field(default_factory=list)

    async def ensure(self, name: str, limit: int, slot_decay_per_second: float) -> None:
        self.calls.append(("ensure", name, limit, slot_decay_per_second))
        await asyncio.sleep(0)
        if self.ensure_fails:
            raise rl.CoordinatorUnavailable("reading the shared rate limit answered 503")

    async def take(self, name: str, slots: int) -> float | None:
        self.calls.append(("take", name, slots))
        await asyncio.sleep(0)  # a real call lets the process's other requests run
        step = self.takes.pop(0) if self.takes else None
        if step == "missing":
            raise rl.LimitMissing("gone")
        if step == "down":
            raise rl.CoordinatorUnavailable("taking slots failed (ConnectError)")
        assert not isinstance(step, str)
        return step

    async def room(self, name: str, slots: int) -> float:
        self.calls.append(("room", name, slots))
        step = self.rooms.pop(0) if self.rooms else 0.0
        if step == "down":
            raise rl.CoordinatorUnavailable("reading the shared rate limit failed (ReadError)")
        assert isinstance(step, float)
        return step

    async def aclose(self) -> None:
        self.calls.append(("aclose",))

    def taken(self) -> list[int]:
        """The requests' worth of slots each granted or denied take asked for."""
        return [int(c[2]) // rl.SCALE for c in self.calls if c[0] == "take"]


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def shared(
    coordinator: FakeCoordinator, time_: FakeTime, state: rl.ProcessState, rpm: float = 600
) -> rl.SharedRateLimit:
    return rl.SharedRateLimit(
        "cxone-rate:t:prod",
        rpm,
        coordinator=coordinator,
        clock=time_.clock,
        sleep=time_.sleep,
        state=state,
    )


@pytest.mark.parametrize(
    ("takes", "rooms", "slept", "calls"),
    [
        ([None], [], [], "ensure take"),
        ([0.1, None], [0.3, 0.05, 0.0], [0.3, 0.05], "ensure take room room room take"),
        ([0.1, 0.1, None], [], [], "ensure take room take room take"),
        (["missing", None], [], [], "ensure take ensure take"),
        (["down"], [], [], "ensure take"),
        ([0.1], ["down"], [], "ensure take room"),
    ],
    ids=[
        "granted",
        "denied-then-waits-by-reading",
        "lost-the-race-twice",
        "recreates-a-deleted-limit",
        "server-down",
        "server-down-while-waiting",
    ],
)
async def test_one_request(takes: list[Step], rooms: list[Step], slept: list[float], calls: str):
    coordinator, time_ = FakeCoordinator(takes=list(takes), rooms=list(rooms)), FakeTime()
    await shared(coordinator, time_, rl.ProcessState()).acquire()
    assert " ".join(str(c[0]) for c in coordinator.calls) == calls
    assert time_.slept == slept
    assert all(c[2] == rl.SCALE for c in coordinator.calls if c[0] in ("take", "room"))


async def test_concurrent_requests_lease_their_slots_in_one_call() -> None:
    coordinator, time_, state = FakeCoordinator(), FakeTime(), rl.ProcessState()
    limits = [shared(coordinator, time_, state) for _ in range(3)]  # three clients, one block
    await asyncio.gather(*(limits[i % 3].acquire() for i in range(40)))
    # The first asks alone; the 39 that queued meanwhile share the next lease.
    assert coordinator.taken() == [1, 39]
    assert state.pools["cxone-rate:t:prod"].slots == 0


async def test_a_busy_process_leases_ahead_and_drops_what_it_did_not_use() -> None:
    coordinator, time_, state = FakeCoordinator(), FakeTime(), rl.ProcessState()
    limit = shared(coordinator, time_, state)
    for _ in range(30):  # one at a time, 0.1 s apart
        await limit.acquire()
        time_.now += 0.1
    # One each until ten were sent within LEASE_SECONDS, then as many ahead as were sent.
    assert coordinator.taken() == [1] * 10 + [11, 22]
    pool = state.pools["cxone-rate:t:prod"]
    assert pool.slots == 13 and pool.expires == pytest.approx(7.1)  # leased at 2.1 s
    time_.now = 7.2
    await limit.acquire()  # the lease ran out: its 13 are dropped, not sent late
    assert coordinator.taken()[-1] == 1 and pool.expires == pytest.approx(12.2)


async def test_a_lease_never_asks_for_more_than_the_servers_burst() -> None:
    coordinator, time_, state = FakeCoordinator(), FakeTime(), rl.ProcessState()
    limit = shared(coordinator, time_, state, rpm=12)  # a burst of 8
    await asyncio.gather(*(limit.acquire() for _ in range(20)))
    # The last lease is for the three left and ahead (the process is busy), within 8.
    assert coordinator.taken() == [1, 8, 8, 8]


@pytest.mark.parametrize("rpm", [1, 2, 3, 7, 60, 100, 599.5, 600, 6000, 60_000])
def test_the_server_admits_at_most_the_blocks_limit_in_any_minute(rpm: float) -> None:
    size, decay = rl.server_limits(rpm)
    # A lease is used within LEASE_SECONDS of its grant: a minute of sends spans that much
    # more of grants, which hold at most the burst and the decay over that time.
    admitted = (size + decay * (60 + rl.LEASE_SECONDS)) // rl.SCALE
    assert admitted == max(1, int(rpm))
    assert size >= rl.SCALE and decay > 0  # a request fits; Prefect rate limits need a decay
    assert size // rl.SCALE >= int(rpm * rl.BURST_SHARE)


async def test_the_limit_is_made_once_per_process_and_again_when_the_limit_changes() -> None:
    coordinator, time_, state = FakeCoordinator(), FakeTime(), rl.ProcessState()
    for _ in range(3):
        await shared(coordinator, time_, state).acquire()
        time_.now += rl.LEASE_SECONDS  # every lease ran out: each request asks
    await shared(coordinator, time_, state, rpm=300).acquire()
    ensures = [c[2:] for c in coordinator.calls if c[0] == "ensure"]
    assert ensures == [rl.server_limits(600), rl.server_limits(300)]


async def test_an_outage_paces_at_the_fallback_share_says_so_once_and_asks_again(caplog):
    coordinator, time_, state = FakeCoordinator(ensure_fails=True), FakeTime(), rl.ProcessState()
    limit = shared(coordinator, time_, state, rpm=8)
    with caplog.at_level(logging.INFO, logger="blocks.rate_limit"):
        for _ in range(3):  # a quarter of 8 a minute: two at once, the third a minute later
            await limit.acquire()
        assert time_.slept == [60.0] and len(coordinator.calls) == 1  # asked once
        assert state.fallbacks["cxone-rate:t:prod"].per_minute == 2
        time_.now += rl.OUTAGE_SECONDS
        await limit.acquire()  # still down: asked again, not said again
        assert len(coordinator.calls) == 2
        coordinator.ensure_fails = False
        time_.now += rl.OUTAGE_SECONDS + 1
        await limit.acquire()
    assert [c[0] for c in coordinator.calls] == ["ensure", "ensure", "ensure", "take"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "alone, at 0.25 of the block's limit" in warnings[0]
    assert "answered 503" in warnings[0]
    assert any("paces CXone requests again" in r.getMessage() for r in caplog.records)
    assert state.outage_until == float("-inf") and "outage" not in state.warned


async def test_a_cancelled_lease_lets_the_next_request_lease() -> None:
    coordinator, time_, state = FakeCoordinator(), FakeTime(), rl.ProcessState()
    limit = shared(coordinator, time_, state)
    answered = asyncio.Event()
    take = coordinator.take

    async def slow_take(name: str, slots: int) -> float | None:
        await answered.wait()  # the server never answers this one
        return await take(name, slots)

    coordinator.take = slow_take  # type: ignore[method-assign]
    waiting = asyncio.ensure_future(limit.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert state.pools["cxone-rate:t:prod"].leasing
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not state.pools["cxone-rate:t:prod"].leasing
    coordinator.take = take  # type: ignore[method-assign]
    await limit.acquire()
    assert coordinator.taken() == [1]


async def test_the_chain_waits_for_the_process_then_the_shared_limit() -> None:
    order: list[str] = []

    class Recording:
        def __init__(self, name: str) -> None:
            self.name = name

        async def acquire(self) -> None:
            order.append(self.name)

        def pause(self, seconds: float) -> None:
            order.append(f"pause {self.name} {seconds:g}")

        async def aclose(self) -> None:
            order.append(f"closed {self.name}")

    limiter = ChainedLimiter(Recording("local"), Recording("shared"))
    await limiter.acquire()
    limiter.pause(2)
    await limiter.aclose()
    assert order == ["local", "shared", "pause local 2", "pause shared 2", "closed shared"]


def saved(block, name: str = "prod"):
    bind_document(block, name, "00000000-0000-0000-0000-000000000001")
    return block


def credentials(share: bool = True) -> CXoneCredentials:
    return CXoneCredentials(client_id="app", client_secret=SECRET, share_rate_limit=share)


def shared_name(client) -> str | None:
    limiter = client._session.limiter
    return limiter.shared.name if isinstance(limiter, ChainedLimiter) else None


@pytest.mark.parametrize(
    ("block", "api", "switch", "expected"),
    [
        (saved(credentials()), "http://127.0.0.1:9/api", "1", "cxone-rate:cxone-credentials:prod"),
        (
            saved(
                CXoneAccessKey(access_key_id="AK", access_key_secret=SECRET, share_rate_limit=True),
                "nice",
            ),
            "http://127.0.0.1:9/api",
            "1",
            "cxone-rate:cxone-access-key:nice",
        ),
        (  # off unless asked for
            saved(CXoneCredentials(client_id="app", client_secret=SECRET)),
            "http://127.0.0.1:9/api",
            "1",
            None,
        ),
        (credentials(), "http://127.0.0.1:9/api", "1", None),  # never saved: nothing names it
        (saved(credentials(share=False)), "http://127.0.0.1:9/api", "1", None),
        (saved(credentials()), "", "1", None),  # no Prefect API: nothing to share through
        (saved(credentials()), "http://127.0.0.1:9/api", "0", None),  # the test suite's switch
    ],
    ids=["described", "nice", "default", "unsaved", "turned-off", "no-api", "switched-off"],
)
def test_which_clients_share_the_limit(block, api, switch, expected, monkeypatch) -> None:
    monkeypatch.setenv(rl.SWITCH, switch)
    with temporary_settings({PREFECT_API_URL: api}):
        assert shared_name(block.get_client()) == expected


def test_no_prefect_api_is_said_once_without_secrets(caplog, monkeypatch) -> None:
    monkeypatch.setattr(rl, "PROCESS_STATE", rl.ProcessState())
    monkeypatch.delenv(rl.SWITCH)
    block = saved(credentials())
    with temporary_settings({PREFECT_API_URL: ""}), caplog.at_level(logging.WARNING):
        block.get_client()
        block.get_client()
    messages = [r.getMessage() for r in caplog.records if r.name == "blocks.rate_limit"]
    assert len(messages) == 1 and "PREFECT_API_URL is not set" in messages[0]
    assert SECRET not in caplog.text


async def test_the_prefect_coordinator_creates_follows_and_takes(prefect_harness) -> None:
    name = "cxone-rate:test:coordinator"
    coordinator, other = rl.PrefectCoordinator(), rl.PrefectCoordinator()
    try:
        await coordinator.ensure(name, 2000, 1.0)
        await other.ensure(name, 2000, 1.0)  # a second process finds it: no error
        assert await coordinator.take(name, 1500) is None  # a batch in one call
        assert await coordinator.take(name, 500) is None
        wait = await other.take(name, 1000)  # the burst is spent, in any process
        assert wait is not None and wait > 0
        assert await other.room(name, 1000) == pytest.approx(1000, abs=5)  # 1000 at 1 a second
        await other.ensure(name, 3000, 2.0)  # the block's limit changed
        async with get_client() as client:
            stored = await client.read_global_concurrency_limit_by_name(name)
            assert (stored.limit, stored.slot_decay_per_second) == (3000, 2.0)
            await client.delete_global_concurrency_limit_by_name(name)
        with pytest.raises(rl.LimitMissing):
            await coordinator.take(name, 1000)
        with pytest.raises(rl.LimitMissing):
            await coordinator.room(name, 1000)
    finally:
        await coordinator.aclose()
        await other.aclose()


async def test_an_unreachable_server_is_unavailable_not_an_error() -> None:
    coordinator = rl.PrefectCoordinator()
    down = {PREFECT_API_URL: "http://127.0.0.1:9/api", PREFECT_CLIENT_MAX_RETRIES: 0}
    with temporary_settings(down):
        try:
            with pytest.raises(rl.CoordinatorUnavailable, match="shared rate limit"):
                await coordinator.ensure("cxone-rate:test:down", 1000, 1.0)
        finally:
            await coordinator.aclose()


async def test_what_another_process_took_holds_a_saved_blocks_clients_back(
    prefect_harness, sim, monkeypatch
) -> None:
    """Another process (here the test, on the same server) has spent the block's whole burst:
    a client of the block sends each request only after a request's worth of decay."""
    monkeypatch.setenv(rl.SWITCH, "1")
    monkeypatch.setattr(rl, "PROCESS_STATE", rl.ProcessState())
    await CXoneCredentials(
        client_id="sim-client",
        client_secret="sim-secret",
        base_url=str(sim.base_url).rstrip("/"),
        requests_per_minute=600,
        share_rate_limit=True,
    ).asave("shared-limit", overwrite=True)
    name = "cxone-rate:cxone-credentials:shared-limit"
    size, decay = rl.server_limits(600)
    other = rl.PrefectCoordinator()
    try:
        await other.ensure(name, size, decay)
        credentials = await load_credentials("shared-limit")
        sim.delete("/_sim/requests")
        started = asyncio.get_running_loop().time()
        assert await other.take(name, size) is None
        async with credentials.get_client() as client:
            assert shared_name(client) == name
            for _ in range(3):  # the token request and three reads
                await client.list_campaigns()
        took = asyncio.get_running_loop().time() - started
    finally:
        async with get_client() as prefect:
            await prefect.delete_global_concurrency_limit_by_name(name)
        await other.aclose()
    assert len(sim.get("/_sim/requests").json()["requests"]) == 4
    # The server frees a request's worth every 0.325 s (at 600), never faster.
    assert took >= 4 * rl.SCALE / decay * 0.95


BUSY_API = "http://127.0.0.1:9/api"
LIMIT_JSON = {
    "id": "00000000-0000-0000-0000-000000000001",
    "name": "cxone-rate:test:busy",
    "limit": 2000,
    "active": True,
    "active_slots": 0,
    "slot_decay_per_second": 1.0,
    "created": "2026-12-07T00:00:00Z",
    "updated": "2026-12-07T00:00:00Z",
}


@pytest.mark.parametrize(
    "call, method, path, answer",
    [
        ("ensure", "GET", "/v2/concurrency_limits/cxone-rate%3Atest%3Abusy", LIMIT_JSON),
        ("take", "POST", "/v2/concurrency_limits/increment", [{"name": "cxone-rate:test:busy"}]),
        ("room", "GET", "/v2/concurrency_limits/cxone-rate%3Atest%3Abusy", LIMIT_JSON),
    ],
)
async def test_a_busy_server_is_asked_again_at_once_not_after_the_clients_2_s(
    call: str, method: str, path: str, answer: object
) -> None:
    """SQLite answers 503 to a write that met another writer; the Prefect client would wait
    2 s before its retry, the coordinator's whole bound. The coordinator asks again within
    milliseconds, so three busy answers in a row still end in the answer."""
    coordinator = rl.PrefectCoordinator()
    with temporary_settings({PREFECT_API_URL: BUSY_API}), respx.mock(assert_all_called=True) as api:
        route = api.request(method, BUSY_API + path).mock(
            side_effect=[httpx.Response(503)] * 3 + [httpx.Response(200, json=answer)]
        )
        try:
            if call == "ensure":
                await coordinator.ensure("cxone-rate:test:busy", 2000, 1.0)
            elif call == "take":
                assert await coordinator.take("cxone-rate:test:busy", 1000) is None
            else:
                assert await coordinator.room("cxone-rate:test:busy", 1000) == 0.0
        finally:
            await coordinator.aclose()
    assert route.call_count == 4


async def test_a_server_busy_throughout_the_bound_is_unavailable(monkeypatch) -> None:
    monkeypatch.setattr(rl, "CALL_TIMEOUT_SECONDS", 0.2)
    coordinator = rl.PrefectCoordinator()
    with temporary_settings({PREFECT_API_URL: BUSY_API}), respx.mock() as api:
        route = api.post(BUSY_API + "/v2/concurrency_limits/increment").mock(
            return_value=httpx.Response(503)
        )
        try:
            with pytest.raises(rl.CoordinatorUnavailable, match="slots of the shared rate limit"):
                await coordinator.take("cxone-rate:test:busy", 1000)
        finally:
            await coordinator.aclose()
    assert route.call_count > 3  # asked again and again within the bound, then given up
