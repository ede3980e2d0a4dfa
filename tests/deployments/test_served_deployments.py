"""Provisioning and export run from served deployments, as the UI or a schedule runs them."""

import asyncio

import pandas as pd
from prefect.deployments import run_deployment
from prefect.runner import Runner

from deployments.definitions import build_deployments


async def test_provision_and_export_run_as_deployments(sim, credentials_block, tmp_path):
    runner = Runner(query_seconds=1, limit=2, pause_on_shutdown=False)
    # build_deployments is sync (as serve calls it); to_deployment is async-dispatched here.
    deployments = await asyncio.to_thread(
        build_deployments, "CL-1", credentials_block=credentials_block, output_dir=str(tmp_path)
    )
    for deployment in deployments:
        await runner.aadd_deployment(deployment)
    serving = asyncio.create_task(runner.start())
    try:
        provisioned = await run_deployment(
            "provision-campaign/provision-campaign",
            parameters={"campaign_name": "From a deployment", "contact_list_id": "CL-1"},
            timeout=120,
        )
        exported = await run_deployment(
            "export-segmented-contacts/export-segmented-contacts", timeout=120
        )
    finally:
        await runner.stop()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
    assert provisioned.state.is_completed(), provisioned.state
    assert exported.state.is_completed(), exported.state
    # Results stay in the run's process (no result persistence): check the effects instead.
    assert [c["name"] for c in sim.get("/_sim/campaigns").json()["campaigns"]] == [
        "From a deployment"
    ]
    dialable = pd.read_csv(tmp_path / "dialable.csv", dtype=str)
    suppressed = pd.read_csv(tmp_path / "suppressed.csv", dtype=str)
    assert len(dialable) + len(suppressed) > 0
    assert not set(dialable["contact_id"]) & set(suppressed["contact_id"])
