"""What every ACD API call goes through: base path, version, Accept, token, paging, 204,
error bodies."""

from __future__ import annotations

import httpx
import pytest

from .conftest import PC, Acd


async def test_without_accept_json_nothing_is_rendered(acd: Acd) -> None:
    for accept in (None, "*/*", "text/html", "application/json;q=0"):
        headers = {"Authorization": acd.headers["Authorization"]}
        if accept:
            headers["Accept"] = accept
        response = await acd.http.get(acd.url("/skills"), headers=headers)
        assert response.status_code == 406, accept
        assert response.text == "No known way to render data"
        assert response.headers["content-type"].startswith("text/plain")
    tolerant = await acd.get("/skills", headers={"Accept": "text/html, application/json"})
    assert tolerant.status_code == 204


async def test_the_base_path_is_case_insensitive(acd: Acd) -> None:
    for base in ("/inContactAPI/services", "/incontactapi/services", "/INCONTACTAPI/Services"):
        response = await acd.http.get(f"{base}/v30.0/skills", headers=acd.headers)
        assert response.status_code == 204, base


@pytest.mark.parametrize("version", ["v34.0", "v0.0", "v30", "v30.1", "vlatest"])
async def test_unknown_versions_are_404(acd: Acd, version: str) -> None:
    response = await acd.http.get(f"/inContactAPI/services/{version}/skills", headers=acd.headers)
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"


async def test_missing_unknown_or_foreign_tokens_are_401(acd: Acd) -> None:
    for authorization in (None, "Bearer nope", "Basic c2ltOnNpbQ=="):
        headers = {"Accept": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        response = await acd.http.get(acd.url("/skills"), headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_empty_results_are_204_without_a_body(acd: Acd) -> None:
    for path in ("/skills", "/campaigns", "/lists/call-lists", "/lists/call-lists/jobs"):
        response = await acd.get(path)
        assert response.status_code == 204, path
        assert response.content == b""


async def test_paging_with_skip_and_top_capped_at_100(acd: Acd) -> None:
    campaign_id = await acd.campaign()
    items = [
        {"skillName": f"S{n:03}", "mediaTypeId": 4, "isOutbound": True, "outboundStrategy": PC}
        | {"campaignId": campaign_id}
        for n in range(120)
    ]
    assert (await acd.post("/skills", json={"skills": items})).json()["errorCount"] == 0
    default = (await acd.get("/skills")).json()
    assert len(default["skills"]) == 50 and default["totalRecords"] == 120
    capped = (await acd.get("/skills", params={"top": 500})).json()
    assert len(capped["skills"]) == 100
    last = (await acd.get("/skills", params={"skip": 100, "top": 100})).json()
    assert [s["skillName"] for s in last["skills"]] == [f"S{n:03}" for n in range(100, 120)]
    assert (await acd.get("/skills", params={"skip": 120})).status_code == 204
    for bad in ({"top": 0}, {"skip": -1}, {"top": "ten"}):
        response = await acd.get("/skills", params=bad)
        assert response.status_code == 400 and response.json()["error"] == "InvalidParameter"


async def test_errors_carry_error_and_description_but_no_message(acd: Acd) -> None:
    for response in (
        await acd.get("/skills/999"),
        await acd.get("/skills/not-a-number"),
        await acd.post("/skills", content=b"{not json"),
        await acd.get("/no-such-resource"),
    ):
        body = response.json()
        assert response.status_code in (400, 404)
        assert set(body) == {"error", "error_description"}, body


async def test_the_api_app_serves_no_issuer_routes(api: httpx.AsyncClient) -> None:
    """A client that posts for a token on the API host (a hard-coded host) fails."""
    assert (await api.post("/auth/token", data={"grant_type": "password"})).status_code == 404
