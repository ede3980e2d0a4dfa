"""Does the dashboard take a storm of deliveries to many campaigns without losing any?

Starts a local stack (Prefect server, simulator, dashboard as `python -m dashboard` on a
loopback socket), saves FailoverPair blocks for a share of the campaigns, then sends signed
Standard Webhooks deliveries on a fixed schedule (open loop: each at its planned instant,
from concurrent clients) to as many distinct campaigns, the paired ones with a low success
rate. Afterwards it checks what the dashboard stored (`/api/campaigns`) and what reached
Prefect: one `cxone.campaign.metrics.updated` per delivery and one
`cxone.campaign.success_rate.low` per paired campaign, none twice.

    python -m benchmarks.bench_dashboard [--deliveries 2000] [--seconds 10] [--paired 0.2]

Targets (dashboard issue): no delivery lost or refused, p99 latency under 250 ms, and every
low reading of a paired campaign raises its event.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter
from prefect.settings import PREFECT_API_URL, temporary_settings
from standardwebhooks import Webhook

from benchmarks import _report
from benchmarks.bench_failover import percentile
from blocks import CXoneCredentials, FailoverPair, pair_block_name, register_block_types
from deployments.local_stack import LocalStack

TARGET_P99_SECONDS = 0.250
METRICS_UPDATED = "cxone.campaign.metrics.updated"
SUCCESS_RATE_LOW = "cxone.campaign.success_rate.low"
EVENTS_WAIT_SECONDS = 60.0


def delivery(campaign_id: str, paired: bool) -> str:
    """The body of one metrics update: low for a paired campaign, healthy otherwise."""
    rate = 0.05 if paired else 0.40
    data = {
        "campaignId": campaign_id,
        "successRate": rate,
        "callsAttempted": 300,
        "callsConnected": int(rate * 300),
        "activeCalls": 5,
    }
    at = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": "omnichannel.campaign.metrics.update", "timestamp": at, "data": data}
    )


async def save_pairs(primaries: list[str]) -> None:
    """A FailoverPair for each primary, a few saves at a time."""
    limit = asyncio.Semaphore(8)

    async def save(primary: str) -> None:
        async with limit:
            pair = FailoverPair(primary_campaign_id=primary, backup_campaign_id=f"{primary}_b")
            await pair.asave(pair_block_name(primary), overwrite=True)

    await asyncio.gather(*(save(primary) for primary in primaries))


@dataclass
class Sent:
    """What the clients saw: each delivery's latency, answer and send time."""

    latencies: list[float] = field(default_factory=list)
    second: list[int] = field(default_factory=list)  # the schedule's second of each delivery
    statuses: list[int] = field(default_factory=list)
    sent_at: dict[str, dt.datetime] = field(default_factory=dict)  # campaign -> send time
    seconds: float = 0.0  # from the first send to the last answer


async def send_all(
    url: str, secret: str, campaigns: list[str], paired: set[str], seconds: float, clients: int
) -> Sent:
    """Send one delivery per campaign, the i-th at `i * seconds / len(campaigns)`."""
    webhook = Webhook(secret)
    interval = seconds / len(campaigns)
    sent = Sent()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(campaigns)):
        queue.put_nowait(index)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        start = time.monotonic()

        async def client() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                await asyncio.sleep(max(0.0, start + index * interval - time.monotonic()))
                campaign = campaigns[index]
                body = delivery(campaign, campaign in paired)
                message_id = f"msg_{uuid.uuid4().hex}"
                now = dt.datetime.now(dt.UTC)
                headers = {
                    "webhook-id": message_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": webhook.sign(message_id, now, body),
                    "content-type": "application/json",
                }
                began = time.monotonic()
                sent.sent_at[campaign] = now
                try:
                    response = await http.post("/webhooks/cxone", content=body, headers=headers)
                    sent.statuses.append(response.status_code)
                except httpx.HTTPError:
                    sent.statuses.append(0)
                sent.latencies.append(time.monotonic() - began)
                sent.second.append(int(index * interval))

        await asyncio.gather(*(client() for _ in range(clients)))
        sent.seconds = time.monotonic() - start
        return sent


def stored_campaigns(url: str, auth: dict[str, str]) -> dict[str, int]:
    """Campaign id -> points the dashboard stored (read with the `auth` header)."""
    answer = httpx.get(f"{url}/api/campaigns", headers=auth, timeout=60)
    rows = answer.raise_for_status().json()["campaigns"]
    return {row["campaign_id"]: len(row["points"]) for row in rows}


async def events_since(name: str, since: dt.datetime, prefix: str) -> list:
    """Every event called `name` since `since` about a campaign whose id starts with `prefix`."""
    found = []
    async with get_client() as client:
        page = await client.read_events(
            EventFilter(
                event=EventNameFilter(name=[name]), occurred=EventOccurredFilter(since=since)
            ),
            limit=50,  # the server's maximum page
        )
        while True:
            found += [
                e for e in page.events if e.resource.get("cxone.campaign.id", "").startswith(prefix)
            ]
            if not page.next_page:
                return found
            page = await client.read_events_page(page.next_page)


