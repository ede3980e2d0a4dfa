"""The stand-in's dial log: a skill is never offered a number of a DNC group that scrubs it."""

from __future__ import annotations

import doctest

import httpx

from simulator import FakeClock
from simulator.admin import dialer

from .conftest import Acd
from .test_admin_dnc import add, group

CSV = "contact_id,phone\nc1,2125550101\nc2,(212) 555-0102\nc3,2125550103\n"


async def skill_with_list(acd: Acd, name: str = "Renewals PC", csv: str = CSV) -> int:
    """A skill dialing a calling list that holds `csv`'s records."""
    skill_id = await acd.pc_skill(name)
    list_id = await acd.calling_list(f"{name} list")
    await acd.finish((await acd.upload(list_id, csv, skillId=skill_id)).json()["jobId"])
    return skill_id


async def dial(api: httpx.AsyncClient, skill_id: int) -> dict:
    response = await api.post(f"/_sim/admin/skills/{skill_id}/dial")
    assert response.status_code == 200, response.text
    return response.json()


def outcomes(entries: list[dict]) -> list[tuple[str, str, list[int]]]:
    return [(e["externalId"], e["outcome"], e["dncGroupIds"]) for e in entries]


async def test_a_group_scrubbing_the_skill_keeps_its_number_from_being_offered(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await skill_with_list(acd)
    group_id = await group(acd)
    await add(acd, group_id, {"phoneNumber": 2125550102})
    assert (await acd.post(f"/dnc-groups/{group_id}/scrubbed-skills/{skill_id}")).status_code == 202

    passed = await dial(api, skill_id)
    assert (passed["skillId"], passed["offered"], passed["scrubbed"]) == (skill_id, 2, 1)
    assert outcomes(passed["entries"]) == [
        ("c1", "offered", []),
        ("c2", "scrubbed", [group_id]),
        ("c3", "offered", []),
    ]
    [list_id] = {e["listId"] for e in passed["entries"]}
    scrubbed = passed["entries"][1]
    assert scrubbed == {
        "skillId": skill_id,
        "listId": list_id,
        "externalId": "c2",
        "phone": "2125550102",
        "outcome": "scrubbed",
        "dncGroupIds": [group_id],
        "at": "2026-03-02T15:00:00.000Z",
    }
    logged = (await api.get("/_sim/admin/dial-log")).json()["entries"]
    assert logged == passed["entries"]


async def test_a_group_that_does_not_scrub_the_skill_blocks_nothing(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await skill_with_list(acd)
    other = await acd.pc_skill("Other PC")
    group_id = await group(acd)
    await add(acd, group_id, {"phoneNumber": 2125550101}, {"phoneNumber": 2125550102})
    await acd.post(f"/dnc-groups/{group_id}/scrubbed-skills/{other}")  # another skill only

    passed = await dial(api, skill_id)
    assert (passed["offered"], passed["scrubbed"]) == (3, 0)
    assert {e["outcome"] for e in passed["entries"]} == {"offered"}
    assert (await dial(api, other)) == {
        "skillId": other,
        "offered": 0,
        "scrubbed": 0,
        "entries": [],
    }


async def test_an_expired_number_no_longer_blocks(
    acd: Acd, api: httpx.AsyncClient, admin_clock: FakeClock
) -> None:
    skill_id = await skill_with_list(acd)
    group_id = await group(acd)
    await add(acd, group_id, {"phoneNumber": 2125550103, "expiredDate": "2026-03-02T16:00:00Z"})
    await acd.post(f"/dnc-groups/{group_id}/scrubbed-skills/{skill_id}")

    before = await dial(api, skill_id)
    assert outcomes(before["entries"])[2] == ("c3", "scrubbed", [group_id])
    admin_clock.advance(3600)
    after = await dial(api, skill_id)
    assert outcomes(after["entries"])[2] == ("c3", "offered", [])
    assert after["entries"][2]["at"] == "2026-03-02T16:00:00.000Z"
    # The log keeps both passes, oldest first.
    logged = (await api.get("/_sim/admin/dial-log")).json()["entries"]
    assert [e["outcome"] for e in logged] == ["offered", "offered", "scrubbed"] + ["offered"] * 3


async def test_every_list_of_the_skill_is_dialled_and_each_number_field_counts(
    acd: Acd, api: httpx.AsyncClient
) -> None:
    skill_id = await acd.pc_skill()
    first = await acd.calling_list("First")
    await acd.finish((await acd.upload(first, CSV, skillId=skill_id)).json()["jobId"])
    query = {"listName": "Second", "externalIdColumn": "contact_id"}
    mappings = [
        {"fieldName": "PhoneNumber", "fieldValue": "phone"},
        {"fieldName": "MobileNumber", "fieldValue": "mobile"},
    ]
    response = await acd.post(
        "/lists/call-lists", params=query, json={"destinationMappings": mappings}
    )
    second = response.json()["listId"]
    csv = "contact_id,phone,mobile\nm1,3125550101,3125550199\n"
    await acd.finish((await acd.upload(second, csv, skillId=skill_id)).json()["jobId"])
    gone = await acd.calling_list("Deleted")
    await acd.finish((await acd.upload(gone, CSV, skillId=skill_id)).json()["jobId"])
    assert (await acd.delete(f"/lists/call-lists/{gone}")).status_code == 202
    groups = [await group(acd, "Mobiles"), await group(acd, "Also mobiles")]
    for group_id in groups:
        await add(acd, group_id, {"phoneNumber": 3125550199})
        await acd.post(f"/dnc-groups/{group_id}/scrubbed-skills/{skill_id}")

    entries = (await dial(api, skill_id))["entries"]
    assert [(e["listId"], e["externalId"]) for e in entries] == [
        (first, "c1"),
        (first, "c2"),
        (first, "c3"),
        (second, "m1"),
    ]  # the deleted list is not dialled
    assert (entries[3]["phone"], entries[3]["outcome"]) == ("3125550199", "scrubbed")
    assert entries[3]["dncGroupIds"] == sorted(groups)


async def test_the_log_filters_by_skill_clears_and_resets(acd: Acd, api: httpx.AsyncClient) -> None:
    one = await skill_with_list(acd, "One PC")
    two = await skill_with_list(acd, "Two PC", "contact_id,phone\nt1,3125550101\n")
    await dial(api, one)
    await dial(api, two)
    log = "/_sim/admin/dial-log"
    assert len((await api.get(log)).json()["entries"]) == 4
    only_two = (await api.get(log, params={"skillId": two})).json()["entries"]
    assert [(e["skillId"], e["externalId"]) for e in only_two] == [(two, "t1")]

    cleared = await api.delete(log)
    assert (cleared.status_code, cleared.content) == (204, b"")
    assert (await api.get(log)).json() == {"entries": []}
    await dial(api, one)
    assert (await api.post("/_sim/admin/reset")).status_code == 200
    assert (await api.get(log)).json() == {"entries": []}


async def test_an_unknown_skill_is_404(api: httpx.AsyncClient) -> None:
    assert (await api.post("/_sim/admin/skills/4999999/dial")).status_code == 404


def test_the_module_example_runs() -> None:
    assert doctest.testmod(dialer).failed == 0
