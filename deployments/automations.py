"""Automations the product needs besides the deployments' own triggers.

`python -m deployments.automations` creates them, or updates them when they exist (by name),
on the server `PREFECT_API_URL` names; `python -m deployments.serve` does it too.

A flow-run process killed with SIGKILL (a redeployed worker, the OOM killer, a lost machine)
never reports its end, and its run would stay Running for ever. Flow runs send a heartbeat
every `flows.heartbeat_frequency` seconds (30 in this project's prefect.toml); this automation
marks a run Crashed once three heartbeats are missing. The exactly-once operations do not
wait for it: a run holding one is replaced as soon as its lease lapses (30 s).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

FINAL_STATES = ("Completed", "Failed", "Cancelled", "Crashed")
ZOMBIE_RUNS = AutomationCore(
    name="Mark flow runs crashed when their heartbeats stop",
    description=(
        "A flow run whose process died sends no more heartbeats and never reports its end; "
        "after 90 s (three missed heartbeats) without one, mark it Crashed."
    ),
    trigger=EventTrigger(
        after={"prefect.flow-run.heartbeat"},
        expect={"prefect.flow-run.heartbeat", *(f"prefect.flow-run.{s}" for s in FINAL_STATES)},
        match={"prefect.resource.id": ["prefect.flow-run.*"]},
        for_each={"prefect.resource.id"},
        posture=Posture.Proactive,
        threshold=1,
        within=dt.timedelta(seconds=90),
    ),
    actions=[
        ChangeFlowRunState(
            state=StateType.CRASHED,
            message="Marked crashed: no heartbeat for 90 s (its process died).",
        )
    ],
)
AUTOMATIONS = (ZOMBIE_RUNS,)


async def ensure_automations() -> list[str]:
    """Create each automation, or update the one of the same name; returns the names."""
    async with get_client() as client:
        for automation in AUTOMATIONS:
            existing = await client.read_automations_by_name(automation.name)
            if existing:
                await client.update_automation(existing[0].id, automation)
            else:
                await client.create_automation(automation)
    return [automation.name for automation in AUTOMATIONS]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m deployments.automations", description=__doc__.splitlines()[0]
    )
    parser.parse_args(argv)
    for name in asyncio.run(ensure_automations()):
        print(f"automation ready: {name}")


if __name__ == "__main__":
    main()
