"""A SIGTERM to a process holding a `LocalStack` (a benchmark, a test run) stops its services:
by default the process would end at once and leave them running in their own sessions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deployments.local_stack import interrupt_on_sigterm

# Holds a stack with one service (a sleeping Python), says the service's pid, and waits.
HOLDER = """
import sys, time
from pathlib import Path
from deployments.local_stack import LocalStack

with LocalStack(Path(sys.argv[1])) as stack:
    service = stack.start("sleeper", ["-c", "import time; time.sleep(120)"], ready=lambda: True)
    print(service.process.pid, flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_to_the_holder_stops_the_stacks_services(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "stack")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert holder.stdout is not None
        sleeper = int(holder.stdout.readline())
        assert _alive(sleeper)
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=30)
        # The service was stopped by the holder's `with` block, before the holder ended.
        deadline = time.monotonic() + 5  # a zombie's reaping by init, not the stop, is waited
        while _alive(sleeper) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(sleeper)
        assert holder.returncode != 0
        assert b"KeyboardInterrupt" in holder.stderr.read()  # type: ignore[union-attr]
    finally:
        holder.kill()
        holder.wait()


def test_sigterm_handler_is_put_back_and_another_handler_left_alone() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        restore = interrupt_on_sigterm()
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        # A nested stack (or the demo's own handler) finds a handler set: it leaves it.
        assert interrupt_on_sigterm()() is None
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        restore()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, previous)
