"""`make stack` / `make stack-down`: the production shape on this machine, left running.

`python scripts/stack.py up` starts, under `.stack/`:

- PostgreSQL (Debian's package; its data in `.stack/logs/postgres/`, a generated password in a
  0600 file, listening on 127.0.0.1) and `prefect server start` on it (port 4200);
- the simulator (described API on 8765, the NICE CXone stand-in on 8766 and 8767);
- the dashboard (8780) and the low-success responder;
- the deployments of `deployments/prefect.yaml` on the process pool `cxone-process`, with
  two process workers, and the automation that marks dead flow runs Crashed.

It saves the `cxone` credentials block for the simulator and `cxone-access-key/prod` for
its NICE CXone stand-in, subscribes the dashboard to the simulator's webhooks, writes a CRM
file for the daily dial-list sync (`.stack/crm/contacts.parquet`), then prints what to do
next. Everything keeps running after the command ends;
`python scripts/stack.py down` stops it all (`.stack/stack.json` remembers what runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from prefect.settings import PREFECT_API_URL, temporary_settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the repository root

from crm_file import write_crm_file  # noqa: E402

from deployments.local_stack import (  # noqa: E402
    LocalStack,
    StackError,
    connect_to_simulator,
    connect_to_stand_in,
    dashboard_login,
    outputs_under,
)

STACK_DIR = ROOT / ".stack"
STATE = STACK_DIR / "stack.json"
PORTS = {
    "prefect_port": 4200,
    "simulator_port": 8765,
    "admin_api_port": 8766,
    "issuer_port": 8767,
    "dashboard_port": 8780,
}
POSTGRES_PORT = 5433
CONTACT_LIST = "CL-DEMO"
CRM_FILE = STACK_DIR / "crm" / "contacts.parquet"  # the daily dial-list sync's source
CALLING_LIST = "Stack renewals"
WORKERS = ("worker-1", "worker-2")
OUTPUTS = STACK_DIR / "outputs"  # the deployments' output directories (exports, dial-lists ...)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _running() -> dict | None:
    if not STATE.exists():
        return None
    state = json.loads(STATE.read_text())
    return state if any(_alive(pid) for pid in state["pids"].values()) else None


def _prefect(stack: LocalStack, *command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", *command],
        cwd=ROOT,
        env=stack.env(
            CXONE_CONTACT_LIST_ID=CONTACT_LIST,
            CXONE_DIAL_LIST_SOURCE=str(CRM_FILE),
            CXONE_CALLING_LIST=CALLING_LIST,
        ),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise StackError(f"prefect {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def up() -> int:
    running = _running()
    if running:
        print(f"The stack is already running (Prefect UI {running['urls']['prefect_ui']}).")
        return 0
    # The postgres user must be able to pass through .stack to reach its own directory.
    STACK_DIR.mkdir(mode=0o711, exist_ok=True)
    os.chmod(STACK_DIR, 0o711)
    stack = LocalStack(STACK_DIR / "logs", **PORTS)
    # Traversable (not listable) by others: PostgreSQL's own user reaches its directory here.
    stack.run_dir.mkdir(mode=0o711, exist_ok=True)
    os.chmod(stack.run_dir, 0o711)
    try:
        print("Starting PostgreSQL ...", flush=True)
        cluster = stack.start_postgres(POSTGRES_PORT)
        print("Starting the Prefect server on PostgreSQL ...", flush=True)
        stack.start_prefect_server(cluster.url())
        print("Starting the simulator, the dashboard and the responder ...", flush=True)
        stack.start_simulator("--list", f"{CONTACT_LIST}=2000")
        stack.start_dashboard()
        stack.start_responder()
        print("Applying deployments/prefect.yaml and starting two workers ...", flush=True)
        _prefect(stack, "work-pool", "create", "cxone-process", "--type", "process", "--overwrite")
        _prefect(stack, "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
        with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
            # The deployments' files under .stack/outputs/, not the repository's root.
            asyncio.run(outputs_under(OUTPUTS))
        for worker in WORKERS:
            stack.start_worker(worker)
        with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
            from deployments.automations import ensure_automations

            asyncio.run(ensure_automations())
            asyncio.run(connect_to_simulator(stack))
            # The deployments' NICE CXone block, here for the stand-in.
            asyncio.run(connect_to_stand_in(stack, "prod"))
        write_crm_file(CRM_FILE)
    except (StackError, OSError, subprocess.SubprocessError) as error:
        print(f"stack failed: {error}", file=sys.stderr)
        stack.stop()
        return 1
    urls = {
        "prefect_ui": stack.prefect_ui_url,
        "prefect_api": stack.prefect_api_url,
        "dashboard": stack.dashboard_url,
        "simulator": stack.simulator_url,
        "nice_issuer": stack.issuer_url,
        "nice_api": stack.admin_api_url,
    }
    state = {"pids": {s.name: s.process.pid for s in stack.services}, "urls": urls}
    STATE.write_text(json.dumps(state, indent=2))
    print(
        f"""
The stack is running (logs in {stack.run_dir}):
  Prefect UI   {urls["prefect_ui"]}        (export PREFECT_API_URL={urls["prefect_api"]})
  dashboard    {urls["dashboard"]}  (log in: {dashboard_login(stack, STACK_DIR)})
  simulator    {urls["simulator"]}  (NICE CXone stand-in: issuer {urls["nice_issuer"]})
Next: docs/production.md, "The shape, on one machine first". Stop it all with `make stack-down`."""
    )
    return 0


def down() -> int:
    if not STATE.exists():
        print("No stack is running.")
        return 0
    state = json.loads(STATE.read_text())
    # Newest first, as LocalStack stops them: workers and services before the databases.
    for name, pid in reversed(list(state["pids"].items())):
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 15
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        print(f"stopped {name}")
    STATE.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/stack.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down"])
    args = parser.parse_args(argv)
    return up() if args.command == "up" else down()


if __name__ == "__main__":
    raise SystemExit(main())
