"""Calling lists: the query-parameter mapping, listings, records, deletion rules."""

from __future__ import annotations

import httpx

from .conftest import Acd

EXPIRES = "2026-04-30"  # what the conftest's uploads ask for

CSV = "contact_id,phone,first,st\nc1,(212) 555-0101,Ana,NY\nc2,+1 312 555 0102,Bo,IL\n"


async def test_a_list_is_a_mapping_of_query_parameters(acd: Acd) -> None:
    list_id = await acd.calling_list("Spring", firstNameColumn="first", stateColumn="st")
    listing = await acd.get("/lists/call-lists")
    assert listing.status_code == 200
    result = listing.json()["resultSet"]
    assert result["totalRecords"] == "1"  # a string, here
    [summary] = result["callingLists"]
    assert (summary["listId"], summary["listName"], summary["status"]) == (
        list_id,
        "Spring",
        "Active",
    )
    assert (summary["totalRecords"], summary["validRecords"]) == (0, 0)


async def test_records_carry_system_field_names(acd: Acd) -> None:
    list_id = await acd.calling_list("Spring", firstNameColumn="first", stateColumn="st")
    job_id = (await acd.upload(list_id, CSV)).json()["jobId"]
    await acd.finish(job_id)
    detail = await acd.get(f"/lists/call-lists/{list_id}", params={"includeRecords": "true"})
    result = detail.json()["resultSet"]
    assert (result["listName"], result["validRecords"]) == ("Spring", 2)
    # Each record keeps its upload's expiration date (the strict reading of expirationDate).
    assert {r.pop("ExpirationDate")[:10] for r in result["contactRecords"]} == {EXPIRES}
    assert result["contactRecords"] == [
        {"ExternalId": "c1", "FirstName": "Ana", "State": "NY", "PhoneNumber": "2125550101"},
        {"ExternalId": "c2", "FirstName": "Bo", "State": "IL", "PhoneNumber": "3125550102"},
    ]
    page = await acd.get(
        f"/lists/call-lists/{list_id}", params={"includeRecords": "true", "skip": 1, "top": 1}
    )
    assert [r["ExternalId"] for r in page.json()["resultSet"]["contactRecords"]] == ["c2"]
    without = (await acd.get(f"/lists/call-lists/{list_id}")).json()["resultSet"]
    assert "contactRecords" not in without


async def test_the_mapping_needs_a_name_an_id_column_and_a_phone_column(acd: Acd) -> None:
    phone = {"destinationMappings": [{"fieldName": "PhoneNumber", "fieldValue": "phone"}]}
    for params, body in (
        ({"externalIdColumn": "id"}, phone),
        ({"listName": "No id"}, phone),
        ({"listName": "No phone", "externalIdColumn": "id"}, {}),
        ({"listName": "Bad", "externalIdColumn": "id"}, {"destinationMappings": [{}]}),
        ({"listName": "In body", "externalIdColumn": "id"}, {**phone, "customFieldMappings": 3}),
    ):
        response = await acd.post("/lists/call-lists", params=params, json=body)
        assert response.status_code == 400, params
        assert response.json()["error"] == "InvalidParameter"
    assert (await acd.get("/lists/call-lists")).status_code == 204


async def test_a_repeated_create_makes_a_second_list_of_the_same_name(acd: Acd) -> None:
    first, second = await acd.calling_list("Twin"), await acd.calling_list("Twin")
    assert first != second
    lists = (await acd.get("/lists/call-lists")).json()["resultSet"]["callingLists"]
    assert [cl["listName"] for cl in lists] == ["Twin", "Twin"]


async def test_deleting_a_list_that_feeds_a_running_skill_needs_force_inactive(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await acd.pc_skill()
    list_id = await acd.calling_list()
    job_id = (await acd.upload(list_id, CSV, skillId=skill_id, startSkill=True)).json()["jobId"]
    await acd.finish(job_id)
    refused = await acd.delete(f"/lists/call-lists/{list_id}")
    assert refused.status_code == 400 and "forceInactive" in refused.json()["error_description"]
    deleted = await acd.delete(f"/lists/call-lists/{list_id}", params={"forceInactive": "true"})
    assert (deleted.status_code, deleted.content) == (202, b"")
    assert (await acd.get(f"/lists/call-lists/{list_id}")).status_code == 404
    assert (await acd.get("/lists/call-lists")).status_code == 204
    [kept] = (await api.get("/_sim/admin/lists")).json()["lists"]
    assert kept["deleted"] is True


async def test_deleting_a_list_with_a_pending_upload_needs_force_delete(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    list_id = await acd.calling_list()
    await api.post("/_sim/admin/jobs/next", json={"outcome": "never_complete"})
    job_id = (await acd.upload(list_id, CSV)).json()["jobId"]
    refused = await acd.delete(f"/lists/call-lists/{list_id}")
    assert refused.status_code == 400 and "forceDelete" in refused.json()["error_description"]
    forced = await acd.delete(f"/lists/call-lists/{list_id}", params={"forceDelete": "true"})
    assert forced.status_code == 202
    job = await acd.job(job_id)
    assert (job["isCancelled"], job["isComplete"]) == (True, False)


async def test_custom_fields_and_the_default_time_zone_fill_records(acd: Acd) -> None:
    query = {"listName": "Zones", "externalIdColumn": "contact_id", "timeZoneColumn": "tz"}
    body = {
        "destinationMappings": [{"fieldName": "PhoneNumber", "fieldValue": "phone"}],
        "customFieldMappings": [{"fieldName": "Segment", "fieldValue": "segment"}],
    }
    list_id = (await acd.post("/lists/call-lists", params=query, json=body)).json()["listId"]
    rows = (
        "contact_id,phone,tz,segment\nc1,2125550101,Pacific Standard Time,gold\nc2,2125550102,,\n"
    )
    job = await acd.upload(list_id, rows, defaultTimeZone="Eastern Standard Time")
    await acd.finish(job.json()["jobId"])
    detail = await acd.get(f"/lists/call-lists/{list_id}", params={"includeRecords": "true"})
    records = detail.json()["resultSet"]["contactRecords"]
    assert [(r["TimeZone"], r["Segment"]) for r in records] == [
        ("Pacific Standard Time", "gold"),
        ("Eastern Standard Time", ""),
    ]
