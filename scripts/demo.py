"""`make demo`: the whole system on this machine, against the simulator, in a few minutes.

Starts a Prefect server (SQLite, UI on, a fresh database each time), the simulator and the
dashboard on 127.0.0.1; provisions a primary campaign and a paused backup; builds the
primary's dial list; serves the deployments; then makes the primary's success rate collapse
and waits for the event-triggered failover to resume the backup. Prints a summary and stops
everything it started, unless KEEP=1, which leaves the services up for browsing the Prefect
UI and the dashboard.

`PLATFORM=described` (the default) speaks the API the tutorial describes: the contact list
is exported and segmented, and the simulator's metrics webhook feeds the dashboard.
`PLATFORM=admin` speaks NICE CXone's published APIs (the simulator's stand-in, through a
`CXoneAccessKey` block): a CRM file is synced into a calling list and a DNC group, and the
dashboard polls the skills' summaries, as it must on a real tenant.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

import httpx
from crm_file import write_crm_file
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.local_stack import (
    LocalStack,
    StackError,
    connect_to_simulator,
    connect_to_stand_in,
    provision_pair,
)
from flows.dial_list import sync_dial_list
from flows.export import export_segmented_contacts

RUN_DIR = Path(".demo")
LIST_ID = "CL-DEMO"  # the described API's contact list
CALLING_LIST = "Demo renewals"  # NICE CXone: the calling list the skills dial
DNC_GROUP = "Demo internal DNC"
CONTACTS = 2_000
FAILOVER_TIMEOUT = 90.0
POLL_SECONDS = "2"  # how often the dashboard polls NICE skills (15 by default)


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


def statuses(stack: LocalStack, platform: str) -> dict[str, str]:
    if platform == "described":
        campaigns = httpx.get(f"{stack.simulator_url}/_sim/campaigns").json()["campaigns"]
        return {c["id"]: c["status"] for c in campaigns}
    skills = httpx.get(f"{stack.admin_api_url}/_sim/admin/skills").json()["skills"]
    return {str(s["skillId"]): "active" if s["isRunning"] else "paused" for s in skills}


def collapse(stack: LocalStack, platform: str, campaign_id: str) -> None:
    """Make the campaign's success rate fall to 4% over 250 calls."""
    if platform == "described":
        url = f"{stack.simulator_url}/_sim/campaigns/{campaign_id}/metrics"
        body = {"successRate": 0.04, "callsAttempted": 250, "callsConnected": 10}
        httpx.put(url, json=body).raise_for_status()
    else:
        url = f"{stack.admin_api_url}/_sim/admin/skills/{campaign_id}/activity"
        httpx.post(url, json={"dials": 250, "connects": 10, "handled": 10}).raise_for_status()


async def provision_and_export(stack: LocalStack, platform: str) -> tuple[dict, dict, dict]:
    if platform == "described":
        with Step("Saving the credentials block and registering block types and the webhook"):
            hook = await connect_to_simulator(stack)
            print(f"    webhook {hook['id']} -> {hook['callbackUrl']}")
        credentials, contact_list = "cxone", LIST_ID
    else:
        with Step("Saving a CXoneAccessKey block for the NICE CXone stand-in"):
            credentials, contact_list = await connect_to_stand_in(stack), CALLING_LIST
            print(f"    {credentials} (no webhook on NICE: the dashboard polls the skills)")
    with Step("Provisioning a primary campaign and a paused backup"):
        primary, backup = await provision_pair(contact_list, "Demo renewals", credentials)
        print(f"    primary {primary['id']} {primary['status']}, backup {backup['id']} "
              f"{backup['status']}")  # fmt: skip
    if platform == "described":
        with Step(f"Exporting the primary's contact list {LIST_ID}"):
            made = await export_segmented_contacts(LIST_ID, output_dir=str(RUN_DIR / "exports"))
            print(f"    {made['fetched']} fetched: {made['dialable']} dialable, "
                  f"{made['suppressed']} suppressed")  # fmt: skip
    else:
        with Step(f"Syncing today's dial list into the calling list {CALLING_LIST!r}"):
            source = write_crm_file(RUN_DIR / "crm" / "contacts.parquet", CONTACTS)
            made = await sync_dial_list(
                str(source), CALLING_LIST, credentials, skill_id=primary["id"],
                dnc_group=DNC_GROUP, for_day="today", output_dir=str(RUN_DIR / "dial-lists"),
            )  # fmt: skip
            print(f"    {made['read']} read: {made['dialable']} dialable (uploaded in job "
                  f"{made['job_id']}), {made['suppressed']} suppressed, "
                  f"{made['dnc_added']} numbers added to {DNC_GROUP!r}, which scrubs skill "
                  f"{made['scrubbed_skill']}")  # fmt: skip
    for reason, count in sorted(made["by_reason"].items(), key=lambda kv: -kv[1]):
        print(f"      {reason:<24}{count:>6}")
    return primary, backup, made


