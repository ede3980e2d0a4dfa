"""Tokens: issue, scopes, expiry, wrong credentials."""

from __future__ import annotations

import httpx

from simulator import SCOPES, FakeClock, SimulatorConfig, asgi_transport, create_app

TOKEN_PATH = "/api/v2/oauth/token"
CAMPAIGNS = "/api/v2/omnichannel/campaigns"


def form(scope: str = "", client_id: str = "sim-client", secret: str = "sim-secret") -> dict:
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": scope,
    }


async def test_token_response_and_all_scopes_for_empty_scope(client: httpx.AsyncClient) -> None:
    response = await client.post(TOKEN_PATH, data=form())
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == set(SCOPES)
    listed = await client.get(
        CAMPAIGNS, headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert listed.status_code == 200
    assert listed.json() == {"campaigns": [], "totalCount": 0}


async def test_wrong_secret_or_client_is_invalid_client_without_echo(
    client: httpx.AsyncClient,
) -> None:
    for bad in (form(secret="hunter2-wrong"), form(client_id="someone-else")):
        response = await client.post(TOKEN_PATH, data=bad)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.json()["message"]
        assert "hunter2-wrong" not in response.text
        assert "sim-secret" not in response.text


async def test_unsupported_grant_type(client: httpx.AsyncClient) -> None:
    response = await client.post(TOKEN_PATH, data={**form(), "grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_missing_unknown_and_malformed_bearer_are_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = await client.get(CAMPAIGNS, headers=headers)
        assert response.status_code == 401
        assert response.json()["message"]


async def test_scopes_are_restricted_and_missing_scope_is_403(client: httpx.AsyncClient) -> None:
    response = await client.post(TOKEN_PATH, data=form("omnichannel:campaigns:read made:up:scope"))
    assert response.json()["scope"] == "omnichannel:campaigns:read"
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200
    denied = await client.post(CAMPAIGNS, json={}, headers=headers)
    assert denied.status_code == 403
    assert "omnichannel:campaigns:write" in denied.json()["message"]
    metrics = await client.get(f"{CAMPAIGNS}/cmp_x/metrics", headers=headers)
    assert metrics.status_code == 403
    assert "analytics:read" in metrics.json()["message"]


async def test_tokens_expire_after_the_configured_ttl() -> None:
    clock = FakeClock()
    app = create_app(SimulatorConfig(token_ttl_seconds=0.3), clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as client:
        token = (await client.post(TOKEN_PATH, data=form())).json()
        assert token["expires_in"] == 1  # rounded up to whole seconds
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert (await client.get(CAMPAIGNS, headers=headers)).status_code == 200
        clock.advance(0.35)
        expired = await client.get(CAMPAIGNS, headers=headers)
        assert expired.status_code == 401
        assert "expired" in expired.json()["message"]
