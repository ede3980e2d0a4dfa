"""Personal Connection skills: batch create, running state, start/stop, update, listings."""

from __future__ import annotations

import httpx

from simulator import FakeClock

from .conftest import PC, Acd


def pc_item(name: str, campaign_id: object, **extra: object) -> dict:
    return {
        "skillName": name,
        "mediaTypeId": 4,
        "isOutbound": True,
        "outboundStrategy": PC,
        "campaignId": campaign_id,
        **extra,
    }


async def transitions(api: httpx.AsyncClient) -> list[dict]:
    return (await api.get("/_sim/admin/transitions")).json()["transitions"]


async def test_batch_create_answers_200_with_failures_per_item(acd: Acd) -> None:
    campaign_id = await acd.campaign()
    items = [
        pc_item("Renewals", campaign_id),
        {k: v for k, v in pc_item("No campaign", 0).items() if k != "campaignId"},
        pc_item("x" * 31, campaign_id),
        pc_item("", campaign_id),
        pc_item("Ghost campaign", 123456),
        pc_item("String campaign", str(campaign_id)),
        pc_item("renewals", campaign_id),  # the name is taken, whatever its case
        pc_item("Email PC", campaign_id, mediaTypeId=1),
        {
            "skillName": "No strategy",
            "mediaTypeId": 4,
            "isOutbound": True,
            "campaignId": campaign_id,
        },
        "not an object",
        pc_item("Second", campaign_id, callerIdOverride="8005550100"),
    ]
    response = await acd.post("/skills", json={"skills": items})
    assert response.status_code == 200
    body = response.json()
    results = body["skillsResults"]
    assert [r["success"] for r in results] == [True] + [False] * 9 + [True]
    assert body["errorCount"] == 9
    errors = [r["error"] for r in results[1:10]]
    assert "campaignId is required" in errors[0]
    assert "1 to 30" in errors[1] and "1 to 30" in errors[2]
    assert "not found" in errors[3] and "not found" in errors[4]
    assert "already exists" in errors[5]
    assert "phone" in errors[6] and "outboundStrategy" in errors[7]
    assert all("skillId" not in r for r in results[1:10])
    assert results[0]["skillId"] != results[10]["skillId"]


async def test_a_new_skill_is_not_running_and_isRunning_is_absent(acd: Acd) -> None:
    skill_id = await acd.pc_skill()
    response = await acd.get(f"/skills/{skill_id}")
    [skill] = response.json()["skills"]  # wrapped, even for one skill
    assert "isRunning" not in skill
    assert skill["skillId"] == str(skill_id) and isinstance(skill["campaignId"], str)
    assert (skill["outboundStrategy"], skill["mediaTypeName"]) == (PC, "Phone Call")
    [listed] = (await acd.get("/skills")).json()["skills"]
    assert "isRunning" not in listed and listed["skillId"] == skill_id


async def test_start_and_stop_take_no_body_and_answer_202(acd: Acd) -> None:
    skill_id = await acd.pc_skill()
    start = await acd.post(f"/skills/{skill_id}/start")
    assert (start.status_code, start.content) == (202, b"")
    [skill] = (await acd.get(f"/skills/{skill_id}")).json()["skills"]
    assert skill["isRunning"] is True
    [listed] = (await acd.get("/skills")).json()["skills"]
    assert listed["isRunning"] is True
    stop = await acd.post(f"/skills/{skill_id}/stop")
    assert (stop.status_code, stop.content) == (202, b"")
    [skill] = (await acd.get(f"/skills/{skill_id}")).json()["skills"]
    assert "isRunning" not in skill


