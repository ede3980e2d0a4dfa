"""Upload jobs: asynchronous completion on the clock, overwrite vs append, startSkill, the
file limits, and the control API's job outcomes."""

from __future__ import annotations

import base64
import doctest

import httpx
import pytest

from simulator import FakeClock
from simulator.admin import uploads

from .conftest import Acd

CSV = "contact_id,phone\nc1,2125550101\nc2,2125550102\n"


async def control_list(api: httpx.AsyncClient, list_id: int) -> dict:
    response = await api.get(f"/_sim/admin/lists/{list_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_records_arrive_only_when_the_job_completes(acd: Acd, api: httpx.AsyncClient) -> None:
    list_id = await acd.calling_list()
    submitted = await acd.upload(list_id, CSV)
    assert submitted.status_code == 200
    job_id = submitted.json()["jobId"]
    assert (await control_list(api, list_id))["records"] == []
    first = await acd.job(job_id)
    assert (first["isComplete"], first["listId"], first["completedDate"]) == (False, list_id, None)
    second = await acd.job(job_id)
    assert second["isComplete"] is True and second["completedDate"]
    assert [r["ExternalId"] for r in (await control_list(api, list_id))["records"]] == [
        "c1",
        "c2",
    ]


async def test_a_job_takes_its_configured_time_on_the_clock(
    acd: Acd, api: httpx.AsyncClient, admin_clock: FakeClock
) -> None:
    await api.patch(
        "/_sim/admin/config", json={"job_duration_seconds": 30, "job_polls_before_complete": 0}
    )
    list_id = await acd.calling_list()
    job_id = (await acd.upload(list_id, CSV)).json()["jobId"]
    admin_clock.advance(29)
    assert (await acd.job(job_id))["isComplete"] is False
    admin_clock.advance(1)
    job = await acd.job(job_id)
    assert job["isComplete"] is True
    assert job["completedDate"] == "2026-03-02T15:00:30.000Z"


async def test_overwrite_replaces_and_append_keeps_duplicate_external_ids(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    list_id = await acd.calling_list()
    await acd.finish((await acd.upload(list_id, CSV)).json()["jobId"])
    again = (
        await acd.upload(
            list_id, "contact_id,phone\nc2,2125550102\nc3,2125550103\n", forceOverwrite=False
        )
    ).json()["jobId"]
    await acd.finish(again)
    appended = await control_list(api, list_id)
    assert [r["ExternalId"] for r in appended["records"]] == ["c1", "c2", "c2", "c3"]
    assert appended["duplicateExternalIds"] == {"c2": 2}
    summary = (await acd.get(f"/lists/call-lists/{list_id}")).json()["resultSet"]
    assert summary["validRecords"] == 4
    replaced = (await acd.upload(list_id, CSV, forceOverwrite=True)).json()["jobId"]
    await acd.finish(replaced)
    shown = await control_list(api, list_id)
    assert [r["ExternalId"] for r in shown["records"]] == ["c1", "c2"]
    assert shown["duplicateExternalIds"] == {}


async def test_rows_without_an_id_or_a_valid_phone_are_rejected(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    list_id = await acd.calling_list()
    rows = "contact_id,phone\nok,2125550101\nno-phone,555-0101\n,2125550103\nc4,\n"
    await acd.finish((await acd.upload(list_id, rows)).json()["jobId"])
    shown = await control_list(api, list_id)
    assert [r["ExternalId"] for r in shown["records"]] == ["ok"]
    assert [(r["row"], r["reason"]) for r in shown["rejected"]] == [
        (3, "no valid phone number"),
        (4, "no external id"),
        (5, "no valid phone number"),
    ]
    summary = (await acd.get(f"/lists/call-lists/{list_id}")).json()["resultSet"]
    assert (summary["validRecords"], summary["invalidRecords"]) == (1, 3)


async def test_start_skill_starts_the_skill_when_the_job_completes(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await acd.pc_skill()
    list_id = await acd.calling_list()
    job_id = (await acd.upload(list_id, CSV, skillId=skill_id, startSkill=True)).json()["jobId"]
    [skill] = (await acd.get(f"/skills/{skill_id}")).json()["skills"]
    assert "isRunning" not in skill
    await acd.finish(job_id)
    [skill] = (await acd.get(f"/skills/{skill_id}")).json()["skills"]
    assert skill["isRunning"] is True
    [transition] = (await api.get("/_sim/admin/transitions")).json()["transitions"]
    assert (transition["skillId"], transition["via"]) == (skill_id, "upload")
    parameters = (await acd.get(f"/skills/{skill_id}/parameters")).json()
    assert parameters["callingLists"] == [{"id": list_id, "name": "Renewals"}]


@pytest.mark.parametrize(
    ("config", "content", "problem"),
    [
        ({"max_upload_records": 2}, CSV + "c3,2125550103\n", "the limit is 2"),
        ({"max_upload_bytes": 20}, CSV, "limit is 20 bytes"),
        ({"max_record_chars": 12}, CSV, "the limit is 12"),
        ({}, "contact_id,phone\nc1,\xe9\n".encode("latin-1"), "not UTF-8"),
        ({}, b"\n\n", "no header row"),
        ({}, b'contact_id,phone\nc1,"2125550101\n', "not CSV"),
        ({}, b"id,telephone\nc1,2125550101\n", "'contact_id', 'phone'"),
    ],
)
async def test_file_violations_fail_the_upload_with_a_clear_error(
    acd: Acd, api: httpx.AsyncClient, config: dict, content: str | bytes, problem: str
) -> None:
    await api.patch("/_sim/admin/config", json=config)
    list_id = await acd.calling_list()
    data = content.encode() if isinstance(content, str) else content
    response = await acd.post(
        f"/lists/call-lists/{list_id}/upload",
        json={
            "listFile": base64.b64encode(data).decode(),
            "forceOverwrite": True,
            "expirationDate": "2026-04-30",
            "startSkill": False,
            "sendEmail": False,
        },
    )
    assert response.status_code == 400
    assert problem in response.json()["error_description"]
    assert (await acd.get("/lists/call-lists/jobs")).status_code == 204


@pytest.mark.parametrize(
    "name", ["Ana\tMaria", '"Ana\nMaria"', '"Ana\r\nMaria"', "Ana\x00", "Ana\x7f", "\x1b[31mAna"]
)
async def test_a_control_character_in_a_field_fails_the_upload_naming_record_and_column(
    acd: Acd, name: str
) -> None:
    list_id = await acd.calling_list(firstNameColumn="first_name")
    csv_text = f"contact_id,phone,first_name\nc1,2125550101,Bo\n\nc2,2125550102,{name}\n"
    response = await acd.upload(list_id, csv_text)
    assert response.status_code == 400
    # Row 1 is the header, and the blank line is not counted.
    assert response.json()["error_description"] == (
        "record 3 has a control character in column first_name"
    )
    assert (await acd.get("/lists/call-lists/jobs")).status_code == 204  # no job was made
    fine = await acd.upload(list_id, csv_text.replace(name, '"Ana, Maria"'))
    assert fine.status_code == 200, fine.text


async def test_the_record_limit_is_the_platforms_by_default(api: httpx.AsyncClient) -> None:
    shown = (await api.get("/_sim/admin/config")).json()
    assert (shown["max_upload_records"], shown["max_record_chars"]) == (500_000, 512)
    assert shown["max_upload_bytes"] == 256 * 1024 * 1024


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"listFile": "***"}, "base64"),
        ({"listFile": None}, "listFile"),
        ({"forceOverwrite": None}, "forceOverwrite"),
        ({"sendEmail": "no"}, "sendEmail"),
        ({"startSkill": None}, "startSkill"),
        ({"expirationDate": None}, "expirationDate"),
        ({"expirationDate": "2026-01-01"}, "past"),
        ({"startSkill": True}, "skillId"),
        ({"skillId": 4999999}, "not found"),
    ],
)
async def test_upload_bodies_need_their_required_fields(
    acd: Acd, fields: dict, problem: str
) -> None:
    list_id = await acd.calling_list()
    response = await acd.upload(list_id, CSV, **fields)
    assert response.status_code == 400
    assert problem in response.json()["error_description"]


