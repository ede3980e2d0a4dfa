"""The dashboard page in a real headless Chromium, rendering live data.

The simulator delivers real signed webhooks to a dashboard served on a socket; a real
monitor run fails the pair over and a real restore fails it back, so the page shows the
campaigns with their names, their success-rate sparklines (one point per reading) and the
failover history from live state, under the page's own Content Security Policy. Needs
Debian's chromium (`make browser`, which `.ci/run` runs, installs it).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
from playwright.async_api import async_playwright
from prefect.settings import get_current_settings

from blocks import (
    CXoneCredentials,
    DialListSync,
    FailoverPair,
    load_state,
    pair_block_name,
    sync_state_name,
)
from cxone import CampaignPayload
from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from flows.monitor import monitor_campaigns, restore_primary
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


async def test_page_shows_campaigns_names_sparklines_and_failover_history(
    sim, credentials_block, monkeypatch, tmp_path
):
    assert Path(CHROMIUM).exists(), "Chromium is missing: run `make browser` (apt chromium)"
    # The server thread sees the environment, not the harness' settings context.
    monkeypatch.setenv("PREFECT_API_URL", get_current_settings().api.url)
    credentials = await CXoneCredentials.aload(credentials_block)
    async with credentials.get_client() as client:
        primary, backup, single = [
            await client.create_campaign(
                CampaignPayload(name=name, contact_list_id="CL-1", status=status)
            )
            for name, status in [
                ("Renewals", "active"),
                ("Renewals backup", "paused"),
                ("Win-back", "active"),
            ]
        ]
    await FailoverPair(
        primary_campaign_id=primary.id,
        backup_campaign_id=backup.id,
        credentials_block=credentials_block,
    ).asave(pair_block_name(primary.id), overwrite=True)
    settings = DashboardSettings(
        webhook_secret=DEV_WEBHOOK_SECRET,
        credentials_block=credentials_block,
        pair_cache_seconds=0.5,
        history_cache_seconds=0,
        poll_seconds=0,
    )
    rates = (0.42, 0.35, 0.22, 0.08)
    with serve_in_thread(create_app(settings, emit=lambda **_: None)) as dashboard_url:
        await register_metrics_webhook(
            f"{dashboard_url}/webhooks/cxone", credentials_block=credentials_block
        )
        async with httpx.AsyncClient(base_url=dashboard_url, timeout=10) as dashboard:
            for count, rate in enumerate(rates, start=1):
                sim.put(
                    f"/_sim/campaigns/{primary.id}/metrics",
                    json={"successRate": rate, "callsAttempted": 300, "activeCalls": 12},
                ).raise_for_status()
                await readings_reached(dashboard, primary.id, count)  # in order, one each
        sim.put(
            f"/_sim/campaigns/{single.id}/metrics", json={"successRate": 0.3}
        ).raise_for_status()
        result = await monitor_campaigns(primary.id, backup.id, credentials_block=credentials_block)
        assert result["action"] == "failover"
        guard = await load_state(primary.id)
        # What sync_dial_list keeps of a list's last sync.
        await DialListSync(
            calling_list_id="1201",
            calling_list="Renewals day list",
            last_sync={
                "read": 10,
                "dialable": 7,
                "suppressed": 3,
                "by_reason": {"dnc": 2, "outside_calling_window": 1},
                "for_day": "2026-12-01",
                "synced_at": "2026-12-01T10:30:00+00:00",
                "dnc_group": "Internal DNC",
                "dnc_added": 2,
                "scrubbed_skill": "4321",
                "dialable_path": "/srv/dial-lists/dialable.csv",
                "suppressed_path": "/srv/dial-lists/suppressed.csv",
            },
        ).asave(sync_state_name("1201", credentials_block), overwrite=True)

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            failed, errors = [], []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on(
                "response",
                lambda response: response.status >= 400 and failed.append(response.url),
            )
            # A Content Security Policy violation is reported on the console as an error.
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
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
            # Names are read in the background and show on a later refresh.
            await page.wait_for_function(
                """id => document.querySelector(`tr[data-campaign-id="${id}"] .campaign-name`)
                        ?.textContent === 'Renewals'""",
                arg=primary.id,
                timeout=15_000,
            )
            campaign_text = await row.locator(".campaign").inner_text()
            backup_text = await row.locator(".backup").inner_text()
            sparkline = await row.locator("svg.sparkline").evaluate(SPARKLINE)
            single_sparkline = await page.locator(
                f'#campaigns tr[data-campaign-id="{single.id}"] svg.sparkline'
            ).evaluate(SPARKLINE)
            abandonment_text = await row.locator(".abandonment").inner_text()
            dial_list = page.locator('#dial-lists tr[data-calling-list-id="1201"]')
            await dial_list.wait_for(timeout=15_000)
            dial_list_text = await dial_list.inner_text()
            # This pair's row: the worker's Prefect server may hold other tests' records, some
            # stamped later by their injected clocks.
            history = page.locator("#failovers tr[data-failover]").filter(has_text=primary.id)
            await history.first.wait_for(timeout=15_000)
            # Names are read in the background: the history shows them on a later refresh.
            await page.wait_for_function(
                """id => [...document.querySelectorAll('#failovers tr[data-failover]')]
                        .some(row => row.innerText.includes(id)
                                     && row.innerText.includes('Renewals'))""",
                arg=primary.id,
                timeout=15_000,
            )
            history_text = await history.first.inner_text()

            assert (await restore_primary(primary.id))["action"] == "restored"
            await page.wait_for_function(
                """id => document.querySelector(`tr[data-campaign-id="${id}"] .failover-status`)
                        ?.textContent === 'restored'""",
                arg=primary.id,
                timeout=15_000,
            )
            favicon = await page.request.get(f"{dashboard_url}/favicon.ico")
            await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            await browser.close()

    assert "8" in rate_text  # 8% is the latest reading
    assert campaign_text.split() == ["Renewals", primary.id]
    assert backup_text.split() == ["Renewals", "backup", backup.id]
    # One polyline point per reading, drawn inside the box, the newest lowest (8% of 42%).
    ys = [float(point.split(",")[1]) for point in sparkline["points"].split()]
    assert len(ys) == len(rates)
    assert ys == sorted(ys) and ys[-1] - ys[0] > 0.5 * sparkline["height"]
    assert all(0 <= y <= sparkline["height"] for y in ys)
    assert sparkline["dots"] == 1
    assert len(single_sparkline["points"].split()) == 1 and single_sparkline["dots"] == 1
    # The guard's reading of the primary (the monitor run read it) shows beside it.
    assert guard.abandonment_campaign_id == primary.id and guard.abandonment_level
    if guard.abandonment_level == "no_answered_calls":
        assert abandonment_text == "no answered calls"
    else:
        assert abandonment_text.startswith(f"{guard.abandonment_rate * 100:.1f}%")
    shown_texts = (
        "Renewals day list",
        "2026-12-01",
        "dnc 2, outside_calling_window 1",
        "Internal DNC (+2); scrubs skill 4321",
    )
    for shown in shown_texts:
        assert shown in dial_list_text
    assert "/srv/dial-lists/dialable.csv" in dial_list_text
    assert "Renewals" in history_text and primary.id in history_text
    assert "failover" in history_text and "applied" in history_text
    assert favicon.status == 200 and favicon.headers["content-type"] == "image/x-icon"
    assert failed == []  # nothing external, nothing broken, no 404 (the icon included)
    assert errors == []  # the page's own policy blocks none of its code or styles


async def readings_reached(dashboard: httpx.AsyncClient, campaign_id: str, count: int) -> None:
    """Wait until the dashboard holds `count` readings of the campaign (an awaited condition:
    each webhook delivery is seen before the next reading is sent)."""
    async with asyncio.timeout(30):
        while True:
            rows = (await dashboard.get("/api/campaigns")).json()["campaigns"]
            row = next((r for r in rows if r["campaign_id"] == campaign_id), None)
            if row is not None and len(row["points"]) >= count:
                return
            await asyncio.sleep(0.02)  # polling an awaited condition, not sequencing


# The data of a sparkline: its polyline's points, its height and the dots on it.
SPARKLINE = """svg => ({
    points: svg.querySelector('polyline').getAttribute('points'),
    height: svg.viewBox.baseVal.height,
    dots: svg.querySelectorAll('circle').length,
})"""
