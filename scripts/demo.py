"""`make demo`: the whole system on this machine, against the simulator, in a few minutes.

Starts a Prefect server (SQLite, UI on), the simulator and the dashboard on 127.0.0.1;
provisions a primary campaign and a paused backup; exports the primary's contacts; serves the
deployments; then makes the primary's success rate collapse and waits for the event-triggered
failover to resume the backup. Prints a summary and stops everything it started, unless
KEEP=1, which leaves the services up for browsing the Prefect UI and the dashboard.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import httpx
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.local_stack import (
    LocalStack,
    StackError,
    connect_to_simulator,
    provision_pair,
)
from flows.export import export_segmented_contacts

RUN_DIR = Path(".demo")
LIST_ID = "CL-DEMO"
CONTACTS = 2_000
FAILOVER_TIMEOUT = 90.0


class Step:
    """Prints what is being done; on failure names the step and the logs to read."""

    number = 0

    def __init__(self, title: str, logs: str = "the output above"):
        Step.number += 1
        self.title, self.logs = title, logs

    def __enter__(self):
        print(f"[{Step.number}] {self.title} ...", flush=True)
        self.started = time.monotonic()
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            print(f"    done in {time.monotonic() - self.started:.1f}s", flush=True)
            return False
        print(f"\nFAILED at step {Step.number} ({self.title}): {error}", file=sys.stderr)
        print(f"Read {self.logs}.", file=sys.stderr)
        return False


def statuses(stack: LocalStack) -> dict[str, str]:
    campaigns = httpx.get(f"{stack.simulator_url}/_sim/campaigns").json()["campaigns"]
    return {c["id"]: c["status"] for c in campaigns}


async def provision_and_export(stack: LocalStack) -> tuple[dict, dict, dict]:
    with Step("Saving the credentials block and registering block types and the webhook"):
        hook = await connect_to_simulator(stack)
        print(f"    webhook {hook['id']} -> {hook['callbackUrl']}")
    with Step("Provisioning a primary campaign and a paused backup"):
        primary, backup = await provision_pair(LIST_ID, "Demo renewals")
        print(f"    primary {primary['id']} {primary['status']}, backup {backup['id']} "
              f"{backup['status']}")  # fmt: skip
    with Step(f"Exporting the primary's contact list {LIST_ID}"):
        export = await export_segmented_contacts(LIST_ID, output_dir=str(RUN_DIR / "exports"))
        print(f"    {export['fetched']} fetched: {export['dialable']} dialable, "
              f"{export['suppressed']} suppressed")  # fmt: skip
        for reason, count in sorted(export["by_reason"].items(), key=lambda kv: -kv[1]):
            print(f"      {reason:<24}{count:>6}")
    return primary, backup, export


def fail_over(stack: LocalStack, primary: dict, backup: dict) -> float:
    with Step("Serving the deployments", logs=str(stack.run_dir / "serve.log")):
        stack.start_serve("--contact-list", LIST_ID, "--output-dir", str(RUN_DIR / "exports"))
    with Step(
        "Running the export deployment once, as its daily schedule will",
        logs=str(stack.run_dir / "serve.log"),
    ):
        run = run_deployment("export-segmented-contacts/export-segmented-contacts", timeout=120)
        if not run.state.is_completed():
            raise RuntimeError(f"the export deployment's run ended {run.state.name}")
        print(f"    flow run {run.name}: {run.state.name}")
    logs = f"{stack.run_dir}/dashboard.log and {stack.run_dir}/serve.log"
    with Step("Collapsing the primary's success rate and waiting for the failover", logs=logs):
        started = time.monotonic()
        httpx.put(
            f"{stack.simulator_url}/_sim/campaigns/{primary['id']}/metrics",
            json={"successRate": 0.04, "callsAttempted": 250, "callsConnected": 10},
        ).raise_for_status()
        while statuses(stack)[backup["id"]] != "active":
            if time.monotonic() - started > FAILOVER_TIMEOUT:
                raise TimeoutError(f"the backup was not resumed within {FAILOVER_TIMEOUT:.0f}s")
            time.sleep(0.05)
        latency = time.monotonic() - started
        print(f"    backup active {latency:.2f}s after the low-success webhook")
    return latency


def main() -> int:
    keep = os.environ.get("KEEP") == "1"
    RUN_DIR.mkdir(exist_ok=True)
    stack = LocalStack(RUN_DIR / "logs")
    try:
        with stack:
            with Step("Starting the Prefect server", logs=f"{stack.run_dir}/prefect-server.log"):
                stack.start_prefect_server()
            with Step("Starting the simulator and the dashboard", logs=f"{stack.run_dir}/*.log"):
                stack.start_simulator("--list", f"{LIST_ID}={CONTACTS}")
                stack.start_dashboard()
            with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
                primary, backup, export = asyncio.run(provision_and_export(stack))
                latency = fail_over(stack, primary, backup)
            final = statuses(stack)
            print("\nSummary")
            print(f"  primary {primary['id']}: {final[primary['id']]}")
            print(f"  backup  {backup['id']}: {final[backup['id']]}")
            print(f"  contacts: {export['dialable']} dialable, {export['suppressed']} suppressed")
            print(f"  failover latency: {latency:.2f}s (webhook to backup active)")
            print(f"  Prefect UI: {stack.prefect_ui_url}   dashboard: {stack.dashboard_url}")
            if keep:
                print("\nKEEP=1: services stay up; press Ctrl-C to stop them.")
                while True:
                    time.sleep(3600)
    except (StackError, TimeoutError, RuntimeError, httpx.HTTPError) as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("Stopped every service the demo started.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
