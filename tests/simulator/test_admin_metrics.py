"""Interval summaries: sums over [startDate, endDate), numbers as strings, a percentage
abandon rate, strict UTC dates."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Acd

DAY_START, DAY_END = "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"


async def add_activity(api: httpx.AsyncClient, skill_id: int, at: str, **counts: int) -> None:
    response = await api.post(f"/_sim/admin/skills/{skill_id}/activity", json={"at": at, **counts})
    assert response.status_code == 201, response.text


async def summary(acd: Acd, skill_id: int, start: str, end: str) -> dict:
    response = await acd.get(
        f"/skills/{skill_id}/summary", params={"startDate": start, "endDate": end}
    )
    assert response.status_code == 200, response.text
    [row] = response.json()["skillSummaries"]
    return row


async def test_a_30_minute_and_a_30_day_window_read_the_same_records(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await acd.pc_skill()
    await add_activity(api, skill_id, "2026-02-10T12:00:00Z", dials=100, connects=40)
    await add_activity(api, skill_id, "2026-03-02T14:40:00Z", dials=30, connects=6, abandons=1)
    await add_activity(api, skill_id, "2026-03-02T14:59:59Z", dials=10, connects=3, handled=8)
    await add_activity(api, skill_id, "2026-03-02T15:00:00Z", dials=500)  # the end is open
    recent = await summary(acd, skill_id, "2026-03-02T14:30:00Z", "2026-03-02T15:00:00Z")
    assert (recent["dials"], recent["connects"], recent["abandonCount"]) == ("40", "9", "1")
    month = await summary(acd, skill_id, "2026-01-31T15:00:00Z", "2026-03-02T15:00:00Z")
    assert (month["dials"], month["connects"]) == ("140", "49")
    empty = await summary(acd, skill_id, "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")
    assert (empty["dials"], empty["abandonRate"]) == ("0", "0")


async def test_numbers_are_strings_and_the_abandon_rate_a_percentage(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await acd.pc_skill("Rates")
    await api.put(f"/_sim/admin/skills/{skill_id}/active-calls", json={"activeCalls": 2})
    await add_activity(
        api,
        skill_id,
        "2026-03-02T10:00:00Z",
        dials=200,
        connects=60,
        rightPartyConnects=45,
        abandons=2,
        handled=58,
        offered=60,
    )
    row = await summary(acd, skill_id, DAY_START, DAY_END)
    assert row["skillId"] == str(skill_id) and row["skillName"] == "Rates"
    assert row["isOutbound"] is True
    expected = {
        "dials": "200",
        "connects": "60",
        "rightPartyConnects": "45",
        "abandonCount": "2",
        "contactsHandled": "58",
        "contactsOffered": "60",
        "contactsActive": "2",
        "abandonRate": "3.33",  # 2 / (58 + 2), in percent
    }
    assert {key: row[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-02T00:00:00+00:00", DAY_END),
        (DAY_START, "2026-03-03"),
        (DAY_START, None),
        (DAY_END, DAY_START),
        (DAY_START, DAY_START),
    ],
)
async def test_dates_must_be_utc_with_a_z_and_in_order(
    acd: Acd, start: str | None, end: str | None
) -> None:
    skill_id = await acd.pc_skill()
    params = {k: v for k, v in {"startDate": start, "endDate": end}.items() if v}
    response = await acd.get(f"/skills/{skill_id}/summary", params=params)
    assert response.status_code == 400 and response.json()["error"] == "InvalidParameter"


async def test_the_all_skills_summary_filters_outbound(acd: Acd, api: httpx.AsyncClient) -> None:
    params = {"startDate": DAY_START, "endDate": DAY_END}
    assert (await acd.get("/skills/summary", params=params)).status_code == 204
    campaign_id = await acd.campaign()
    outbound = await acd.pc_skill(campaign_id=campaign_id)
    chat = {"skillName": "Chat", "mediaTypeId": 3, "campaignId": campaign_id}
    await acd.post("/skills", json={"skills": [chat]})
    await add_activity(api, outbound, "2026-03-02T09:00:00Z", dials=12)
    rows = (await acd.get("/skills/summary", params=params)).json()["skillSummaries"]
    assert len(rows) == 2
    only = await acd.get("/skills/summary", params={**params, "isOutbound": "true"})
    [row] = only.json()["skillSummaries"]
    assert (row["skillId"], row["dials"]) == (str(outbound), "12")
    [inbound] = (await acd.get("/skills/summary", params={**params, "isOutbound": "false"})).json()[
        "skillSummaries"
    ]
    assert inbound["skillName"] == "Chat"


async def test_activity_for_an_unknown_skill_is_404(acd: Acd, api: httpx.AsyncClient) -> None:
    assert (await api.post("/_sim/admin/skills/42/activity", json={"dials": 1})).status_code == 404
    params = {"startDate": DAY_START, "endDate": DAY_END}
    assert (await acd.get("/skills/42/summary", params=params)).status_code == 404


async def test_activity_for_many_skills_is_recorded_together_or_not_at_all(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    first, second = await acd.pc_skill("Storm 1"), await acd.pc_skill("Storm 2")
    at = "2026-03-02T09:00:00Z"
    refused = await api.post(
        "/_sim/admin/activity",
        json={"activity": [{"skillId": first, "at": at, "dials": 5}, {"skillId": 42, "dials": 1}]},
    )
    assert refused.status_code == 404, refused.text
    params = {"startDate": DAY_START, "endDate": DAY_END}
    assert (await summary(acd, first, DAY_START, DAY_END))["dials"] == "0"  # nothing recorded
    both = [
        {"skillId": first, "at": at, "dials": 300, "connects": 9},
        {"skillId": second, "at": at, "dials": 200, "connects": 90},
    ]
    response = await api.post("/_sim/admin/activity", json={"activity": both})
    assert response.status_code == 201, response.text
    assert response.json() == {"recorded": 2}
    rows = (await acd.get("/skills/summary", params=params)).json()["skillSummaries"]
    counts = {row["skillId"]: (row["dials"], row["connects"]) for row in rows}
    assert counts[str(first)] == ("300", "9") and counts[str(second)] == ("200", "90")
    empty = await api.post("/_sim/admin/activity", json={"activity": []})
    assert empty.status_code == 400  # the stand-in answers a bad body as NICE does
