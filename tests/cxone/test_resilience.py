"""Retries and pacing: 429 with and without Retry-After, 5xx and drops only where replay is safe."""

import time

import httpx
import pytest
import respx

from cxone import (
    IDEMPOTENCY_HEADER,
    CampaignPayload,
    CXoneClient,
    CXoneRateLimited,
    CXoneServerError,
    RetryPolicy,
)
from cxone._ratelimit import TokenBucket
from cxone._transport import ResilientTransport, parse_retry_after

from .conftest import BASE

TOKEN_URL = f"{BASE}/api/v2/oauth/token"
CAMPAIGNS_URL = f"{BASE}/api/v2/omnichannel/campaigns"
CAMPAIGN = {"id": "c1", "name": "n", "status": "active"}


@pytest.fixture
def token():
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(
            return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        )
        yield router


async def test_429_waits_the_retry_after_seconds(token, config, policy, sleep):
    route = token.get(f"{CAMPAIGNS_URL}/c1").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=CAMPAIGN),
        ]
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        await client.get_campaign("c1")
    assert route.call_count == 2
    assert sleep.waits == [pytest.approx(7.0, abs=0.05)]


async def test_429_retry_after_as_http_date(token, config, policy, sleep):
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    token.get(f"{CAMPAIGNS_URL}/c1").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": later}),
            httpx.Response(200, json=CAMPAIGN),
        ]
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        await client.get_campaign("c1")
    assert len(sleep.waits) == 1 and 3.0 <= sleep.waits[0] <= 5.0


async def test_429_without_retry_after_backs_off_exponentially(token, config, policy, sleep):
    token.get(f"{CAMPAIGNS_URL}/c1").mock(
        side_effect=[httpx.Response(429)] * 3 + [httpx.Response(200, json=CAMPAIGN)]
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        await client.get_campaign("c1")
    # random() == 1.0 in the fixture, so full jitter yields its upper bound: base * 2**retry.
    assert sleep.waits == pytest.approx([0.5, 1.0, 2.0], abs=0.01)


def test_backoff_is_capped_and_jittered():
    policy = RetryPolicy(backoff_base=1, backoff_cap=4, random=lambda: 0.25)
    assert [policy.backoff(n) for n in range(5)] == [0.25, 0.5, 1.0, 1.0, 1.0]


async def test_429_after_every_retry_is_rate_limited(token, config, policy, sleep):
    route = token.get(f"{CAMPAIGNS_URL}/c1").mock(return_value=httpx.Response(429))
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneRateLimited):
            await client.get_campaign("c1")
    assert route.call_count == policy.max_retries + 1


async def test_retry_after_longer_than_the_cap_is_reported_not_awaited(
    token, config, policy, sleep
):
    token.get(f"{CAMPAIGNS_URL}/c1").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"})
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneRateLimited):
            await client.get_campaign("c1")
    assert sleep.waits == []


async def test_get_is_retried_after_5xx_and_dropped_connections(token, config, policy):
    route = token.get(f"{CAMPAIGNS_URL}/c1").mock(
        side_effect=[
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json=CAMPAIGN),
        ]
    )
    async with CXoneClient(config, retry_policy=policy) as client:
        assert (await client.get_campaign("c1")).id == "c1"
    assert route.call_count == 4


async def test_keyed_post_is_retried_with_the_same_key(token, config, policy):
    route = token.post(CAMPAIGNS_URL).mock(
        side_effect=[
            httpx.Response(502),
            httpx.RemoteProtocolError("peer closed connection"),
            httpx.Response(201, json=CAMPAIGN),
        ]
    )
    payload = CampaignPayload(name="n", contact_list_id="CL")
    async with CXoneClient(config, retry_policy=policy) as client:
        await client.create_campaign(payload, idempotency_key="my-key")
    assert [c.request.headers[IDEMPOTENCY_HEADER] for c in route.calls] == ["my-key"] * 3


async def test_every_state_change_carries_a_fresh_key_unless_given(token, config, policy):
    route = token.put(f"{CAMPAIGNS_URL}/c1").mock(return_value=httpx.Response(200, json=CAMPAIGN))
    async with CXoneClient(config, retry_policy=policy) as client:
        await client.set_campaign_status("c1", "active")
        await client.set_campaign_status("c1", "active")
    keys = [c.request.headers[IDEMPOTENCY_HEADER] for c in route.calls]
    assert len(set(keys)) == 2 and all(len(k) == 36 for k in keys)


async def test_unkeyed_post_is_not_retried(policy):
    with respx.mock() as router:
        route = router.post(CAMPAIGNS_URL).mock(
            side_effect=[httpx.Response(503), httpx.Response(201, json=CAMPAIGN)]
        )
        transport = ResilientTransport(httpx.AsyncHTTPTransport(), TokenBucket(1000, 10), policy)
        async with httpx.AsyncClient(transport=transport) as http:
            assert (await http.post(CAMPAIGNS_URL, json={})).status_code == 503
            router.post(f"{CAMPAIGNS_URL}/x").mock(side_effect=httpx.ReadError("dropped"))
            with pytest.raises(httpx.ReadError):
                await http.post(f"{CAMPAIGNS_URL}/x", json={})
    assert route.call_count == 1


async def test_server_error_after_every_retry(token, config, policy):
    token.get(f"{CAMPAIGNS_URL}/c1").mock(side_effect=httpx.ConnectError("refused"))
    async with CXoneClient(config, retry_policy=policy) as client:
        with pytest.raises(CXoneServerError, match="lost its connection"):
            await client.get_campaign("c1")


class FakeTime:
    """A monotonic clock that moves only when the bucket sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_429_pauses_every_request_sharing_the_bucket():
    time_ = FakeTime()
    bucket = TokenBucket(rate=100, capacity=5, clock=time_.clock, sleep=time_.sleep)
    bucket.pause(0.2)
    await bucket.acquire()
    assert time_.sleeps == [pytest.approx(0.2)]


async def test_token_bucket_paces_a_burst():
    time_ = FakeTime()
    bucket = TokenBucket(rate=50, capacity=1, clock=time_.clock, sleep=time_.sleep)
    for _ in range(11):
        await bucket.acquire()
    # The first token is ready; each of the ten others waits its 20 ms slot, no more.
    assert time_.sleeps == [pytest.approx(0.02)] * 10
    assert time_.now - 1000.0 == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("0", 0.0), ("2.5", 2.5), ("-3", 0.0), ("soon", None)],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header) == expected
