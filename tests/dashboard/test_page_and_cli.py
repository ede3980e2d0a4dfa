"""The page, its data, liveness, start-up configuration and the command line."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import logging
import re
import struct

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings
from pydantic import ValidationError

import dashboard.__main__ as cli
from blocks import (
    CXoneCredentials,
    FailoverPair,
    FailoverState,
    IdempotencyRecord,
    pair_block_name,
    record_name,
    state_block_name,
)
from cxone import CampaignPayload
from dashboard.app import create_app
from dashboard.settings import DashboardSettings

from .conftest import SECRET, TOKEN, Recorder, metrics_message, sign_headers, state_message


async def test_page_is_self_contained_html_with_stable_hooks(dash):
    response = await dash.http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for hook in (
        'id="campaigns"',
        'id="failovers"',
        'id="warnings"',
        "dataset.campaignId",
        'class="sparkline"',
        "api/campaigns",
    ):
        assert hook in page
    # Works offline: nothing is fetched from anywhere but this app.
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<script[^>]+src=|<link\b|@import|url\(", page)
    assert "innerHTML = '<svg" in page  # only computed numbers go in as markup


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


async def test_page_carries_security_headers_allowing_only_its_own_inline_code(dash):
    response = await dash.http.get("/")
    page = response.text
    [style] = re.findall(r"<style>(.*?)</style>", page, re.S)
    [script] = re.findall(r"<script>(.*?)</script>", page, re.S)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == sha256_source(script)
    assert policy["style-src"] == sha256_source(style)
    assert policy["connect-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/campaigns", "/livez", "/favicon.ico", "/nowhere"])
async def test_every_answer_forbids_sniffing_and_framing(dash, path):
    response = await dash.http.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_favicon_is_a_small_inline_icon(dash):
    response = await dash.http.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    icon = response.content
    reserved, kind, count = struct.unpack("<HHH", icon[:6])
    width, height = icon[6], icon[7]
    assert (reserved, kind, count, width, height) == (0, 1, 1, 16, 16)
    size, offset = struct.unpack("<II", icon[14:22])
    assert offset + size == len(icon) < 2048


async def test_livez_answers_ok_without_credentials_and_nothing_else(dash):
    response = await dash.http.get("/livez", headers={"Authorization": ""})
    assert (response.status_code, response.text) == (200, "ok")


async def test_api_campaigns_lists_webhook_campaigns_pairs_and_failovers(dash, campaign_id):
    reporting, paired = campaign_id(), campaign_id()
    await dash.deliver(metrics_message(reporting, successRate=0.25, callsAttempted=40))
    await dash.deliver(state_message(reporting, "active"))
    await FailoverPair(
        primary_campaign_id=paired, backup_campaign_id=f"{paired}_b", threshold=0.2
    ).asave(pair_block_name(paired), overwrite=True)
    older = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    subject = {"primary_campaign_id": paired, "backup_campaign_id": f"{paired}_b"}
    failed = record_name("failover", subject, 1)
    applied = record_name("failover", subject, 2)
    await IdempotencyRecord(
        kind="failover",
        subject=subject,
        episode=1,
        operation=f"failover {paired}",
        status="failed",
        error="pause answered 500",
        created_at=older,
        updated_at=older,
    ).asave(failed, overwrite=True)
    await IdempotencyRecord(
        kind="failover",
        subject=subject,
        episode=2,
        operation=f"failover {paired}",
        status="applied",
    ).asave(applied, overwrite=True)
    await FailoverState(primary_campaign_id=paired, episode=2).asave(
        state_block_name(paired), overwrite=True
    )
    await IdempotencyRecord(kind="provision", operation="create campaign", status="applied").asave(
        record_name("provision", {"campaign_name": paired}), overwrite=True
    )

    body = (await dash.http.get("/api/campaigns")).json()
    rows = {row["campaign_id"]: row for row in body["campaigns"]}
    assert rows[reporting]["status"] == "active"
    assert rows[reporting]["success_rate"] == 0.25
    assert rows[reporting]["calls_attempted"] == 40
    assert [p["success_rate"] for p in rows[reporting]["points"]] == [0.25]
    assert rows[reporting]["pair"] is None
    assert rows[paired]["success_rate"] is None and rows[paired]["points"] == []
    assert rows[paired]["pair"] == {
        "backup_campaign_id": f"{paired}_b",
        "threshold": 0.2,
        "window_minutes": 30,
        "min_calls": 50,
    }
    assert rows[paired]["failover_triggered"] is True
    assert rows[paired]["failover_status"] == "failed_over"
    mine = [f for f in body["failovers"] if f["name"] in (failed, applied)]
    assert [f["name"] for f in mine] == [applied, failed]  # newest first
    assert mine[1]["status"] == "failed" and mine[1]["error"] == "pause answered 500"
    assert (mine[0]["kind"], mine[0]["episode"], mine[0]["primary_campaign_id"]) == (
        "failover",
        2,
        paired,
    )
    assert mine[0]["backup_campaign_id"] == f"{paired}_b"
    assert {f["kind"] for f in body["failovers"]} <= {"failover", "restore"}
    assert body["warnings"] == []


async def test_api_campaigns_still_shows_webhook_data_when_prefect_is_down(
    make_dashboard, campaign_id
):
    cid = campaign_id()
    with temporary_settings(
        {PREFECT_API_URL: "http://127.0.0.1:9/api", PREFECT_CLIENT_MAX_RETRIES: 0}
    ):
        dash = await make_dashboard()
        await dash.deliver(metrics_message(cid))
        response = await dash.http.get("/api/campaigns")
    assert response.status_code == 200
    body = response.json()
    assert [row["campaign_id"] for row in body["campaigns"]] == [cid]
    assert len(body["warnings"]) == 2


async def test_settings_are_read_from_the_environment_when_the_app_starts(
    prefect_harness, monkeypatch, campaign_id
):
    events = Recorder()
    monkeypatch.delenv("CXONE_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("CXONE_POLL_SECONDS", "0")
    monkeypatch.setenv("CXONE_DASHBOARD_AUTH", "localhost")
    app = create_app(emit=events)  # reads nothing yet
    monkeypatch.setenv("CXONE_WEBHOOK_SECRET", SECRET)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://d") as http,
    ):
        body = json.dumps(metrics_message(campaign_id()))
        response = await http.post("/webhooks/cxone", content=body, headers=sign_headers(body))
        assert app.state.dashboard.settings.poll_seconds == 0
        assert (await http.get("/api/campaigns")).status_code == 200  # a loopback client
        for _ in range(200):  # the event follows the answer; the low check may wait longer
            if events.calls:
                break
            await asyncio.sleep(0.01)
    assert response.status_code == 200
    assert [call["event"] for call in events.calls] == ["cxone.campaign.metrics.updated"]


async def test_routes_answer_503_until_the_app_has_started(campaign_id):
    app = create_app(DashboardSettings(webhook_secret=SECRET, token=TOKEN))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://d") as http:
        responses = [
            await http.post("/webhooks/cxone", content=b"{}"),
            await http.get("/dashboard/health", params={"campaign_id": campaign_id()}),
            await http.get("/api/campaigns"),
            await http.get("/"),  # who may see it is not known yet either
        ]
    assert [r.status_code for r in responses] == [503, 503, 503, 503]
    assert all("lifespan" in r.json()["detail"] for r in responses)


async def test_startup_logs_an_error_when_the_secret_is_missing(prefect_harness, caplog):
    caplog.set_level(logging.ERROR)
    app = create_app(DashboardSettings(poll_seconds=0, token=TOKEN))
    async with app.router.lifespan_context(app):
        [record] = [r for r in caplog.records if r.name == "dashboard.app"]
        assert "CXONE_WEBHOOK_SECRET is not set" in record.getMessage()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://d") as c:
            response = await c.post("/webhooks/cxone", content=b"{}")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "CXONE_WEBHOOK_SECRET is not set; webhooks cannot be verified"
    }


def test_settings_from_env():
    settings = DashboardSettings.from_env(
        {"CXONE_WEBHOOK_SECRET": SECRET, "CXONE_CREDENTIALS_BLOCK": "prod-cxone"}
    )
    assert settings.webhook_secret.get_secret_value() == SECRET
    assert settings.credentials_block == "prod-cxone"
    assert SECRET not in repr(settings)
    defaults = DashboardSettings.from_env({"CXONE_WEBHOOK_SECRET": "", "CXONE_POLL_SECONDS": ""})
    assert (defaults.webhook_secret, defaults.credentials_block) == (None, "cxone")
    assert defaults.poll_seconds == 15
    assert DashboardSettings.from_env({"CXONE_POLL_SECONDS": "0"}).poll_seconds == 0
    with pytest.raises(ValidationError):
        DashboardSettings.from_env({"CXONE_POLL_SECONDS": "-1"})
    assert defaults.metrics_event_seconds == 60
    every = DashboardSettings.from_env({"CXONE_METRICS_EVENT_SECONDS": "0"})
    assert every.metrics_event_seconds == 0
    with pytest.raises(ValidationError, match="metrics_event_seconds"):
        DashboardSettings.from_env({"CXONE_METRICS_EVENT_SECONDS": "-5"})


def test_cli_runs_uvicorn_with_the_app(monkeypatch):
    monkeypatch.setenv("CXONE_DASHBOARD_AUTH", "localhost")
    calls = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    cli.main(["--host", "127.0.0.1", "--port", "8780"])
    assert calls == [
        (("dashboard.app:app",), {"host": "127.0.0.1", "port": 8780, "log_level": "info"})
    ]


def test_cli_help_names_the_environment(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--port" in out and "CXONE_WEBHOOK_SECRET" in out and "CXONE_CREDENTIALS_BLOCK" in out
    assert "CXONE_POLL_SECONDS" in out and "CXONE_METRICS_EVENT_SECONDS" in out
    assert "CXONE_DASHBOARD_TOKEN_BLOCK" in out and "CXONE_DASHBOARD_AUTH" in out


async def test_names_are_read_in_the_background_and_kept(
    make_dashboard, sim, credentials_block, campaign_id
):
    credentials = await CXoneCredentials.aload(credentials_block)
    async with credentials.get_client() as client:
        named = await client.create_campaign(
            CampaignPayload(name="Renewals", contact_list_id="CL-1")
        )
    unknown = campaign_id()  # reports by webhook, but the platform does not know it
    dash = await make_dashboard(credentials_block=credentials_block)
    for cid in (named.id, unknown):
        await dash.deliver(metrics_message(cid))
    assert campaign_reads(sim) == []  # never on a delivery's path
    for _ in range(200):
        names = (await dash.http.get("/api/campaigns")).json()["names"]
        if named.id in names:
            break
        await asyncio.sleep(0.05)
    assert names[named.id] == "Renewals"
    assert unknown not in names  # the platform does not know it: no name


def campaign_reads(sim) -> list[dict]:
    requests = sim.get("/_sim/requests").json()["requests"]
    return [r for r in requests if r["method"] == "GET" and "/omnichannel/campaigns/" in r["path"]]
