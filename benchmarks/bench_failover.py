"""How fast does the backup take over once the primary's success rate collapses?

Starts a local stack (Prefect server, simulator, dashboard), provisions a pair per failover,
then for each: report a healthy rate, report a collapsed rate, and time until the simulator
shows the backup active. (A restored pair is not reused: after a restore only the calls made
since count and the pair's cooldown holds, so a collapse at once does not fail over.) Each
failover is split into legs from the timestamps the system leaves behind:

- webhook -> event: the simulator's webhook reaches the dashboard, which emits
  `cxone.campaign.success_rate.low` (the event's `occurred`);
- event -> run: the responder receives it and creates the flow run (the run's `created`);
- run -> claim: the run loads the pair, reads the metrics, decides and claims the record;
- pause: pause sent and confirmed (the record's `pause.confirmed_at`);
- resume: resume sent and confirmed (`resume.confirmed_at`);
- seen: the benchmark's poll sees the backup active.

Paths:
- `serve` (the demo's): `python -m deployments.serve`, whose process also runs the responder.
- `production`: deployments applied with `prefect deploy --all` from `deployments/prefect.yaml`
  on a process work pool with a process worker, and the responder as its own service.

    python -m benchmarks.bench_failover [--runs 10] [--path serve|production|both]

Target (failover issue): median at most 1.0 s and 90th percentile at most 2.0 s from the
low-success webhook to the backup confirmed active.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter
from prefect.settings import PREFECT_API_URL, temporary_settings

from benchmarks import _report
from benchmarks._report import percentile
from blocks import FailoverPair, failover_identity, load_state, operation
from dashboard.settings import DashboardSettings
from deployments.definitions import LOW_SUCCESS_EVENT
from deployments.local_stack import LocalStack, connect_to_simulator, provision_pair
from flows.monitor import monitor_campaigns

ROOT = Path(__file__).resolve().parents[1]
LIST_ID = "CL-BENCH"
TARGET_MEDIAN = 1.0
TARGET_P90 = 2.0
LEGS = ("webhook->event", "event->run", "run->claim", "pause", "resume", "seen")


class Simulator:
    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=10)

    def status(self, campaign_id: str) -> str:
        campaigns = self.http.get("/_sim/campaigns").json()["campaigns"]
        return next(c["status"] for c in campaigns if c["id"] == campaign_id)

    def metrics(self, campaign_id: str, rate: float, calls: int) -> None:
        self.http.put(
            f"/_sim/campaigns/{campaign_id}/metrics",
            json={
                "successRate": rate,
                "callsAttempted": calls,
                "callsConnected": int(rate * calls),
            },
        ).raise_for_status()


async def legs_of(primary: str, backup: str, started: dt.datetime, seen: dt.datetime) -> dict:
    """Each leg's seconds, from the event, the flow run and the failover record."""
    pair = FailoverPair(primary_campaign_id=primary, backup_campaign_id=backup)
    identity = failover_identity(pair, (await load_state(primary)).episode)
    record = await operation.load(identity)
    while record.status != "applied":  # the run records the resume just after it is seen
        await asyncio.sleep(0.05)
        record = await operation.load(identity)
    async with get_client() as client:
        events = await client.read_events(
            EventFilter(
                event=EventNameFilter(name=[LOW_SUCCESS_EVENT]),
                occurred=EventOccurredFilter(since=started),
            ),
            limit=50,  # the server's maximum page
        )
        run = await client.read_flow_run(record.owner)
    low = min(e.occurred for e in events.events if e.resource.id == f"cxone.campaign.{primary}")
    pause = dt.datetime.fromisoformat(record.answers["pause"]["confirmed_at"])
    resume = dt.datetime.fromisoformat(record.answers["resume"]["confirmed_at"])
    marks = [started, low, run.created, record.created_at, pause, resume, seen]
    return {leg: (marks[i + 1] - marks[i]).total_seconds() for i, leg in enumerate(LEGS)}


def failover_once(sim: Simulator, primary: str, backup: str) -> dict:
    sim.metrics(primary, 0.45, 300)  # healthy first, so the collapse is a change
    time.sleep(1.0)
    started = dt.datetime.now(dt.UTC)
    begin = time.monotonic()
    sim.metrics(primary, 0.04, 300)
    while sim.status(backup) != "active":
        if time.monotonic() - begin > 60:
            raise TimeoutError("backup not active after 60s")
        time.sleep(0.01)
    total = time.monotonic() - begin
    legs = asyncio.run(legs_of(primary, backup, started, dt.datetime.now(dt.UTC)))
    time.sleep(1.5)  # let the run finish its announcement before the next restore
    return {"total": total, **legs}


