"""The described simulator's dialer, call outcomes, contact removal and phone queries (none
of them in the tutorial). Every run moves the fake clock; nothing sleeps."""

from __future__ import annotations

import doctest
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import simulator.contacts
import simulator.outcomes
from simulator import FakeClock, SimulatorConfig, SystemClock, create_app

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
DAY_END = START + timedelta(days=1)
LIST = "/_sim/contactlists"
API = "/api/v2/omnichannel"
CONSENT = {"outbound": {"call": True, "revokedAt": None}}


def contact(contact_id: str, phone: object, **fields: object) -> dict:
    return {"id": contact_id, "phoneNumber": phone, "consentFlags": CONSENT, **fields}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def app(config: SimulatorConfig, clock: FakeClock):
    return create_app(config, clock)


@pytest.fixture
def campaign(client: httpx.AsyncClient, get_headers: Callable, campaign_payload) -> Callable:
    """`await campaign(*contacts, status="active")`: a campaign dialing a list of them."""

    async def create(*contacts: dict, status: str = "active") -> str:
        list_id = f"L-{len(contacts)}-{status}"
        await client.post(LIST, json={"list_id": list_id, "count": 0})
        await client.post(f"{LIST}/{list_id}/contacts", json={"contacts": list(contacts)})
        payload = campaign_payload(contactListId=list_id, status=status)
        response = await client.post(f"{API}/campaigns", json=payload, headers=await get_headers())
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return create


