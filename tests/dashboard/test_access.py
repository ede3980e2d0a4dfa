"""Who may read the dashboard: the token (Bearer or Basic), or loopback clients only."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import uuid

import httpx
import pytest
from prefect.blocks.system import Secret

import dashboard.__main__ as cli
from blocks import DialListSync, sync_state_name
from dashboard.access import AccessNotConfigured
from dashboard.app import create_app
from dashboard.settings import DashboardSettings

from .conftest import TEST_SETTINGS, TOKEN, metrics_message, sign_headers

PROTECTED = ["/", "/api/campaigns", "/openapi.json", "/favicon.ico", "/dashboard/health"]


def basic(user: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@contextlib.asynccontextmanager
async def served(client: tuple[str, int] = ("127.0.0.1", 40000), **settings):
    """A started app (TEST_SETTINGS unless overridden) and a client without credentials that
    connects from `client`."""
    app = create_app(DashboardSettings(**{**TEST_SETTINGS, **settings}), emit=lambda **_: None)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app, client=client), base_url="http://dash"
        ) as http,
    ):
        yield http


async def statuses(http: httpx.AsyncClient, **headers: str) -> list[int]:
    answers = [
        await http.get(path, params={"campaign_id": "cmp_unknown"}, headers=headers)
        for path in PROTECTED
    ]
    return [answer.status_code for answer in answers]


async def test_every_route_but_the_webhooks_needs_the_token(prefect_harness, caplog):
    caplog.set_level(logging.DEBUG)
    async with served() as http:
        refused = [await http.get(path) for path in PROTECTED]
        bearer = await statuses(http, Authorization=f"Bearer {TOKEN}")
        any_user = await statuses(http, **basic("anyone", TOKEN))
        wrong = [
            await http.get("/api/campaigns", headers=headers)
            for headers in (
                {"Authorization": f"Bearer {TOKEN}x"},
                {"Authorization": "Bearer "},
                basic(TOKEN, "wrong"),  # the token as the user name is not the password
                {"Authorization": "Basic not-base64!"},
                {"Authorization": f"Token {TOKEN}"},
            )
        ]
        livez = await http.get("/livez")
    assert {r.status_code for r in refused} == {401}
    assert {r.headers["www-authenticate"] for r in refused} == {'Basic realm="cxone-dashboard"'}
    assert all(r.json() == {"detail": "credentials required"} for r in refused)
    assert all(r.headers["x-frame-options"] == "DENY" for r in refused)
    # The health of an unknown campaign may be 404, 429 or 503, never a refusal.
    assert bearer[:4] == [200] * 4 and bearer[4] not in (401, 403)
    assert any_user == bearer
    assert [r.status_code for r in wrong] == [401] * 5
    assert (livez.status_code, livez.text) == (200, "ok")
    assert TOKEN not in caplog.text


async def test_no_docs_pages_and_the_schema_only_with_the_token(prefect_harness):
    async with served() as http:
        authorized = {"Authorization": f"Bearer {TOKEN}"}
        docs = [await http.get(path, headers=authorized) for path in ("/docs", "/redoc")]
        schema = await http.get("/openapi.json", headers=authorized)
        anonymous = await http.get("/openapi.json")
    assert [r.status_code for r in docs] == [404, 404]
    assert schema.status_code == 200 and "/api/campaigns" in schema.json()["paths"]
    assert anonymous.status_code == 401


async def test_webhooks_stay_signed_only(prefect_harness, campaign_id):
    async with served() as http:
        body = json.dumps(metrics_message(campaign_id()))
        signed = await http.post("/webhooks/cxone", content=body, headers=sign_headers(body))
        # The dashboard's token is no webhook signature.
        unsigned = await http.post(
            "/webhooks/cxone", content=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        revocation = await http.post("/webhooks/revocations", content=b"{}")
    assert signed.status_code == 200
    assert unsigned.status_code == 401 and "signature" in unsigned.json()["detail"]
    # Not configured here (no revocation secret): its own answer, not the dashboard's 401.
    assert revocation.status_code == 503


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
async def test_localhost_mode_answers_loopback_clients_without_credentials(
    prefect_harness, address
):
    async with served((address, 40000), token=None, auth="localhost") as http:
        answered = await statuses(http)
    assert answered[:4] == [200] * 4 and answered[4] not in (401, 403)


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.9", "2001:db8::1", "testclient"])
async def test_localhost_mode_refuses_every_other_client(prefect_harness, address, campaign_id):
    async with served((address, 40000), token=None, auth="localhost") as http:
        refused = [await http.get(path) for path in PROTECTED]
        # Even with the token: localhost mode has none.
        with_token = await http.get("/api/campaigns", headers={"Authorization": f"Bearer {TOKEN}"})
        body = json.dumps(metrics_message(campaign_id()))
        webhook = await http.post("/webhooks/cxone", content=body, headers=sign_headers(body))
    assert {r.status_code for r in refused} == {403} and with_token.status_code == 403
    assert "this machine" in refused[0].json()["detail"]
    assert webhook.status_code == 200  # signed: its signature is its authentication


async def test_the_token_comes_from_the_secret_block(prefect_harness):
    name = f"dashboard-token-{uuid.uuid4().hex[:8]}"
    token = "from-a-secret-block-" + uuid.uuid4().hex
    await Secret(value=token).asave(name, overwrite=True)
    async with served(token=None, token_block=name) as http:
        assert (await http.get("/api/campaigns")).status_code == 401
        authorized = await http.get("/api/campaigns", headers=basic("me", token))
        assert authorized.status_code == 200


async def test_without_a_token_or_localhost_mode_it_refuses_to_start(prefect_harness):
    missing = f"no-such-token-{uuid.uuid4().hex[:8]}"
    with pytest.raises(AccessNotConfigured) as refused:
        async with served(token=None, token_block=missing):
            pass
    message = str(refused.value)
    assert repr(missing) in message
    assert "CXONE_DASHBOARD_TOKEN_BLOCK" in message and "CXONE_DASHBOARD_AUTH=localhost" in message


async def test_a_short_token_is_refused(prefect_harness):
    name = f"dashboard-token-{uuid.uuid4().hex[:8]}"
    await Secret(value="short").asave(name, overwrite=True)
    with pytest.raises(AccessNotConfigured, match="shorter than 16 characters"):
        async with served(token=None, token_block=name):
            pass


def test_the_cli_says_what_to_configure_and_does_not_start(prefect_harness, monkeypatch):
    monkeypatch.setenv("CXONE_DASHBOARD_TOKEN_BLOCK", f"no-such-token-{uuid.uuid4().hex[:8]}")
    monkeypatch.delenv("CXONE_DASHBOARD_AUTH", raising=False)
    monkeypatch.setattr(cli.uvicorn, "run", lambda *_, **__: pytest.fail("uvicorn started"))
    with pytest.raises(SystemExit) as exited:
        cli.main([])
    assert "CXONE_DASHBOARD_AUTH=localhost" in str(exited.value.code)
    monkeypatch.setenv("CXONE_DASHBOARD_AUTH", "everyone")
    with pytest.raises(SystemExit) as exited:
        cli.main([])
    assert "bad settings: auth:" in str(exited.value.code)


async def test_answers_show_no_server_paths(make_dashboard, campaign_id, credentials_block):
    dash = await make_dashboard(credentials_block="no-such-credentials")
    list_id = str(uuid.uuid4().int % 10**9)
    await DialListSync(
        calling_list_id=list_id,
        calling_list="Paths list",
        last_sync={
            "dialable": 1,
            "dialable_path": "/srv/secret-dir/dialable.csv",
            "suppressed_path": "/srv/secret-dir/suppressed.csv",
        },
    ).asave(sync_state_name(list_id, credentials_block), overwrite=True)
    overview = await dash.http.get("/api/campaigns")
    [entry] = [e for e in overview.json()["dial_lists"] if e["calling_list_id"] == list_id]
    # No reading, and the credentials block is missing: the health read fails.
    health = await dash.http.get("/dashboard/health", params={"campaign_id": campaign_id()})
    assert (entry["dialable_file"], entry["suppressed_file"]) == ("dialable.csv", "suppressed.csv")
    assert "/srv" not in overview.text and "secret-dir" not in overview.text
    assert health.status_code == 503
    assert "/" not in health.json()["detail"]