def fail_over(stack: LocalStack, platform: str, primary: dict, backup: dict) -> float:
    with Step("Serving the deployments", logs=str(stack.run_dir / "serve.log")):
        stack.start_serve(
            *("--contact-list", LIST_ID, "--output-dir", str(RUN_DIR / "exports")),
            *("--dial-list-source", str(RUN_DIR / "crm" / "contacts.parquet")),
            *("--calling-list", CALLING_LIST, "--dial-list-credentials", "cxone-access-key/demo"),
        )
    daily = {
        "described": "export-segmented-contacts/export-segmented-contacts",
        "admin": "sync-dial-list/sync-dial-list",
    }[platform]
    with Step(
        f"Running the {daily.split('/')[0]} deployment once, as its daily schedule will",
        logs=str(stack.run_dir / "serve.log"),
    ):
        run = run_deployment(daily, timeout=120)
        if not run.state.is_completed():
            raise RuntimeError(f"the {daily} run ended {run.state.name}")
        print(f"    flow run {run.name!r}: {run.state.name} ({run.state.message})")
    logs = f"{stack.run_dir}/dashboard.log and {stack.run_dir}/serve.log"
    with Step("Collapsing the primary's success rate and waiting for the failover", logs=logs):
        started = time.monotonic()
        collapse(stack, platform, primary["id"])
        while statuses(stack, platform)[backup["id"]] != "active":
            if time.monotonic() - started > FAILOVER_TIMEOUT:
                raise TimeoutError(f"the backup was not resumed within {FAILOVER_TIMEOUT:.0f}s")
            time.sleep(0.05)
        latency = time.monotonic() - started
        source = "webhook" if platform == "described" else "reading (polled every 2 s)"
        print(f"    backup active {latency:.2f}s after the low-success {source}")
    return latency


async def runs_settled(timeout: float = 30.0) -> None:
    """Wait until no flow run is running: one stopped mid-flight would show as Crashed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStateType

    busy = FlowRunFilter(state={"type": FlowRunFilterStateType(any_=["RUNNING", "PENDING"])})
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while await client.read_flow_runs(flow_run_filter=busy, limit=1):
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.2)


def main() -> int:
    keep = os.environ.get("KEEP") == "1"
    platform = os.environ.get("PLATFORM", "described")
    if platform not in ("described", "admin"):
        print(f"PLATFORM must be 'described' or 'admin', not {platform!r}", file=sys.stderr)
        return 2
    # Each demo starts clean: no Prefect database, flow runs or files from an earlier one.
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    RUN_DIR.mkdir(mode=0o700)
    stack = LocalStack(RUN_DIR / "logs")
    print(f"Platform: {platform} (PLATFORM=described or admin); state under {RUN_DIR}/")
    try:
        with stack:
            with Step("Starting the Prefect server", logs=f"{stack.run_dir}/prefect-server.log"):
                stack.start_prefect_server()
            with Step("Starting the simulator and the dashboard", logs=f"{stack.run_dir}/*.log"):
                stack.start_simulator("--list", f"{LIST_ID}={CONTACTS}")
                stack.start_dashboard(CXONE_POLL_SECONDS=POLL_SECONDS)
            with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
                primary, backup, made = asyncio.run(provision_and_export(stack, platform))
                latency = fail_over(stack, platform, primary, backup)
                asyncio.run(runs_settled())  # before shutting down, so that none is cut off
            final = statuses(stack, platform)
            print(f"\nSummary ({dt.datetime.now():%Y-%m-%d %H:%M})")
            print(f"  primary {primary['id']}: {final[primary['id']]}")
            print(f"  backup  {backup['id']}: {final[backup['id']]}")
            print(f"  contacts: {made['dialable']} dialable, {made['suppressed']} suppressed")
            print(f"  failover latency: {latency:.2f}s (low reading to backup active)")
            if keep:
                print(f"  Prefect UI: {stack.prefect_ui_url}   dashboard: {stack.dashboard_url}")
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
