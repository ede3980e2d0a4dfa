"""A hung API fails a run within its documented deadline, and every flow and task has a timeout."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import time
from collections.abc import AsyncIterator

import pytest
from prefect import Flow
from prefect.tasks import Task

from blocks import CXoneCredentials
from cxone import CXoneServerError
from flows.monitor import monitor_campaigns

# Every module of the flows and tasks packages: one added later is covered without a change.
MODULES = sorted(
    f"{package}.{info.name}"
    for package in ("flows", "tasks")
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__)
)


async def _trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Promise a body, then send it one byte at a time, slower than any read timeout notices."""
    await reader.read(65536)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 99999\r\n\r\n"
    )
    try:
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.2)
    except (ConnectionError, asyncio.CancelledError):
        writer.close()


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept the connection and never answer."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        writer.close()


@pytest.fixture(params=[_trickle, _silent], ids=["trickling", "silent"])
async def hung_api(request) -> AsyncIterator[str]:
    server = await asyncio.start_server(request.param, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    yield f"http://{host}:{port}"
    server.close()


async def test_a_hung_api_fails_the_run_within_the_call_deadline(prefect_harness, hung_api):
    credentials = CXoneCredentials(
        client_id="sim-client",
        client_secret="sim-secret",
        base_url=hung_api,
        timeout_seconds=0.5,
        max_retries=1,
        deadline_seconds=2,
    )
    await credentials.asave("hung-api", overwrite=True)
    started = time.monotonic()
    with pytest.raises(CXoneServerError, match=r"timed out|deadline|failed"):
        await monitor_campaigns("cmp_hung_p", "cmp_hung_b", credentials_block="hung-api")
    # The first call (the token request) hits its 2 s deadline. Without it the run would hang
    # until the flow's timeout (600 s); the bound leaves room for Prefect's own overhead on a
    # busy machine and still tells the two apart.
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("module", MODULES)
def test_every_flow_and_task_has_a_timeout(module):
    found = [
        value
        for value in vars(importlib.import_module(module)).values()
        if isinstance(value, Flow | Task) and value.__module__ == module
    ]
    for item in found:
        assert item.timeout_seconds, f"{module}.{item.name} has no timeout_seconds"


def test_the_modules_with_flows_and_tasks_are_all_checked():
    checked = {
        module
        for module in MODULES
        for value in vars(importlib.import_module(module)).values()
        if isinstance(value, Flow | Task) and value.__module__ == module
    }
    assert {"tasks.dial_lists", "flows.dial_list", "flows.monitor"} <= checked
