"""Inside a run, a user error ends it as a failed state saying what to fix, with no traceback
in the run's log; a bug still fails with its traceback."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogHandler

from blocks import MissingBlock
from cxone import CXoneUnsupported
from flows._user_errors import fails_cleanly
from flows.dial_list import sync_dial_list
from flows.monitor import (
    PairMismatch,
    RestoreRefused,
    monitor_campaigns,
    monitor_fleet,
    reset_failover,
)
from flows.provision import provision_campaign

from .conftest import add_fault, set_metrics


async def run_log(state) -> list[str]:
    """The run's log as the server keeps it, tracebacks included."""
    await APILogHandler.aflush()
    run_id = state.state_details.flow_run_id
    async with get_client() as client:
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))
        )
    return [log.message for log in logs]


async def test_a_dial_list_on_the_described_api_fails_with_its_reason_alone(
    credentials_block, tmp_path
):
    source = tmp_path / "crm.csv"
    source.write_text("contact_id,phone\nc1,2127365000\n")
    options = {"credentials_block": credentials_block, "output_dir": str(tmp_path / "out")}
    state = await sync_dial_list(str(source), "Renewals", **options, return_state=True)
    assert state.is_failed()
    assert state.message.startswith("the described API has no calling lists")
    log = await run_log(state)
    assert log and not any("Traceback" in line or "Encountered exception" in line for line in log)
    with pytest.raises(CXoneUnsupported):  # a caller gets the error, as before
        await sync_dial_list(str(source), "Renewals", **options)


async def test_a_missing_block_fails_the_run_with_the_message_alone(prefect_harness):
    state = await provision_campaign("P", "CL-1", credentials_block="nope", return_state=True)
    assert state.is_failed() and state.message.startswith("no cxone-credentials block named 'nope'")
    assert not any("Traceback" in line for line in await run_log(state))
    with pytest.raises(MissingBlock):
        await state.result()


@flow(name="buggy")
@fails_cleanly
async def buggy(kind: str) -> str:
    if kind == "bug":
        return {}["missing"]  # a KeyError: a LookupError, but nothing the user named
    raise ValueError("kind must be 'bug'")


async def test_a_bug_is_not_taken_for_a_user_error(prefect_harness):
    state = await buggy("bug", return_state=True)
    assert state.message.startswith("Flow run encountered an exception: KeyError")
    assert any("Traceback" in line for line in await run_log(state))
    clean = await buggy("other", return_state=True)
    assert clean.is_failed() and clean.message == "kind must be 'bug'"


async def test_the_monitor_flows_fail_cleanly_on_user_errors(sim, pair, credentials_block):
    primary, backup = pair
    await monitor_campaigns(primary, backup, credentials_block=credentials_block)
    cases = [
        (  # the saved pair has another backup
            monitor_campaigns(primary, "cmp_other", return_state=True),
            PairMismatch,
            f"the FailoverPair of {primary!r} has backup {backup!r}",
        ),
        (  # a credentials block nobody saved
            monitor_campaigns("cmp_new", "cmp_new_b", credentials_block="nope", return_state=True),
            MissingBlock,
            "no cxone-credentials block named 'nope'",
        ),
        (reset_failover("cmp_nope", return_state=True), RestoreRefused, "no FailoverPair names"),
        (monitor_fleet(concurrency=0, return_state=True), ValueError, "concurrency must be"),
    ]
    for call, error, message in cases:
        state = await call
        assert state.is_failed() and state.message.startswith(message), state.message
        assert not any("Traceback" in line for line in await run_log(state))
        with pytest.raises(error):
            await state.result()


async def test_a_platform_failure_of_a_monitor_keeps_its_traceback(sim, pair, credentials_block):
    primary, backup = pair
    set_metrics(sim, primary, 0.05, 200)
    # The backup never resumes: the primary is paused and nothing dials, which an operator
    # investigates with the traceback.
    add_fault(sim, kind="server_error", status=503, method="PUT", path=backup, count=4)
    options = {"credentials_block": credentials_block, "return_state": True}
    state = await monitor_campaigns(primary, backup, **options)
    assert state.is_failed() and "FailoverIncomplete" in state.message
    assert any("Traceback" in line for line in await run_log(state))
