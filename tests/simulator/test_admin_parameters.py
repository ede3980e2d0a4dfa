"""Dialer parameters of a Personal Connection skill: blocks, partial updates, the schedule's
whole-week rule, time zones."""

from __future__ import annotations

import pytest

from .conftest import Acd

DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def week(start: str = "08:00", end: str = "21:00", **overrides: object) -> dict:
    settings: dict = {"isScheduled": True}
    for day in DAYS:
        settings |= {f"{day}StartTime": start, f"{day}EndTime": end, f"{day}IsActive": True}
    return {"scheduleSettings": settings | overrides}


async def test_all_blocks_are_read_together(acd: Acd) -> None:
    skill_id = await acd.pc_skill("Blocks")
    response = await acd.get(f"/skills/{skill_id}/parameters")
    assert response.status_code == 200
    blocks = response.json()
    assert (blocks["skillNo"], blocks["skillName"]) == (skill_id, "Blocks")
    for key in ("generalSettings", "retrySettings", "scheduleSettings", "cpaSettings"):
        assert isinstance(blocks[key], dict), key
    assert blocks["callingLists"] == []
    assert {zone["name"] for zone in blocks["timeZoneSettings"]} >= {"Eastern Standard Time"}


async def test_the_schedule_takes_a_whole_active_week(acd: Acd) -> None:
    skill_id = await acd.pc_skill()
    path = f"/skills/{skill_id}/parameters/schedule-settings"
    saved = await acd.put(path, json=week("09:00", "20:00"))
    assert (saved.status_code, saved.content) == (202, b"")
    shown = (await acd.get(path)).json()
    assert shown["isScheduled"] is True
    assert (shown["mondayStartTime"], shown["saturdayEndTime"]) == ("09:00", "20:00")
    assert (await acd.get(f"/skills/{skill_id}/parameters")).json()["scheduleSettings"] == shown


@pytest.mark.parametrize(
    "body",
    [
        week(sundayIsActive=False),
        week(saturdayIsActive=None),
        week(mondayStartTime="10:00", mondayEndTime="10:00"),
        week(fridayStartTime="20:00", fridayEndTime="08:00"),
        week(tuesdayStartTime="8:00"),
        week(start="08:00", end="24:00"),
        {"scheduleSettings": {"isScheduled": True}},
        week()["scheduleSettings"],  # not wrapped
    ],
)
async def test_a_schedule_with_a_hole_is_invalid_and_changes_nothing(acd: Acd, body) -> None:
    skill_id = await acd.pc_skill()
    path = f"/skills/{skill_id}/parameters/schedule-settings"
    before = (await acd.get(path)).json()
    response = await acd.put(path, json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidParameter"
    assert (await acd.get(path)).json() == before


async def test_general_and_retry_settings_take_partial_blocks(acd: Acd) -> None:
    skill_id = await acd.pc_skill()
    general = f"/skills/{skill_id}/parameters/general-settings"
    before = (await acd.get(general)).json()
    update = {"abandonRateThreshold": 2.5, "maximumAttempts": 4, "aggressiveness": 7}
    assert (await acd.put(general, json={"generalSettings": update})).status_code == 202
    after = (await acd.get(general)).json()
    assert {key: after[key] for key in update} == update
    assert after["minimumRetryMinutes"] == before["minimumRetryMinutes"]
    retry = f"/skills/{skill_id}/parameters/retry-settings"
    partial = {"retrySettings": {"maximumAttempts": 5, "minimumRetryMinutes": 90}}
    assert (await acd.put(retry, json=partial)).status_code == 202
    shown = (await acd.get(retry)).json()
    assert (shown["maximumAttempts"], shown["minimumRetryMinutes"]) == (5, 90)
    ignored = {"generalSettings": {"maximumAttemps": 9}}  # a typo changes nothing
    assert (await acd.put(general, json=ignored)).status_code == 202
    assert (await acd.get(general)).json() == after


@pytest.mark.parametrize(
    "body",
    [
        {"generalSettings": {"maximumAttempts": "4"}},
        {"generalSettings": {"loadFresh": 1}},
        {"generalSettings": {"abandonRateThreshold": 300}},
        {"generalSettings": {"maximumAttempts": True}},
        {"maximumAttempts": 4},
    ],
)
async def test_general_settings_of_the_wrong_type_are_400(acd: Acd, body: dict) -> None:
    skill_id = await acd.pc_skill()
    response = await acd.put(f"/skills/{skill_id}/parameters/general-settings", json=body)
    assert response.status_code == 400 and response.json()["error"] == "InvalidParameter"


async def test_time_zones_read_by_name_and_write_by_standard_name(acd: Acd) -> None:
    skill_id = await acd.pc_skill()
    path = f"/skills/{skill_id}/parameters/time-zones"
    zones = (await acd.get(path)).json()
    eastern = next(zone for zone in zones if zone["name"] == "Eastern Standard Time")
    assert eastern["timeZoneActiveToCall"] is True
    change = {
        "standardName": "Eastern Standard Time",
        "startTime": "09:00",
        "endTime": "20:00",
        "timeZoneActiveToCall": False,
        "overrideTime": True,
    }
    assert (await acd.put(path, json={"timeZoneSettings": [change]})).status_code == 202
    eastern = next(z for z in (await acd.get(path)).json() if z["name"] == eastern["name"])
    assert (eastern["startTime"], eastern["timeZoneActiveToCall"]) == ("09:00", False)
    for bad in (
        {"timeZoneSettings": [{**change, "standardName": "Mars Standard Time"}]},
        {"timeZoneSettings": [{**change, "name": change["standardName"], "standardName": None}]},
        {"timeZoneSettings": [{**change, "endTime": "09:00"}]},
        {"timeZoneSettings": []},
    ):
        assert (await acd.put(path, json=bad)).status_code == 400


async def test_parameters_belong_to_personal_connection_skills(acd: Acd) -> None:
    campaign_id = await acd.campaign()
    chat = {"skillName": "Chat", "mediaTypeId": 3, "campaignId": campaign_id}
    [result] = (await acd.post("/skills", json={"skills": [chat]})).json()["skillsResults"]
    refused = await acd.get(f"/skills/{result['skillId']}/parameters")
    assert refused.status_code == 400
    skill_id = await acd.pc_skill(campaign_id=campaign_id)
    assert (await acd.get(f"/skills/{skill_id}/parameters/cadence")).status_code == 404
    assert (await acd.get("/skills/4999999/parameters")).status_code == 404
