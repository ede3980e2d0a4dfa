"""Every service the local stack starts is found ready at a production log level, where the
lines an INFO log would show ("Listening for ...") never come."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deployments.local_stack import LocalStack

pytestmark = pytest.mark.stack


def test_every_service_is_ready_at_the_warning_log_level(tmp_path: Path) -> None:
    quiet = {"PREFECT_LOGGING_LEVEL": "WARNING"}
    with LocalStack(tmp_path / "stack", service_env=quiet) as stack:
        stack.start_prefect_server()
        stack.start_simulator("--list", "CL-1=10")
        stack.start_dashboard()
        stack.start_responder()
        subprocess.run(
            [sys.executable, "-m", "prefect", "--no-prompt", "work-pool", "create", "cxone-process",
             "--type", "process", "--overwrite"],
            env=stack.env(), check=True, capture_output=True,
        )  # fmt: skip
        stack.start_worker("worker-1")
        stack.start_serve("--contact-list", "CL-1", "--output-dir", str(tmp_path / "exports"))
        assert [s.name for s in stack.services if s.process.poll() is None] == [
            "prefect-server", "simulator", "dashboard", "responder", "worker-1", "serve",
        ]  # fmt: skip
        assert (stack.run_dir / "responder.ready").exists()
        logs = {s.name: s.log_path.read_text(errors="replace") for s in stack.services}
    # The line readiness once waited for is not there, nor any INFO line: the level took them.
    assert "Listening for" not in logs["responder"]
    for name in ("responder", "worker-1", "serve"):
        assert "| INFO" not in logs[name], logs[name]
    assert not (stack.run_dir / "responder.ready").exists()  # stopped: no longer ready
