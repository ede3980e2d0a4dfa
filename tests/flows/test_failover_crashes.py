"""The failover survives runs killed with SIGKILL at every step boundary, and racing processes.

Monitors run as real subprocesses (`python -m flows.monitor`) against Prefect servers and the
simulator on 127.0.0.1. The simulator holds a chosen request (or its answer) so that each
process is killed exactly where the test wants it; a later run must then finish the
failover, with exactly one pause and one resume taking effect at the simulator.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from blocks import CXoneCredentials, FailoverPair, failover_identity, operation
from deployments.local_stack import LocalStack
from flows.monitor import monitor_campaigns

from ..conftest import request_held
from .conftest import add_fault, create_campaign, set_metrics, transitions, until

# Real processes, each importing Prefect and the monitor (about 1.5 s of CPU apiece), and a
# server of their own: a minute of `make test`'s five, so they run in `make crash` (CI runs it).
pytestmark = pytest.mark.crash

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = "2"
HOLD_MS = 30_000  # how long the simulator holds the request a process is killed in


def monitor_process(
    primary: str, backup: str, credentials_block: str, api_url: str, lease: str = LEASE_SECONDS
):
    env = {**os.environ, "PREFECT_API_URL": api_url, "CXONE_OPERATION_LEASE_SECONDS": lease}
    command = [sys.executable, "-m", "flows.monitor", "run", primary, backup]
    return asyncio.create_subprocess_exec(
        *command,
        "--credentials-block",
        credentials_block,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def identity(primary: str, backup: str) -> operation.OperationIdentity:
    pair = FailoverPair(primary_campaign_id=primary, backup_campaign_id=backup)
    return failover_identity(pair, 1)


def make_scenarios(primary: str, backup: str) -> dict[str, tuple[list[dict], Callable]]:
    """Where to kill: the faults that hold the process there, and how to tell it got there."""

    async def claimed(sim) -> bool:
        return await operation.load(identity(primary, backup)) is not None

    async def pause_applied(sim) -> bool:
        return (primary, "paused") in transitions(sim)

    async def resume_sent(sim) -> bool:
        # The pause is confirmed and the resume's first request is held at the simulator (a
        # failover writes both answers with its end: the pause is not recorded before it).
        return (primary, "paused") in transitions(sim) and request_held(sim, backup)

    async def resume_applied(sim) -> bool:
        return (backup, "active") in transitions(sim)

    # A step's first request to its campaign is held before it takes effect, whatever it is:
    # a read of the campaign, or the change itself where the platform takes changes unread
    # (changes_by_key). Metrics reads of that campaign pass (a no-op fault takes each one, in
    # whatever order the readings and the guards come), and so do other pairs' requests.
    def hold_first(campaign: str) -> list[dict]:
        passes = {"kind": "slow", "method": "GET", "path": f"{campaign}/metrics", "count": 10}
        return [passes, {"kind": "slow", "path": campaign, "delay_ms": HOLD_MS}]

    hold_answer = {"kind": "slow_after_commit", "method": "PUT", "delay_ms": HOLD_MS}
    return {
        "after the claim": (hold_first(primary), claimed),
        "after the pause is sent, before its answer is recorded": (
            [{**hold_answer, "path": primary}],
            pause_applied,
        ),
        "after the pause, as the resume is sent": (hold_first(backup), resume_sent),
        "after the resume is sent": ([{**hold_answer, "path": backup}], resume_applied),
    }


async def test_a_monitor_killed_at_each_step_boundary_is_finished_by_a_later_run(
    sim, credentials_block
):
    api_url = PREFECT_API_URL.value()
    pairs = []

    async def kill_when_there(where: str, primary: str, backup: str) -> str:
        faults, there = make_scenarios(primary, backup)[where]
        for fault in faults:
            add_fault(sim, **fault)
        process = await monitor_process(primary, backup, credentials_block, api_url)
        try:
            await until(lambda: there(sim), where)
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()
        return (await operation.load(identity(primary, backup))).owner

    for where in make_scenarios("p", "b"):
        primary = create_campaign(sim, f"primary {where}", "active")
        backup = create_campaign(sim, f"backup {where}", "paused")
        set_metrics(sim, primary, 0.05, 200)
        pairs.append((where, primary, backup))
    killed = await asyncio.gather(*(kill_when_there(*pair) for pair in pairs))

    # The next runs (scheduled or triggered) finish every failover, whatever the metrics say.
    for _, primary, _ in pairs:
        set_metrics(sim, primary, 0.0, 0)
    sim.delete("/_sim/faults")
    results = await asyncio.gather(
        *(monitor_campaigns(p, b, credentials_block=credentials_block) for _, p, b in pairs)
    )
    changes = transitions(sim)
    for (where, primary, backup), result in zip(pairs, results, strict=True):
        assert result["action"] == "failover", where
        assert [c for c in changes if c[0] in (primary, backup)] == [
            (primary, "paused"),
            (backup, "active"),
        ], where
        record = await operation.load(identity(primary, backup))
        assert record.status == "applied" and record.generation == 2, where
    # The killed runs do not stay Running for ever.
    async with get_client() as client:
        for owner, (where, *_) in zip(killed, pairs, strict=True):
            run = await client.read_flow_run(owner)
            assert run.state.type.value == "CRASHED", where


async def test_eight_monitor_processes_on_a_fresh_server_fail_over_exactly_once(
    sim, credentials_block
):
    primary = create_campaign(sim, "primary", "active")
    backup = create_campaign(sim, "backup", "paused")
    set_metrics(sim, primary, 0.05, 200)
    credentials = await CXoneCredentials.aload(credentials_block)
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp)) as stack:
        stack.start_prefect_server()
        with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
            # Only the credentials exist on the new server: the eight processes race to
            # register every other block type and to save the pair.
            await credentials.asave(credentials_block)
            # Nobody is killed here: the default lease, so that a holder slowed by a busy
            # machine is not taken over (then two runs would each report the failover they
            # finished, though the platform still changes once).
            processes = [
                await monitor_process(
                    primary, backup, credentials_block, stack.prefect_api_url, lease="30"
                )
                for _ in range(8)
            ]
            outputs = await asyncio.gather(*(p.communicate() for p in processes))
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr.decode()[-3000:]
    actions = sorted(json.loads(stdout)["action"] for stdout, _ in outputs)
    assert actions == ["already_failed_over"] * 7 + ["failover"]
    assert transitions(sim) == [(primary, "paused"), (backup, "active")]
