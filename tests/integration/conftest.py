"""A simulator per test, reached in-process through the ASGI transport, and a client for it."""

import httpx
import pytest

from cxone import CXoneClient, CXoneConfig, RetryPolicy
from simulator import SimulatorConfig, asgi_transport, create_app

BASE = "http://127.0.0.1:8765"  # a name only: requests go through the in-process transport


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(contact_lists={"CL-1": 1_000}, seed=7)


@pytest.fixture
def sim_app(sim_config):
    return create_app(sim_config)


@pytest.fixture
async def control(sim_app):
    """Plain HTTP access to the simulator, for the control API and for counting effects."""
    async with httpx.AsyncClient(transport=asgi_transport(sim_app), base_url=BASE) as http:
        yield http


@pytest.fixture
def client_config() -> CXoneConfig:
    return CXoneConfig(
        base_url=BASE,
        client_id="sim-client",
        client_secret="sim-secret",
        requests_per_minute=60_000,
    )


@pytest.fixture
def fast_retries() -> RetryPolicy:
    return RetryPolicy(max_retries=6, backoff_base=0.001, backoff_cap=0.05)


@pytest.fixture
async def client(sim_app, client_config, fast_retries):
    async with CXoneClient(
        client_config, transport=asgi_transport(sim_app), retry_policy=fast_retries
    ) as client:
        yield client


async def add_fault(control, **fault) -> None:
    response = await control.post("/_sim/faults", json=fault)
    assert response.status_code == 201, response.text


async def api_requests(control, method: str | None = None, path: str = "") -> list[dict]:
    logged = (await control.get("/_sim/requests")).json()["requests"]
    return [r for r in logged if (method is None or r["method"] == method) and path in r["path"]]
