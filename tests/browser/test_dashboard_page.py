"""The dashboard page in a real headless Chromium, rendering live data.

The simulator delivers real signed webhooks to a dashboard served on a socket; a real
monitor run fails the pair over and a real restore fails it back, so the page shows the
campaigns with their names, their success-rate sparklines (one point per reading) and the
failover history from live state, under the page's own Content Security Policy. On NICE
CXone (the stand-in) the dashboard polls: the page shows the primary's status, a row for
the backup, both names, and a sparkline from the first reading with dials. The browser logs
in with the dashboard's token (HTTP Basic, any user); without it the API answers 401. Needs
Debian's chromium (`make browser`, which `.ci/run` runs, installs it).
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, async_playwright
from prefect.blocks.system import Secret
from prefect.settings import get_current_settings

from blocks import (
    CXoneCredentials,
    DialListSync,
    FailoverPair,
    load_credentials,
    load_state,
    pair_block_name,
    sync_state_name,
)
from cxone import CampaignPayload, CampaignSpec
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


async def paired_dashboard(
    primary: str, backup: str, credentials_block: str, **settings: Any
) -> tuple[DashboardSettings, str]:
    """Save the pair and, as the scripts do, a random token in a fresh Secret block; returns
    the dashboard's settings (pairs listed often, history read afresh) and the token."""
    await FailoverPair(
        primary_campaign_id=primary, backup_campaign_id=backup, credentials_block=credentials_block
    ).asave(pair_block_name(primary), overwrite=True)
    name, token = f"dashboard-token-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe()
    await Secret(value=token).asave(name, overwrite=True)
    configured = DashboardSettings(
        token_block=name,
        credentials_block=credentials_block,
        pair_cache_seconds=0.5,
        history_cache_seconds=0,
        **settings,
    )
    return configured, token


async def logged_in(browser: Browser, token: str):
    """A page that logs in as the browser's prompt would: Basic auth, any user, the token."""
    context = await browser.new_context(http_credentials={"username": "any", "password": token})
    return await context.new_page()


