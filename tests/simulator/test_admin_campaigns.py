"""Campaigns (reporting groups): the v33.0 create, per-version names, no idempotency."""

from __future__ import annotations

from .conftest import Acd


async def test_create_read_and_list_on_v33(acd: Acd) -> None:
    created = await acd.post(
        "/campaigns", json={"name": "Spring", "isActive": True, "description": "renewals"}
    )
    assert created.status_code == 200
    campaign_id = created.json()["id"]
    shown = (await acd.get(f"/campaigns/{campaign_id}")).json()
    assert {k: shown[k] for k in ("id", "name", "isActive", "description")} == {
        "id": campaign_id,
        "name": "Spring",
        "isActive": True,
        "description": "renewals",
    }
    listing = (await acd.get("/campaigns")).json()
    assert listing["totalRecords"] == 1 and listing["campaigns"] == [shown]


async def test_older_versions_refuse_the_flat_create_with_500(acd: Acd) -> None:
    response = await acd.post("/campaigns", version=30, json={"name": "Spring"})
    assert response.status_code == 500
    assert response.json()["error"] == "InternalServerError"
    assert (await acd.get("/campaigns")).status_code == 204


async def test_older_versions_name_the_fields_campaignId_and_campaignName(acd: Acd) -> None:
    campaign_id = await acd.campaign("Spring")
    [old] = (await acd.get("/campaigns", version=30)).json()["campaigns"]
    assert (old["campaignId"], old["campaignName"]) == (campaign_id, "Spring")
    assert "id" not in old and "name" not in old
    one = (await acd.get(f"/campaigns/{campaign_id}", version=30)).json()
    assert one["campaignId"] == campaign_id


async def test_a_repeated_create_makes_another_campaign(acd: Acd, api) -> None:
    first, second = await acd.campaign("Same"), await acd.campaign("Same")
    assert first != second
    stored = (await api.get("/_sim/admin/campaigns")).json()["campaigns"]
    assert [c["name"] for c in stored] == ["Same", "Same"]


async def test_invalid_bodies_are_400(acd: Acd) -> None:
    for body in ({}, {"name": ""}, {"name": "x" * 81}, {"name": "ok", "isActive": "yes"}, []):
        response = await acd.post("/campaigns", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"] == "InvalidParameter"
    assert (await acd.get("/campaigns/99")).status_code == 404
