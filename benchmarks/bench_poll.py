"""What does the dashboard's poll of a NICE CXone fleet cost the stack, every minute of the day?

Starts PostgreSQL, a Prefect server on it and the simulator, saves N pairs on NICE CXone's
stand-in (healthy, nothing fails over), and measures for each `CXONE_METRICS_EVENT_SECONDS`
asked: a dashboard started with it polls the pairs every 15 s (the default) for `--seconds`,
after a first listing and round. It prints, per minute, each process's CPU seconds (the
Prefect server, PostgreSQL, the dashboard, the simulator) and the events the Prefect server
stored, by name. A baseline without the dashboard comes first, then the median of ten
listings of every pair (what the dashboard's pair cache does every 5 s, or less often for a
slow listing).

    python -m benchmarks.bench_poll [--pairs 2000] [--seconds 180] [--intervals 0,60]
                                    [--json PATH]

No target: the figures say what a day of polling costs, so that an operator can size the
Prefect server (see docs/dashboard.md, "NICE CXone is polled").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from prefect.settings import PREFECT_API_URL, temporary_settings

from benchmarks import _report
from benchmarks._processes import cpu_by_process
from benchmarks.bench_fleet import SERVER_RATE, NiceTenant, set_up_fleet
from blocks import FailoverPair, read_blocks, register_block_types
from deployments.local_stack import LocalStack

WARM_UP_SECONDS = 20  # the dashboard's first listing and round, not measured
PROCESSES = ("prefect server", "postgres", "dashboard", "simulator")


def stored_events(api_url: str, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """How many events of each name the Prefect server stored as occurring in [since, until]."""
    body = {
        "filter": {"occurred": {"since": since.isoformat(), "until": until.isoformat()}},
        "time_unit": "day",
        "time_interval": 1,
    }
    response = httpx.post(f"{api_url}/events/count-by/event", json=body, timeout=60)
    response.raise_for_status()
    return {row["value"]: row["count"] for row in response.json()}


def measure(stack: LocalStack, seconds: float) -> dict[str, dict[str, float]]:
    """Per minute over the next `seconds`: CPU seconds by process, events by name."""
    before, since = cpu_by_process(), dt.datetime.now(dt.UTC)
    time.sleep(seconds)
    after, until = cpu_by_process(), dt.datetime.now(dt.UTC)
    time.sleep(3)  # events still on their way count in their minute
    scale = 60 / seconds
    return {
        "cpu": {name: round((after[name] - before[name]) * scale, 1) for name in PROCESSES},
        "events": {
            name: round(count * scale)
            for name, count in stored_events(stack.prefect_api_url, since, until).items()
        },
    }


def time_listings(count: int = 10) -> dict[str, float]:
    """Seconds and Prefect server CPU seconds of one listing of every saved pair (what the
    dashboard's pair cache does every `pair_cache_seconds`), the median of `count`."""
    walls, cpus = [], []
    for _ in range(count):
        cpu, started = cpu_by_process()["prefect server"], time.perf_counter()
        asyncio.run(read_blocks(FailoverPair))
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_by_process()["prefect server"] - cpu)
    return {"seconds": statistics.median(walls), "server_cpu": statistics.median(cpus)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument(
        "--intervals",
        default="0,60",
        help="CXONE_METRICS_EVENT_SECONDS values to measure, one dashboard each",
    )
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    intervals = [value.strip() for value in args.intervals.split(",")]
    figures: list[dict] = []
    rows: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp) / "stack") as stack:
        os.chmod(tmp, 0o711)  # PostgreSQL's own user must reach its directory
        print("starting PostgreSQL, the Prefect server and the simulator ...", flush=True)
        stack.start_prefect_server(stack.start_postgres().url())
        stack.start_simulator("--list", "CL-BENCH=10")
        with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
            asyncio.run(register_block_types())
            tenant = NiceTenant(stack)
            tenant.save_credentials()
            started = time.monotonic()
            set_up_fleet(tenant, args.pairs)  # all healthy: nothing fails over
            print(f"{args.pairs} pairs saved in {time.monotonic() - started:.0f} s", flush=True)
            tenant.limit(SERVER_RATE)  # a tenant's limit, as in service
            rows["no dashboard"] = measure(stack, min(args.seconds, 60))
            print(f"no dashboard, a minute: {rows['no dashboard']}", flush=True)
            listing = time_listings()
            print(f"one listing of the {args.pairs} pairs (median of 10): "
                  f"{listing['seconds']:.2f} s, the Prefect server's CPU "
                  f"{listing['server_cpu']:.2f} s", flush=True)  # fmt: skip
            figures.append(
                _report.figure(
                    f"{args.pairs} pairs: one listing of them all (the dashboard's), server CPU",
                    f"{listing['server_cpu']:.2f} s ({listing['seconds']:.2f} s)",
                )
            )
            for every in intervals:
                dashboard = stack.start_dashboard(CXONE_METRICS_EVENT_SECONDS=every)
                time.sleep(WARM_UP_SECONDS)
                row = rows[f"CXONE_METRICS_EVENT_SECONDS={every}"] = measure(stack, args.seconds)
                stack.stop_service(dashboard)
                print(f"dashboard polling, CXONE_METRICS_EVENT_SECONDS={every}, a minute: "
                      f"{row}", flush=True)  # fmt: skip
                label = f"{args.pairs} NICE pairs polled, metrics events every {every} s"
                updated = row["events"].get("cxone.campaign.metrics.updated", 0)
                figures += [
                    _report.figure(f"{label}: events a minute", f"{updated:,}"),
                    _report.figure(
                        f"{label}: Prefect server CPU a minute",
                        f"{row['cpu']['prefect server']:.1f} s",
                    ),
                ]
    _report.write(args.json, figures, {}, minutes=rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
