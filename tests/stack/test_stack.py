"""The production shape end to end: PostgreSQL, a Prefect server, two process workers.

The deployments are applied from `deployments/prefect.yaml` and their runs picked up by the
workers, as in production. Runs with `make stack-test` (CI runs it after `make test`).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from blocks import CXoneCredentials, FailoverPair, failover_identity, operation
from deployments.local_stack import LocalStack, outputs_under, stand_in_access_key

from ..conftest import request_held

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]
FAILOVER = "monitor-campaigns/failover-on-low-success"
WORKERS = ("worker-1", "worker-2")
CAMPAIGNS = "/api/v2/omnichannel/campaigns"
# Short, so that a killed worker's failover is taken over quickly; long enough that sixteen
# flow-run processes starting at once on two cores do not starve a live holder past it.
LEASE_SECONDS = "10"
CALLING_LIST = "Stack renewals"
DIAL_LIST_SOURCE = Path(tempfile.gettempdir()) / "cxone-stack-test" / "crm.parquet"


def crm_file() -> pd.DataFrame:
    """Three people in Honolulu who consented, and one who revoked. The sync makes today's
    list from the moment it runs, and Honolulu keeps a legal window left in New York's day at
    any hour of it (until 19:00 there, midnight in New York): the test passes whenever CI runs.
    """
    phones = ["(808) 586-1230", "(808) 586-1231", "(808) 586-1232", "(808) 586-1233"]
    return pd.DataFrame(
        {
            "contact_id": ["a", "b", "c", "revoked"],
            "phone": phones,
            "consent_call": ["true"] * 4,
            "consent_revoked_at": ["", "", "", "2026-10-01T12:00:00Z"],
            "state": ["HI"] * 4,
        }
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o711)  # PostgreSQL's own user must reach its directory
        with LocalStack(Path(tmp) / "stack") as stack:
            cluster = stack.start_postgres()
            stack.start_prefect_server(cluster.url())
            stack.start_simulator("--list", "CL-1=300")
            DIAL_LIST_SOURCE.parent.mkdir(parents=True, exist_ok=True)
            crm_file().to_parquet(DIAL_LIST_SOURCE, index=False)
            env = stack.env(
                CXONE_CONTACT_LIST_ID="CL-1",
                CXONE_DIAL_LIST_SOURCE=str(DIAL_LIST_SOURCE),
                CXONE_CALLING_LIST=CALLING_LIST,
            )
            prefect = [sys.executable, "-m", "prefect", "--no-prompt"]
            for command in (
                ["work-pool", "create", "cxone-process", "--type", "process", "--overwrite"],
                ["deploy", "--all", "--prefect-file", "deployments/prefect.yaml"],
            ):
                subprocess.run(
                    [*prefect, *command], cwd=ROOT, env=env, check=True, capture_output=True
                )
            with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
                # Before the workers: the runs' files under the stack, not the repository.
                moved = asyncio.run(outputs_under(Path(tmp) / "outputs"))
            assert set(moved) == {"export-segmented-contacts", "sync-dial-list", "collect-outcomes"}
            for worker in WORKERS:
                # Each takes at most half of the sixteen racing runs, so both take some.
                stack.start_worker(worker, limit=8, CXONE_OPERATION_LEASE_SECONDS=LEASE_SECONDS)
            with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
                asyncio.run(
                    CXoneCredentials(
                        client_id="sim-client",
                        client_secret="sim-secret",
                        base_url=stack.simulator_url,
                        requests_per_minute=6000,
                    ).asave("cxone", overwrite=True)
                )
                # The deployments' NICE block, "cxone-access-key/prod".
                asyncio.run(stand_in_access_key(stack.issuer_url).asave("prod", overwrite=True))
                yield stack


class Tenant:
    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=30)
        form = {"grant_type": "client_credentials", "client_id": "sim-client",
                "client_secret": "sim-secret"}  # fmt: skip
        token = self.http.post("/api/v2/oauth/token", data=form).json()["access_token"]
        self.auth = {"Authorization": f"Bearer {token}"}

    def pair(self) -> tuple[str, str]:
        ids = []
        for name, status in (("p", "active"), ("b", "paused")):
            body = {"name": name, "status": status, "contactListId": "CL-1"}
            ids.append(
                self.http.post(
                    "/api/v2/omnichannel/campaigns", json=body, headers=self.auth
                ).json()["id"]
            )
        body = {"successRate": 0.04, "callsAttempted": 300, "callsConnected": 12}
        self.http.put(f"/_sim/campaigns/{ids[0]}/metrics", json=body).raise_for_status()
        return ids[0], ids[1]

    def resume_held(self, primary: str, backup: str) -> bool:
        """Whether the primary is paused and the resume's request to the backup is held."""
        return (primary, "paused") in self.changes(primary) and request_held(self.http, backup)

    def changes(self, *ids: str) -> list[tuple[str, str]]:
        found = self.http.get("/_sim/transitions").json()["transitions"]
        return [(t["campaignId"], t["status"]) for t in found if t["campaignId"] in ids]


async def start_runs(primary: str, backup: str, count: int) -> list:
    parameters = {"primary_campaign_id": primary, "backup_campaign_id": backup}
    return await asyncio.gather(
        *(run_deployment(FAILOVER, parameters=parameters, timeout=0) for _ in range(count))
    )


