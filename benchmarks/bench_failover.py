"""How fast does the backup take over once the primary's success rate collapses?

Starts the local stack (Prefect server, simulator, dashboard, served deployments), then
repeats: restore the pair and open a new failover episode, report a collapsed success rate,
and time until the simulator shows the backup active.

- Event path: the simulator's webhook reaches the dashboard, which emits
  `cxone.campaign.success_rate.low`; the serving process's responder runs the failover flow
  at once (and the trigger of `failover-on-low-success` starts a run that finds it done).
- Trigger-only path: the same with `serve --no-responder`: the trigger's run alone.
- Polling path: the dashboard is stopped, so only the every-minute `monitor-campaigns`
  schedule can notice.

    python -m benchmarks.bench_failover [--event-runs 7] [--polling-runs 3]

Target: event path median at most 2 s from the webhook to the backup confirmed active.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.local_stack import LocalStack, connect_to_simulator, provision_pair
from flows.monitor import reset_failover

LIST_ID = "CL-BENCH"
TARGET_SECONDS = 2.0
API = "/api/v2/omnichannel/campaigns"


class Simulator:
    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=10)
        token = self.http.post(
            "/api/v2/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "sim-client",
                  "client_secret": "sim-secret"},
        ).json()["access_token"]  # fmt: skip
        self.http.headers["Authorization"] = f"Bearer {token}"

    def status(self, campaign_id: str) -> str:
        return self.http.get(f"{API}/{campaign_id}").json()["status"]

    def set_status(self, campaign_id: str, status: str) -> None:
        if self.status(campaign_id) != status:
            self.http.put(f"{API}/{campaign_id}", json={"status": status}).raise_for_status()

    def metrics(self, campaign_id: str, rate: float, calls: int) -> None:
        self.http.put(
            f"/_sim/campaigns/{campaign_id}/metrics",
            json={
                "successRate": rate,
                "callsAttempted": calls,
                "callsConnected": int(rate * calls),
            },
        ).raise_for_status()


async def setup(stack: LocalStack) -> tuple[str, str]:
    await connect_to_simulator(stack)
    primary, backup = await provision_pair(LIST_ID, "Bench")
    return primary["id"], backup["id"]


async def runs_in_progress() -> int:
    async with get_client() as client:
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(
                name=DeploymentFilterName(any_=["failover-on-low-success", "monitor-campaigns"])
            ),
        )
    return sum(r.state is not None and r.state.is_running() for r in runs)


def wait_for_quiet(limit: float = 30.0) -> None:
    """Let the previous failover's runs finish, so each measurement starts from quiet."""
    deadline = time.monotonic() + limit
    while asyncio.run(runs_in_progress()) and time.monotonic() < deadline:
        time.sleep(0.2)


def collapse_and_wait(sim: Simulator, primary: str, backup: str, timeout: float) -> float:
    wait_for_quiet()
    asyncio.run(reset_failover(primary))
    sim.set_status(backup, "paused")
    sim.set_status(primary, "active")
    sim.metrics(primary, 0.45, 300)  # healthy first, so the collapse is a change
    time.sleep(1.0)
    started = time.monotonic()
    sim.metrics(primary, 0.04, 300)
    while sim.status(backup) != "active":
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"backup not active after {timeout:.0f}s")
        time.sleep(0.02)
    return time.monotonic() - started


def measure(label: str, runs: int, sim: Simulator, pair: tuple[str, str], timeout: float):
    latencies = []
    for run in range(runs):
        latencies.append(collapse_and_wait(sim, *pair, timeout=timeout))
        print(f"{label} run {run + 1}: backup active after {latencies[-1]:.2f}s", flush=True)
    return latencies


def report(label: str, latencies: list[float], note: str) -> None:
    if latencies:
        print(f"{label:<22} median {statistics.median(latencies):5.2f}s  "
              f"min {min(latencies):5.2f}s  max {max(latencies):5.2f}s  "
              f"(n={len(latencies)}; {note})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--event-runs", type=int, default=7)
    parser.add_argument("--polling-runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp)) as stack:
        print("starting the Prefect server, simulator, dashboard and deployments ...")
        stack.start_prefect_server()
        stack.start_simulator("--list", f"{LIST_ID}=200")
        dashboard = stack.start_dashboard()
        with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
            pair = asyncio.run(setup(stack))
            serve_args = ["--primary", pair[0], "--backup", pair[1], "--contact-list", LIST_ID,
                          "--output-dir", str(Path(tmp) / "exports")]  # fmt: skip
            sim = Simulator(stack.simulator_url)
            serve = stack.start_serve(*serve_args)
            event = measure("event (responder)", args.event_runs, sim, pair, 60)
            wait_for_quiet()  # a run cut off by stopping serve would stay "Running" forever
            stack.stop_service(serve)
            stack.start_serve(*serve_args, "--no-responder")
            trigger = measure("event (trigger only)", args.event_runs, sim, pair, 60)
            stack.stop_service(dashboard)
            polling = measure("polling", args.polling_runs, sim, pair, 150)
    print()
    report("event path", event, "serve's responder runs the flow in its warm process")
    report("trigger-only path", trigger, "deployment trigger: runner poll + new process")
    report("polling path", polling, "dashboard stopped; monitor-campaigns every 60s")
    ok = statistics.median(event) <= TARGET_SECONDS
    print(f"target: event path median <= {TARGET_SECONDS:.1f}s   {'PASS' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
