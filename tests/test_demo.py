"""`make demo` on both platforms, twice: each run starts clean and leaves no crashed run."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def demo(workdir: Path, platform: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        cwd=workdir,
        env={**os.environ, "PLATFORM": platform, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return done.stdout


def flow_runs(workdir: Path) -> list[tuple[str, str]]:
    database = workdir / ".demo" / "logs" / "prefect-home" / "prefect.db"
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT name, state_type FROM flow_run").fetchall()


def test_each_demo_starts_clean_and_stops_without_a_crashed_run(tmp_path):
    first = demo(tmp_path, "described")
    (earlier_primary,) = re.findall(r"primary (\S+): paused", first)
    second = demo(tmp_path, "admin")

    runs = flow_runs(tmp_path)
    names = [name for name, _ in runs]
    # Only the second demo's runs: nothing of the first (its campaign ids) survives.
    assert not [name for name in names if earlier_primary in name]
    assert "provision Demo renewals" in names and any(n.startswith("failover ") for n in names)
    assert {state for _, state in runs} == {"COMPLETED"}, runs
    for output in (first, second):
        assert "Stopped every service the demo started." in output
        assert "Prefect UI:" not in output  # without KEEP=1 its URLs are dead by now
    assert "backup  " in second and re.search(r"backup\s+\d+: active", second)
