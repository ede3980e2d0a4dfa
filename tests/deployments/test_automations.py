"""The zombie-run automation is created once and kept up to date by name."""

from prefect.client.orchestration import get_client
from prefect.settings import get_current_settings

from deployments.automations import ZOMBIE_RUNS, ensure_automations


async def test_ensure_automations_is_idempotent(prefect_harness):
    assert await ensure_automations() == [ZOMBIE_RUNS.name]
    assert await ensure_automations() == [ZOMBIE_RUNS.name]
    async with get_client() as client:
        (automation,) = await client.read_automations_by_name(ZOMBIE_RUNS.name)
    assert automation.trigger.posture.value == "Proactive"
    assert automation.trigger.after == {"prefect.flow-run.heartbeat"}
    assert "prefect.flow-run.Completed" in automation.trigger.expect
    (action,) = automation.actions
    assert action.state.value == "CRASHED"


def test_heartbeats_come_often_enough_for_the_automation():
    # The project's prefect.toml: three missed heartbeats fit in the automation's window.
    heartbeat = get_current_settings().flows.heartbeat_frequency
    assert heartbeat is not None and 3 * heartbeat <= ZOMBIE_RUNS.trigger.within.total_seconds()