async def wait_for_events(name: str, since: dt.datetime, prefix: str, expected: int) -> list:
    """The events, once `expected` of them arrived or EVENTS_WAIT_SECONDS passed."""
    deadline = time.monotonic() + EVENTS_WAIT_SECONDS
    while True:
        found = await events_since(name, since, prefix)
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        await asyncio.sleep(1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--paired", type=float, default=0.2, help="share of paired campaigns")
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections")
    parser.add_argument("--logs", type=Path, help="keep the services' logs in this directory")
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    run = uuid.uuid4().hex[:6]
    campaigns = [f"bench_{run}_{n:05d}" for n in range(args.deliveries)]
    every = max(1, round(1 / args.paired)) if args.paired > 0 else len(campaigns) + 1
    paired = set(campaigns[::every])
    with tempfile.TemporaryDirectory() as tmp, LocalStack(args.logs or Path(tmp)) as stack:
        print("starting the Prefect server and simulator ...", flush=True)
        stack.start_prefect_server()
        stack.start_simulator()
        with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
            asyncio.run(register_block_types())
            asyncio.run(
                CXoneCredentials(
                    client_id="sim-client", client_secret="sim-secret", base_url=stack.simulator_url
                ).asave("cxone", overwrite=True)
            )
            print(f"saving {len(paired)} FailoverPair blocks ...", flush=True)
            asyncio.run(save_pairs(sorted(paired)))
            print("starting the dashboard ...", flush=True)
            stack.start_dashboard()
            since = dt.datetime.now(dt.UTC)
            print(
                f"sending {len(campaigns)} signed deliveries in {args.seconds:g} s to "
                f"{len(campaigns)} campaigns ({len(paired)} paired, low) from {args.clients} "
                "clients ...",
                flush=True,
            )
            sent = asyncio.run(
                send_all(
                    stack.dashboard_url,
                    stack.webhook_secret,
                    campaigns,
                    paired,
                    args.seconds,
                    args.clients,
                )
            )
            stored = stored_campaigns(stack.dashboard_url, stack.dashboard_auth)
            updated = asyncio.run(
                wait_for_events(METRICS_UPDATED, since, f"bench_{run}_", len(campaigns))
            )
            low = asyncio.run(
                wait_for_events(SUCCESS_RATE_LOW, since, f"bench_{run}_", len(paired))
            )
    return report(campaigns, paired, sent, stored, updated, low, args.json)


def report(
    campaigns: list[str],
    paired: set[str],
    sent: Sent,
    stored: dict[str, int],
    updated: list,
    low: list,
    json_path: Path | None = None,
) -> int:
    latencies = sent.latencies
    refused = sum(status != 200 for status in sent.statuses)
    lost = sum(stored.get(campaign, 0) != 1 for campaign in campaigns)
    low_campaigns = [e.resource["cxone.campaign.id"] for e in low]
    missing_low = len(paired - set(low_campaigns))
    twice_low = len(low_campaigns) - len(set(low_campaigns))
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    # How long the low event followed its delivery: the work done behind the answer.
    lags = [
        (e.occurred - sent.sent_at[e.resource["cxone.campaign.id"]]).total_seconds() for e in low
    ] or [float("nan")]
    print(
        f"\n{len(campaigns)} deliveries in {sent.seconds:.2f} s: "
        f"{len(campaigns) / sent.seconds:.0f}/s; latency p50 {p50 * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )
    by_second: dict[int, list[float]] = {}
    for second, latency in zip(sent.second, latencies, strict=True):
        by_second.setdefault(second, []).append(latency)
    worst = max(by_second, key=lambda second: max(by_second[second]))
    print(
        "  p99 per second of the schedule (ms): "
        + " ".join(f"{percentile(by_second[s], 0.99) * 1000:.0f}" for s in sorted(by_second))
        + f"; slowest second {worst}"
    )
    print(f"  refused or failed: {refused}; not stored exactly once: {lost}")
    print(
        f"  events in Prefect: {len(updated)} {METRICS_UPDATED} (of {len(campaigns)}), "
        f"{len(low)} {SUCCESS_RATE_LOW} (of {len(paired)}; missing {missing_low}, "
        f"twice {twice_low})"
    )
    print(
        f"  delivery -> low event: p50 {statistics.median(lags) * 1000:.0f} ms, "
        f"p99 {percentile(lags, 0.99) * 1000:.0f} ms"
    )
    ok = (
        p99 < TARGET_P99_SECONDS
        and refused == 0
        and lost == 0
        and missing_low == 0
        and twice_low == 0
        and len(updated) == len(campaigns)
    )
    print(
        f"  target p99 < {TARGET_P99_SECONDS * 1000:.0f} ms, nothing lost or refused, every "
        f"low reading's event once: {'PASS' if ok else 'MISS'}"
    )
    target = f"< {TARGET_P99_SECONDS * 1000:.0f} ms"
    once = refused == lost == missing_low == twice_low == 0 and len(updated) == len(campaigns)
    _report.write(json_path, [
        _report.figure("delivery p99", f"{p99 * 1000:.1f} ms", target, p99 < TARGET_P99_SECONDS),
        _report.figure("lost, refused or twice", str(refused + lost + missing_low + twice_low),
                       "0", once),
    ])  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
