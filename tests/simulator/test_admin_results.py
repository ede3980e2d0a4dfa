"""What the stand-in reports back after dialling: dispositions, completed contacts, the skills
that contribute to a DNC group, and records removed from a list by external id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from .conftest import ADMIN_START, Acd
from .test_admin_dial_until import DAY_END, EAST, dialing_skill
from .test_admin_dnc import group


async def test_dispositions_are_listed_paged_and_read_one_by_one(acd: Acd) -> None:
    listed = await acd.get("/dispositions")
    assert listed.status_code == 200
    body = listed.json()
    assert (body["totalRecords"], body["businessUnitId"]) == (7, 4600001)
    names = {d["dispositionId"]: d["dispositionName"] for d in body["dispositions"]}
    assert names == {
        2001: "Sale/Completed",
        2002: "No Answer",
        2003: "Busy",
        2004: "Answering Machine",
        2005: "Do Not Call",
        2006: "Wrong Number",
        2007: "Callback",
    }
    assert body["dispositions"][4] == {
        "dispositionId": 2005,
        "dispositionName": "Do Not Call",
        "notes": "",
        "lastUpdated": "2026-01-01T00:00:00.000Z",
        "classificationId": 5,
        "systemOutcome": "DoNotCall",
        "isActive": True,
        "isPreviewDisposition": False,
    }
    page = (await acd.get("/dispositions", params={"skip": 5, "top": 5})).json()
    assert [d["dispositionId"] for d in page["dispositions"]] == [2006, 2007]
    assert (await acd.get("/dispositions", params={"skip": 7})).status_code == 204

    one = (await acd.get("/dispositions/2005")).json()
    assert (one["dispositionName"], one["classificationName"]) == ("Do Not Call", "Do Not Call")
    assert (await acd.get("/dispositions/1")).status_code == 404


async def test_completed_contacts_report_every_attempt_with_numbers_as_strings(
    acd: Acd, api: httpx.AsyncClient, dial_until: Callable
) -> None:
    skill_id = await dialing_skill(acd, f"a,2125550101,{EAST},\nb,2125550102,{EAST},\n")
    other = await dialing_skill(acd, f"c,3125550103,{EAST},\n", name="Other PC")
    assert (await acd.get("/contacts/completed")).status_code == 204
    mine = await dial_until(skill_id, DAY_END, maxAttemptsPerRecord=2, retryMinutes=120)
    await dial_until(other, DAY_END + timedelta(hours=1))  # the other skill dials after
    attempts = mine["attempts"]
    assert len(attempts) == 4

    answer = await acd.get("/contacts/completed", params={"skillId": skill_id})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["totalRecords"], body["businessUnitId"]) == ("4", "4600001")
    contacts = body["completedContacts"]
    assert [c["contactId"] for c in contacts] == [str(a["contactId"]) for a in attempts]
    first, attempt = contacts[0], attempts[0]
    assert first["skillId"] == str(skill_id) and first["isOutbound"] is True
    assert (first["toAddress"], first["fromAddress"]) == (attempt["phone"], "8005550100")
    assert first["contactStartDate"] == attempt["at"]
    assert first["primaryDispositionId"] == str(attempt["dispositionId"] or 0)
    assert first["abandoned"] is (attempt["result"] == "abandoned")
    for field in ("totalDurationSeconds", "agentSeconds", "abandonSeconds"):
        assert first[field].isdigit()
    assert first["lastUpdateTime"] > first["contactStartDate"]
    assert {c["endReason"] for c in contacts} <= {
        "Contact Hung Up",
        "No Answer",
        "Busy",
        "Answering Machine",
        "Abandoned",
    }

    # [startDate, endDate) on contactStartDate; updatedSince on lastUpdateTime.
    morning, later = attempts[0]["at"], attempts[2]["at"]  # two calls at each
    assert (attempts[1]["at"], attempts[3]["at"]) == (morning, later)
    window = {"startDate": morning, "endDate": later}
    inside = (await acd.get("/contacts/completed", params=window)).json()["completedContacts"]
    assert [c["contactId"] for c in inside] == [c["contactId"] for c in contacts[:2]]
    cut = contacts[3]["lastUpdateTime"]
    since = {"skillId": skill_id, "updatedSince": cut}
    updated = (await acd.get("/contacts/completed", params=since)).json()["completedContacts"]
    assert updated == [c for c in contacts[2:] if c["lastUpdateTime"] >= cut]
    every = (await acd.get("/contacts/completed")).json()
    assert every["totalRecords"] == "5"
    paged = await acd.get("/contacts/completed", params={"skip": 3, "top": 1})
    assert paged.json()["completedContacts"] == [contacts[3]]
    assert (await acd.get("/contacts/completed", params={"skip": 5})).status_code == 204
    before = {"skillId": skill_id, "endDate": morning}
    assert (await acd.get("/contacts/completed", params=before)).status_code == 204


@pytest.mark.parametrize(
    "params",
    [
        {"startDate": "2026-03-02T15:00:00+00:00"},
        {"endDate": "yesterday"},
        {"updatedSince": "2026-03-02"},
        {"skillId": "abc"},
    ],
)
async def test_completed_contacts_refuse_odd_parameters(acd: Acd, params: dict) -> None:
    answer = await acd.get("/contacts/completed", params=params)
    assert answer.status_code == 400
    assert answer.json()["error"] == "InvalidParameter"


async def test_contributing_skills_are_wired_like_scrubbed_ones(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await acd.pc_skill("Contributor")
    group_id = await group(acd)
    path = f"/dnc-groups/{group_id}/contributing-skills"
    assert (await acd.get(path)).status_code == 204
    assert (await acd.post(f"{path}/{skill_id}")).status_code == 202
    assert (await acd.post(f"{path}/{skill_id}")).status_code == 202  # harmless twice
    listed = (await acd.get(path)).json()
    assert listed == {
        "totalRecords": 1,
        "contributingSkills": [{"skillId": skill_id, "skillName": "Contributor"}],
    }
    # Contributing does not scrub.
    assert (await acd.get(f"/dnc-groups/{group_id}/scrubbed-skills")).status_code == 204
    [shown] = (await api.get("/_sim/admin/dnc-groups")).json()["dncGroups"]
    assert (shown["contributingSkillIds"], shown["scrubbedSkillIds"]) == ([skill_id], [])
    assert (await acd.post(f"{path}/4999999")).status_code == 404
    assert (await acd.post(f"/dnc-groups/999/contributing-skills/{skill_id}")).status_code == 404
    assert (await acd.delete(f"{path}/{skill_id}")).status_code == 202
    assert (await acd.delete(f"{path}/{skill_id}")).status_code == 404
    assert (await acd.get(path)).status_code == 204


async def test_removing_prospects_by_name_leaves_the_rest_of_the_list(
    acd: Acd, api: httpx.AsyncClient, admin_clock
) -> None:
    await dialing_skill(acd, f"a,2125550101,{EAST},\nb,2125550102,{EAST},\n7,2125550107,{EAST},\n")
    admin_clock.advance(60)
    body = {
        "prospectsToRemove": [
            {"externalId": "a"},
            {"externalId": 7},  # a number: read as its digits
            {"externalId": "a"},  # already gone
            {"externalId": None},
        ]
    }
    answer = await acd.delete("/lists/call-lists/Day PC list/removeProspects", json=body)
    assert answer.json() == {
        "successfulRecords": [
            {"externalId": "a", "resultCode": "Success"},
            {"externalId": "7", "resultCode": "Success"},
        ],
        "failedRecords": [
            {"externalId": "a", "resultCode": "NotFound"},
            {"externalId": "None", "resultCode": "InvalidExternalId"},
        ],
    }
    [shown] = (await api.get("/_sim/admin/lists")).json()["lists"]
    assert [r["ExternalId"] for r in shown["records"]] == ["b"]
    assert [(r["ExternalId"], r["removedAt"]) for r in shown["removed"]] == [
        ("a", "2026-03-02T15:01:00.000Z"),
        ("7", "2026-03-02T15:01:00.000Z"),
    ]
    result = (
        await acd.get(f"/lists/call-lists/{shown['listId']}", params={"includeRecords": "true"})
    ).json()["resultSet"]
    assert [r["ExternalId"] for r in result["contactRecords"]] == ["b"]
    assert result["validRecords"] == 1

    missing = await acd.delete("/lists/call-lists/No such list/removeProspects", json=body)
    assert missing.status_code == 404
    empty = await acd.delete(
        "/lists/call-lists/Day PC list/removeProspects", json={"prospectsToRemove": []}
    )
    assert empty.status_code == 400


async def test_the_night_has_no_attempts(acd: Acd, dial_until: Callable) -> None:
    # Dialling stops at 21:00 Eastern and starts again at 08:00 (the step at `until` is the
    # next run's).
    skill_id = await dialing_skill(acd, f"a,2125550101,{EAST},\n")
    night_start = ADMIN_START + timedelta(hours=11)  # 02:00 UTC: 21:00 Eastern
    await dial_until(skill_id, night_start, maxAttemptsPerRecord=1)
    night = await dial_until(skill_id, night_start + timedelta(hours=11), maxAttemptsPerRecord=5)
    assert [a["at"] for a in night["attempts"]] == []
