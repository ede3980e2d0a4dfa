"""The RND client: batches, pacing, retries of 429 and 5xx, typed errors, nothing secret or
whole shown; with respx, then against the simulator's stand-in."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import httpx
import pytest
import respx

from rnd import (
    RndAnswer,
    RndAuthError,
    RndClient,
    RndError,
    RndInvalidQuery,
    RndInvalidResponse,
    RndRateLimited,
    RndResult,
    RndServerError,
)
from simulator import asgi_transport

from .conftest import KEY, STAND_IN_URL, START

API = "http://127.0.0.1:9/rnd/v1"  # respx answers; nothing listens on port 9
QUERY = f"{API}/query"
CONSENT = dt.date(2025, 1, 2)


def pairs(count: int, day: dt.date = CONSENT) -> list[tuple[str, dt.date]]:
    return [(f"21255{n:05d}", day) for n in range(count)]


def answer_all(result: str = "no", as_of: str | None = "2026-03-01", reverse: bool = False):
    """A respx side effect answering every query of a request."""

    def respond(request: httpx.Request) -> httpx.Response:
        queries = json.loads(request.content)["queries"]
        results = [{**query, "result": result} for query in queries]
        body = {"results": results[::-1] if reverse else results}
        if as_of is not None:
            body["dataAsOf"] = as_of
        return httpx.Response(200, json=body)

    return respond


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as mocked:
        yield mocked


def sent_batches(route) -> list[int]:
    return [len(json.loads(call.request.content)["queries"]) for call in route.calls]


async def test_pairs_go_in_batches_of_a_thousand_and_come_back_in_order(router, make_client):
    route = router.post(QUERY).mock(side_effect=answer_all(reverse=True))
    asked = pairs(2_500)
    async with make_client(API) as client:
        answers = await client.query([*asked, asked[0]])  # one pair twice: asked once
    assert sent_batches(route) == [1000, 1000, 500]
    assert [(a.number, a.date) for a in answers] == [*asked, asked[0]]
    assert answers[0] == RndAnswer("2125500000", CONSENT, RndResult.NO, START, dt.date(2026, 3, 1))
    request = route.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content)["queries"][0] == {"tn": "2125500000", "date": "2025-01-02"}


async def test_requests_are_paced_at_the_rate(router, make_client, fake_time):
    router.post(QUERY).mock(side_effect=answer_all(as_of=None))
    async with make_client(API, requests_per_minute=60, batch_size=1) as client:
        answers = await client.query(pairs(3))
    assert fake_time.waits == [1.0, 1.0]  # one request a second, the first at once
    assert [a.data_as_of for a in answers] == [None] * 3
    assert [a.queried_at for a in answers] == [
        START,
        START + dt.timedelta(seconds=1),
        START + dt.timedelta(seconds=2),
    ]


@pytest.mark.parametrize(
    ("first", "waits"),
    [
        (httpx.Response(429, headers={"Retry-After": "7"}), [7.0]),
        (httpx.Response(429), [0.5]),  # no Retry-After: the backoff
        (httpx.Response(503), [0.5]),
        (httpx.Response(500, text="oops"), [0.5]),
        (httpx.ConnectError("refused"), [0.5]),
        (httpx.ReadTimeout("slow"), [0.5]),
    ],
)
async def test_a_refusal_or_failure_is_retried(router, make_client, fake_time, first, waits):
    route = router.post(QUERY).mock(side_effect=[first, answer_all("yes")])
    async with make_client(API) as client:
        [answer] = await client.query(pairs(1))
    assert answer.result is RndResult.YES and route.call_count == 2
    assert fake_time.waits == waits


@pytest.mark.parametrize(
    ("failure", "error", "calls", "words"),
    [
        (httpx.Response(429, headers={"Retry-After": "2"}), RndRateLimited, 4, "asked to wait 2s"),
        (httpx.Response(429, headers={"Retry-After": "120"}), RndRateLimited, 1, "wait 120s"),
        (httpx.Response(502, json={"message": "upstream"}), RndServerError, 4, "502: upstream"),
        (httpx.ConnectError("refused"), RndServerError, 4, "lost its connection"),
        (httpx.Response(401, json={"message": "bad key"}), RndAuthError, 1, "check the API key"),
        (httpx.Response(403), RndAuthError, 1, "answered 403"),
        (
            httpx.Response(400, json={"message": "queries[0].tn 2125550101 is bad"}),
            RndInvalidQuery,
            1,
            "queries[0].tn ***-***-0101 is bad",
        ),
        (httpx.Response(404), RndError, 1, "answered 404"),
    ],
)
async def test_what_cannot_be_retried_away_is_a_clear_error(
    router, make_client, caplog, failure, error, calls, words
):
    route = router.post(QUERY).mock(side_effect=[failure] * 4)
    caplog.set_level(logging.DEBUG)
    async with make_client(API) as client:
        with pytest.raises(error) as raised:
            await client.query([("2125550101", CONSENT)])
    assert route.call_count == calls
    message = str(raised.value)
    assert words in message and f"POST {QUERY}" in message
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name in ("rnd", "cxone"))
    for text in (message, logged):
        assert KEY not in text and "2125550101" not in text


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json=[]),
        httpx.Response(200, json={"results": [{"tn": "2125500000", "date": "2025-01-02"}]}),
        httpx.Response(
            200, json={"results": [{"tn": "2125500000", "date": "2025-01-02", "result": "maybe"}]}
        ),
        httpx.Response(200, json={"results": [], "dataAsOf": "2026-03-01"}),
        httpx.Response(
            200,
            json={
                "results": [{"tn": "2125500000", "date": "2025-01-02", "result": "no"}],
                "dataAsOf": "yesterday",
            },
        ),
    ],
)
async def test_an_answer_that_is_not_the_apis_is_invalid(router, make_client, response):
    router.post(QUERY).mock(return_value=response)
    async with make_client(API) as client:
        with pytest.raises(RndInvalidResponse) as raised:
            await client.query(pairs(1))
    assert "2125500000" not in str(raised.value)


@pytest.mark.parametrize(
    ("pair", "words"),
    [
        (("+12125550101", CONSENT), "the number ***-***-0101 is not ten digits"),
        ((2125550101, CONSENT), "is not ten digits"),
        (("2125550101", dt.datetime(2025, 1, 2, 9, 30)), "must be a datetime.date"),
        (("2125550101", "2025-01-02"), "must be a datetime.date, not str"),
        (("2125550101", "2125550199"), "must be a datetime.date, not str"),
        (("2125550101",), "is not a (number, date) pair"),
        ("2125550101", "is not a (number, date) pair"),
    ],
)
async def test_a_malformed_pair_sends_nothing(router, make_client, pair, words):
    route = router.post(QUERY).mock(side_effect=answer_all())
    async with make_client(API) as client:
        with pytest.raises(RndInvalidQuery, match="pair 1") as raised:
            await client.query([("2125550102", CONSENT), pair])
    assert words in str(raised.value) and not re.search(r"\d{10}", str(raised.value))
    assert isinstance(raised.value, ValueError) and route.call_count == 0


def test_the_key_never_shows_and_limits_are_checked():
    client = RndClient(API, KEY)
    assert KEY not in repr(client) and KEY not in str(vars(client))
    assert repr(client) == f"RndClient(api_url='{API}', requests_per_minute=500)"
    for options in ({"batch_size": 0}, {"batch_size": 1001}, {"requests_per_minute": 0}):
        with pytest.raises(ValueError):
            RndClient(API, KEY, **options)


async def test_the_stand_in_answers_what_it_holds(stand_in_app, control, make_client):
    await control.put("/_sim/rnd/disconnections", json={"2125500001": "2025-06-01"})
    await control.put("/_sim/rnd/no-data", json=["2125500002"])
    asked = pairs(2_001)
    client = make_client(STAND_IN_URL, transport=asgi_transport(stand_in_app))
    async with client:
        answers = await client.query(asked)
    assert [a.result for a in answers[:4]] == ["no", "yes", "no_data", "no"]
    assert {a.data_as_of for a in answers} == {START.date()}
    logged = (await control.get("/_sim/rnd/queries")).json()["queries"]
    assert len(logged) == 2_001 and max(q["batch"] for q in logged) == 3


async def test_the_stand_ins_rate_limit_and_faults_are_waited_out(
    stand_in_app, control, make_client, fake_time
):
    await control.patch("/_sim/config", json={"rate_limit_per_second": 1, "rate_limit_burst": 1})
    await control.post("/_sim/faults", json={"kind": "server_error", "count": 1, "path": "/rnd/"})
    client = make_client(
        STAND_IN_URL,
        transport=asgi_transport(stand_in_app),
        requests_per_minute=6_000,
        batch_size=1,
    )
    async with client:
        answers = await client.query(pairs(3))
    assert [a.result for a in answers] == ["no"] * 3
    statuses = [r["status"] for r in (await control.get("/_sim/requests")).json()["requests"]]
    assert statuses.count(200) == 3 and statuses[0] == 503 and 429 in statuses
    # The client slept the stand-in's Retry-After (its fake clock moved with the waits).
    assert 1.0 in fake_time.waits
    assert len((await control.get("/_sim/rnd/queries")).json()["queries"]) == 3


async def test_the_stand_in_refuses_another_key(stand_in_app, make_client):
    client = make_client(
        STAND_IN_URL, transport=asgi_transport(stand_in_app), api_key="not-the-key"
    )
    async with client:
        with pytest.raises(RndAuthError, match="401: missing or unknown API key"):
            await client.query(pairs(1))
