"""CPU seconds of the processes a benchmark started (the stack's services), read from /proc."""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
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
        # utime, stime, and those of its children that ended (PostgreSQL's backends, a
        # worker's flow-run processes): what a service's process tree spent, gone or not.
        ticks = sum(int(field) for field in fields[11:15])
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


def machine_ticks() -> tuple[int, int]:
    """The machine's busy and total CPU time so far, in clock ticks (`/proc/stat`)."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


@dataclass(frozen=True)
class Stretch:
    """What the machine and each service did over a stretch of time."""

    seconds: float
    busy: float  # the share of all the machine's cores that was busy (0 to 1)
    cpu: dict[str, float]  # CPU seconds by service (`what_runs`)


class CpuSampler:
    """Samples `cpu_by_process` and the machine's busy time every `every` seconds in a thread,
    so that a stretch known only afterwards (a storm's first low event to its last backup)
    can be measured from the samples around it.

    Example:
        >>> with CpuSampler(every=0.01) as sampler:
        ...     time.sleep(0.05)
        >>> stretch = sampler.between(sampler.started, sampler.started + 0.02)
        >>> 0.02 <= stretch.seconds < 1 and 0 <= stretch.busy <= 1
        True
    """

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self._samples: list[tuple[float, Counter[str], tuple[int, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    @property
    def started(self) -> float:
        """The first sample's time (epoch seconds), taken on entering the `with` block."""
        return self._samples[0][0]

    def __enter__(self) -> CpuSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self._samples.append((time.time(), cpu_by_process(), machine_ticks()))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def between(self, start: float, end: float) -> Stretch:
        """The stretch from the last sample at or before `start` to the first at or after
        `end` (epoch seconds): at most `every` wider on each side.

        Raises:
            ValueError: the samples do not cover `start` to `end`.
        """
        times = [at for at, _, _ in self._samples]
        first = bisect.bisect_right(times, start) - 1
        last = bisect.bisect_left(times, end)
        if first < 0 or last >= len(times) or first >= last:
            raise ValueError(f"no samples around {start:.2f}-{end:.2f}")
        (t0, cpu0, (busy0, total0)), (t1, cpu1, (busy1, total1)) = (
            self._samples[first],
            self._samples[last],
        )
        cpu = Counter(cpu1)
        cpu.subtract(cpu0)
        return Stretch(
            seconds=t1 - t0,
            busy=(busy1 - busy0) / max(total1 - total0, 1),
            cpu={name: round(seconds, 2) for name, seconds in sorted(cpu.items()) if seconds > 0},
        )
