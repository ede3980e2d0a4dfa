"""Test-run environment: loopback only, no telemetry, a throwaway Prefect home."""

import os
import tempfile

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="prefect-home-"))
