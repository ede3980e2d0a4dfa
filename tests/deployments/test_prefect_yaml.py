"""deployments/prefect.yaml matches the flows, mirrors definitions.py, and deploys for real."""

import datetime as dt
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.schedules import CronSchedule
from prefect.settings import PREFECT_API_URL

from deployments.definitions import FAILOVER_TRIGGER, LOW_SUCCESS_EVENT, build_deployments

ROOT = Path(__file__).resolve().parents[2]
PREFECT_YAML = ROOT / "deployments" / "prefect.yaml"
DEPLOYMENTS = yaml.safe_load(PREFECT_YAML.read_text())["deployments"]


def load_flow(entrypoint: str) -> Flow:
    path, name = entrypoint.split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    flow = getattr(module, name)
    assert isinstance(flow, Flow), entrypoint
    return flow


def given_parameters(deployment: dict) -> set[str]:
    names = set(deployment.get("parameters") or {})
    for trigger in deployment.get("triggers") or []:
        names |= set(trigger.get("parameters") or {})
    return names


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d["name"])
def test_entrypoint_imports_and_parameters_match_the_signature(deployment):
    flow = load_flow(deployment["entrypoint"])
    signature = inspect.signature(flow.fn)
    assert given_parameters(deployment) <= set(signature.parameters), deployment["name"]
    if deployment.get("schedules") or deployment.get("triggers"):
        # Runs nobody starts by hand must get every required parameter from the deployment.
        required = {
            name for name, p in signature.parameters.items() if p.default is inspect.Parameter.empty
        }
        assert required <= given_parameters(deployment), deployment["name"]
    for schedule in deployment.get("schedules") or []:
        if "cron" in schedule:
            CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # validates both
    assert deployment["work_pool"]["name"] == "cxone-process"


def test_yaml_mirrors_the_served_definitions():
    served = {d.name: d for d in build_deployments("CL")}
    assert set(served) == {d["name"] for d in DEPLOYMENTS}
    for deployment in DEPLOYMENTS:
        runner = served[deployment["name"]]
        assert runner.entrypoint.replace("\\", "/").endswith(deployment["entrypoint"])
        limit = deployment.get("concurrency_limit")
        if limit is None:
            assert runner.concurrency_limit is None, deployment["name"]
        else:
            assert runner.concurrency_limit == limit["limit"]
            strategy = runner.concurrency_options.collision_strategy
            assert strategy.value == limit["collision_strategy"]
        assert len(runner.schedules or []) == len(deployment.get("schedules") or [])
        for trigger, wanted in zip(runner.triggers, deployment.get("triggers") or [], strict=True):
            assert trigger.parameters == wanted["parameters"]
            assert set(trigger.expect) == set(wanted["expect"])
            assert set(trigger.after) == set(wanted["after"])
            assert trigger.posture.value == wanted["posture"]
            assert trigger.within.total_seconds() == wanted["within"]
            assert (trigger.name, trigger.description) == (wanted["name"], wanted["description"])
        yaml_keys = set(deployment.get("parameters") or {})
        assert yaml_keys == set(runner.parameters), deployment["name"]


@pytest.mark.parametrize("name", ["export-segmented-contacts", "sync-dial-list"])
def test_the_daily_lists_are_day_lists_made_before_the_earliest_calling_window(name):
    daily = next(d for d in DEPLOYMENTS if d["name"] == name)
    (schedule,) = daily["schedules"]
    minute, hour, *every = schedule["cron"].split()
    assert every == ["*", "*", "*"]  # daily
    assert schedule["timezone"] == "America/New_York"
    # The first legal minute anywhere: 08:00 in Newfoundland (UTC-3:30) is 06:30 Eastern.
    assert dt.time(int(hour), int(minute)) < dt.time(6, 30)
    assert daily["parameters"]["for_day"] == "today"


async def test_prefect_deploy_all_against_a_local_server(prefect_harness):
    env = {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "CXONE_CONTACT_LIST_ID": "CL-DEMO",
        "CXONE_DIAL_LIST_SOURCE": "crm/contacts.parquet",
        "CXONE_CALLING_LIST": "Renewals",
    }
    prefect = [sys.executable, "-m", "prefect", "--no-prompt"]
    for command in (
        ["work-pool", "create", "cxone-process", "--type", "process", "--overwrite"],
        ["deploy", "--all", "--prefect-file", str(PREFECT_YAML)],
    ):
        done = subprocess.run(
            [*prefect, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stdout + done.stderr
    async with get_client() as client:
        deployments = {d.name: d for d in await client.read_deployments()}
        automations = await client.read_automations()
        # The session's Prefect server is shared: leave no deployments of ours behind for
        # tests that serve deployments of the same names.
        for deployment in deployments.values():
            await client.delete_deployment(deployment.id)
    for deployment in DEPLOYMENTS:
        applied = deployments[deployment["name"]]
        assert applied.work_pool_name == "cxone-process"
        # Each shows its flow's docstring, as the README promises.
        docstring = load_flow(deployment["entrypoint"]).description
        assert applied.description.splitlines()[0] == docstring.splitlines()[0]
    fleet = deployments["monitor-fleet"]
    assert fleet.schedules[0].schedule.interval == dt.timedelta(seconds=60)
    assert fleet.global_concurrency_limit.limit == 1
    assert fleet.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    assert deployments["export-segmented-contacts"].parameters["contact_list_id"] == "CL-DEMO"
    (automation,) = [a for a in automations if a.trigger.after == {LOW_SUCCESS_EVENT}]
    assert automation.name == FAILOVER_TRIGGER.name
    assert automation.description == FAILOVER_TRIGGER.description
    assert automation.trigger.posture.value == "Proactive"
    assert automation.trigger.expect == {"cxone.campaign.evaluated", "cxone.campaign.evaluating"}
    (action,) = automation.actions
    assert action.parameters == FAILOVER_TRIGGER.parameters


async def test_a_deployment_without_its_list_id_is_refused_when_applied(prefect_harness):
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    env.pop("CXONE_CONTACT_LIST_ID", None)
    prefect = [sys.executable, "-m", "prefect", "--no-prompt"]
    for command in (
        ["work-pool", "create", "cxone-process", "--type", "process", "--overwrite"],
        ["deploy", "--name", "export-segmented-contacts", "--prefect-file", str(PREFECT_YAML)],
    ):
        done = subprocess.run(
            [*prefect, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
    assert done.returncode != 0
    assert "Validation failed for field 'contact_list_id'" in done.stdout + done.stderr
    async with get_client() as client:
        deployed = {d.name for d in await client.read_deployments()}
    assert "export-segmented-contacts" not in deployed
