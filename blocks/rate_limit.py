"""One credentials block's rate limit across every process that uses it, kept by the Prefect
server (the one service every process already talks to, on any machine).

The dashboard's poller, the responder and every flow-run process pace the same credentials
block; each process's own window (`cxone.RateLimit`) alone would let them together exceed
it. After that window, a request takes a slot of a Prefect global concurrency limit used as
a rate limit (a token bucket on the server): its size C and its decay r (requests a second)
are chosen so that C + (60 + LEASE_SECONDS) * r <= requests_per_minute, so the server admits
at most the block's limit over any minute, whichever processes send.

Slots are leased in batches: one call to the server takes k slots at once, for the requests
waiting in the process when it asks (and, for a process that has been busy, as many as it
sent in the last LEASE_SECONDS), and the process hands them out without asking again. A
leased slot not used within LEASE_SECONDS of the call that took it is dropped, which is what
the LEASE_SECONDS in the bound pays for. So a busy process asks the server once per batch,
not once per request; a process sending one request at a time asks once per request.

What it costs: C is two thirds of the block's limit (BURST_SHARE; a storm's burst), and the
rest refills over 65 s, so sustained traffic shared this way gets about a third of the limit
a minute on top of the burst. A busy server's 503 (SQLite's, a write that met another
writer) is asked again within milliseconds. When the server cannot be asked (unreachable,
slower than CALL_TIMEOUT_SECONDS in all, another error), the process paces for OUTAGE_SECONDS
at FALLBACK_SHARE of the block's limit on its own window, says so once, and then asks again.

On only where the block's `share_rate_limit` is set (off by default: a burst of two thirds
and a third a minute after it would hold back a storm or a fleet run that the window alone
lets through), and then off (each process paces alone) when the block is not saved (nothing
names it to other processes), when no Prefect API is configured (each process would start
its own ephemeral server), or when the environment sets `CXONE_SHARE_RATE_LIMIT=0` (the test
suite does: most of its tests need no second process).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from prefect.blocks.core import Block
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.responses import GlobalConcurrencyLimitResponse
from prefect.settings import get_current_settings

from cxone import BucketRegistry, ChainedLimiter, Limiter, RateLimit, TokenBucket

from ._prefect import api_client, document_name, http_client, send_busy_retrying

logger = logging.getLogger(__name__)

# Slots one request takes on the server: it decays whole slots since the limit's last update,
# so at one slot a request each update would lose up to a request's worth of decay.
SCALE = 1000
# The part of the block's limit that may go at once; the rest refills over a minute.
BURST_SHARE = 2 / 3
# A leased slot is used within this long of the call that took it, or dropped.
LEASE_SECONDS = 5.0
# The most slots one call takes.
MAX_BATCH = 50
# A process that sent at least this many requests in the last LEASE_SECONDS leases ahead.
PREFETCH_AFTER = 10
# How often a request waiting for another's lease looks whether it came.
POLL_SECONDS = 0.01
# How long one call to the Prefect server may take before the process paces alone.
CALL_TIMEOUT_SECONDS = 2.0
# How long a process paces alone after the server could not be asked, and at what share.
OUTAGE_SECONDS = 60.0
FALLBACK_SHARE = 1 / 4
# Names of Prefect limits may not hold "/", which block references do.
NAME_PREFIX = "cxone-rate:"
SWITCH = "CXONE_SHARE_RATE_LIMIT"


class CoordinatorUnavailable(Exception):
    """The server keeping the shared limit could not be asked (unreachable, too slow, or it
    answered an error); the message names what happened, never a secret."""


class LimitMissing(CoordinatorUnavailable):
    """The shared limit is not on the server (deleted since this process created it)."""


class Coordinator(Protocol):
    """The server that keeps a rate limit shared by processes."""

    async def ensure(self, name: str, limit: int, slot_decay_per_second: float) -> None:
        """Create the limit if absent; make its size and decay these if they differ.

        Raises:
            CoordinatorUnavailable: the server could not be asked.
        """

    async def take(self, name: str, slots: int) -> float | None:
        """Take `slots`: None when granted, else the seconds to wait before asking again.

        Raises:
            LimitMissing: the limit is not there.
            CoordinatorUnavailable: the server could not be asked.
        """

    async def room(self, name: str, slots: int) -> float:
        """Seconds until `slots` fit in the limit, by reading it (0: they fit now).

        Raises:
            LimitMissing: the limit is not there.
            CoordinatorUnavailable: the server could not be asked.
        """

    async def aclose(self) -> None:
        """Close the connection, if one was opened."""


@asynccontextmanager
async def _asking(what: str) -> AsyncIterator[None]:
    """Bound one call to the server; its failures become `CoordinatorUnavailable`."""
    try:
        async with asyncio.timeout(CALL_TIMEOUT_SECONDS):
            yield
    except TimeoutError:
        raise CoordinatorUnavailable(f"{what} took longer than {CALL_TIMEOUT_SECONDS:g}s") from None
    except httpx.HTTPStatusError as exc:
        raise CoordinatorUnavailable(f"{what} answered {exc.response.status_code}") from None
    except (httpx.HTTPError, OSError, RuntimeError, ValueError) as exc:
        raise CoordinatorUnavailable(f"{what} failed ({type(exc).__name__})") from None


class PrefectCoordinator:
    """A `Coordinator` on the configured Prefect server's global concurrency limits.

    The Prefect client opens on first use, inside the event loop that uses it, and closes
    with the CXone client it paces; a process that leases nothing never opens it. Each call
    is sent without the Prefect client's retries, which wait 2 s after a busy server's 503
    (on SQLite, a write that met another writer): it is sent again within milliseconds
    instead, inside the call's bound.
    """

    def __init__(self) -> None:
        self._stack: AsyncExitStack | None = None
        self._client: PrefectClient | None = None

    async def _prefect(self) -> PrefectClient:
        if self._client is None:
            stack = AsyncExitStack()
            self._client = await stack.enter_async_context(api_client())
            self._stack = stack
        return self._client

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        client = await self._prefect()
        request = http_client(client).build_request(method, path, json=body)
        return await send_busy_retrying(client, request, CALL_TIMEOUT_SECONDS)

    async def _read(self, name: str) -> GlobalConcurrencyLimitResponse | None:
        response = await self._call("GET", _limit_path(name))
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return GlobalConcurrencyLimitResponse.model_validate(response.json())

    async def ensure(self, name: str, limit: int, slot_decay_per_second: float) -> None:
        async with _asking("reading the shared rate limit"):
            current = await self._read(name)
            if current is None:
                wanted = {
                    "name": name,
                    "limit": limit,
                    "slot_decay_per_second": slot_decay_per_second,
                }
                created = await self._call("POST", "/v2/concurrency_limits/", wanted)
                if created.status_code != 409:  # 409: another process created it first: fine
                    created.raise_for_status()
                    return
                current = await self._read(name)
                if current is None:
                    raise LimitMissing(f"the shared rate limit {name!r} went as it was made")
            if current.limit != limit or not math.isclose(
                current.slot_decay_per_second, slot_decay_per_second
            ):
                changes = {"limit": limit, "slot_decay_per_second": slot_decay_per_second}
                (await self._call("PATCH", _limit_path(name), changes)).raise_for_status()

    async def take(self, name: str, slots: int) -> float | None:
        async with _asking("taking slots of the shared rate limit"):
            response = await self._call(
                "POST",
                "/v2/concurrency_limits/increment",
                {"names": [name], "slots": slots, "mode": "rate_limit"},
            )
            if response.status_code == 423:
                return float(response.headers.get("Retry-After", 0.1))
            response.raise_for_status()
            taken = response.json()
        if not taken:
            raise LimitMissing(f"the shared rate limit {name!r} is not on the Prefect server")
        return None

    async def room(self, name: str, slots: int) -> float:
        async with _asking("reading the shared rate limit"):
            current = await self._read(name)
        if current is None:
            raise LimitMissing(f"the shared rate limit {name!r} is not on the Prefect server")
        if not current.active or current.slot_decay_per_second <= 0:
            return 0.0  # turned off on the server: taking will not wait
        excess = current.active_slots + slots - current.limit
        return max(0.0, excess / current.slot_decay_per_second)

    async def aclose(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()


def _limit_path(name: str) -> str:
    """The API path of the global concurrency limit `name` (escaped: a name is the block's
    reference, which may hold characters a path may not)."""
    return f"/v2/concurrency_limits/{quote(name, safe='')}"


def server_limits(requests_per_minute: float) -> tuple[int, float]:
    """The shared limit's size and decay, in slots: a burst of BURST_SHARE of the block's
    limit and a decay such that no LEASE_SECONDS + 60 s admit more than the limit.

    Example:
        >>> server_limits(600)  # 400 at once, then 200 over 65 s
        (400000, 3076.923076923077)
        >>> server_limits(1)  # one request; the decay adds less than a request in 65 s
        (1000, 7.6923076923076925)
    """
    whole = max(1, math.floor(requests_per_minute))
    burst = max(1, math.floor(whole * BURST_SHARE))
    refill = (whole - burst) * SCALE if whole > burst else SCALE / 2
    return burst * SCALE, refill / (60 + LEASE_SECONDS)


@dataclass
class Pool:
    """The slots one process holds of one shared limit, and who is waiting for them."""

    slots: int = 0
    expires: float = -math.inf
    leasing: bool = False
    waiting: int = 0
    sent: deque[float] = field(default_factory=lambda: deque(maxlen=MAX_BATCH))


@dataclass
class ProcessState:
    """What the shared limits of one process share: their pools, the limits made to match
    their block, the fallback windows, and whether the server is left alone for a while."""

    pools: dict[str, Pool] = field(default_factory=dict)
    ensured: dict[str, tuple[int, float]] = field(default_factory=dict)
    fallbacks: dict[str, RateLimit] = field(default_factory=dict)
    outage_until: float = -math.inf
    warned: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self.warned:
            self.warned.add(key)
            logger.warning(message, *args)


PROCESS_STATE = ProcessState()


class SharedRateLimit:
    """A `cxone.Limiter` handing out slots this process leased in batches from a limit the
    Prefect server keeps for every process pacing the same credentials block.

    Args:
        name: the limit's name on the server (from the block's identity, never a secret).
        requests_per_minute: the block's limit.
        coordinator: the server keeping the limit; default the configured Prefect server.
        clock: monotonic seconds (tests inject one).
        sleep: waits for room, or for another request's lease (tests inject one).
        state: what the process's limits share (tests inject a fresh one).

    Raises:
        ValueError: `requests_per_minute` is not positive.
    """

    def __init__(
        self,
        name: str,
        requests_per_minute: float,
        *,
        coordinator: Coordinator | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        state: ProcessState = PROCESS_STATE,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError(
                f"a shared rate limit needs requests_per_minute > 0, not {requests_per_minute!r}"
            )
        self.name = name
        self.requests_per_minute = requests_per_minute
        self.limit, self.slot_decay_per_second = server_limits(requests_per_minute)
        self._coordinator = coordinator or PrefectCoordinator()
        self._clock = clock
        self._sleep = sleep
        self._state = state
        with state.lock:
            self._pool = state.pools.setdefault(name, Pool())

    async def acquire(self) -> None:
        """Wait for a slot of the shared limit (this process's, or a new lease's); pace at
        the fallback share while the server cannot be asked."""
        state, pool = self._state, self._pool
        while True:
            with state.lock:
                now = self._clock()
                if now < state.outage_until:
                    lease = 0  # the server is left alone for now
                    break
                if pool.slots > 0 and now < pool.expires:
                    pool.slots -= 1
                    pool.sent.append(now)
                    return
                if not pool.leasing:
                    pool.leasing, lease = True, self._batch(now)
                    break
                pool.waiting += 1
            try:
                await self._sleep(POLL_SECONDS)  # another request of the process is leasing
            finally:
                with state.lock:
                    pool.waiting -= 1
        if lease:
            await self._lease(lease)
        else:
            await self._fallback().acquire()

    def _batch(self, now: float) -> int:
        """How many slots to lease: one a waiting request, and ahead for a busy process."""
        pool = self._pool
        recent = sum(1 for at in pool.sent if at > now - LEASE_SECONDS)
        ahead = recent if recent >= PREFETCH_AFTER else 0
        return max(1, min(1 + pool.waiting + ahead, MAX_BATCH, self.limit // SCALE))

    async def _lease(self, slots: int) -> None:
        state, pool = self._state, self._pool
        try:
            asked_at = await self._take(slots)
        except BaseException as exc:
            with state.lock:
                pool.leasing = False  # else the process's other requests would wait for ever
                if isinstance(exc, CoordinatorUnavailable):
                    state.outage_until = self._clock() + OUTAGE_SECONDS
            if not isinstance(exc, CoordinatorUnavailable):
                raise
            state.warn_once(
                "outage",
                "pacing CXone requests in this process alone, at %g of the block's limit, for "
                "%gs: %s",
                FALLBACK_SHARE,
                OUTAGE_SECONDS,
                exc,
            )
            await self._fallback().acquire()
            return
        with state.lock:
            # The server granted them after `asked_at`: counting from then is on the safe side.
            pool.slots, pool.expires, pool.leasing = slots - 1, asked_at + LEASE_SECONDS, False
            pool.sent.append(self._clock())
            if state.outage_until > -math.inf:
                state.outage_until = -math.inf
                state.warned.discard("outage")
                logger.info("the Prefect server paces CXone requests again (%s)", self.name)

    async def _take(self, slots: int) -> float:
        """Take `slots` slots' worth (ensuring the limit first); when they were asked for."""
        await self._ensure()
        while True:
            asked_at = self._clock()
            try:
                wait = await self._coordinator.take(self.name, slots * SCALE)
            except LimitMissing:  # deleted on the server: make it again, once
                self._state.ensured.pop(self.name, None)
                await self._ensure()
                asked_at = self._clock()
                wait = await self._coordinator.take(self.name, slots * SCALE)
            if wait is None:
                return asked_at
            # Denied: wait by reading the limit until the slots fit. A denied take restarts
            # the server's decay clock without decaying (Prefect 3.9), so asking again at its
            # Retry-After would lose the time since the last grant; a read does not.
            while (room := await self._coordinator.room(self.name, slots * SCALE)) > 0:
                await self._sleep(room)

    async def _ensure(self) -> None:
        wanted = (self.limit, self.slot_decay_per_second)
        if self._state.ensured.get(self.name) != wanted:
            await self._coordinator.ensure(self.name, *wanted)
            self._state.ensured[self.name] = wanted

    def _fallback(self) -> Limiter:
        share = max(1.0, math.floor(self.requests_per_minute * FALLBACK_SHARE))
        with self._state.lock:
            fallback = self._state.fallbacks.get(self.name)
            if fallback is None or fallback.per_minute != share:
                fallback = RateLimit(share, clock=self._clock, sleep=self._sleep)
                self._state.fallbacks[self.name] = fallback
            return fallback

    def pause(self, seconds: float) -> None:
        """Nothing shared to do: the process's own limit in front holds it off."""

    async def aclose(self) -> None:
        await self._coordinator.aclose()


