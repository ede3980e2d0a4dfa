"""When a service the local stack started is ready: probes and the wait for one of them.

Readiness never comes from log lines: a production log level (PREFECT_LOGGING_LEVEL=WARNING)
hides them. Each service answers a health endpoint, writes a ready file once it is serving,
or (a Prefect worker) shows its heartbeat in the Prefect API.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

Probe = Callable[[], bool]


class StackError(RuntimeError):
    """A service did not start; the message names it and its log file."""


def http_ok(url: str) -> Probe:
    """Ready when `url` answers 200."""

    def probe() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


def file_exists(path: Path) -> Probe:
    """Ready when the service has written its ready file."""
    return path.exists


def command_succeeds(command: list[str]) -> Probe:
    """Ready when `command` exits 0 (e.g. `pg_isready`: PostgreSQL's own protocol)."""

    def probe() -> bool:
        done = subprocess.run(command, capture_output=True, timeout=10, check=False)
        return done.returncode == 0

    return probe


def worker_heartbeat(api_url: str, pool: str, worker: str, since: dt.datetime) -> Probe:
    """Ready when the Prefect API has a heartbeat from `worker` on `pool` sent after `since`.

    A worker heartbeats when it has registered with the server and then as it polls, so this
    says the server knows it and hands it runs; an earlier worker of the same name (a
    restarted stack on the same database) does not count.
    """
    body = {"workers": {"last_heartbeat_time": {"after_": since.isoformat()}}}

    def probe() -> bool:
        try:
            answer = httpx.post(f"{api_url}/work_pools/{pool}/workers/filter", json=body, timeout=5)
        except httpx.HTTPError:
            return False
        if answer.status_code != 200:
            return False
        return any(found.get("name") == worker for found in answer.json())

    return probe


def wait_ready(
    name: str,
    process: subprocess.Popen[bytes],
    probe: Probe,
    log_path: Path,
    timeout: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
    every: float = 0.25,
) -> None:
    """Poll `probe` until it says ready, the process exits, or `timeout` seconds pass.

    Args:
        name: The service, for the error message.
        process: Its process: an exit ends the wait at once.
        probe: True once the service is ready.
        log_path: Its log file, named in the error message.
        timeout: Seconds to wait at most.
        clock: Monotonic seconds (injected by tests).
        pause: Sleeps between polls (injected by tests).
        every: Seconds between polls.

    Raises:
        StackError: The process exited, or was not ready within `timeout`.
    """
    deadline = clock() + timeout
    while True:
        if process.poll() is not None:
            raise StackError(f"{name} exited with {process.returncode}; see {log_path}")
        if probe():
            return
        if clock() > deadline:
            raise StackError(f"{name} not ready after {timeout:.0f}s; see {log_path}")
        pause(every)
