"""How long does one `monitor_fleet` run take for a contact center's whole fleet?

Starts a Prefect server on PostgreSQL and the simulator (each API limited to 100 requests a
second, like a tenant), saves N pairs as FailoverPair blocks, collapses 5% of the primaries,
and times one fleet run (the one that fails those pairs over) and the next, steady-state
run. Checks that each collapsed pair failed over exactly once (one pause, one resume) and
nothing else changed. Repeats for growing fleets, on each platform:

- `cxone`: NICE CXone's published APIs (the stand-in): one skill-summary listing reads 100
  pairs' metrics, so the rate limit leaves room for the failovers;
- `described`: the described API (SPEC section 1), which reads metrics one campaign at a
  time: at 100 requests a second, N pairs cost at least N / 100 seconds a run.

    python -m benchmarks.bench_fleet [--sizes 100,500,1000,2000] [--platforms cxone,described]
                                     [--json PATH] [--requests]

`--requests` also prints, for each run, the requests the fleet run sent to the Prefect server
by route (count and time until the answer's headers) and the events it emitted by kind.

Targets (issue 22): 500 pairs within 5 s on the first run, 2,000 within 15 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx
from prefect.client.orchestration import get_client
from prefect.events.clients import EventsClient
from prefect.settings import PREFECT_API_URL, temporary_settings

from benchmarks import _report
from benchmarks._processes import cpu_by_process
from blocks import (
    CXoneCredentials,
    FailoverPair,
    _documents,
    pair_block_name,
    read_blocks,
    register_block_types,
)
from cxone._admin import CAMPAIGN_VERSION
from deployments.local_stack import LocalStack, stand_in_access_key
from flows.monitor import monitor_fleet

SERVER_RATE = 100  # requests a second at the simulated tenant
COLLAPSING_SHARE = 0.05
TARGETS = {500: 5.0, 2000: 15.0}  # pairs -> seconds for a first run
API = "/api/v2/omnichannel/campaigns"
SETUP_BATCH = 200  # skills a POST /skills creates at once while setting up


class Tenant(Protocol):
    """A platform's stand-in: its campaigns, their numbers, the status changes it saw."""

    credentials_block: str

    def limit(self, rate: float | None) -> None: ...

    def campaigns(self, prefix: str, count: int, status: str) -> list[str]: ...

    def numbers(self, campaign_id: str, rate: float) -> None: ...

    def transitions(self) -> list[tuple[str, str]]: ...


class DescribedTenant:
    """The simulator's described API (for campaigns) and its control API (for numbers)."""

    credentials_block = "bench"

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=30)

    def save_credentials(self) -> None:
        credentials = CXoneCredentials(
            client_id="sim-client",
            client_secret="sim-secret",
            base_url=str(self.http.base_url),
            requests_per_minute=SERVER_RATE * 60,
            requests_per_second=SERVER_RATE,  # the server's limit here is per second
        )
        asyncio.run(credentials.asave(self.credentials_block, overwrite=True))

    def limit(self, rate: float | None) -> None:
        self.http.patch("/_sim/config", json={"rate_limit_per_second": rate}).raise_for_status()

    def token(self) -> str:
        form = {"grant_type": "client_credentials", "client_id": "sim-client",
                "client_secret": "sim-secret"}  # fmt: skip
        return self.http.post("/api/v2/oauth/token", data=form).json()["access_token"]

    def campaigns(self, prefix: str, count: int, status: str) -> list[str]:
        headers = {"Authorization": f"Bearer {self.token()}"}
        ids = []
        for number in range(count):
            body = {"name": f"{prefix}-{number}", "status": status, "contactListId": "CL-BENCH"}
            ids.append(self.http.post(API, json=body, headers=headers).json()["id"])
        return ids

    def numbers(self, campaign_id: str, rate: float) -> None:
        body = {"successRate": rate, "callsAttempted": 200, "callsConnected": int(rate * 200)}
        self.http.put(f"/_sim/campaigns/{campaign_id}/metrics", json=body).raise_for_status()

    def transitions(self) -> list[tuple[str, str]]:
        changes = self.http.get("/_sim/transitions").json()["transitions"]
        return [(change["campaignId"], change["status"]) for change in changes]


