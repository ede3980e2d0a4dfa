"""Contact generator realism and determinism; the contacts endpoint's paging, filter, sort."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import phonenumbers
import pytest
import zipcodes
from phonenumbers import timezone as phone_zones

from simulator import ZONES, SimulatorConfig, asgi_transport, create_app, generate_contacts
from simulator.contactlists import CONSENT_QUERY, ContactList

CONTACTS = "/api/v2/omnichannel/contactlists/{}/contacts"
US_ZONES = {
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
}
FORMATS = {
    "(212) 736-5000": r"\(\d{3}\) \d{3}-\d{4}",
    "212.736.5000": r"\d{3}\.\d{3}\.\d{4}",
    "+1-212-736-5000": r"\+1-\d{3}-\d{3}-\d{4}",
    "12127365000": r"1\d{10}",
    "+12127365000": r"\+1\d{10}",
}


def offsets(zone: str) -> tuple:
    """UTC offsets in winter and summer: equal for zones that keep the same clock."""
    return tuple(datetime(2026, month, 15, tzinfo=ZoneInfo(zone)).utcoffset() for month in (1, 7))


def call_consent(contact: dict) -> bool:
    return ((contact.get("consentFlags") or {}).get("outbound") or {}).get("call") is True


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return generate_contacts(4000, seed=7)


@pytest.fixture(scope="module")
def big_list() -> tuple[list[dict], float]:
    started = time.perf_counter()
    contacts = generate_contacts(200_000, seed=3)
    return contacts, time.perf_counter() - started


def test_same_seed_same_list_other_seed_other_list() -> None:
    assert generate_contacts(300, seed=11) == generate_contacts(300, seed=11)
    assert generate_contacts(300, seed=11) != generate_contacts(300, seed=12)


def test_ids_are_zero_padded_in_creation_order(sample: list[dict]) -> None:
    ids = [c["id"] for c in sample]
    assert ids[0] == "c0000001"
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_numbers_are_valid_across_all_us_zones_with_matching_zip_and_state(
    sample: list[dict],
) -> None:
    zips = {z["zip_code"]: z for z in zipcodes.list_all()}
    zones_seen, states_by_area_code, malformed = set(), defaultdict(set), 0
    for contact in sample:
        raw = contact["phoneNumber"]
        try:
            number = phonenumbers.parse(raw or "", "US")
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            malformed += 1
            continue
        area_code = str(number.national_number)[:3]
        if contact.get("postalCode"):
            place = zips[contact["postalCode"]]
            assert place["state"] == contact["state"]
            assert area_code in place["area_codes"]
            zone = place["timezone"]
            # The number's own zone (per phonenumbers) keeps the same clock as its ZIP's zone.
            assert offsets(zone) in {offsets(z) for z in phone_zones.time_zones_for_number(number)}
            zones_seen.add(zone)
            states_by_area_code[area_code].add(contact["state"])
    assert zones_seen == US_ZONES == set(ZONES)
    assert all(len(states) == 1 for states in states_by_area_code.values())
    assert 0.015 < malformed / len(sample) < 0.05


def test_the_mix_is_realistic(sample: list[dict]) -> None:
    n = len(sample)
    phones = [c["phoneNumber"] for c in sample]
    for example, pattern in FORMATS.items():
        assert any(isinstance(p, str) and re.fullmatch(pattern, p) for p in phones), example
    assert {None, ""} <= set(phones)
    assert any(isinstance(p, str) and re.search("[A-Za-z]", p) for p in phones)
    assert 0.70 < sum(call_consent(c) for c in sample) / n < 0.82
    revoked = [
        c for c in sample if (c.get("consentFlags") or {}).get("outbound", {}).get("revokedAt")
    ]
    assert 0.03 < len(revoked) / n < 0.12
    for contact in revoked:
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", contact["consentFlags"]["outbound"]["revokedAt"]
        )
    assert any("consentFlags" not in c for c in sample)
    assert any(c.get("consentFlags") == {"outbound": {}} for c in sample)
    assert 0.03 < sum(c["doNotCall"] for c in sample) / n < 0.07
    attempts = Counter(
        "missing" if "attempts" not in c else "null" if c["attempts"] is None else "set"
        for c in sample
    )
    assert attempts["missing"] > 0 and attempts["null"] > 0 and attempts["set"] > 0.8 * n
    assert all(
        0 <= c["attempts"]["last24h"] <= c["attempts"]["last7d"]
        for c in sample
        if c.get("attempts")
    )
    assert any("postalCode" not in c for c in sample)
    assert any("postalCode" in c and c["postalCode"] is None for c in sample)
    assert all(c["firstName"] and c["lastName"] and c["lastModifiedTime"] for c in sample)
    assert list(sample[0])[:4] == ["id", "phoneNumber", "firstName", "lastName"]


def test_two_hundred_thousand_contacts_generate_quickly(big_list) -> None:
    contacts, seconds = big_list
    assert len(contacts) == 200_000
    assert contacts[-1]["id"] == "c0200000"
    assert seconds < 10


def test_paging_a_big_list_is_linear_not_quadratic(big_list) -> None:
    contact_list = ContactList(big_list[0])
    started = time.perf_counter()
    first, total = contact_list.page(CONSENT_QUERY, "id", False, 1, 100)
    seen = len(first)
    for page in range(2, total // 100 + 2):
        seen += len(contact_list.page(CONSENT_QUERY, "id", False, page, 100)[0])
    elapsed = time.perf_counter() - started
    assert seen == total == sum(call_consent(c) for c in big_list[0])
    # One filter+sort (~0.1 s) plus ~1,600 slices. Re-filtering per page would take minutes.
    assert elapsed < 3


async def test_paging_filter_and_cap(client: httpx.AsyncClient, headers: dict) -> None:
    url = CONTACTS.format("CL-DEMO")
    everyone = await client.get(url, params={"query": "true", "pageSize": 1000}, headers=headers)
    body = everyone.json()
    assert body["totalCount"] == 500 and body["pageSize"] == 100 and body["page"] == 1
    assert len(body["contacts"]) == 100
    collected: list[dict] = []
    page = 1
    while True:
        params = {"query": CONSENT_QUERY, "page": page, "pageSize": 30}
        body = (await client.get(url, params=params, headers=headers)).json()
        if not body["contacts"]:
            break
        assert body["pageSize"] == 30
        collected += body["contacts"]
        page += 1
    assert len(collected) == body["totalCount"]
    assert all(call_consent(c) for c in collected)
    assert [c["id"] for c in collected] == sorted(c["id"] for c in collected)
    expected = [c for c in generate_contacts(500, seed=42) if call_consent(c)]
    assert collected == expected


async def test_sorting_is_stable_both_ways(client: httpx.AsyncClient, headers: dict) -> None:
    url = CONTACTS.format("CL-DEMO")
    params = {"query": "true", "sortBy": "lastName", "pageSize": 100}
    asc = (await client.get(url, params={**params, "sortOrder": "asc"}, headers=headers)).json()
    names = [(c["lastName"], c["id"]) for c in asc["contacts"]]
    assert names == sorted(names)  # ties keep id order
    desc = (await client.get(url, params={**params, "sortOrder": "desc"}, headers=headers)).json()
    last = [c["lastName"] for c in desc["contacts"]]
    assert last == sorted(last, reverse=True)
    by_id = await client.get(url, params={"sortOrder": "desc"}, headers=headers)
    assert by_id.json()["contacts"][0]["id"] == "c0000500"
    nested = await client.get(url, params={"sortBy": "attempts.last7d"}, headers=headers)
    values = [c["attempts"]["last7d"] for c in nested.json()["contacts"]]
    assert values == sorted(values)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"query": "state==NY"}, "state==NY"),
        ({"sortOrder": "sideways"}, "sortOrder"),
        ({"page": 0}, "page"),
        ({"pageSize": "lots"}, "pageSize"),
        ({"sortBy": "attempts"}, "attempts"),
        ({"sortBy": "drop table"}, "drop table"),
    ],
)
async def test_bad_contact_queries_are_400(
    client: httpx.AsyncClient, headers: dict, params: dict, expected: str
) -> None:
    response = await client.get(CONTACTS.format("CL-DEMO"), params=params, headers=headers)
    assert response.status_code == 400
    assert expected in response.json()["message"]


async def test_unknown_list_is_404(client: httpx.AsyncClient, headers: dict) -> None:
    response = await client.get(CONTACTS.format("CL-NOPE"), headers=headers)
    assert response.status_code == 404
    assert "CL-NOPE" in response.json()["message"]


async def test_changes_during_an_export_show_up(client: httpx.AsyncClient, headers: dict) -> None:
    url = CONTACTS.format("CL-DEMO")
    first = (await client.get(url, params={"pageSize": 10}, headers=headers)).json()
    changed = {
        **first["contacts"][0],
        "firstName": "Changed",
        "lastModifiedTime": "2026-06-01T00:00:00Z",
    }
    added = {"id": "c0000000", "phoneNumber": "+12127365000", "extra": "kept"}
    upsert = await client.post(
        "/_sim/contactlists/CL-DEMO/contacts", json={"contacts": [changed, added]}
    )
    assert upsert.json() == {"list_id": "CL-DEMO", "upserted": 2, "count": 501}
    again = (await client.get(url, params={"pageSize": 10}, headers=headers)).json()
    assert again["totalCount"] == 501
    assert again["contacts"][0] == added
    assert again["contacts"][1]["firstName"] == "Changed"
    deleted = await client.delete("/_sim/contactlists/CL-DEMO/contacts/c0000000")
    assert deleted.status_code == 204
    assert (await client.get(url, headers=headers)).json()["totalCount"] == 500
    missing = await client.delete("/_sim/contactlists/CL-DEMO/contacts/c0000000")
    assert missing.status_code == 404


async def test_control_api_creates_seeded_lists(client: httpx.AsyncClient, headers: dict) -> None:
    created = await client.post(
        "/_sim/contactlists", json={"list_id": "CL-X", "count": 25, "seed": 5}
    )
    assert created.status_code == 201
    assert created.json() == {"list_id": "CL-X", "count": 25}
    body = (await client.get(CONTACTS.format("CL-X"), headers=headers)).json()
    assert body["contacts"] == generate_contacts(25, seed=5)
    await client.post("/_sim/contactlists", json={"list_id": "CL-X", "count": 3, "seed": 5})
    assert (await client.get(CONTACTS.format("CL-X"), headers=headers)).json()["totalCount"] == 3


async def test_same_config_same_contacts_across_apps() -> None:
    pages = []
    for _ in range(2):
        app = create_app(SimulatorConfig(seed=9, contact_lists={"L": 50}, max_page_size=50))
        async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://s") as c:
            form = {
                "grant_type": "client_credentials",
                "client_id": "sim-client",
                "client_secret": "sim-secret",
            }
            token = (await c.post("/api/v2/oauth/token", data=form)).json()["access_token"]
            response = await c.get(
                CONTACTS.format("L"), headers={"Authorization": f"Bearer {token}"}
            )
            pages.append(response.json())
    assert pages[0] == pages[1]
    assert pages[0]["pageSize"] == 50 and len(pages[0]["contacts"]) == 50
