"""What a flow run's process imports: a failover waits for the monitoring one to start."""

import subprocess
import sys

import pytest

# Brought by the dial lists and the attempts ledger (about 0.9 s together, measured), never
# needed to monitor or fail over.
HEAVY = ("pandas", "pyarrow", "compliance", "dial_lists", "ledger", "sqlalchemy")


@pytest.mark.parametrize("module", ["flows.monitor", "flows.provision", "flows.webhooks"])
def test_the_flows_without_contact_files_import_no_contact_file_machinery(module):
    probe = f"import sys, {module}; print(sorted(set({HEAVY!r}) & set(sys.modules)))"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert found.stdout.strip() == "[]"


def test_the_dial_list_flow_still_has_them():
    # The probe above can fail: the flows that read contact files import these.
    probe = "import sys, flows.dial_list; print('pandas' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert found.stdout.strip() == "True"
