"""`make demo` on both platforms, twice: each run starts clean and leaves no crashed run, and
each shows the daily loop: a day of dialling, an agent's opt-out, a revocation by webhook and
the next sync capping and suppressing from the attempts ledger."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Two whole demos (every service in its own process, about 90 s): with the production stack in
# `make stack-test`, which CI runs after `make test`.
pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[1]


DEMO = [sys.executable, str(ROOT / "scripts" / "demo.py")]


def demo_env(platform: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PLATFORM": platform,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # This checkout's packages, for the demo and every service it starts, wherever the
        # virtualenv's editable install points.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    }


def demo(workdir: Path, platform: str) -> str:
    done = subprocess.run(
        DEMO, cwd=workdir, env=demo_env(platform), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return done.stdout


def kept_demo_stopped_by_demo_down(workdir: Path, platform: str) -> tuple[str, dict]:
    """`KEEP=1 make demo`, then `make demo-down` from another shell: returns the demo's
    output and the services it had started (name -> [process group, start time])."""
    out = workdir / "kept.out"
    with open(out, "w") as handle:
        kept = subprocess.Popen(
            DEMO, cwd=workdir, env=demo_env(platform, KEEP="1"), stdout=handle, stderr=handle
        )
    try:
        state = workdir / ".demo" / "demo.json"
        deadline = time.monotonic() + 600
        while "KEEP=1: services stay up" not in out.read_text():
            assert kept.poll() is None, out.read_text()[-4000:]
            assert time.monotonic() < deadline, out.read_text()[-4000:]
            time.sleep(0.5)
        services = json.loads(state.read_text())["services"]
        assert all(alive(group) for group, _ in services.values()), services
        down = subprocess.run(
            [*DEMO, "down"], cwd=workdir, env=demo_env(platform), capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        assert down.returncode == 0, down.stdout + down.stderr
        assert kept.wait(timeout=60) == 0, out.read_text()[-4000:]
    finally:
        if kept.poll() is None:
            kept.kill()
    assert not state.exists()
    return out.read_text(), services


def alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def flow_runs(workdir: Path) -> list[tuple[str, str, str | None]]:
    """Every flow run's name, state type and state message."""
    database = workdir / ".demo" / "logs" / "prefect-home" / "prefect.db"
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT flow_run.name, flow_run.state_type, flow_run_state.message FROM flow_run "
            "LEFT JOIN flow_run_state ON flow_run_state.id = flow_run.state_id"
        ).fetchall()


def assert_daily_loop(output: str, platform: str) -> None:
    (calls,) = re.findall(r"dial-until .* New York: (\d+) calls", output)
    assert int(calls) == 20  # the loop's small list, each number once
    loop = r"(\d+) attempts?, (\d+) opt-outs? into the ledger"
    attempts, optouts = re.findall(loop, output)[0]
    assert (int(attempts), int(optouts)) == (int(calls), 1)  # the agent's opt-out, collected
    assert "opt-outs file (for the CRM): .demo/daily-loop/outcomes/optouts-" in output
    assert re.search(r"POST /webhooks/revocations \(.*\): accepted, kept in the ledger", output)
    assert re.search(r"apply_revocations run by .*: 1 number revoked", output)
    capped, dnc, revoked = map(
        int,
        re.findall(r"held back by the ledger: frequency_cap (\d+), dnc (\d+), "
                   r"consent_revoked (\d+)", output)[0],
    )  # fmt: skip
    # Every number called yesterday is capped, but the agent's opt-out (DNC) and the revoked
    # one: on NICE still in the file (consent_revoked), on the described API out of the list.
    assert (capped, dnc) == (int(calls) - 2, 1)
    if platform == "admin":
        assert revoked == 1
    else:
        assert revoked == 0 and "19 fetched (the revoked contact left the list)" in output


def test_each_demo_starts_clean_and_stops_without_a_crashed_run(tmp_path):
    first = demo(tmp_path, "described")
    (earlier_primary,) = re.findall(r"primary (\S+): paused", first)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".demo"]  # nothing outside it
    second, services = kept_demo_stopped_by_demo_down(tmp_path, "admin")
    assert not [name for name, (group, _) in services.items() if alive(group)]
    assert {"prefect-server", "simulator", "dashboard", "serve"} <= set(services)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".demo", "kept.out"]

    runs = flow_runs(tmp_path)
    every_run = "\n".join(f"{name!r}: {state} ({message})" for name, state, message in runs)
    names = [name for name, _, _ in runs]
    # Only the second demo's runs: nothing of the first (its campaign ids) survives.
    assert not [name for name in names if earlier_primary in name], every_run
    assert "provision Demo renewals" in names and any(n.startswith("failover ") for n in names)
    assert {"collect outcomes", "apply revocations"} <= set(names)  # the daily loop's
    assert {state for _, state, _ in runs} == {"COMPLETED"}, every_run
    for output in (first, second):
        assert "Stopped every service the demo started." in output
    assert "Prefect UI:" not in first  # without KEEP=1 its URLs are dead by now
    assert "`make demo-down`" in second  # KEEP=1 says how to stop it
    assert "backup  " in second and re.search(r"backup\s+\d+: active", second)
    assert_daily_loop(first, "described")
    assert_daily_loop(second, "admin")