def provision_pairs(sim: Simulator, label: str, runs: int) -> list[tuple[str, str]]:
    """A fresh pair per failover, provisioned and monitored once while healthy (as a pair in
    service is: its state kept, its abandonment read within the guard's interval) before any
    is measured; then a wait until the dashboard's listing of pairs (refreshed every
    `pair_cache_seconds`) holds them all."""
    pairs = []
    for number in range(1, runs + 1):
        primary, backup = asyncio.run(provision_pair(LIST_ID, f"Bench {label} {number}"))
        pairs.append((primary["id"], backup["id"]))
        sim.metrics(primary["id"], 0.45, 300)
        asyncio.run(monitor_campaigns(primary["id"], backup["id"]))
    time.sleep(DashboardSettings.model_fields["pair_cache_seconds"].default + 1)
    return pairs


def measure(label: str, runs: int, sim: Simulator) -> list[dict]:
    results = []
    for number, pair in enumerate(provision_pairs(sim, label, runs), start=1):
        result = failover_once(sim, *pair)
        results.append(result)
        legs = "  ".join(f"{leg} {result[leg]:.3f}" for leg in LEGS)
        print(f"{label} run {number}: {result['total']:.3f}s  ({legs})", flush=True)
    return results


def report(label: str, results: list[dict]) -> bool:
    totals = [r["total"] for r in results]
    median, p90 = statistics.median(totals), percentile(totals, 0.9)
    print(
        f"\n{label}: median {median:.3f}s  p90 {p90:.3f}s  min {min(totals):.3f}s  "
        f"max {max(totals):.3f}s  (n={len(totals)})"
    )
    whole = sum(statistics.median([r[leg] for r in results]) for leg in LEGS)
    for leg in LEGS:
        leg_median = statistics.median([r[leg] for r in results])
        print(f"  {leg:<16} median {leg_median:.3f}s  ({leg_median / whole:5.1%} of the legs)")
    ok = median <= TARGET_MEDIAN and p90 <= TARGET_P90
    print(
        f"  target median <= {TARGET_MEDIAN:.1f}s, p90 <= {TARGET_P90:.1f}s: "
        f"{'PASS' if ok else 'MISS'}"
    )
    return ok


def report_figures(path: str, results: list[dict]) -> list[dict]:
    totals = [r["total"] for r in results]
    median, p90 = statistics.median(totals), percentile(totals, 0.9)
    return [
        _report.figure(f"{path} path: median", f"{median:.3f} s", f"<= {TARGET_MEDIAN:.1f} s",
                       median <= TARGET_MEDIAN),
        _report.figure(f"{path} path: p90", f"{p90:.3f} s", f"<= {TARGET_P90:.1f} s",
                       p90 <= TARGET_P90),
    ]  # fmt: skip


def deploy_production(stack: LocalStack) -> None:
    """`prefect deploy --all` from prefect.yaml, as docs/production.md does."""
    env = stack.env(CXONE_CONTACT_LIST_ID=LIST_ID)
    prefect = [sys.executable, "-m", "prefect", "--no-prompt"]
    for command in (
        ["work-pool", "create", "cxone-process", "--type", "process", "--overwrite"],
        ["deploy", "--all", "--prefect-file", "deployments/prefect.yaml"],
    ):
        subprocess.run([*prefect, *command], cwd=ROOT, env=env, check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--path", choices=["serve", "production", "both"], default="both")
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    figures: list[dict] = []
    outcome = True
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp)) as stack:
        print("starting the Prefect server, simulator and dashboard ...", flush=True)
        stack.start_prefect_server()
        stack.start_simulator("--list", f"{LIST_ID}=200")
        stack.start_dashboard()
        with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
            asyncio.run(connect_to_simulator(stack))
            sim = Simulator(stack.simulator_url)
            if args.path in ("serve", "both"):
                serve = stack.start_serve(
                    "--contact-list", LIST_ID, "--output-dir", str(Path(tmp) / "exports")
                )
                results = measure("serve", args.runs, sim)
                stack.stop_service(serve)
                outcome &= report("serve path (serve process with its responder)", results)
                figures += report_figures("serve", results)
            if args.path in ("production", "both"):
                deploy_production(stack)
                stack.start_worker()
                stack.start_responder()
                results = measure("production", args.runs, sim)
                outcome &= report(
                    "production path (prefect.yaml, process worker, responder service)", results
                )
                figures += report_figures("production", results)
    _report.write(args.json, figures)
    return 0 if outcome else 1


if __name__ == "__main__":
    raise SystemExit(main())
