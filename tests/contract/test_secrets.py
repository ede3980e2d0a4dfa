"""No secret of either credentials block reaches logs, artifacts, parameters or reprs."""

from __future__ import annotations

import logging
import uuid

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from blocks import load_credentials
from flows.monitor import monitor_campaigns
from flows.provision import provision_campaign

SECRETS = ("sim-secret", "sim-access-secret", "sim-app-secret")


async def test_secrets_stay_out_of_logs_artifacts_and_reprs(platform, caplog):
    caplog.set_level(logging.DEBUG)
    name = f"Secret {uuid.uuid4().hex[:6]}"
    campaign = await provision_campaign(name, "CL-1", credentials_block=platform.credentials_block)
    primary, backup = await platform.pair()
    platform.set_rate(primary, 0.05, 200)
    result = await monitor_campaigns(primary, backup, credentials_block=platform.credentials_block)
    assert result["action"] == "failover" and campaign["id"]

    credentials = await load_credentials(platform.credentials_block)
    async with credentials.get_client() as client:
        texts = [repr(credentials), str(credentials), repr(client), repr(client.config)]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.exc_info) for record in caplog.records if record.exc_info]
    async with get_client() as prefect:
        artifacts = await prefect.read_artifacts()
        runs = await prefect.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[a.flow_run_id for a in artifacts if a.flow_run_id])
            )
        )
    texts += [str(artifact.data) for artifact in artifacts]
    texts += [str(run.parameters) for run in runs]
    for secret in SECRETS:
        assert not [text for text in texts if secret in text], secret
