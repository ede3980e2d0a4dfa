"""The stand-in's issuer: discovery, both token routes, refresh, expiry, tenant discovery."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx
import pytest

from simulator import DEFAULT_TENANT_ID, FakeClock

from .conftest import ACCESS_KEY_FORM, APP_AUTH, ISSUER, Acd

ACCESS_KEY_JSON = {"accessKeyId": "sim-access-key", "accessKeySecret": "sim-access-secret"}


def claims(jwt: str) -> dict:
    header, payload, signature = jwt.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    assert signature
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_openid_configuration_names_the_token_endpoint(issuer: httpx.AsyncClient) -> None:
    shown = (await issuer.get("/.well-known/openid-configuration")).json()
    assert shown["issuer"] == ISSUER
    assert shown["token_endpoint"] == f"{ISSUER}/auth/token"
    assert "client_secret_basic" in shown["token_endpoint_auth_methods_supported"]
    assert "password" in shown["grant_types_supported"]


async def test_password_grant_with_basic_client_auth(
    issuer: httpx.AsyncClient, admin_clock: FakeClock
) -> None:
    response = await issuer.post("/auth/token", data=ACCESS_KEY_FORM, auth=APP_AUTH)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert token["refresh_token"] and token["access_token"] != token["refresh_token"]
    id_claims = claims(token["id_token"])
    now = int(admin_clock.now().timestamp())
    assert id_claims["tenantId"] == DEFAULT_TENANT_ID
    assert (id_claims["tenant"], id_claims["icBUId"], id_claims["icClusterId"]) == (
        "simtenant",
        4600001,
        "SIM1",
    )
    assert id_claims["iss"] == ISSUER and id_claims["exp"] == now + 3600


async def test_password_grant_with_client_credentials_in_the_body(
    issuer: httpx.AsyncClient,
) -> None:
    form = {**ACCESS_KEY_FORM, "client_id": "sim-app", "client_secret": "sim-app-secret"}
    response = await issuer.post("/auth/token", data=form)
    assert response.status_code == 200
    both = await issuer.post("/auth/token", data=form, auth=APP_AUTH)
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("form", "auth", "error"),
    [
        (ACCESS_KEY_FORM, ("sim-app", "hunter2-wrong"), "invalid_client"),
        (ACCESS_KEY_FORM, ("someone-else", "sim-app-secret"), "invalid_client"),
        (ACCESS_KEY_FORM, None, "invalid_client"),
        ({**ACCESS_KEY_FORM, "password": "hunter2-wrong"}, APP_AUTH, "invalid_grant"),
        ({**ACCESS_KEY_FORM, "username": "other-key"}, APP_AUTH, "invalid_grant"),
    ],
)
async def test_wrong_credentials_are_401_without_echoing_secrets(
    issuer: httpx.AsyncClient, form: dict, auth: tuple | None, error: str
) -> None:
    response = await issuer.post("/auth/token", data=form, auth=auth)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == error and body["error_description"]
    assert "message" not in body
    for secret in ("hunter2-wrong", "sim-app-secret", "sim-access-secret"):
        assert secret not in response.text


async def test_client_credentials_grant_and_json_bodies_are_refused(
    issuer: httpx.AsyncClient,
) -> None:
    tutorial = await issuer.post(
        "/auth/token", data={"grant_type": "client_credentials"}, auth=APP_AUTH
    )
    assert tutorial.status_code == 400 and tutorial.json()["error"] == "unsupported_grant_type"
    as_json = await issuer.post("/auth/token", json=ACCESS_KEY_FORM, auth=APP_AUTH)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"


async def test_refresh_tokens_are_single_use(issuer: httpx.AsyncClient, access_token) -> None:
    first = await access_token()
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    refreshed = await issuer.post("/auth/token", data=form, auth=APP_AUTH)
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != first["access_token"]
    replayed = await issuer.post("/auth/token", data=form, auth=APP_AUTH)
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_grant"
    unauthenticated = await issuer.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"]},
    )
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"] == "invalid_client"


async def test_access_key_route_takes_json_and_no_client(issuer: httpx.AsyncClient) -> None:
    response = await issuer.post("/authentication/v1/token/access-key", json=ACCESS_KEY_JSON)
    assert response.status_code == 200
    token = response.json()
    assert token["expires_in"] == 3600 and token["refresh_token"]
    assert claims(token["id_token"])["tenantId"] == DEFAULT_TENANT_ID
    wrong = {**ACCESS_KEY_JSON, "accessKeySecret": "nope"}
    refused = await issuer.post("/authentication/v1/token/access-key", json=wrong)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_grant"
    as_form = await issuer.post("/authentication/v1/token/access-key", data=ACCESS_KEY_JSON)
    assert as_form.status_code == 400


async def test_tokens_expire_on_the_clock_and_refresh_gets_a_live_one(
    issuer: httpx.AsyncClient,
    api: httpx.AsyncClient,
    access_token: Callable,
    admin_clock: FakeClock,
) -> None:
    await api.patch("/_sim/admin/config", json={"token_ttl_seconds": 120})
    token = await access_token()
    assert token["expires_in"] == 120
    acd = Acd(
        api, {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"}
    )
    admin_clock.advance(119)
    assert (await acd.get("/skills")).status_code == 204
    admin_clock.advance(1)
    expired = await acd.get("/skills")
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    fresh = (await issuer.post("/auth/token", data=form, auth=APP_AUTH)).json()
    acd.headers["Authorization"] = f"Bearer {fresh['access_token']}"
    assert (await acd.get("/skills")).status_code == 204


async def test_tenant_discovery_answers_the_api_endpoint(issuer: httpx.AsyncClient, admin) -> None:
    shown = await issuer.get(
        "/.well-known/cxone-configuration", params={"tenantId": DEFAULT_TENANT_ID}
    )
    assert shown.status_code == 200
    body = shown.json()
    assert body["api_endpoint"] == admin.state.api_url
    assert body["auth_endpoint"] == ISSUER and body["tenantId"] == DEFAULT_TENANT_ID
    assert (body["area"], body["cluster"]) == ("na1", "SIM1")
    unknown = await issuer.get(
        "/.well-known/cxone-configuration",
        params={"tenantId": "00000000-0000-4000-8000-000000000000"},
    )
    assert unknown.status_code == 404 and unknown.json()["error"]
    assert (await issuer.get("/.well-known/cxone-configuration")).status_code == 400
