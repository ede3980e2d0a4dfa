"""The Reassigned Numbers Database stand-in: its key, its answers, its control API, and the
faults and rate limit every /api/ path has, in-process on a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from simulator import FakeClock, SimulatorConfig, asgi_transport, create_app

QUERY = "/api/rnd/v1/query"
KEY = {"Authorization": "Bearer sim-rnd-key"}
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def rnd(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SimulatorConfig(contact_lists={}), clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as http:
        yield http


def body(*pairs: tuple[str, str]) -> dict:
    return {"queries": [{"tn": tn, "date": day} for tn, day in pairs]}


async def held(rnd: httpx.AsyncClient) -> None:
    disconnected = {"2125550101": "2025-06-01", "2125550102": "2024-01-01"}
    assert (await rnd.put("/_sim/rnd/disconnections", json=disconnected)).status_code == 200
    assert (await rnd.put("/_sim/rnd/no-data", json=["2125550103"])).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong-key"}, 401),
        ({"Authorization": "Basic sim-rnd-key"}, 401),
        ({"Authorization": "Bearer sim-rnd-key"}, 200),
    ],
)
async def test_only_the_configured_key_is_answered(rnd, headers, status) -> None:
    response = await rnd.post(QUERY, json=body(("2125550101", "2025-01-01")), headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "sim-rnd-key" not in response.text


@pytest.mark.parametrize(
    ("number", "asked", "result"),
    [
        ("2125550101", "2025-05-31", "yes"),  # disconnected after the date asked about
        ("2125550101", "2025-06-01", "yes"),  # on it
        ("2125550101", "2025-06-02", "no"),  # before it: not since
        ("2125550102", "2023-12-31", "yes"),
        ("2125550103", "2025-01-01", "no_data"),
        ("2125550199", "2025-01-01", "no"),
    ],
)
async def test_answers_follow_what_the_stand_in_holds(rnd, number, asked, result) -> None:
    await held(rnd)
    response = await rnd.post(QUERY, json=body((number, asked)), headers=KEY)
    assert response.json() == {
        "results": [{"tn": number, "date": asked, "result": result}],
        "dataAsOf": "2026-03-02",
    }


async def test_a_batch_is_answered_in_order_and_logged(rnd, clock) -> None:
    await held(rnd)
    pairs = [("2125550199", "2025-01-01"), ("2125550101", "2025-01-01")]
    first = await rnd.post(QUERY, json=body(*pairs), headers=KEY)
    assert [r["result"] for r in first.json()["results"]] == ["no", "yes"]
    clock.advance(86_400)
    second = await rnd.post(QUERY, json=body(pairs[0]), headers=KEY)
    assert second.json()["dataAsOf"] == "2026-03-03"
    logged = (await rnd.get("/_sim/rnd/queries")).json()["queries"]
    assert [(q["tn"], q["date"], q["batch"]) for q in logged] == [
        ("2125550199", "2025-01-01", 1),
        ("2125550101", "2025-01-01", 1),
        ("2125550199", "2025-01-01", 2),
    ]
    assert [q["at"] for q in logged] == ["2026-03-02T15:00:00.000Z"] * 2 + [
        "2026-03-03T15:00:00.000Z"
    ]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"numbers": []}, "the body must be"),
        ({"queries": []}, "1 to 1000 items (got 0)"),
        (body(*[("2125550101", "2025-01-01")] * 1001), "1 to 1000 items (got 1001)"),
        ({"queries": [{"tn": "2125550101", "date": "2025-01-01"}, "x"]}, "queries[1] must be"),
        (body(("2125550101", "2025-01-01"), ("212555010", "2025-01-01")), "queries[1].tn"),
        (body(("+12125550101", "2025-01-01")), "queries[0].tn must be ten digits"),
        (body(("2125550101", "2025-02-30")), "queries[0].date must be a YYYY-MM-DD"),
        (body(("2125550101", "20250101")), "queries[0].date"),
        ({"queries": [{"tn": 2125550101, "date": "2025-01-01"}]}, "queries[0].tn"),
    ],
)
async def test_a_bad_body_is_refused_naming_the_first_bad_item(rnd, payload, message) -> None:
    response = await rnd.post(QUERY, json=payload, headers=KEY)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert (await rnd.get("/_sim/rnd/queries")).json()["queries"] == []


async def test_a_body_that_is_not_json_is_refused(rnd) -> None:
    response = await rnd.post(QUERY, content=b"{", headers=KEY)
    assert response.status_code == 400 and "not valid JSON" in response.json()["message"]


async def test_the_thousand_queries_of_a_full_batch_are_answered(rnd) -> None:
    pairs = [(f"21255{n:05d}", "2025-01-01") for n in range(1000)]
    response = await rnd.post(QUERY, json=body(*pairs), headers=KEY)
    assert response.status_code == 200 and len(response.json()["results"]) == 1000


async def test_injected_faults_apply(rnd) -> None:
    await rnd.post("/_sim/faults", json={"kind": "rate_limit", "retry_after": 7, "path": "/rnd/"})
    await rnd.post("/_sim/faults", json={"kind": "server_error", "status": 502})
    limited = await rnd.post(QUERY, json=body(("2125550101", "2025-01-01")), headers=KEY)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    failed = await rnd.post(QUERY, json=body(("2125550101", "2025-01-01")), headers=KEY)
    assert failed.status_code == 502
    assert (await rnd.post(QUERY, json=body(("2125550101", "2025-01-01")), headers=KEY)).is_success
    # A refused request was never answered: only the last one counts as queries.
    assert len((await rnd.get("/_sim/rnd/queries")).json()["queries"]) == 1
    logged = (await rnd.get("/_sim/requests")).json()["requests"]
    assert [(r["path"], r["status"]) for r in logged] == [(QUERY, 429), (QUERY, 502), (QUERY, 200)]


async def test_the_rate_limit_applies_and_refills_with_the_clock(rnd, clock) -> None:
    await rnd.patch("/_sim/config", json={"rate_limit_per_second": 1, "rate_limit_burst": 1})
    one = body(("2125550101", "2025-01-01"))
    assert (await rnd.post(QUERY, json=one, headers=KEY)).status_code == 200
    refused = await rnd.post(QUERY, json=one, headers=KEY)
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")
    clock.advance(1)
    assert (await rnd.post(QUERY, json=one, headers=KEY)).status_code == 200


async def test_control_adds_to_what_is_held_and_reset_forgets_it(rnd) -> None:
    first = await rnd.put("/_sim/rnd/disconnections", json={"2125550101": "2025-06-01"})
    second = await rnd.put("/_sim/rnd/disconnections", json={"2125550102": "2024-01-01"})
    assert first.json() == {"disconnections": {"2125550101": "2025-06-01"}}
    assert second.json()["disconnections"] == {
        "2125550101": "2025-06-01",
        "2125550102": "2024-01-01",
    }
    await rnd.put("/_sim/rnd/no-data", json=["2125550104"])
    assert (await rnd.put("/_sim/rnd/no-data", json=["2125550103"])).json() == {
        "noData": ["2125550103", "2125550104"]
    }
    await rnd.post(QUERY, json=body(("2125550101", "2025-01-01")), headers=KEY)
    await rnd.post("/_sim/reset")
    assert (await rnd.get("/_sim/rnd/queries")).json() == {"queries": []}
    answer = await rnd.post(QUERY, json=body(("2125550101", "2025-01-01")), headers=KEY)
    assert answer.json()["results"][0]["result"] == "no"
    logged = (await rnd.get("/_sim/rnd/queries")).json()["queries"]
    assert [q["batch"] for q in logged] == [1]


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/_sim/rnd/disconnections", {"212555": "2025-06-01"}),
        ("/_sim/rnd/disconnections", {"2125550101": "June 1st"}),
        ("/_sim/rnd/no-data", ["2125550101", "call me"]),
        ("/_sim/rnd/no-data", {"2125550101": True}),
    ],
)
async def test_control_refuses_what_is_not_a_number_and_a_date(rnd, path, payload) -> None:
    assert (await rnd.put(path, json=payload)).status_code == 400


async def test_the_config_never_shows_the_key_and_can_change_it(clock) -> None:
    app = create_app(SimulatorConfig(rnd_api_key="another-key", contact_lists={}), clock=clock)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim") as http:
        shown = (await http.get("/_sim/config")).json()
        assert "rnd_api_key" not in shown and "another-key" not in str(shown)
        assert "another-key" not in repr(app.state.sim.config)
        one = body(("2125550101", "2025-01-01"))
        assert (await http.post(QUERY, json=one, headers=KEY)).status_code == 401
        other = {"Authorization": "Bearer another-key"}
        assert (await http.post(QUERY, json=one, headers=other)).status_code == 200
