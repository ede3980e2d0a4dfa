"""The stand-in's dialer over a day: zone windows, call request times, attempt limits and
spacing, scrub groups added mid-day, removed records, and an agent's opt-out reaching the
DNC groups the skill contributes to. Every run moves the fake clock; nothing sleeps."""

from __future__ import annotations

import doctest
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

import simulator.dialing
from simulator import FakeClock, SystemClock
from simulator.admin import attempts, dispositions, zones
from simulator.dialing import DialUntil, run_steps
from simulator.errors import ApiError

from .conftest import ADMIN_START, Acd
from .test_admin_dnc import add, group

DAY_END = ADMIN_START + timedelta(days=1)  # 2026-03-03 15:00 UTC
HEADER = "contact_id,phone,zone,request\n"
DO_NOT_CALL = 2005
EAST = "Eastern Standard Time"
HOURLY = {"maxAttemptsPerRecord": 100, "retryMinutes": 60}  # as often as an hour apart


async def dialing_skill(acd: Acd, csv: str, name: str = "Day PC", start: bool = True) -> int:
    """A running skill dialing one list of `csv` (columns of `HEADER`)."""
    skill_id = await acd.pc_skill(name)
    list_id = await acd.calling_list(
        f"{name} list", timeZoneColumn="zone", callRequestTimeColumn="request"
    )
    job = (await acd.upload(list_id, HEADER + csv, skillId=skill_id, startSkill=start)).json()
    await acd.finish(job["jobId"])
    return skill_id


async def eastern_pair(acd: Acd, first: str, second: str) -> int:
    """A running skill dialing two New York numbers, 2125550101 and 2125550102."""
    csv = f"{first},2125550101,{EAST},\n{second},2125550102,{EAST},\n"
    return await dialing_skill(acd, csv)


def times(answer: dict, external_id: str) -> list[datetime]:
    return [
        datetime.fromisoformat(a["at"])
        for a in answer["attempts"]
        if a["externalId"] == external_id
    ]


async def test_each_record_is_first_dialled_when_its_zone_and_request_time_allow(
    acd: Acd, api: httpx.AsyncClient, admin_clock: FakeClock, dial_until: Callable
) -> None:
    # 15:00 UTC is 10:00 in New York, 07:00 in Los Angeles, 05:00 in Honolulu.
    skill_id = await dialing_skill(
        acd,
        "east,2125550101,Eastern Standard Time,\n"
        "west,2135550102,Pacific Standard Time,\n"
        "hawaii,8085550103,Hawaiian Standard Time,\n"
        "later,2125550104,Eastern Standard Time,2026-03-02 14:00:00\n"
        "iana,3125550105,America/Chicago,03/02/2026 12:30\n"
        "nozone,2125550106,,\n"
        "badtime,2125550107,Eastern Standard Time,whenever\n",
    )
    answer = await dial_until(skill_id, DAY_END, maxAttemptsPerRecord=1)

    first = {a["externalId"]: a["at"] for a in answer["attempts"]}
    assert first == {
        "east": "2026-03-02T15:00:00.000Z",
        "west": "2026-03-02T16:00:00.000Z",  # 08:00 Pacific
        "hawaii": "2026-03-02T18:00:00.000Z",  # 08:00 Hawaii
        "later": "2026-03-02T19:00:00.000Z",  # 14:00 Eastern, as requested
        "iana": "2026-03-02T18:30:00.000Z",  # 12:30 Central
    }  # no zone, or a request time that is no time: never dialled
    assert answer["from"] == "2026-03-02T15:00:00.000Z"
    assert answer["until"] == "2026-03-03T15:00:00.000Z"
    assert admin_clock.now() == DAY_END
    assert sum(answer["counts"].values()) == 5
    assert set(answer["counts"]) == {"answered", "no_answer", "busy", "abandoned", "machine"}


async def test_attempts_stay_inside_the_window_and_respect_the_limits_across_runs(
    acd: Acd, api: httpx.AsyncClient, dial_until: Callable
) -> None:
    skill_id = await eastern_pair(acd, "often", "thrice")
    answer = await dial_until(skill_id, DAY_END, **HOURLY)
    often = times(answer, "often")
    # Hourly from 10:00 to 20:00 Eastern, then 08:00 and 09:00 the next morning.
    assert len(often) == 13
    assert {t.astimezone(ZoneInfo("America/New_York")).hour for t in often} == set(range(8, 21))
    assert all(b - a >= timedelta(minutes=60) for a, b in itertools.pairwise(often))

    limited = await dial_until(
        skill_id, DAY_END + timedelta(days=1), maxAttemptsPerRecord=15, retryMinutes=90
    )
    # 13 attempts already count: two more, 90 minutes apart, then none.
    again = times(limited, "often")
    assert again[1] - again[0] == timedelta(minutes=90) and len(again) == 2
    log = (await api.get("/_sim/admin/attempts", params={"skillId": skill_id})).json()
    assert sum(a["externalId"] == "often" for a in log["attempts"]) == 15


