"""OAuth2 client credentials: caching, early and single refresh, 401 replay, bad credentials."""

import asyncio
import logging
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from cxone import DEFAULT_SCOPES, CXoneAuthError, CXoneClient, CXoneInvalidResponse
from cxone._auth import ClientCredentialsAuth

from .conftest import BASE, SECRET

TOKEN_URL = f"{BASE}/api/v2/oauth/token"
CAMPAIGN_URL = f"{BASE}/api/v2/omnichannel/campaigns/c1"
CAMPAIGN = {"id": "c1", "name": "n", "status": "active"}


def token_route(router, *tokens, expires_in=3600):
    return router.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(
                200, json={"access_token": t, "token_type": "Bearer", "expires_in": expires_in}
            )
            for t in tokens
        ]
    )


@respx.mock
async def test_token_is_requested_once_and_sent_as_bearer(config, policy):
    token = token_route(respx, "tok-1")
    api = respx.get(CAMPAIGN_URL).mock(return_value=httpx.Response(200, json=CAMPAIGN))
    async with CXoneClient(config, retry_policy=policy) as client:
        for _ in range(3):
            await client.get_campaign("c1")
    assert token.call_count == 1
    form = parse_qs(token.calls[0].request.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["app"],
        "client_secret": [SECRET],
        "scope": [DEFAULT_SCOPES],
    }
    assert {c.request.headers["Authorization"] for c in api.calls} == {"Bearer tok-1"}


@respx.mock
async def test_token_is_refreshed_sixty_seconds_before_expiry(config):
    now = [1000.0]
    token_route(respx, "tok-1", "tok-2", expires_in=3600)
    api = respx.get(CAMPAIGN_URL).mock(return_value=httpx.Response(200, json=CAMPAIGN))
    transport = httpx.AsyncHTTPTransport()
    auth = ClientCredentialsAuth(config, transport.handle_async_request, clock=lambda: now[0])
    async with httpx.AsyncClient(auth=auth, transport=transport) as http:
        await http.get(CAMPAIGN_URL)
        now[0] += 3600 - 61  # still more than 60 s left: keep the token
        await http.get(CAMPAIGN_URL)
        now[0] += 2  # inside the last minute: refresh before sending
        await http.get(CAMPAIGN_URL)
    sent = [c.request.headers["Authorization"] for c in api.calls]
    assert sent == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


@respx.mock
async def test_concurrent_requests_share_one_refresh(config, policy):
    async def slow_token(request):
        await asyncio.sleep(0.05)
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})

    token = respx.post(TOKEN_URL).mock(side_effect=slow_token)
    respx.get(CAMPAIGN_URL).mock(return_value=httpx.Response(200, json=CAMPAIGN))
    async with CXoneClient(config, retry_policy=policy) as client:
        await asyncio.gather(*(client.get_campaign("c1") for _ in range(20)))
    assert token.call_count == 1


@respx.mock
async def test_401_refreshes_once_and_replays_the_request_once(config, policy):
    token = token_route(respx, "old", "new")
    api = respx.get(CAMPAIGN_URL).mock(
        side_effect=[
            httpx.Response(401, json={"message": "token expired"}),
            httpx.Response(200, json=CAMPAIGN),
        ]
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        campaign = await client.get_campaign("c1")
    assert campaign.id == "c1"
    assert token.call_count == 2
    assert [c.request.headers["Authorization"] for c in api.calls] == ["Bearer old", "Bearer new"]


@respx.mock
async def test_second_401_is_an_auth_error_not_a_loop(config, policy):
    token = token_route(respx, "a", "b", "c")
    api = respx.get(CAMPAIGN_URL).mock(return_value=httpx.Response(401, json={"message": "nope"}))
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneAuthError) as caught:
            await client.get_campaign("c1")
    assert caught.value.status_code == 401
    assert api.call_count == 2
    assert token.call_count == 2


@respx.mock
async def test_wrong_credentials_name_url_and_status_never_the_secret(config, policy):
    respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            401, json={"error": "invalid_client", "message": f"bad secret {SECRET}"}
        )
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneAuthError) as caught:
            await client.get_campaign("c1")
    text = str(caught.value)
    assert TOKEN_URL in text and "401" in text
    assert SECRET not in text


@respx.mock
async def test_secret_never_reaches_logs_or_reprs(config, policy, caplog):
    caplog.set_level(logging.DEBUG)
    respx.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json={"access_token": "t", "expires_in": 3600}),
        ]
    )
    respx.get(CAMPAIGN_URL).mock(return_value=httpx.Response(200, json=CAMPAIGN))
    async with CXoneClient(config, retry_policy=policy) as client:
        await client.get_campaign("c1")
        shown = [
            repr(client),
            repr(config),
            str(config),
            repr(client.auth),
            config.model_dump_json(),
        ]
    assert any("retry" in r.getMessage() for r in caplog.records), "the token retry is logged"
    for text in [*shown, caplog.text]:
        assert SECRET not in text


@respx.mock
async def test_token_response_without_token_is_a_clear_error(config, policy):
    respx.post(TOKEN_URL).mock(return_value=httpx.Response(200, text="<html>login</html>"))
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneInvalidResponse, match="access_token"):
            await client.get_campaign("c1")