async def finished(run_ids: list, timeout: float = 240) -> list:
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while True:
            runs = [await client.read_flow_run(run_id) for run_id in run_ids]
            if all(run.state and run.state.is_final() for run in runs):
                return runs
            assert time.monotonic() < deadline, [run.state_name for run in runs]
            await asyncio.sleep(1)


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (a flow-run process has its own session)."""
    os.kill(pid, signal.SIGSTOP)  # no new children while its own are killed
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout.split()
    for child in children:
        kill_tree(int(child))
    os.kill(pid, signal.SIGKILL)


def submitted_by(stack: LocalStack, run_id) -> str | None:
    """Which worker runs a flow run, from the lines the workers log: both may pick a run up
    and log that they submit it, and the server lets one have it; the other logs that it
    aborted the submission."""
    for worker in WORKERS:
        log = (stack.run_dir / f"{worker}.log").read_text(errors="replace")
        submitting = f"Worker '{worker}' submitting flow run '{run_id}'" in log
        if submitting and f"Aborted submission of flow run '{run_id}'" not in log:
            return worker
    return None


async def test_sixteen_runs_over_two_workers_fail_over_exactly_once(stack):
    tenant = Tenant(stack.simulator_url)
    primary, backup = tenant.pair()
    runs = await finished([run.id for run in await start_runs(primary, backup, 16)])
    assert {run.state.type.value for run in runs} == {"COMPLETED"}
    messages = sorted(run.state.message.split(":")[0] for run in runs)
    assert messages == ["already_failed_over"] * 15 + ["failover"]
    assert tenant.changes(primary, backup) == [(primary, "paused"), (backup, "active")]
    assert {submitted_by(stack, run.id) for run in runs} == set(WORKERS)


async def test_a_worker_killed_mid_failover_is_finished_by_the_other(stack):
    tenant = Tenant(stack.simulator_url)
    primary, backup = tenant.pair()
    # The resume's first request (a read, or the change itself where changes go out unread)
    # is held, so the run is mid-failover (primary paused) when killed; the backup's metrics
    # reads pass.
    for fault in (
        {"kind": "slow", "method": "GET", "path": f"{backup}/metrics", "count": 10},
        {"kind": "slow", "path": backup, "delay_ms": 60_000},
    ):
        tenant.http.post("/_sim/faults", json=fault).raise_for_status()
    (first,) = await start_runs(primary, backup, 1)
    identity = failover_identity(
        FailoverPair(primary_campaign_id=primary, backup_campaign_id=backup), 1
    )
    deadline = time.monotonic() + 120
    # A failover writes its answers with its end: mid-failover is the primary paused and the
    # resume's request held at the platform, the record still pending.
    while not tenant.resume_held(primary, backup):
        assert time.monotonic() < deadline, "the failover never got to resuming the backup"
        await asyncio.sleep(0.5)
    record = await operation.load(identity)
    assert record is not None and record.status == "pending", record
    worker = submitted_by(stack, first.id)
    service = next(s for s in stack.services if s.name == worker)
    kill_tree(service.process.pid)  # as if its machine died: the worker and its flow runs
    stack.services.remove(service)

    (second,) = await start_runs(primary, backup, 1)
    (done,) = await finished([second.id])
    assert done.state.type.value == "COMPLETED", done.state.message
    # The deployed monitor-fleet (every 60 s) evaluates this pair too, and may be the live run
    # that takes the failover over first; then this run finds it finished. Either way the
    # record names one taker, on the surviving worker, and the platform saw one failover.
    assert re.match("(failover|already_failed_over):", done.state.message), done.state.message
    record = await operation.load(identity)
    assert record is not None and record.status == "applied", record
    assert record.generation == 2 and record.owner not in (None, str(first.id)), record.history
    assert tenant.changes(primary, backup) == [(primary, "paused"), (backup, "active")]
    async with get_client() as client:
        killed = await client.read_flow_run(first.id)
    assert killed.state.type.value == "CRASHED"  # marked by the run that took over
    assert submitted_by(stack, record.owner) not in (None, worker)
    assert submitted_by(stack, second.id) != worker


async def test_the_export_runs_from_the_pool(stack):
    run = await run_deployment("export-segmented-contacts/export-segmented-contacts", timeout=240)
    assert run.state.is_completed(), run.state.message
    # Under the stack's own directory: nothing in the repository the workers run in.
    assert run.parameters["output_dir"] == str(stack.run_dir.parent / "outputs" / "exports")
    assert (stack.run_dir.parent / "outputs" / "exports" / "dialable.csv").exists()


async def test_the_dial_list_sync_runs_from_the_pool(stack):
    run = await run_deployment("sync-dial-list/sync-dial-list", timeout=240)
    assert run.state.is_completed(), run.state.message
    control = httpx.Client(base_url=f"{stack.admin_api_url}/_sim/admin", timeout=30)
    (found,) = [i for i in control.get("/lists").json()["lists"] if i["listName"] == CALLING_LIST]
    listed = control.get(f"/lists/{found['listId']}").json()
    assert sorted(record["ExternalId"] for record in listed["records"]) == ["a", "b", "c"]