class NiceTenant:
    """The NICE CXone stand-in: skills through its API, activity through its control API."""

    credentials_block = "cxone-access-key/bench"

    def __init__(self, stack: LocalStack):
        self.block = stand_in_access_key(stack.issuer_url, SERVER_RATE * 60)
        self.block.requests_per_second = SERVER_RATE  # the server's limit here is per second
        self.http = httpx.Client(base_url=stack.admin_api_url, timeout=30)

    def save_credentials(self) -> None:
        asyncio.run(self.block.asave(self.credentials_block.split("/")[1], overwrite=True))

    def limit(self, rate: float | None) -> None:
        body = {"rate_limit_per_second": rate}
        self.http.patch("/_sim/admin/config", json=body).raise_for_status()

    def campaigns(self, prefix: str, count: int, status: str) -> list[str]:
        return asyncio.run(self._skills(prefix, count, status))

    async def _skills(self, prefix: str, count: int, status: str) -> list[str]:
        async with self.block.get_client() as client:
            group = {"name": f"bench {prefix}", "isActive": True}
            body = await client.call("POST", "/campaigns", version=CAMPAIGN_VERSION, json=group)
            ids: list[str] = []
            for first in range(0, count, SETUP_BATCH):
                items = [
                    {"skillName": f"{prefix}-{number}", "mediaTypeId": 4, "isOutbound": True,
                     "outboundStrategy": "Personal Connection", "campaignId": body["id"]}
                    for number in range(first, min(count, first + SETUP_BATCH))
                ]  # fmt: skip
                answer = await client.call("POST", "/skills", json={"skills": items})
                ids += [str(result["skillId"]) for result in answer["skillsResults"]]
            if status == "active":
                for skill in ids:
                    await client.call("POST", f"/skills/{skill}/start", replay_safe=True)
            return ids

    def numbers(self, campaign_id: str, rate: float) -> None:
        body = {"dials": 200, "connects": int(rate * 200), "handled": int(rate * 200)}
        url = f"/_sim/admin/skills/{campaign_id}/activity"
        self.http.post(url, json=body).raise_for_status()

    def transitions(self) -> list[tuple[str, str]]:
        changes = self.http.get("/_sim/admin/transitions").json()["transitions"]
        status = {"start": "active", "stop": "paused"}
        return [(str(change["skillId"]), status[change["action"]]) for change in changes]


class Traffic:
    """The requests a run sends to the Prefect server (by route) and the events it emits."""

    UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.requests: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.lock = threading.Lock()

    @contextmanager
    def recording(self) -> Iterator[None]:
        """Count while inside (wraps httpx's transport and the events client's `emit`)."""
        traffic, send, emit = self, httpx.AsyncHTTPTransport.handle_async_request, EventsClient.emit

        async def counted_send(transport: Any, request: httpx.Request) -> httpx.Response:
            started = time.perf_counter()
            try:
                return await send(transport, request)
            finally:
                url = str(request.url)
                if url.startswith(traffic.api_url):
                    route = traffic.UUID.sub("{id}", url[len(traffic.api_url) :].split("?")[0])
                    route = re.sub(r"/name/[^/]+$", "/name/{name}", route)
                    with traffic.lock:
                        traffic.requests[f"{request.method} {route}"] += 1
                        traffic.seconds[f"{request.method} {route}"] += (
                            time.perf_counter() - started
                        )

        async def counted_emit(client: Any, event: Any) -> None:
            with traffic.lock:
                traffic.events[event.event] += 1
            await emit(client, event)

        httpx.AsyncHTTPTransport.handle_async_request = counted_send  # type: ignore[method-assign]
        EventsClient.emit = counted_emit  # type: ignore[method-assign]
        try:
            yield
        finally:
            httpx.AsyncHTTPTransport.handle_async_request = send  # type: ignore[method-assign]
            EventsClient.emit = emit  # type: ignore[method-assign]

    def report(self, title: str) -> None:
        total = sum(self.requests.values())
        print(f"    {title}: {total} Prefect API requests, {sum(self.events.values())} events")
        for route, count in self.requests.most_common():
            print(f"      {count:6d} {self.seconds[route]:7.2f}s  {route}")
        for kind, count in self.events.most_common():
            print(f"      {count:6d}   event  {kind}")


def _stack_cpu() -> float:
    """CPU seconds used so far by this process's children and theirs (the Prefect server,
    PostgreSQL, the simulator): the server's share of a run, whatever the load."""
    return sum(cpu_by_process().values())


async def replace_fleet(pairs: list[tuple[str, str]], credentials_block: str) -> None:
    """Delete every saved pair, then save these."""
    async with get_client() as client:
        for name, _ in await read_blocks(FailoverPair):
            document = await client.read_block_document_by_name(
                name, FailoverPair.get_block_type_slug()
            )
            await client.delete_block_document(document.id)
    gate = asyncio.Semaphore(8)

    async def save(primary: str, backup: str) -> None:
        async with gate:
            pair = FailoverPair(
                primary_campaign_id=primary,
                backup_campaign_id=backup,
                credentials_block=credentials_block,
            )
            await _documents.create(pair, pair_block_name(primary))

    await asyncio.gather(*(save(*pair) for pair in pairs))


def set_up_fleet(
    tenant: Tenant, size: int, collapsing: int = 0
) -> tuple[list[tuple[str, str]], set[str]]:
    """`size` pairs saved as the whole fleet (primaries active, backups paused), the first
    `collapsing` primaries low and the others healthy, set up with the tenant's limit off
    (the caller turns it on to measure); returns the pairs and the collapsing primaries."""
    tenant.limit(None)
    primaries = tenant.campaigns(f"p{size}", size, "active")
    backups = tenant.campaigns(f"b{size}", size, "paused")
    low = set(primaries[:collapsing])
    for primary in primaries:
        tenant.numbers(primary, 0.04 if primary in low else 0.35)
    pairs = list(zip(primaries, backups, strict=True))
    asyncio.run(replace_fleet(pairs, tenant.credentials_block))
    return pairs, low


