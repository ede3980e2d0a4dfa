"""DNC groups: integer phone numbers, per-item results, expiry on the clock, search, and the
skills a group scrubs."""

from __future__ import annotations

import httpx

from simulator import FakeClock

from .conftest import Acd


async def group(acd: Acd, name: str = "Internal DNC") -> int:
    response = await acd.post(
        "/dnc-groups", json={"dncGroupName": name, "dncGroupDescription": "opt-outs"}
    )
    assert response.status_code == 200, response.text
    [created] = response.json()["dncGroups"]
    assert (created["dncGroupName"], created["validRecords"]) == (name, 0)
    return created["dncGroupId"]


async def add(acd: Acd, group_id: int, *records: dict) -> dict:
    response = await acd.post(
        f"/dnc-groups/{group_id}/records", json={"dncGroupRecords": list(records)}
    )
    assert response.status_code == 200, response.text
    return response.json()["resultSet"]


async def test_groups_list_with_ids_and_counts_as_strings(acd: Acd) -> None:
    assert (await acd.get("/dnc-groups")).status_code == 204
    group_id = await group(acd)
    await add(acd, group_id, {"phoneNumber": 2125550101})
    result = (await acd.get("/dnc-groups")).json()["resultSet"]
    assert result["totalGroups"] == 1
    [shown] = result["dncGroups"]
    assert (shown["dncGroupId"], shown["validRecords"]) == (str(group_id), "1")
    [one] = (await acd.get(f"/dnc-groups/{group_id}")).json()["resultSet"]["dncGroups"]
    assert one["dncGroupId"] == group_id
    assert (await acd.post("/dnc-groups", json={"dncGroupName": ""})).status_code == 400
    assert (await acd.get("/dnc-groups/9")).status_code == 404


async def test_records_are_added_as_integers_with_results_per_item(acd: Acd) -> None:
    group_id = await group(acd)
    result = await add(
        acd,
        group_id,
        {"phoneNumber": 12125550101},
        {"phoneNumber": "2125550102"},
        {"phoneNumber": 555},
        {"phoneNumber": True},
        {"phoneNumber": 3125550103, "expiredDate": "soon"},
        {"phoneNumber": 3125550104, "expiredDate": "2026-12-31"},
    )
    assert result["errorCount"] == 4
    results = result["recordResults"]
    assert [r["success"] for r in results] == [True, False, False, False, False, True]
    assert results[0]["formattedPhone"] == "2125550101"
    assert "integer" in results[1]["error"] and "integer" in results[3]["error"]
    assert "not a valid number" in results[2]["error"]
    assert "expiredDate" in results[4]["error"]
    records = (await acd.get(f"/dnc-groups/{group_id}/records")).json()["resultSet"]
    assert records["totalRecords"] == 2
    assert [r["phoneNumber"] for r in records["dncRecords"]] == ["2125550101", "3125550104"]
    assert records["dncRecords"][1]["expiredDate"] == "2026-12-31T00:00:00.000Z"


async def test_expiring_records_answers_unwrapped_and_removes_them(acd: Acd) -> None:
    group_id = await group(acd)
    await add(acd, group_id, {"phoneNumber": 2125550101}, {"phoneNumber": 2125550102})
    response = await acd.delete(
        f"/dnc-groups/{group_id}/records",
        json={"dncGroupRecords": [{"phoneNumber": "2125550101"}, {"phoneNumber": "2125550199"}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["errorCount"] == 1 and "resultSet" not in body
    assert [r["success"] for r in body["recordResults"]] == [True, False]
    records = (await acd.get(f"/dnc-groups/{group_id}/records")).json()["resultSet"]
    assert [r["phoneNumber"] for r in records["dncRecords"]] == ["2125550102"]


async def test_a_number_leaves_the_group_when_its_expiry_passes(
    acd: Acd, admin_clock: FakeClock
) -> None:
    group_id = await group(acd)
    await add(acd, group_id, {"phoneNumber": 2125550101, "expiredDate": "2026-03-02T15:30:00Z"})
    found = await acd.post("/dnc-groups/search", params={"phoneNumber": "+1 212 555 0101"})
    [hit] = found.json()["searchResults"]
    assert (hit["dncGroupId"], hit["formattedPhone"]) == (group_id, "2125550101")
    admin_clock.advance(1799)
    assert (await acd.get(f"/dnc-groups/{group_id}/records")).status_code == 200
    admin_clock.advance(1)
    assert (await acd.get(f"/dnc-groups/{group_id}/records")).status_code == 204
    gone = await acd.post("/dnc-groups/search", params={"phoneNumber": "2125550101"})
    assert gone.status_code == 204
    assert (await acd.post("/dnc-groups/search", params={"phoneNumber": "12"})).status_code == 400


async def test_scrubbed_skills_wire_a_group_to_a_skill(acd: Acd, api: httpx.AsyncClient) -> None:
    group_id = await group(acd)
    skill_id = await acd.pc_skill("Scrubbed")
    path = f"/dnc-groups/{group_id}/scrubbed-skills"
    assert (await acd.get(path)).status_code == 204
    wired = await acd.post(f"{path}/{skill_id}")
    assert (wired.status_code, wired.content) == (202, b"")
    assert (await acd.post(f"{path}/{skill_id}")).status_code == 202
    listed = (await acd.get(path)).json()
    assert listed["scrubbedSkills"] == [{"skillId": skill_id, "skillName": "Scrubbed"}]
    assert (await acd.post(f"{path}/4999999")).status_code == 404

    await add(acd, group_id, {"phoneNumber": 2125550102})
    list_id = await acd.calling_list()
    csv = "contact_id,phone\nc1,2125550101\nc2,2125550102\n"
    await acd.finish((await acd.upload(list_id, csv, skillId=skill_id)).json()["jobId"])
    records = (await api.get(f"/_sim/admin/lists/{list_id}")).json()["records"]
    assert [(r["ExternalId"], r["scrubbed"]) for r in records] == [("c1", False), ("c2", True)]

    assert (await acd.delete(f"{path}/{skill_id}")).status_code == 202
    assert (await acd.delete(f"{path}/{skill_id}")).status_code == 404
    records = (await api.get(f"/_sim/admin/lists/{list_id}")).json()["records"]
    assert not any(r["scrubbed"] for r in records)
    [control] = (await api.get("/_sim/admin/dnc-groups")).json()["dncGroups"]
    assert [n["phoneNumber"] for n in control["numbers"]] == ["2125550102"]