async def dial(client: httpx.AsyncClient, campaign_id: str, until: datetime, **rules) -> dict:
    body = {"until": until.isoformat(), **rules}
    response = await client.post(f"/_sim/campaigns/{campaign_id}/dial-until", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def first_attempts(answer: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for attempt in answer["attempts"]:
        found.setdefault(attempt["contactId"], attempt["attemptedAt"])
    return found


async def test_only_consented_callable_contacts_are_dialled_in_their_own_hours(
    client: httpx.AsyncClient, campaign: Callable, clock: FakeClock
) -> None:
    campaign_id = await campaign(
        contact("ny", "(212) 555-0101", doNotCall=False),
        contact("la", "+1 213 555 0102"),
        contact("hi", "808.555.0103"),
        contact("toronto", "+1 416 555 0104"),  # a zone from phonenumbers
        contact("dnc", "2125550105", doNotCall=True),
        contact("odd-dnc", "2125550106", doNotCall="yes"),
        contact(
            "revoked", "2125550107", consentFlags={"outbound": {"call": True, "revokedAt": "x"}}
        ),
        contact("refused", "2125550108", consentFlags={"outbound": {"call": False}}),
        {"id": "silent", "phoneNumber": "2125550109"},
        contact("broken", "CALL-ME-NOW"),
    )
    answer = await dial(client, campaign_id, DAY_END, maxAttemptsPerRecord=1)
    assert first_attempts(answer) == {
        "ny": "2026-03-02T15:00:00.000Z",
        "toronto": "2026-03-02T15:00:00.000Z",
        "la": "2026-03-02T16:00:00.000Z",  # 08:00 Pacific
        "hi": "2026-03-02T18:00:00.000Z",  # 08:00 Hawaii
    }
    assert (answer["from"], answer["until"]) == (
        "2026-03-02T15:00:00.000Z",
        "2026-03-03T15:00:00.000Z",
    )
    assert clock.now() == DAY_END
    assert sum(answer["counts"].values()) == 4
    [ny] = [a for a in answer["attempts"] if a["contactId"] == "ny"]
    assert ny["phoneNumber"] == "+12125550101" and ny["campaignId"] == campaign_id
    assert ny["result"] in answer["counts"]


async def test_attempts_keep_to_the_window_the_limit_and_the_spacing(
    client: httpx.AsyncClient, campaign: Callable
) -> None:
    campaign_id = await campaign(contact("ny", "2125550101"))
    day = await dial(client, campaign_id, DAY_END, maxAttemptsPerRecord=100, retryMinutes=60)
    times = [datetime.fromisoformat(a["attemptedAt"]) for a in day["attempts"]]
    assert len(times) == 13  # 10:00-20:00 Eastern, then 08:00 and 09:00
    assert times[-1] == datetime(2026, 3, 3, 14, tzinfo=UTC)
    more = await dial(
        client, campaign_id, DAY_END + timedelta(days=1), maxAttemptsPerRecord=14, retryMinutes=30
    )
    assert [a["attemptedAt"] for a in more["attempts"]] == ["2026-03-03T15:00:00.000Z"]
    listed = (await client.get("/_sim/attempts", params={"campaignId": campaign_id})).json()
    assert len(listed["attempts"]) == 14
    assert (await client.get("/_sim/attempts", params={"campaignId": "other"})).json() == {
        "attempts": []
    }


async def test_a_paused_campaign_dials_nothing(
    client: httpx.AsyncClient, campaign: Callable, clock: FakeClock
) -> None:
    campaign_id = await campaign(contact("ny", "2125550101"), status="paused")
    answer = await dial(client, campaign_id, START + timedelta(hours=3))
    assert answer["attempts"] == [] and clock.now() == START + timedelta(hours=3)


async def test_a_removed_contact_is_never_dialled_again(
    client: httpx.AsyncClient, campaign: Callable, get_headers: Callable
) -> None:
    campaign_id = await campaign(contact("stay", "2125550101"), contact("go", "2125550102"))
    hourly = {"maxAttemptsPerRecord": 100, "retryMinutes": 60}
    await dial(client, campaign_id, START + timedelta(hours=1), **hourly)
    path = f"{API}/contactlists/L-2-active/contacts/go"
    headers = {**await get_headers(), "X-Idempotency-Key": "remove-go"}
    removed = await client.delete(path, headers=headers)
    assert (removed.status_code, removed.content) == (204, b"")
    replay = await client.delete(path, headers=headers)  # a retry of the same request
    assert replay.status_code == 204 and replay.headers["Idempotent-Replayed"] == "true"
    again = await client.delete(path, headers=await get_headers())
    assert again.status_code == 404
    reader = await get_headers("omnichannel:contactlists:read")
    assert (await client.delete(path, headers=reader)).status_code == 403
    gone_list = await client.delete(
        f"{API}/contactlists/NOPE/contacts/go", headers=await get_headers()
    )
    assert gone_list.status_code == 404

    rest = await dial(client, campaign_id, DAY_END, **hourly)
    assert {a["contactId"] for a in rest["attempts"]} == {"stay"}
    # What was attempted before the removal is still reported.
    outcomes = (
        await client.get(f"{API}/campaigns/{campaign_id}/outcomes", headers=await get_headers())
    ).json()["outcomes"]
    assert [o["contactId"] for o in outcomes[:2]] == ["go", "stay"]


async def test_an_agent_opt_out_ends_the_next_answered_call(
    client: httpx.AsyncClient, campaign: Callable
) -> None:
    numbers = [f"21255501{n:02d}" for n in range(1, 7)]
    campaign_id = await campaign(*(contact(f"c{n}", number) for n, number in enumerate(numbers)))
    formats = {f"+1{numbers[0]}": "DNC", **dict.fromkeys(numbers[1:], "DNC")}
    pending = (await client.put("/_sim/dispositions", json=formats)).json()["pending"]
    assert pending == dict.fromkeys(numbers, "DNC")

    answer = await dial(client, campaign_id, DAY_END, maxAttemptsPerRecord=3)
    answered = [a for a in answer["attempts"] if a["result"] == "answered"]
    assert answered, "the seed answers some call"  # deterministic
    first_answer = {}
    for attempt in answered:
        first_answer.setdefault(attempt["phoneNumber"], attempt)
    for attempt in first_answer.values():
        assert attempt["disposition"] == {"code": "DNC", "name": "Do Not Call"}
    later = [a for a in answered if a not in first_answer.values()]
    assert all(a["disposition"]["code"] in ("SALE", "CB", "WRONG") for a in later)
    systems = {"no_answer": "NA", "busy": "BUSY", "machine": "AM"}
    for attempt in answer["attempts"]:
        if attempt["result"] in systems:
            assert attempt["disposition"]["code"] == systems[attempt["result"]]
        if attempt["result"] == "abandoned":
            assert attempt["disposition"] is None
    left = (await client.put("/_sim/dispositions", json={})).json()["pending"]
    assert set(left) == {n for n in numbers if f"+1{n}" not in first_answer}
    assert (await client.put("/_sim/dispositions", json={"555": "DNC"})).status_code == 400
    assert (await client.put("/_sim/dispositions", json={numbers[0]: "NOPE"})).status_code == 400


async def test_outcomes_are_filtered_paged_and_scoped(
    client: httpx.AsyncClient, campaign: Callable, get_headers: Callable
) -> None:
    campaign_id = await campaign(contact("a", "2125550101"), contact("b", "2125550102"))
    answer = await dial(client, campaign_id, DAY_END, maxAttemptsPerRecord=2, retryMinutes=120)
    made = answer["attempts"]
    assert len(made) == 4
    headers = await get_headers("analytics:read")
    path = f"{API}/campaigns/{campaign_id}/outcomes"

    everything = (await client.get(path, headers=headers)).json()
    assert everything == {"outcomes": made, "page": 1, "pageSize": 100, "totalCount": 4}
    assert set(made[0]) == {
        "id", "campaignId", "contactId", "phoneNumber", "attemptedAt", "result", "disposition"
    }  # fmt: skip
    later = made[2]["attemptedAt"]
    window = {"since": made[0]["attemptedAt"], "until": later}
    early = (await client.get(path, params=window, headers=headers)).json()
    assert early["outcomes"] == made[:2] and early["totalCount"] == 2
    offset = {"since": "2026-03-02T12:00:00-05:00"}  # 17:00 UTC, any offset
    assert (await client.get(path, params=offset, headers=headers)).json()["outcomes"] == made[2:]
    second = (await client.get(path, params={"page": 2, "pageSize": 3}, headers=headers)).json()
    assert (second["outcomes"], second["totalCount"]) == (made[3:], 4)
    beyond = (await client.get(path, params={"page": 3, "pageSize": 3}, headers=headers)).json()
    assert beyond["outcomes"] == []

    assert (await client.get(path, params={"since": "noon"}, headers=headers)).status_code == 400
    reader = await get_headers("omnichannel:campaigns:read")
    assert (await client.get(path, headers=reader)).status_code == 403
    unknown = await client.get(f"{API}/campaigns/cmp_nope/outcomes", headers=headers)
    assert unknown.status_code == 404


async def test_contacts_are_found_by_number_whatever_its_format(
    client: httpx.AsyncClient, campaign: Callable, get_headers: Callable
) -> None:
    await campaign(
        contact("a", "(212) 555-0101"),
        contact("b", "+12125550102"),
        contact("c", "1-212-555-0101"),
        contact("d", None),
    )
    headers = await get_headers("omnichannel:contactlists:read")
    path = f"{API}/contactlists/L-4-active/contacts"

    async def ids(query: str) -> list[str]:
        response = await client.get(path, params={"query": query}, headers=headers)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["contacts"]]

    assert await ids("phoneNumber==+12125550101") == ["a", "c"]
    assert await ids("phoneNumber==2125550102") == ["b"]
    assert await ids("phoneNumber==+13125550199") == []
    # A literal "+" in a hand-typed query string arrives as a space.
    spaced = await client.get(f"{path}?query=phoneNumber==+12125550101", headers=headers)
    assert [c["id"] for c in spaced.json()["contacts"]] == ["a", "c"]
    bad = await client.get(path, params={"query": "phoneNumber==abc"}, headers=headers)
    assert bad.status_code == 400 and "no valid phone number" in bad.json()["message"]


async def test_runs_are_refused_when_they_cannot_run(
    client: httpx.AsyncClient, campaign: Callable
) -> None:
    campaign_id = await campaign(contact("ny", "2125550101"))
    path = f"/_sim/campaigns/{campaign_id}/dial-until"
    assert (await client.post(path, json={"until": "2026-03-01T00:00:00Z"})).status_code == 400
    assert (await client.post(path, json={"until": DAY_END.isoformat(), "x": 1})).status_code == 400
    unknown = await client.post(
        "/_sim/campaigns/cmp_nope/dial-until", json={"until": DAY_END.isoformat()}
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize("clock", [SystemClock()])
async def test_a_run_on_the_system_clock_is_409(
    client: httpx.AsyncClient, campaign: Callable, clock: SystemClock
) -> None:
    campaign_id = await campaign(contact("ny", "2125550101"))
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    refused = await client.post(f"/_sim/campaigns/{campaign_id}/dial-until", json={"until": until})
    assert refused.status_code == 409 and "FakeClock" in refused.json()["message"]


@pytest.mark.parametrize("module", [simulator.outcomes, simulator.contacts])
def test_the_module_examples_run(module) -> None:
    assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
