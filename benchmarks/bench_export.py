"""Export a large contact list under a server rate limit: the client versus a plain page loop.

The simulator runs in its own process with a limit of R requests per second (a token bucket
holding one second's worth, the usual meaning of "R per second"; a refusal says Retry-After in
whole seconds, as HTTP does) and 20 ms of latency per call. The client is configured with the
same R a second (`requests_per_second`) and paces evenly (burst 1), so its rate is its own
and not the server's opening burst.
Both exports read every contact with `query=true`; duplicates and misses are counted against
the simulator's own generator.

    python -m benchmarks.bench_export [--rate 100] [--contacts 20000] [--latency-ms 20]

Target: the client achieves at least 0.9 of R, with zero duplicates and zero misses.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from benchmarks import _report
from cxone import CXoneClient, CXoneConfig
from deployments.local_stack import LocalStack
from simulator import generate_contacts

LIST_ID = "CL-BENCH"
SEED = 42
PATH = f"/api/v2/omnichannel/contactlists/{LIST_ID}/contacts"


async def client_export(base_url: str, rate: float) -> list[str]:
    config = CXoneConfig(
        base_url=base_url,
        client_id="sim-client",
        client_secret="sim-secret",
        requests_per_minute=rate * 60,
        # The server's limit is per second: pace to it evenly (burst 1), with no opening
        # burst for it to refuse (requests_per_minute alone would allow a minute's worth).
        requests_per_second=rate,
        burst=1,
    )
    ids: list[str] = []
    async with CXoneClient(config) as client:
        async for page in client.iter_contacts(LIST_ID, query="true", concurrency=8):
            ids.extend(c.id for c in page)
    return ids


async def sequential_export(base_url: str) -> list[str]:
    """The tutorial's loop: one page after another until an empty page; waits out a 429."""
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        token = (
            await http.post(
                "/api/v2/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "sim-client",
                    "client_secret": "sim-secret",
                },
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        page = 1
        while True:
            response = await http.get(
                PATH, params={"query": "true", "page": page, "pageSize": 100}, headers=headers
            )
            if response.status_code == 429:
                await asyncio.sleep(float(response.headers.get("Retry-After", 1)))
                continue
            response.raise_for_status()
            contacts = response.json()["contacts"]
            if not contacts:
                return ids
            ids.extend(c["id"] for c in contacts)
            page += 1


def measure(name: str, base_url: str, export, rate: float) -> dict:
    httpx.delete(f"{base_url}/_sim/requests").raise_for_status()
    start = time.perf_counter()
    ids = asyncio.run(export())
    elapsed = time.perf_counter() - start
    log = httpx.get(f"{base_url}/_sim/requests").json()["requests"]
    statuses = Counter(str(r["status"]) for r in log)
    return {
        "name": name,
        "ids": ids,
        "seconds": elapsed,
        "requests": len(log),
        "rate_fraction": len(log) / elapsed / rate,
        "429s": statuses.get("429", 0),
    }


def check(result: dict, expected: set[str]) -> None:
    """Count duplicates, misses and extras against the generator, and print the row."""
    seen = Counter(result.pop("ids"))
    result["duplicates"] = sum(n - 1 for n in seen.values() if n > 1)
    result["misses"] = len(expected - set(seen))
    result["extras"] = len(set(seen) - expected)
    print(
        f"{result['name']:<22} {result['seconds']:7.2f} s  {result['requests']:5d} requests  "
        f"{result['rate_fraction']:5.2f} of R  429s={result['429s']:<4d} "
        f"duplicates={result['duplicates']}  misses={result['misses']}  "
        f"extras={result['extras']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="server limit R, requests/s")
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)

    sim_args = [
        "--seed", str(SEED),
        "--list", f"{LIST_ID}={args.contacts}",
        "--rate-limit", str(args.rate),
        "--latency-ms", str(args.latency_ms),
    ]  # fmt: skip
    print(
        f"Exporting {args.contacts} contacts; server limit R={args.rate:g} requests/s, "
        f"{args.latency_ms:g} ms latency"
    )
    with tempfile.TemporaryDirectory() as logs, LocalStack(Path(logs)) as stack:
        stack.start_simulator(*sim_args)
        base_url = stack.simulator_url
        client = measure(
            "client (paced, x8)", base_url, lambda: client_export(base_url, args.rate), args.rate
        )
        sequential = measure(
            "sequential page loop", base_url, lambda: sequential_export(base_url), args.rate
        )
    # Built after the runs: 20,000 generated records held during them would slow this process.
    expected = {c["id"] for c in generate_contacts(args.contacts, SEED)}
    check(client, expected)
    check(sequential, expected)
    ok = client["rate_fraction"] >= 0.9 and client["duplicates"] == client["misses"] == 0
    print(f"target (client >= 0.90 of R, no duplicates, no misses): {'PASS' if ok else 'MISS'}")
    _report.write(args.json, [
        _report.figure("client rate, share of R", f"{client['rate_fraction']:.2f}", ">= 0.90",
                       client["rate_fraction"] >= 0.9),
        _report.figure("duplicates + misses", str(client["duplicates"] + client["misses"]), "0",
                       client["duplicates"] == client["misses"] == 0),
    ])  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
