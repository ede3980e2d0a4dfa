"""The shared fault injection, request log and rate limit on the stand-in's two apps."""

from __future__ import annotations

import time

import httpx
import pytest

from simulator import AdminConfig, FakeClock, asgi_transport, create_admin_apps

from .conftest import ACCESS_KEY_FORM, APP_AUTH, ISSUER, PC, Acd


async def fault(api: httpx.AsyncClient, kind: str, **options: object) -> dict:
    response = await api.post("/_sim/admin/faults", json={"kind": kind, **options})
    assert response.status_code == 201, response.text
    return response.json()


async def skill_names(api: httpx.AsyncClient) -> list[str]:
    return [s["skillName"] for s in (await api.get("/_sim/admin/skills")).json()["skills"]]


async def test_a_dropped_create_commits_and_its_blind_retry_fails_per_item(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    campaign_id = await acd.campaign()
    item = {
        "skillName": "Dropped",
        "mediaTypeId": 4,
        "isOutbound": True,
        "outboundStrategy": PC,
        "campaignId": campaign_id,
    }
    await fault(api, "drop_after_commit", method="POST", path="/skills")
    with pytest.raises(httpx.RemoteProtocolError):
        await acd.post("/skills", json={"skills": [item]})
    assert await skill_names(api) == ["Dropped"]
    retry = await acd.post("/skills", json={"skills": [item]})
    assert retry.status_code == 200
    [result] = retry.json()["skillsResults"]
    assert result["success"] is False and "already exists" in result["error"]
    statuses = [r["status"] for r in (await api.get("/_sim/admin/requests")).json()["requests"]]
    assert statuses[-2:] == ["dropped", 200]


async def test_a_drop_or_a_5xx_commits_nothing(acd: Acd, api: httpx.AsyncClient) -> None:
    skill_id = await acd.pc_skill()
    await fault(api, "drop", path="/start")
    with pytest.raises(httpx.RemoteProtocolError):
        await acd.post(f"/skills/{skill_id}/start")
    await fault(api, "server_error", status=502, path="/start")
    failed = await acd.post(f"/skills/{skill_id}/start")
    assert failed.status_code == 502 and failed.json()["message"]
    assert (await api.get("/_sim/admin/transitions")).json()["transitions"] == []
    assert (await acd.post(f"/skills/{skill_id}/start")).status_code == 202


async def test_a_429_storm_carries_no_retry_after(acd: Acd, api: httpx.AsyncClient) -> None:
    await fault(api, "rate_limit", count=3)
    statuses = [(await acd.get("/skills")) for _ in range(4)]
    assert [r.status_code for r in statuses] == [429, 429, 429, 204]
    assert not any("retry-after" in r.headers for r in statuses)


async def test_the_configured_rate_limit_refills_on_the_clock_without_retry_after(
    admin_clock: FakeClock,
) -> None:
    apps = create_admin_apps(AdminConfig(rate_limit_per_second=2, rate_limit_burst=2), admin_clock)
    async with (
        httpx.AsyncClient(transport=asgi_transport(apps.issuer), base_url=ISSUER) as issuer,
        httpx.AsyncClient(transport=asgi_transport(apps.api), base_url=apps.state.api_url) as api,
    ):
        token = (await issuer.post("/auth/token", data=ACCESS_KEY_FORM, auth=APP_AUTH)).json()
        acd = Acd(
            api, {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"}
        )
        statuses = [(await acd.get("/skills")).status_code for _ in range(3)]
        assert statuses == [204, 204, 429]
        limited = await acd.get("/skills")
        assert "retry-after" not in limited.headers
        assert (await api.get("/_sim/admin/config")).status_code == 200  # control is exempt
        admin_clock.advance(0.5)
        assert (await acd.get("/skills")).status_code == 204
        assert (await acd.get("/skills")).status_code == 429


async def test_slow_answers_and_configured_latency(acd: Acd, api: httpx.AsyncClient) -> None:
    await fault(api, "slow", delay_ms=150)
    started = time.perf_counter()
    assert (await acd.get("/skills")).status_code == 204
    assert time.perf_counter() - started >= 0.15
    await api.patch("/_sim/admin/config", json={"latency_ms": 100})
    started = time.perf_counter()
    await acd.get("/skills")
    assert time.perf_counter() - started >= 0.1


async def test_expired_tokens_are_401_and_a_refresh_recovers(
    acd: Acd, api: httpx.AsyncClient, issuer: httpx.AsyncClient
) -> None:
    token = (await issuer.post("/auth/token", data=ACCESS_KEY_FORM, auth=APP_AUTH)).json()
    acd.headers["Authorization"] = f"Bearer {token['access_token']}"
    await fault(api, "expire_tokens")
    expired = await acd.get("/skills")
    assert expired.status_code == 401 and "expired" in expired.json()["error_description"]
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    fresh = (await issuer.post("/auth/token", data=form, auth=APP_AUTH)).json()
    acd.headers["Authorization"] = f"Bearer {fresh['access_token']}"
    assert (await acd.get("/skills")).status_code == 204


async def test_the_issuer_is_faulted_and_logged_like_the_api(
    api: httpx.AsyncClient, issuer: httpx.AsyncClient
) -> None:
    await fault(api, "server_error", status=503, path="/auth/token")
    failed = await issuer.post("/auth/token", data=ACCESS_KEY_FORM, auth=APP_AUTH)
    assert failed.status_code == 503
    await fault(api, "drop", path="/access-key")
    with pytest.raises(httpx.RemoteProtocolError):
        await issuer.post("/authentication/v1/token/access-key", json={})
    assert (await issuer.post("/auth/token", data=ACCESS_KEY_FORM, auth=APP_AUTH)).is_success
    await issuer.get("/.well-known/openid-configuration")
    log = (await api.get("/_sim/admin/requests")).json()["requests"]
    assert [(r["path"], r["status"]) for r in log] == [
        ("/auth/token", 503),
        ("/authentication/v1/token/access-key", "dropped"),
        ("/auth/token", 200),
        ("/.well-known/openid-configuration", 200),
    ]
    assert (await api.delete("/_sim/admin/requests")).status_code == 204
    assert (await api.get("/_sim/admin/requests")).json()["requests"] == []


async def test_the_log_keeps_the_path_as_sent_and_skips_control_calls(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    await api.delete("/_sim/admin/requests")
    await acd.http.get("/incontactapi/services/v30.0/skills", headers=acd.headers)
    await api.get("/_sim/admin/skills")
    [entry] = (await api.get("/_sim/admin/requests")).json()["requests"]
    assert (entry["path"], entry["status"], entry["at"]) == (
        "/incontactapi/services/v30.0/skills",
        204,
        "2026-03-02T15:00:00.000Z",
    )


async def test_faults_spare_the_control_api_and_can_be_cleared(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    await fault(api, "server_error", count=2)
    assert (await api.get("/_sim/admin/skills")).status_code == 200
    assert (await api.get("/_sim/admin/faults")).json()["faults"][0]["count"] == 2
    assert (await api.delete("/_sim/admin/faults")).status_code == 204
    assert (await acd.get("/skills")).status_code == 204
