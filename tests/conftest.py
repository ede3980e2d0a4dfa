"""Test-run environment and shared fixtures: loopback only, no telemetry, a throwaway Prefect.

Fixtures that start servers start and stop them themselves: one temporary Prefect server for
the whole session (started only when a test needs it) and one simulator on 127.0.0.1.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import certifi
import httpx
import pytest

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
# Each test process's Prefect home and embedded attempts ledger (never a file in the
# checkout), removed when the process ends: every fixture has stopped what used them by then.
_HOME, _LEDGER = (
    tempfile.mkdtemp(prefix="prefect-home-"),
    tempfile.mkdtemp(prefix="attempts-ledger-"),
)
for _directory in (_HOME, _LEDGER):
    atexit.register(shutil.rmtree, _directory, ignore_errors=True)
os.environ["PREFECT_HOME"] = _HOME
os.environ["CXONE_LEDGER_PATH"] = os.path.join(_LEDGER, "attempts.db")
# Each process paces a credentials block alone: the few tests of the limit shared across
# processes (tests/blocks/test_rate_limit*.py) turn it on for themselves.
os.environ["CXONE_SHARE_RATE_LIMIT"] = "0"
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_API_KEY", None)

# Prefect builds a TLS context for every API client it makes, loading the whole CA bundle each
# time (20-30 ms of CPU), even for an http:// API, and its engines make several per flow run.
# Every Prefect server of the tests is plain HTTP on 127.0.0.1, so no certificate is ever
# checked: the tests' clients load a bundle of one (certifi's first), in 0.3 ms.
_PEM_END = "-----END CERTIFICATE-----"
_BUNDLE = Path(os.environ["PREFECT_HOME"], "one-certificate.pem")
_BUNDLE.write_text(Path(certifi.where()).read_text().split(_PEM_END)[0] + _PEM_END + "\n")
os.environ["PREFECT_API_SSL_CERT_FILE"] = str(_BUNDLE)


# The test files that take longest (measured: seconds on this 2-core machine, with three
# workers), handed out first: `make test` distributes whole files (`--dist loadfile
# --no-loadscope-reorder`) in collection order, and a long file handed out last keeps one
# worker busy while the others idle (xdist's default order, most tests first, left the
# crash tests for last: a 60 s tail).
LONGEST_FILES = (
    "tests/flows/test_monitor.py",  # 64
    "tests/dashboard/test_webhook.py",  # 48
    "tests/contract/test_platform_contract.py",  # 40
    "tests/flows/test_cli.py",  # 40
    "tests/blocks/test_blocks.py",  # 35
    "tests/flows/test_dial_list.py",  # 31
    "tests/flows/test_fleet_and_guard.py",  # 29
    "tests/deployments/test_served_deployments.py",  # 24
    "tests/browser/test_dashboard_page.py",  # 21
    "tests/flows/test_pair_rules.py",  # 20
    "tests/flows/test_daily_loop.py",  # 20
)


_renamed = [path for path in LONGEST_FILES if not (Path(__file__).parent.parent / path).exists()]
assert not _renamed, f"LONGEST_FILES names files that are gone: {_renamed}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest files first, the rest in their usual order (the sort is stable)."""
    rank = {path: position for position, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


SIM_CLIENT_SECRET = "sim-secret"
# A test's control client opens a connection per request: uvicorn closes a connection idle
# for five seconds, and a request sent on it at that moment is reset (a flaky test).
CONTROL_LIMITS = httpx.Limits(max_keepalive_connections=0)
# httpx builds a TLS context for every client made without one (about 20 ms of CPU loading the
# CA bundle), even for an http:// URL: the control clients made for every test share one.
CONTROL_TLS = httpx.create_ssl_context()


def request_held(control: httpx.Client, campaign_id: str) -> bool:
    """Whether a request to the campaign itself (a read or a status change, not its metrics)
    has reached the simulator and is not answered yet: a step held by a `slow` fault."""
    log = control.get("/_sim/requests").json()["requests"]
    return any(e["path"].endswith(f"/{campaign_id}") and e["status"] is None for e in log)


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server (SQLite) for every test that runs flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sim_url():
    """A simulator on a real loopback socket, shared by the session; tests reset it."""
    from simulator import SimulatorConfig, create_app, serve_in_thread

    config = SimulatorConfig(
        contact_lists={"CL-1": 400, "CL-EMPTY": 0}, seed=11, webhook_retry_delays=[0.05, 0.1]
    )
    with serve_in_thread(create_app(config)) as url:
        yield url


@pytest.fixture
def sim(sim_url):
    """The simulator's control API, reset before the test: with it, the tokens it issued,
    which the process's shared token cache forgets too (else the test's first request meets
    a 401 that depends on which tests ran before it in this worker)."""
    from cxone import SHARED_TOKENS

    with httpx.Client(
        base_url=sim_url, timeout=30, limits=CONTROL_LIMITS, verify=CONTROL_TLS
    ) as control:
        control.post("/_sim/reset").raise_for_status()
        SHARED_TOKENS.clear()
        yield control


@pytest.fixture
async def credentials_block(prefect_harness, sim) -> str:
    """A saved CXoneCredentials block pointing at the simulator; returns its name."""
    from blocks import CXoneCredentials, api_client

    credentials = CXoneCredentials(
        client_id="sim-client",
        client_secret=SIM_CLIENT_SECRET,
        base_url=str(sim.base_url).rstrip("/"),
        requests_per_minute=6000,
    )
    async with api_client() as client:
        await credentials.asave("cxone-test", overwrite=True, client=client)
    return "cxone-test"


@pytest.fixture(scope="session")
def admin_urls():
    """The NICE CXone stand-in (issuer and API on their own ports), shared by the session."""
    from simulator import serve_admin_in_thread

    with serve_admin_in_thread() as urls:
        yield urls


@pytest.fixture
async def nice_credentials(prefect_harness, admin_urls) -> str:
    """A saved CXoneAccessKey block for the NICE CXone stand-in; returns its reference."""
    from blocks import api_client
    from deployments.local_stack import stand_in_access_key

    async with api_client() as client:
        await stand_in_access_key(admin_urls.issuer, 6000).asave(
            "nice-test", overwrite=True, client=client
        )
    return "cxone-access-key/nice-test"