async def test_a_group_added_mid_day_stops_its_numbers_from_the_next_step(
    acd: Acd, api: httpx.AsyncClient, dial_until: Callable
) -> None:
    skill_id = await eastern_pair(acd, "keep", "stop")
    morning = await dial_until(skill_id, ADMIN_START + timedelta(hours=2), **HOURLY)
    assert len(times(morning, "stop")) == 2  # 15:00 and 16:00 UTC
    blocking = await group(acd, "Opt-outs")
    await add(acd, blocking, {"phoneNumber": 2125550102})
    await acd.post(f"/dnc-groups/{blocking}/scrubbed-skills/{skill_id}")
    elsewhere = await group(acd, "Other skills")
    await add(acd, elsewhere, {"phoneNumber": 2125550101})  # scrubs no skill: blocks nothing

    rest = await dial_until(skill_id, DAY_END, **HOURLY)
    assert times(rest, "stop") == []
    assert len(times(rest, "keep")) == 11


async def test_removed_records_are_never_dialled_again(
    acd: Acd, api: httpx.AsyncClient, dial_until: Callable
) -> None:
    skill_id = await eastern_pair(acd, "stay", "go")
    await dial_until(skill_id, ADMIN_START + timedelta(hours=1), **HOURLY)
    body = {"prospectsToRemove": [{"externalId": "go"}, {"externalId": "nobody"}]}
    removed = await acd.delete("/lists/call-lists/Day PC list/removeProspects", json=body)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {
        "successfulRecords": [{"externalId": "go", "resultCode": "Success"}],
        "failedRecords": [{"externalId": "nobody", "resultCode": "NotFound"}],
    }

    rest = await dial_until(skill_id, DAY_END, **HOURLY)
    assert times(rest, "go") == [] and len(times(rest, "stay")) == 12


async def test_an_agent_opt_out_ends_the_call_and_reaches_the_contributing_groups(
    acd: Acd, api: httpx.AsyncClient, dial_until: Callable
) -> None:
    numbers = [f"21255501{n:02d}" for n in range(1, 7)]
    csv = "".join(f"r{i},{number},Eastern Standard Time,\n" for i, number in enumerate(numbers))
    skill_id = await dialing_skill(acd, csv)
    collects = await group(acd, "Collects only")
    both = await group(acd, "Collects and scrubs")
    for group_id in (collects, both):
        response = await acd.post(f"/dnc-groups/{group_id}/contributing-skills/{skill_id}")
        assert response.status_code == 202
    await acd.post(f"/dnc-groups/{both}/scrubbed-skills/{skill_id}")
    pending = await api.put("/_sim/admin/dispositions", json=dict.fromkeys(numbers, DO_NOT_CALL))
    assert pending.json() == {"pending": dict.fromkeys(numbers, DO_NOT_CALL)}

    answer = await dial_until(skill_id, DAY_END, maxAttemptsPerRecord=5, retryMinutes=60)
    answered = [a for a in answer["attempts"] if a["result"] == "answered"]
    assert answered, "the seed answers some call"  # deterministic
    opted_out = {a["phone"]: a["at"] for a in answered}
    assert all(a["dispositionId"] == DO_NOT_CALL for a in answered)
    by_result = {"no_answer": 2002, "busy": 2003, "machine": 2004, "abandoned": None}
    for attempt in answer["attempts"]:
        if attempt["result"] != "answered":
            assert attempt["dispositionId"] == by_result[attempt["result"]]
    # Each opted-out number sits in both groups from its call on, and is never dialled again.
    groups = {
        g["dncGroupId"]: g for g in (await api.get("/_sim/admin/dnc-groups")).json()["dncGroups"]
    }
    for group_id in (collects, both):
        held = {n["phoneNumber"]: n["dateCollected"] for n in groups[group_id]["numbers"]}
        assert held == opted_out
    assert groups[both]["contributingSkillIds"] == [skill_id]
    for phone, at in opted_out.items():
        later = [a for a in answer["attempts"] if a["phone"] == phone and a["at"] > at]
        assert later == []
    # The numbers never answered keep their disposition for their next answered call.
    left = (await api.put("/_sim/admin/dispositions", json={})).json()["pending"]
    assert set(left) == set(numbers) - set(opted_out)


