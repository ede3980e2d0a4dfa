"""Reading call attempts back, removing records and finding a number's records, on both
clients, against the shapes each platform answers (respx fixtures).

NICE CXone (shapes from calljacob/nice-cxone-api): `GET /contacts/completed` pages of
`completedContacts` with numbers as strings and 204 when empty, `GET /dispositions`,
`removeProspects` with `successfulRecords`/`failedRecords` arrays, `includeRecords=true`
pages, contributing skills. The described simulator: `.../outcomes` pages, `DELETE` of a
contact, the `phoneNumber==` query.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
import respx
from pydantic import ValidationError

from cxone import (
    AttemptResult,
    CallAttempt,
    CXoneClient,
    CXoneNotFound,
    CXoneUnsupported,
    RemovalResult,
)

from .conftest import BASE as DESCRIBED
from .test_admin_client import BASE, client, signed_in

SINCE = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
UNTIL = SINCE + dt.timedelta(days=1)
DISPOSITIONS = {
    "totalRecords": 3,
    "dispositions": [
        {"dispositionId": 2002, "dispositionName": "No Answer", "systemOutcome": "NoAnswer"},
        {"dispositionId": 2005, "dispositionName": "Do Not Call", "systemOutcome": "DoNotCall"},
        {"dispositionId": 2001, "dispositionName": "Sale/Completed", "systemOutcome": "Success"},
    ],
}


def completed(contact_id: int, **fields: object) -> dict:
    """A completed contact as the stand-in answers it: every number a string."""
    return {
        "contactId": str(contact_id),
        "isOutbound": True,
        "skillId": "4100001",
        "toAddress": "2125550101",
        "fromAddress": "8005550100",
        "contactStartDate": "2026-03-02T15:00:00.000Z",
        "totalDurationSeconds": "72",
        "agentSeconds": "60",
        "abandoned": False,
        "abandonSeconds": "0",
        "primaryDispositionId": "2001",
        "secondaryDispositionId": "0",
        "endReason": "Contact Hung Up",
        "lastUpdateTime": "2026-03-02T15:01:12.000Z",
        **fields,
    }


async def attempts_of(platform, campaign_id: str, since=SINCE, until=UNTIL) -> list[list]:
    return [page async for page in platform.call_attempts(campaign_id, since, until)]


@respx.mock
async def test_nice_attempts_page_through_completed_contacts_with_disposition_names(sleep, caplog):
    signed_in(respx)
    listed = respx.get(f"{BASE}/dispositions").mock(
        return_value=httpx.Response(200, json=DISPOSITIONS)
    )
    one = respx.get(f"{BASE}/dispositions/2004").mock(
        return_value=httpx.Response(
            200, json={"dispositionId": 2004, "dispositionName": "Answering Machine"}
        )
    )
    first = [completed(700000001 + i) for i in range(100)]
    first[1] |= {"primaryDispositionId": "2002", "agentSeconds": "0", "endReason": "No Answer"}
    first[2] |= {"primaryDispositionId": "0", "agentSeconds": "0", "abandoned": "true"}
    first[3] |= {"primaryDispositionId": 2004, "agentSeconds": 0, "toAddress": "+1 212 555 0199"}
    first[4] |= {"isOutbound": False}  # an inbound contact on the skill: not an attempt
    first[5] |= {"toAddress": "anonymous"}
    first[6] |= {"primaryDispositionId": "2005", "contactStartDate": "2026-03-03T15:00:00Z"}
    pages = respx.get(f"{BASE}/contacts/completed").mock(
        side_effect=[
            httpx.Response(200, json={"totalRecords": "101", "completedContacts": first}),
            # The other name the generated types give the array.
            httpx.Response(200, json={"totalRecords": "101", "contacts": [completed(700000101)]}),
            httpx.Response(204),
        ]
    )
    until = UNTIL - dt.timedelta(microseconds=500)  # a second's fraction: the end rounds up
    async with client(sleep) as admin:
        read = await attempts_of(admin, "4100001", until=until)
        again = await attempts_of(admin, "4100001")
    assert [len(page) for page in read] == [97, 1] and again == []
    assert listed.call_count == 1 and one.call_count == 1  # the list once, a missing id once
    params = [dict(call.request.url.params) for call in pages.calls]
    assert params[:2] == [
        {
            "skillId": "4100001",
            "startDate": "2026-03-02T15:00:00Z",
            "endDate": "2026-03-03T15:00:00Z",
            "skip": str(skip),
            "top": "100",
        }
        for skip in (0, 100)
    ]
    sale, no_answer, abandoned, machine = read[0][:4]
    assert sale == CallAttempt(
        attempt_id="700000001",
        campaign_id="4100001",
        number="2125550101",
        attempted_at=SINCE,
        result=AttemptResult.ANSWERED,
        disposition_id="2001",
        disposition_name="Sale/Completed",
        contact_id="700000001",
    )
    assert (no_answer.result, no_answer.disposition_name) == ("no_answer", "No Answer")
    assert (abandoned.result, abandoned.disposition_id, abandoned.disposition_name) == (
        "abandoned",
        None,
        None,
    )
    assert (machine.result, machine.number, machine.disposition_id) == (
        "machine",
        "2125550199",
        "2004",
    )
    ids = {a.attempt_id for page in read for a in page}
    assert "700000005" not in ids and "700000006" not in ids
    # After `until`: outside [since, until) even when the rounded end lets it in.
    assert "700000007" not in ids
    assert "has no NANP toAddress (<no digits>)" in caplog.text  # what it was, masked


@respx.mock
async def test_nice_attempts_of_a_quiet_skill_are_none(sleep):
    signed_in(respx)
    respx.get(f"{BASE}/contacts/completed").mock(return_value=httpx.Response(204))
    async with client(sleep) as admin:
        assert await attempts_of(admin, "4100001") == []


@respx.mock
async def test_nice_removal_batches_external_ids_by_list_name(sleep):
    signed_in(respx)
    path = f"{BASE}/lists/call-lists/Spring%20Renewals%2FEast/removeProspects"
    ids = [f"c{n:03d}" for n in range(150)]
    route = respx.delete(path).mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "successfulRecords": [
                        {"externalId": i, "resultCode": "Success"} for i in ids[:99]
                    ],
                    "failedRecords": [{"externalId": "c099", "resultCode": "NotFound"}],
                },
            ),
            # A count instead of the array, and a failure that names an error.
            httpx.Response(
                200,
                json={
                    "successfulRecords": "49",
                    "failedRecords": [{"externalId": 149, "error": "x"}],
                },
            ),
        ]
    )
    respx.delete(f"{BASE}/lists/call-lists/Nope/removeProspects").mock(
        return_value=httpx.Response(404, json={"error": "NotFound"})
    )
    async with client(sleep) as admin:
        result = await admin.remove_contacts("Spring Renewals/East", ids + ids[:3])
        with pytest.raises(CXoneNotFound):  # no list of that name
            await admin.remove_contacts("Nope", ["c1"])
    assert result == RemovalResult(removed=148, failures=[("c099", "NotFound"), ("149", "x")])
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert [len(body["prospectsToRemove"]) for body in bodies] == [100, 50]
    assert bodies[1]["prospectsToRemove"][0] == {"externalId": "c100"}


@respx.mock
async def test_nice_finds_a_numbers_records_by_reading_the_lists_of_that_name(sleep):
    signed_in(respx)
    respx.get(f"{BASE}/lists/call-lists").mock(
        return_value=httpx.Response(
            200,
            json={
                "resultSet": {
                    "totalRecords": "3",
                    "callingLists": [
                        {"listId": 5001, "listName": "Renewals"},
                        {"listId": 5002, "listName": "Other"},
                        {"listId": "5003", "listName": "Renewals"},
                    ],
                }
            },
        )
    )
    filler = [{"ExternalId": f"f{n}", "PhoneNumber": "3125550100"} for n in range(98)]
    first_page = [
        {"ExternalId": "a", "PhoneNumber": "2125550101"},
        {"externalId": 7, "phoneNumber": "+1 (212) 555-0102", "MobileNumber": "2125550101"},
        *filler,
    ]
    records = respx.get(f"{BASE}/lists/call-lists/5001").mock(
        side_effect=[
            httpx.Response(200, json={"resultSet": {"contactRecords": first_page}}),
            httpx.Response(200, json={"resultSet": {"contactRecords": []}}),
        ]
    )
    respx.get(f"{BASE}/lists/call-lists/5003").mock(
        return_value=httpx.Response(
            200,
            json={"resultSet": {"contactRecords": [{"ExternalId": "b", "Phone": "2125550101"}]}},
        )
    )
    async with client(sleep) as admin:
        found = await admin.contacts_with_number(
            "Renewals", ["(212) 555-0101", "2125550102", "2125550199", "12125550101"]
        )
        with pytest.raises(ValueError, match="555-01"):
            await admin.contacts_with_number("Renewals", ["555-01"])
        with pytest.raises(CXoneNotFound, match="Missing"):
            await admin.contacts_with_number("Missing", ["2125550101"])
    assert found == {"2125550101": ["a", "7", "b"], "2125550102": ["7"], "2125550199": []}
    assert [dict(c.request.url.params) for c in records.calls] == [
        {"includeRecords": "true", "skip": "0", "top": "100"},
        {"includeRecords": "true", "skip": "100", "top": "100"},
    ]


@respx.mock
async def test_nice_contributing_skills_are_wired_and_read_back(sleep):
    signed_in(respx)
    wire = respx.post(f"{BASE}/dnc-groups/301/contributing-skills/4100001").mock(
        return_value=httpx.Response(202)
    )
    respx.get(f"{BASE}/dnc-groups/301/contributing-skills").mock(
        return_value=httpx.Response(
            200,
            json={
                "totalRecords": 2,
                "contributingSkills": [{"skillId": 4100001}, {"skillId": "7"}],
            },
        )
    )
    respx.get(f"{BASE}/dnc-groups/302/contributing-skills").mock(return_value=httpx.Response(204))
    async with client(sleep) as admin:
        assert await admin.contribute_skill("301", "4100001") is None
        assert await admin.contributing_skills("301") == {"4100001", "7"}
        assert await admin.contributing_skills("302") == set()
    assert wire.call_count == 1


# The described simulator.

OUTCOMES = f"{DESCRIBED}/api/v2/omnichannel/campaigns/cmp_1/outcomes"
CONTACTS = f"{DESCRIBED}/api/v2/omnichannel/contactlists/CL-1/contacts"


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{DESCRIBED}/api/v2/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        )
        yield router


def outcome(number: int, **fields: object) -> dict:
    return {
        "id": f"out_{number:07d}",
        "campaignId": "cmp_1",
        "contactId": f"c{number}",
        "phoneNumber": "+12125550101",
        "attemptedAt": "2026-03-02T15:00:00.000Z",
        "result": "busy",
        "disposition": {"code": "BUSY", "name": "Busy"},
        **fields,
    }


async def test_described_attempts_page_through_outcomes(api, config, policy, caplog):
    pages = api.get(OUTCOMES).mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "outcomes": [
                        outcome(1),
                        outcome(2, result="abandoned", disposition=None),
                        outcome(3, result="fax", phoneNumber="(212) 555-0103"),
                    ],
                    "page": 1,
                    "pageSize": 3,
                    "totalCount": 5,
                },
            ),
            httpx.Response(
                200,
                json={
                    "outcomes": [outcome(4, phoneNumber="n/a"), outcome(5)],
                    "page": 2,
                    "pageSize": 3,
                    "totalCount": 5,
                },
            ),
        ]
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        read = await attempts_of(
            client, "cmp_1", since=SINCE.astimezone(dt.timezone(dt.timedelta(hours=-5)))
        )
    assert [[a.attempt_id for a in page] for page in read] == [
        ["out_0000001", "out_0000002", "out_0000003"],
        ["out_0000005"],
    ]
    busy, abandoned, odd = read[0]
    assert (busy.result, busy.disposition_id, busy.disposition_name, busy.contact_id) == (
        "busy",
        "BUSY",
        "Busy",
        "c1",
    )
    assert (abandoned.result, abandoned.disposition_id) == ("abandoned", None)
    assert (odd.result, odd.number) == (AttemptResult.OTHER, "2125550103")
    assert "out_0000004 has no NANP number" in caplog.text
    assert [dict(c.request.url.params) for c in pages.calls] == [
        {
            "since": "2026-03-02T15:00:00Z",
            "until": "2026-03-03T15:00:00Z",
            "pageSize": "100",
            "page": str(n),
        }
        for n in (1, 2)
    ]


async def test_described_removal_deletes_each_contact_once_with_its_own_key(api, config, policy):
    gone = api.delete(f"{CONTACTS}/c1").mock(return_value=httpx.Response(204))
    api.delete(f"{CONTACTS}/c2").mock(
        return_value=httpx.Response(404, json={"message": "contact 'c2' not found"})
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        result = await client.remove_contacts("CL-1", ["c1", "c2", "c1"])
    assert result.removed == 1 and gone.call_count == 1
    [(contact_id, reason)] = result.failures
    assert contact_id == "c2" and "not found" in reason
    assert gone.calls[0].request.headers["X-Idempotency-Key"]


async def test_described_finds_a_numbers_contacts_with_one_query_each(api, config, policy):
    def answer(request: httpx.Request) -> httpx.Response:
        holders = {"phoneNumber==+12125550101": ["c1", "c9"], "phoneNumber==+12125550102": []}
        ids = holders[request.url.params["query"]]
        contacts = [{"id": i, "phoneNumber": "+12125550101"} for i in ids]
        return httpx.Response(
            200, json={"contacts": contacts, "page": 1, "pageSize": 100, "totalCount": len(ids)}
        )

    route = api.get(CONTACTS).mock(side_effect=answer)
    async with CXoneClient(config, retry_policy=policy) as client:
        found = await client.contacts_with_number("CL-1", ["+1 212 555 0101", "2125550102"])
        with pytest.raises(ValueError, match="12345"):
            await client.contacts_with_number("CL-1", ["12345"])
    assert found == {"2125550101": ["c1", "c9"], "2125550102": []}
    assert sorted(c.request.url.params["query"] for c in route.calls) == [
        "phoneNumber==+12125550101",
        "phoneNumber==+12125550102",
    ]


async def test_described_has_no_contributing_skills(config, policy):
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneUnsupported, match="no calling lists"):
            await client.contribute_skill("301", "4100001")
        with pytest.raises(CXoneUnsupported):
            await client.contributing_skills("301")


def test_a_call_attempt_holds_ten_digits_in_utc_and_cannot_change() -> None:
    attempt = CallAttempt(
        attempt_id="1",
        campaign_id="cmp_1",
        number="2125550101",
        attempted_at=dt.datetime(2026, 3, 2, 15),  # naive: UTC
        result="machine",
    )
    assert attempt.attempted_at.tzinfo is dt.UTC and attempt.disposition_id is None
    with pytest.raises(ValidationError):
        attempt.number = "2125550102"
    for number in ("12125550101", "212555010", "1125550101"):
        with pytest.raises(ValidationError):
            CallAttempt(**{**attempt.model_dump(), "number": number})
    with pytest.raises(ValidationError):
        CallAttempt(**{**attempt.model_dump(), "result": "voicemail"})