async def refused_without_credentials(browser: Browser, url: str) -> dict[str, int]:
    """What the browser and a plain client get without the token."""
    context = await browser.new_context()
    answers = {
        path: (await context.request.get(url + path)).status for path in ("/", "/api/campaigns")
    }
    await context.close()
    async with httpx.AsyncClient(base_url=url, timeout=10) as anonymous:
        for path in ("/openapi.json", "/dashboard/health?campaign_id=1"):
            answers[path] = (await anonymous.get(path)).status_code
    return answers


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
    settings, token = await paired_dashboard(
        primary.id, backup.id, credentials_block, webhook_secret=DEV_WEBHOOK_SECRET, poll_seconds=0
    )
    rates = (0.42, 0.35, 0.22, 0.08)
    with serve_in_thread(create_app(settings, emit=lambda **_: None)) as dashboard_url:
        await register_metrics_webhook(
            f"{dashboard_url}/webhooks/cxone", credentials_block=credentials_block
        )
        authorized = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            base_url=dashboard_url, timeout=10, headers=authorized
        ) as dashboard:
            for count, rate in enumerate(rates, start=1):
                sim.put(
                    f"/_sim/campaigns/{primary.id}/metrics",
                    json={"successRate": rate, "callsAttempted": 300, "activeCalls": 12},
                ).raise_for_status()
                await readings_reached(dashboard, primary.id, count)  # in order, one each
        sim.put(
            f"/_sim/campaigns/{single.id}/metrics", json={"successRate": 0.3, "callsAttempted": 40}
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
            anonymous = await refused_without_credentials(browser, dashboard_url)
            page = await logged_in(browser, token)
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
    assert "dialable.csv" in dial_list_text and "/srv" not in dial_list_text  # names, no paths
    assert "Renewals" in history_text and primary.id in history_text
    assert "failover" in history_text and "applied" in history_text
    assert favicon.status == 200 and favicon.headers["content-type"] == "image/x-icon"
    assert failed == []  # nothing external, nothing broken, no 404 (the icon included)
    assert errors == []  # the page's own policy blocks none of its code or styles
    assert set(anonymous.values()) == {401}, anonymous


async def test_nice_page_shows_names_statuses_the_backup_and_a_fall_from_the_first_dial(
    nice_credentials, admin_urls, monkeypatch
):
    """NICE CXone pushes nothing: the dashboard polls the pair, and the page shows what the
    described platform's webhooks would give, and no 0% before the first dial."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: run `make browser` (apt chromium)"
    monkeypatch.setenv("PREFECT_API_URL", get_current_settings().api.url)
    label = uuid.uuid4().hex[:6]
    async with (await load_credentials(nice_credentials)).get_client() as client:
        primary, backup = [
            await client.create_campaign(
                CampaignSpec(name=name, contact_list_id="CL-1"), idempotency_key=str(uuid.uuid4())
            )
            for name in (f"Renew {label}", f"Renew {label} bk")
        ]
        await client.resume_campaign(primary.id, idempotency_key=str(uuid.uuid4()))
        await client.pause_campaign(backup.id, idempotency_key=str(uuid.uuid4()))
    settings, token = await paired_dashboard(
        primary.id, backup.id, nice_credentials, poll_seconds=0.2
    )
    with (
        serve_in_thread(create_app(settings, emit=lambda **_: None)) as dashboard_url,
        httpx.Client(base_url=admin_urls.api, timeout=10) as stand_in,
    ):
        async with httpx.AsyncClient(
            base_url=dashboard_url, timeout=10, headers={"Authorization": f"Bearer {token}"}
        ) as dashboard:
            # Polls before the first dial read 0%; then a healthy start, then a collapse.
            await points_where(dashboard, primary.id, lambda ps: len(ps) >= 2)
            for dials, connects in ((100, 40), (200, 0)):
                stand_in.post(
                    f"/_sim/admin/skills/{primary.id}/activity",
                    json={"dials": dials, "connects": connects, "handled": connects},
                ).raise_for_status()
                total = 100 if connects else 300
                points = await points_where(
                    dashboard, primary.id, lambda ps, n=total: ps[-1]["calls_attempted"] == n
                )
        dialled = [p for p in points if p["calls_attempted"] > 0]

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            anonymous = await refused_without_credentials(browser, dashboard_url)
            page = await logged_in(browser, token)
            errors: list[str] = []
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            await page.goto(dashboard_url)
            row = page.locator(f'#campaigns tr[data-campaign-id="{primary.id}"]')
            backup_row = page.locator(f'#campaigns tr[data-campaign-id="{backup.id}"]')
            for campaign in (primary, backup):  # names are read in the background
                await page.wait_for_function(
                    """id => document.querySelector(`tr[data-campaign-id="${id}"] .campaign-name`)
                            ?.textContent.length > 0""",
                    arg=campaign.id,
                    timeout=15_000,
                )
            await page.wait_for_function(
                """id => document
                        .querySelector(`tr[data-campaign-id="${id}"] .backup .campaign-name`)
                        ?.textContent.length > 0""",
                arg=primary.id,
                timeout=15_000,
            )
            campaign_text = await row.locator(".campaign").inner_text()
            backup_text = await row.locator(".backup").inner_text()
            status_text = await row.locator(".status").inner_text()
            backup_row_text = await backup_row.locator(".campaign").inner_text()
            backup_status = await backup_row.locator(".status").inner_text()
            sparkline = await row.locator("svg.sparkline").evaluate(SPARKLINE)
            await browser.close()

    assert set(anonymous.values()) == {401}, anonymous
    assert campaign_text.split() == ["Renew", label, primary.id]
    assert backup_text.split() == ["Renew", label, "bk", backup.id]
    assert backup_row_text.split() == ["Renew", label, "bk", backup.id]
    assert (status_text, backup_status) == ("active", "paused")
    # Points only from the first reading with dials on: 40%, then the collapse, a fall (SVG
    # y grows downwards). Drawn from 0% before the first dial, it would start lowest.
    assert len(points) > len(dialled) >= 2
    ys = [float(point.split(",")[1]) for point in sparkline["points"].split()]
    assert len(ys) >= len(dialled)  # more polls may have come by the time the page drew
    assert ys[0] == min(ys) < ys[-1] == max(ys)
    assert errors == []


async def points_where(dashboard: httpx.AsyncClient, campaign_id: str, condition) -> list[dict]:
    """The campaign's points once `condition(points)` holds (an awaited condition: the
    dashboard's own polls bring them)."""
    async with asyncio.timeout(30):
        while True:
            rows = (await dashboard.get("/api/campaigns")).json()["campaigns"]
            row = next((r for r in rows if r["campaign_id"] == campaign_id), None)
            if row is not None and row["points"] and condition(row["points"]):
                return row["points"]
            await asyncio.sleep(0.05)  # polling an awaited condition, not sequencing


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