async def test_a_stopped_skill_dials_nothing_but_the_clock_moves(
    acd: Acd, api: httpx.AsyncClient, admin_clock: FakeClock, dial_until: Callable
) -> None:
    skill_id = await dialing_skill(acd, "x,2125550101,Eastern Standard Time,\n", start=False)
    answer = await dial_until(skill_id, DAY_END)
    assert answer["attempts"] == [] and answer["counts"]["answered"] == 0
    assert admin_clock.now() == DAY_END


async def test_the_logs_show_attempts_and_a_reset_forgets_them(
    acd: Acd, api: httpx.AsyncClient, dial_until: Callable
) -> None:
    skill_id = await dialing_skill(acd, "x,2125550101,Eastern Standard Time,\n")
    answer = await dial_until(skill_id, ADMIN_START + timedelta(minutes=1))
    [attempt] = answer["attempts"]
    assert attempt["contactId"] == 700000001 and attempt["listId"] > 0
    [entry] = (await api.get("/_sim/admin/dial-log")).json()["entries"]
    assert entry == {**attempt, "outcome": "attempted", "dncGroupIds": []}
    assert (await api.get("/_sim/admin/attempts", params={"skillId": 1})).json() == {"attempts": []}
    await api.post("/_sim/admin/reset")
    assert (await api.get("/_sim/admin/attempts")).json() == {"attempts": []}


async def test_the_same_seed_dials_the_same_day(
    acd: Acd, api: httpx.AsyncClient, access_token, admin_clock: FakeClock, dial_until: Callable
) -> None:
    csv = "".join(f"r{n},21255501{n:02d},Eastern Standard Time,\n" for n in range(1, 11))

    async def day(client: Acd) -> list[tuple[str, timedelta, str]]:
        start = admin_clock.now()
        skill_id = await dialing_skill(client, csv)
        answer = await dial_until(skill_id, start + timedelta(days=1))
        return [
            (a["externalId"], datetime.fromisoformat(a["at"]) - start, a["result"])
            for a in answer["attempts"]
        ]

    async def fresh() -> Acd:
        await api.post("/_sim/admin/reset")  # ids count from the start again; the clock does not
        token = (await access_token())["access_token"]
        return Acd(api, {"Authorization": f"Bearer {token}", "Accept": "application/json"})

    first = await day(acd)
    again = await day(await fresh())
    assert first == again and len(first) == 30
    await api.patch("/_sim/admin/config", json={"seed": 8})
    other = await day(await fresh())
    assert [r for *_, r in other] != [r for *_, r in first]


async def test_bad_runs_are_refused(acd: Acd, api: httpx.AsyncClient) -> None:
    skill_id = await dialing_skill(acd, "x,2125550101,Eastern Standard Time,\n")
    path = f"/_sim/admin/skills/{skill_id}/dial-until"
    before = await api.post(path, json={"until": "2026-03-01T00:00:00Z"})
    assert before.status_code == 400 and "before" in before.json()["message"]
    naive = await api.post(path, json={"until": "2026-03-03T00:00:00"})
    assert naive.status_code == 400
    assert (
        await api.post(path, json={"until": DAY_END.isoformat(), "stepMinutes": 0})
    ).status_code == 400
    unknown = await api.post(
        "/_sim/admin/skills/4999999/dial-until", json={"until": DAY_END.isoformat()}
    )
    assert unknown.status_code == 404
    bad = await api.put("/_sim/admin/dispositions", json={"555": DO_NOT_CALL})
    assert bad.status_code == 400
    unknown_disposition = await api.put("/_sim/admin/dispositions", json={"2125550101": 9})
    assert unknown_disposition.status_code == 400


def test_a_run_needs_a_clock_it_can_move() -> None:
    rules = DialUntil(until=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(ApiError) as refused:
        run_steps(SystemClock(), rules, lambda at: None)
    assert refused.value.status == 409


@pytest.mark.parametrize("module", [simulator.dialing, attempts, dispositions, zones])
def test_the_module_examples_run(module) -> None:
    assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
