"""A first look at the system, on this machine only: no CXone tenant needed.

Starts the simulator on 127.0.0.1, saves a credentials block pointing at it, provisions a
primary campaign and a paused backup, exports the primary's contact list and prints the
counts by reason. Prefect starts a temporary local server for the flows.
"""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from blocks import CXoneCredentials
from flows.export import export_segmented_contacts
from flows.provision import provision_campaign
from simulator import SimulatorConfig, create_app, serve_in_thread

LIST_ID = "CL-DEMO"
OUTPUT_DIR = ".demo/exports"  # git-ignored; the files hold (simulated) personal data


async def run(base_url: str, output_dir: str) -> None:
    print(f"1. simulator listening on {base_url}")
    await CXoneCredentials(
        client_id="sim-client", client_secret="sim-secret", base_url=base_url
    ).asave("cxone", overwrite=True)
    print("2. saved the 'cxone' credentials block (pointing at the simulator)")
    primary = await provision_campaign("Demo primary", LIST_ID)
    backup = await provision_campaign("Demo backup", LIST_ID, initial_status="paused")
    print(f"3. campaigns: primary {primary['id']} ({primary['status']}), "
          f"backup {backup['id']} ({backup['status']})")  # fmt: skip
    summary = await export_segmented_contacts(LIST_ID, output_dir=output_dir)
    print(f"4. exported {summary['fetched']} contacts: {summary['dialable']} dialable, "
          f"{summary['suppressed']} suppressed")  # fmt: skip
    for reason, count in sorted(summary["by_reason"].items(), key=lambda kv: -kv[1]):
        print(f"     {reason:<24}{count:>6}")
    print(f"   files: {summary['dialable_path']}, {summary['suppressed_path']}")


def main() -> None:
    config = SimulatorConfig(contact_lists={LIST_ID: 2_000})
    with serve_in_thread(create_app(config)) as base_url:
        asyncio.run(run(base_url, OUTPUT_DIR))


if __name__ == "__main__":
    main()