async def test_jobs_can_be_made_to_never_complete_or_be_cancelled(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    list_id = await acd.calling_list()
    await api.post("/_sim/admin/jobs/next", json={"outcome": "never_complete"})
    stuck = (await acd.upload(list_id, CSV)).json()["jobId"]
    normal = (await acd.upload(list_id, CSV)).json()["jobId"]
    for _ in range(4):
        assert (await acd.job(stuck))["isComplete"] is False
    assert (await acd.finish(normal))["isComplete"] is True
    cancelled = await api.put(f"/_sim/admin/jobs/{stuck}", json={"outcome": "cancel"})
    assert cancelled.json()["outcome"] == "cancel"
    job = await acd.job(stuck)
    assert (job["isCancelled"], job["isComplete"]) == (True, False)
    jobs = {j["jobId"]: j for j in (await api.get("/_sim/admin/jobs")).json()["jobs"]}
    assert jobs[stuck]["polls"] == 5 and jobs[normal]["records"] == 2
    bad = await api.post("/_sim/admin/jobs/next", json={"outcome": "explode"})
    assert bad.status_code == 400


async def test_delete_cancels_a_pending_job_only(acd: Acd, api: httpx.AsyncClient) -> None:
    list_id = await acd.calling_list()
    job_id = (await acd.upload(list_id, CSV)).json()["jobId"]
    cancelled = await acd.delete(f"/lists/call-lists/jobs/{job_id}")
    assert (cancelled.status_code, cancelled.content) == (202, b"")
    assert (await acd.job(job_id))["isCancelled"] is True
    assert (await control_list(api, list_id))["records"] == []
    again = await acd.delete(f"/lists/call-lists/jobs/{job_id}")
    assert again.status_code == 400 and "cancelled" in again.json()["error_description"]
    done = (await acd.upload(list_id, CSV)).json()["jobId"]
    await acd.finish(done)
    assert (await acd.delete(f"/lists/call-lists/jobs/{done}")).status_code == 400
    assert (await acd.delete("/lists/call-lists/jobs/1")).status_code == 404


async def test_the_jobs_listing_counts_as_a_poll(acd: Acd) -> None:
    list_id = await acd.calling_list()
    job_id = (await acd.upload(list_id, CSV)).json()["jobId"]
    listing = (await acd.get("/lists/call-lists/jobs")).json()
    assert listing["totalRecords"] == 1
    assert listing["uploadJobs"][0]["isComplete"] is False
    assert (await acd.job(job_id))["isComplete"] is True


def test_the_module_examples_run() -> None:
    assert doctest.testmod(uploads).failed == 0
