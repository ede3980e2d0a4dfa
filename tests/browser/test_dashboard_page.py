"""The dashboard page in a real headless Chromium, rendering live data.

The simulator delivers real signed webhooks to a dashboard served on a socket; a real
monitor run fails the pair over, so the page shows the campaigns, their success-rate
sparklines and the failover history from live state. Needs Debian's chromium
(`make browser`, which `.ci/run` runs, installs it).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from playwright.async_api import async_playwright
from prefect.settings import get_current_settings

from blocks import CXoneCredentials
from cxone import CampaignPayload
from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from flows.monitor import monitor_campaigns
from flows.webhooks import register_metrics_webhook
from simulator import DEV_WEBHOOK_SECRET, serve_in_thread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google's hosts at start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_page_shows_campaigns_sparklines_and_failover_history(
    sim, credentials_block, monkeypatch, tmp_path
):
    assert Path(CHROMIUM).exists(), "Chromium is missing: run `make browser` (apt chromium)"
    # The server thread sees the environment, not the harness' settings context.
    monkeypatch.setenv("PREFECT_API_URL", get_current_settings().api.url)
    credentials = await CXoneCredentials.aload(credentials_block)
    async with credentials.get_client() as client:
        primary = await client.create_campaign(CampaignPayload(name="p", contact_list_id="CL-1"))
        backup = await client.create_campaign(
            CampaignPayload(name="b", contact_list_id="CL-1", status="paused")
        )
    settings = DashboardSettings(
        webhook_secret=DEV_WEBHOOK_SECRET, credentials_block=credentials_block
    )
    with serve_in_thread(create_app(settings, emit=lambda **_: None)) as dashboard_url:
        await register_metrics_webhook(
            f"{dashboard_url}/webhooks/cxone", credentials_block=credentials_block
        )
        for rate in (0.42, 0.35, 0.22, 0.08):
            sim.put(
                f"/_sim/campaigns/{primary.id}/metrics",
                json={"successRate": rate, "callsAttempted": 300, "activeCalls": 12},
            ).raise_for_status()
            await asyncio.sleep(0.1)
        result = await monitor_campaigns(primary.id, backup.id, credentials_block=credentials_block)
        assert result["action"] == "failover"

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            failed = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            await page.goto(dashboard_url)
            row = page.locator(f'#campaigns tr[data-campaign-id="{primary.id}"]')
            await row.wait_for(timeout=15_000)
            await page.locator(f'#campaigns tr[data-campaign-id="{backup.id}"]').wait_for()
            await page.wait_for_function(
                """id => document.querySelector(`tr[data-campaign-id="${id}"] .status`)
                        ?.textContent.includes('paused')""",
                arg=primary.id,
                timeout=15_000,
            )
            rate_text = await row.locator(".success-rate").inner_text()
            await page.wait_for_function(
                """id => document.querySelector(`tr[data-campaign-id="${id}"] .failover-status`)
                        ?.textContent === 'failed over'""",
                arg=primary.id,
                timeout=15_000,
            )
            points = await row.locator("svg.sparkline").evaluate(
                "svg => svg.querySelector('polyline, path')?.getAttribute('points')"
                " || svg.querySelector('path')?.getAttribute('d') || ''"
            )
            history = page.locator("#failovers tr[data-failover]")
            await history.first.wait_for(timeout=15_000)
            history_text = await history.first.inner_text()
            await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            await browser.close()

    assert "8" in rate_text  # 8% is the latest reading
    assert len(points.split()) >= 4 or points.count("L") >= 3  # one point per reading
    assert primary.id in history_text and backup.id in history_text
    assert "failover" in history_text and "applied" in history_text
    assert failed == []  # nothing external, nothing broken
