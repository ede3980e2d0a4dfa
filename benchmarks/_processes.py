"""CPU seconds of the processes a benchmark started (the stack's services), read from /proc."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path


def cpu_by_process() -> Counter[str]:
    """CPU seconds used so far by this process's children and theirs, by what each runs
    (`what_runs`): a service's share of a measurement, whatever else loads the machine."""
    seconds: Counter[str] = Counter()
    pending, seen = [os.getpid()], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
            if pid == os.getpid():
                continue
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        seconds[what_runs(command)] += ticks / os.sysconf("SC_CLK_TCK")
    return seconds


def what_runs(command: str) -> str:
    """The stack's service a command line runs.

    Example:
        >>> what_runs("/usr/lib/postgresql/15/bin/postgres -D /tmp/x")
        'postgres'
        >>> what_runs(".venv/bin/python -m deployments.prefect_server server start")
        'prefect server'
        >>> what_runs(".venv/bin/python -m dashboard --port 8780")
        'dashboard'
    """
    if "postgres" in command:
        return "postgres"
    if "prefect" in command and "server" in command:
        return "prefect server"
    for name in ("dashboard", "simulator", "responder", "worker"):
        if name in command:
            return name
    return "other"