class SharedBuckets(BucketRegistry):
    """The process's registry, with a block's shared limit chained after each of its limits:
    what a credentials block hands its clients when it shares its rate."""

    def __init__(self, local: BucketRegistry, shared: Callable[[], Limiter]) -> None:
        super().__init__()
        self._local = local
        self._shared = shared

    def get(self, key: str, rate: float, capacity: float) -> TokenBucket:
        return self._local.get(key, rate, capacity)

    def rate_limit(
        self,
        key: str,
        per_minute: float,
        per_second: float | None = None,
        burst: float | None = None,
    ) -> Limiter:
        local = self._local.rate_limit(key, per_minute, per_second, burst)
        return ChainedLimiter(local, self._shared())


def sharing_enabled() -> bool:
    """Whether this process shares rate limits at all: a Prefect API is configured (else each
    process would start its own ephemeral server, which shares nothing) and the environment
    does not turn it off."""
    if os.environ.get(SWITCH, "").strip().lower() in ("0", "false", "off", "no"):
        return False
    return bool(get_current_settings().api.url)


def limit_name(block: Block) -> str | None:
    """The shared limit's name for a saved block: its type's slug and its document's name
    (what every process loads it by); None for a block never saved or loaded."""
    name = document_name(block)
    return f"{NAME_PREFIX}{block.get_block_type_slug()}:{name}" if name else None


def shared_buckets(
    block: Block, requests_per_minute: float, local: BucketRegistry
) -> BucketRegistry:
    """The registry a client of `block` paces with: `local` alone, or with the limit every
    process using the block shares (see the module's docstring for when it is off)."""
    name = limit_name(block)
    if name is None:
        return local
    if not sharing_enabled():
        if not os.environ.get(SWITCH) and not get_current_settings().api.url:
            PROCESS_STATE.warn_once(
                "no-api",
                "PREFECT_API_URL is not set: each process paces its CXone requests alone, and "
                "processes using the same credentials block together may exceed its limit",
            )
        return local
    return SharedBuckets(local, lambda: SharedRateLimit(name, requests_per_minute))
