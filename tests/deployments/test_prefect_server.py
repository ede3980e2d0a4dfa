"""`python -m deployments.prefect_server`: the `prefect` command, its imports frozen first."""

import gc
import subprocess
import sys

import prefect
import pytest

from deployments import prefect_server


@pytest.fixture(autouse=True)
def nothing_frozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_command_runs_with_the_servers_modules_frozen(monkeypatch):
    import prefect.cli

    seen = []
    monkeypatch.setattr(prefect.cli, "app", lambda: seen.append(gc.get_freeze_count()))

    prefect_server.main()

    assert "prefect.server.api.server" in sys.modules
    assert len(seen) == 1 and seen[0] > 0  # frozen before the command ran


def test_it_takes_the_prefect_commands_arguments_and_exit_status():
    command = [sys.executable, "-m", "deployments.prefect_server"]
    version = subprocess.run([*command, "version"], capture_output=True, text=True, timeout=120)
    wrong = subprocess.run([*command, "no-such-command"], capture_output=True, timeout=120)

    assert version.returncode == 0
    assert prefect.__version__ in version.stdout
    assert wrong.returncode != 0
