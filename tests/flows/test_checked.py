"""The contract `flows._checked` relies on in Prefect: a flow's call starts its run, and what
`Flow.serialize_parameters` returns is what the server stores with the run; and what it gives
in return: checks before any run exists, redacted stored parameters, a schema that refuses
credentials in a source URL."""

from __future__ import annotations

import re
import uuid

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

from dial_lists import OutputDirError
from flows._checked import checked_flow
from flows.dial_list import sync_dial_list
from flows.export import export_segmented_contacts

SECRET = "wJalrXUtnFEMIsecret"


def refuse_zero(source: str, n: int = 1) -> None:
    if n == 0:
        raise ValueError("n must not be 0")


@checked_flow(check=refuse_zero, name="checked-contract", flow_run_name="{source}-{n}")
async def echo(source: str, n: int = 1) -> str:
    return source


# No check: the call goes straight to Prefect, as a deployment's worker starts a run.
@checked_flow(name="redacted-contract")
async def echo_unchecked(source: str) -> str:
    return source


async def runs_named(name: str) -> list:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
        )


async def test_a_refused_call_creates_no_run(prefect_harness):
    tag = uuid.uuid4().hex[:8]
    with pytest.raises(ValueError, match="must not be 0"):
        await echo(tag, n=0)
    assert await runs_named(f"{tag}-0") == []
    assert await echo(tag, n=2) == tag  # the flow itself still gets the real value
    (run,) = await runs_named(f"{tag}-2")
    assert run.parameters == {"source": tag, "n": 2}


async def test_the_stored_parameters_hold_urls_redacted(prefect_harness):
    url = f"s3://AKIAEXAMPLE:{SECRET}@bucket/{uuid.uuid4().hex[:8]}.csv"
    with pytest.raises(ValueError, match="carries credentials"):
        await echo(url)  # a checked flow refuses it before its run
    assert await echo_unchecked(url) == url  # the body sees the URL as given
    async with get_client() as client:
        runs = await client.read_flow_runs()
    (run,) = [r for r in runs if str(r.parameters.get("source", "")).endswith(url[-12:])]
    assert run.parameters["source"] == f"s3://***@bucket/{url.rsplit('/', 1)[1]}"
    assert not any(SECRET in str(r.parameters) for r in runs)


async def test_options_keep_the_check(prefect_harness):
    renamed = echo.with_options(name="checked-contract-renamed")
    with pytest.raises(ValueError, match="must not be 0"):
        await renamed("x", n=0)


async def test_values_are_checked_as_the_run_would_see_them(prefect_harness, tmp_path):
    # "today" and ISO dates arrive as text from deployments; the check sees the date.
    with pytest.raises(OutputDirError):
        await export_segmented_contacts("CL-1", output_dir="/", for_day="2026-11-30")
    with pytest.raises(ValueError, match="for_day must be a date or 'today'"):
        await export_segmented_contacts("CL-1", output_dir=str(tmp_path), for_day="2026-13-40")


def test_the_deployment_schema_refuses_a_source_url_with_credentials():
    schema = sync_dial_list.parameters.model_dump()["properties"]["source"]
    pattern = schema["pattern"]
    assert re.search(pattern, "s3://bucket/contacts.parquet")
    assert not re.search(pattern, f"s3://AKIA:{SECRET}@bucket/contacts.parquet")
    assert not re.search(pattern, "https://host/x.csv?X-Amz-Signature=abc")