def measure(tenant: Tenant, size: int, api_url: str | None = None) -> dict[str, Any]:
    # Set up quickly; measure at the tenant's limit.
    pairs, collapsing = set_up_fleet(tenant, size, max(1, round(size * COLLAPSING_SHARE)))
    before = len(tenant.transitions())
    tenant.limit(SERVER_RATE)
    timings = []
    traffic = []
    for _ in range(2):
        recorder = Traffic(api_url) if api_url else None
        started, cpu, stack_cpu = time.monotonic(), time.process_time(), _stack_cpu()
        if recorder:
            with recorder.recording():
                result = asyncio.run(monitor_fleet(concurrency=16))
        else:
            result = asyncio.run(monitor_fleet(concurrency=16))
        timings.append(time.monotonic() - started)
        if recorder:
            time.sleep(1.0)  # the server's handling of the run's events belongs to it
        traffic.append((recorder, time.process_time() - cpu, _stack_cpu() - stack_cpu))
    for (recorder, cpu, stack), run in zip(traffic, ("first run", "next run"), strict=True):
        if recorder:
            recorder.report(f"{size} pairs, {run}: CPU {cpu:.2f}s here, {stack:.2f}s in the stack")
    changes = tenant.transitions()[before:]
    wanted = sorted(
        [(p, "paused") for p in collapsing] + [(b, "active") for p, b in pairs if p in collapsing]
    )
    actions: dict[str, int] = {}
    for row in result["pairs"]:
        actions[row["action"]] = actions.get(row["action"], 0) + 1
    return {
        "size": size,
        "first": timings[0],
        "next": timings[1],
        "exactly_once": sorted(changes) == wanted,
        "collapsing": len(collapsing),
        "actions": actions,
    }


def report(platform: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Print the growth and the targets; the figures for the JSON page."""
    smallest = results[0]
    print(f"\n{platform}: growth from {smallest['size']} pairs")
    for result in results:
        factor = result["size"] / smallest["size"]
        print(
            f"  {result['size']:>5} pairs (x{factor:g}): first run x"
            f"{result['first'] / smallest['first']:.1f}, next run x"
            f"{result['next'] / smallest['next']:.1f}"
        )
    figures = []
    for result in results:
        target = TARGETS.get(result["size"])
        if target is None:
            continue
        passed = result["exactly_once"] and result["first"] <= target
        figures.append(
            {
                "name": f"fleet {result['size']} pairs, first run ({platform})",
                "measured": round(result["first"], 2),
                "target": target,
                "passed": passed,
            }
        )
        floor = (
            ""
            if platform != "described"
            else (f" (floor {result['size'] / SERVER_RATE:.0f}s: one metrics request a pair)")
        )
        print(f"  target: {result['size']} pairs' first run within {target:.0f}s, exactly one "
              f"failover per collapsed pair: {'PASS' if passed else 'MISS'}{floor}")  # fmt: skip
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000,2000")
    parser.add_argument(
        "--platforms",
        default="cxone,described",
        help="cxone (NICE's APIs, bulk summaries) and/or described (one read a campaign); "
        "the first one's times are the JSON's series",
    )
    parser.add_argument(
        "--database",
        choices=["postgres", "sqlite"],
        default="postgres",
        help="the Prefect server's database (production runs PostgreSQL)",
    )
    parser.add_argument(
        "--requests",
        action="store_true",
        help="print each run's Prefect API requests by route and its events by kind",
    )
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    platforms = args.platforms.split(",")
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp) / "stack") as stack:
        os.chmod(tmp, 0o711)  # PostgreSQL's own user must reach its directory
        print(f"starting the Prefect server on {args.database} and the simulator ...", flush=True)
        cluster = stack.start_postgres() if args.database == "postgres" else None
        stack.start_prefect_server(cluster.url() if cluster else None)
        stack.start_simulator("--list", "CL-BENCH=10")
        with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
            asyncio.run(register_block_types())
            for platform in platforms:
                tenant = (
                    NiceTenant(stack)
                    if platform == "cxone"
                    else DescribedTenant(stack.simulator_url)
                )
                tenant.save_credentials()
                for size in sizes:
                    api = stack.prefect_api_url if args.requests else None
                    result = measure(tenant, size, api)
                    results.setdefault(platform, []).append(result)
                    print(
                        f"{platform:>9} {size:>5} pairs: first run {result['first']:6.2f}s "
                        f"(fails over {result['collapsing']}), next run {result['next']:6.2f}s, "
                        f"exactly once: {result['exactly_once']}, actions {result['actions']}, "
                        f"load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
    figures = [figure for platform in platforms for figure in report(platform, results[platform])]
    series: dict[str, list[list[float]]] = {}
    for index, platform in enumerate(platforms):
        suffix = "" if index == 0 else f"_{platform}"
        for run in ("first", "next"):
            series[f"fleet_{run}{suffix}"] = [
                [r["size"], round(r[run], 2)] for r in results[platform]
            ]
    _report.write(args.json, figures, series)
    ok = all(r["exactly_once"] for rows in results.values() for r in rows)
    return 0 if ok and all(f["passed"] for f in figures if "(cxone)" in f["name"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