async def test_starting_a_running_or_stopping_a_stopped_skill_is_an_error(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await acd.pc_skill()
    not_running = await acd.post(f"/skills/{skill_id}/stop")
    assert not_running.status_code == 400
    assert not_running.json() == {
        "error": "InvalidOperation",
        "error_description": f"skill {skill_id} is not running",
    }
    assert (await acd.post(f"/skills/{skill_id}/start")).status_code == 202
    again = await acd.post(f"/skills/{skill_id}/start")
    assert again.status_code == 400 and "already running" in again.json()["error_description"]
    assert [(t["action"], t["via"]) for t in await transitions(api)] == [("start", "api")]


async def test_force_stop_ends_active_calls_and_a_plain_stop_does_not(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    gentle, forced = await acd.pc_skill("Gentle"), await acd.pc_skill("Forced")
    for skill_id in (gentle, forced):
        await acd.post(f"/skills/{skill_id}/start")
        await api.put(f"/_sim/admin/skills/{skill_id}/active-calls", json={"activeCalls": 7})
    await acd.post(f"/skills/{gentle}/stop", params={"force": "false"})
    await acd.post(f"/skills/{forced}/stop", params={"force": "true"})
    shown = {s["skillId"]: s for s in (await api.get("/_sim/admin/skills")).json()["skills"]}
    assert (shown[gentle]["isRunning"], shown[gentle]["activeCalls"]) == (False, 7)
    assert (shown[forced]["isRunning"], shown[forced]["activeCalls"]) == (False, 0)
    stops = [t for t in await transitions(api) if t["action"] == "stop"]
    assert [(t["skillId"], t["force"], t["endedCalls"]) for t in stops] == [
        (gentle, False, 0),
        (forced, True, 7),
    ]
    bad_flag = await acd.post(f"/skills/{gentle}/stop", params={"force": "yes"})
    assert bad_flag.status_code == 400


async def test_only_active_personal_connection_skills_start(acd: Acd) -> None:
    campaign_id = await acd.campaign()
    inbound = {"skillName": "Inbound", "mediaTypeId": 4, "campaignId": campaign_id}
    [result] = (await acd.post("/skills", json={"skills": [inbound]})).json()["skillsResults"]
    refused = await acd.post(f"/skills/{result['skillId']}/start")
    assert refused.status_code == 400 and "Personal Connection" in refused.text
    assert (await acd.post("/skills/4999999/start")).status_code == 404
    skill_id = await acd.pc_skill(campaign_id=campaign_id)
    deactivate = await acd.put(f"/skills/{skill_id}", json={"skill": {"isActive": False}})
    assert deactivate.json() == {"success": True, "skillId": skill_id}
    inactive = await acd.post(f"/skills/{skill_id}/start")
    assert inactive.status_code == 400 and "inactive" in inactive.json()["error_description"]


async def test_update_renames_and_refuses_to_deactivate_a_running_skill(acd: Acd) -> None:
    skill_id = await acd.pc_skill("Before")
    renamed = await acd.put(
        f"/skills/{skill_id}", json={"skill": {"skillName": "After", "notes": "n"}}
    )
    assert renamed.status_code == 200
    [skill] = (await acd.get(f"/skills/{skill_id}")).json()["skills"]
    assert (skill["skillName"], skill["notes"]) == ("After", "n")
    await acd.post(f"/skills/{skill_id}/start")
    refused = await acd.put(f"/skills/{skill_id}", json={"skill": {"isActive": False}})
    assert refused.status_code == 400 and "stop it first" in refused.json()["error_description"]
    for bad in ({"isActive": False}, {"skill": {"skillName": ""}}, {"skill": {"campaignId": 1}}):
        assert (await acd.put(f"/skills/{skill_id}", json=bad)).status_code == 400


async def test_listing_filters(acd: Acd) -> None:
    campaign_id = await acd.campaign()
    items = [
        pc_item("Renewals East", campaign_id),
        pc_item("Renewals West", campaign_id),
        {"skillName": "Support chat", "mediaTypeId": 3, "campaignId": campaign_id},
    ]
    await acd.post("/skills", json={"skills": items})

    async def names(**params: object) -> list[str]:
        response = await acd.get("/skills", params=params)
        return (
            []
            if response.status_code == 204
            else [s["skillName"] for s in response.json()["skills"]]
        )

    assert await names(mediaTypeId=4) == ["Renewals East", "Renewals West"]
    assert await names(outboundStrategy=PC, searchString="west") == ["Renewals West"]
    assert await names(mediaTypeId=7) == []


async def test_a_new_skill_shows_in_listings_only_after_the_listing_delay(
    acd: Acd, api: httpx.AsyncClient, admin_clock: FakeClock
) -> None:
    await api.patch("/_sim/admin/config", json={"listing_delay_seconds": 5})
    skill_id = await acd.pc_skill()
    assert (await acd.get("/skills")).status_code == 204
    assert (await acd.get(f"/skills/{skill_id}")).status_code == 200
    [control] = (await api.get("/_sim/admin/skills")).json()["skills"]
    assert control["listed"] is False
    admin_clock.advance(5)
    [listed] = (await acd.get("/skills")).json()["skills"]
    assert listed["skillId"] == skill_id
