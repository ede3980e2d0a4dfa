"""The client of a Reassigned Numbers Database API: batches, pacing, retries, typed answers.

It speaks the shape of the simulator's stand-in (`POST {api_url}/query` with a bearer API
key and `{"queries": [{"tn", "date"}, ...]}`; see `simulator.rnd`), ours since no public JSON
schema of a reseller's API was found: a real reseller's API is adapted here, and only here.

Requests go through `cxone`'s pacing and retrying transport: one token bucket per client at
`requests_per_minute`; a 429 is retried after its Retry-After (the whole client holds off), a
5xx, a timeout or a lost connection after an exponential backoff, `max_retries` times. A query
changes nothing on the server, so every retry is safe.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Generator, Iterable
from typing import Any

import httpx
from pydantic import SecretStr

from cxone import (
    REPLAY_SAFE_EXTENSION,
    ResilientTransport,
    RetryPolicy,
    TokenBucket,
    mask_phone,
    network_transport,
)

from ._models import (
    RndAnswer,
    RndAuthError,
    RndError,
    RndInvalidQuery,
    RndInvalidResponse,
    RndRateLimited,
    RndResult,
    RndServerError,
    is_ten_digits,
    mask_digits,
)

MAX_BATCH = 1_000  # numbers per request (a reseller's limit, e.g. docs.dncscrub.com)
QUERY_PATH = "/query"
logger = logging.getLogger("rnd")
Pair = tuple[str, dt.date]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def checked_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    """The pairs as given, each checked: a ten-digit string and a `datetime.date`.

    Example:
        >>> checked_pairs([("2125550101", dt.date(2025, 1, 2))])
        [('2125550101', datetime.date(2025, 1, 2))]
        >>> checked_pairs([("+12125550101", dt.date(2025, 1, 2))])
        Traceback (most recent call last):
        ...
        rnd._models.RndInvalidQuery: pair 0: the number ***-***-0101 is not ten digits

    Raises:
        RndInvalidQuery: A number is not ten digits, or a date not a plain `datetime.date`.
    """
    checked = []
    for index, pair in enumerate(pairs):
        try:
            number, day = pair
        except (TypeError, ValueError):
            raise RndInvalidQuery(f"pair {index} is not a (number, date) pair") from None
        if not is_ten_digits(number):
            raise RndInvalidQuery(
                f"pair {index}: the number {mask_phone(number)} is not ten digits"
            )
        if type(day) is not dt.date:
            kind = type(day).__name__
            raise RndInvalidQuery(f"pair {index}: the date must be a datetime.date, not {kind}")
        checked.append((number, day))
    return checked


class _ApiKey(httpx.Auth):
    """Sends the key as a bearer token; the key stays a `SecretStr` until the header is made."""

    def __init__(self, key: SecretStr) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
        yield request


class RndClient:
    """Asks a Reassigned Numbers Database API about (number, date) pairs.

    Use it as an async context manager, in the event loop that uses it. The API key is sent
    only in the Authorization header; it never shows in a repr, a log line or an error.

    Args:
        api_url: The API's base URL; the client posts to `{api_url}/query` (the simulator's
            stand-in: `http://127.0.0.1:8765/api/rnd/v1`).
        api_key: The API key.
        requests_per_minute: The client-side rate (the service's limit, e.g. 500).
        batch_size: Numbers per request, 1 to 1,000.
        timeout_seconds: Deadline of one attempt, answer included.
        retry_policy: Retries and backoff (tests inject a sleep that only records).
        transport: What sits below the retries; default real sockets (tests: respx, ASGI).
        bucket: A token bucket shared with other clients of the same service, if any (then
            `requests_per_minute` and `monotonic` are its business).
        monotonic: The pacing clock, in seconds (tests inject one their sleep moves).
        now: The time an answer is stamped with (`queried_at`), timezone-aware.

    Example:
        >>> import asyncio
        >>> async def ask():
        ...     async with RndClient("http://127.0.0.1:9/api/rnd/v1", SecretStr("k")) as client:
        ...         return repr(client), await client.query([])
        >>> asyncio.run(ask())
        ("RndClient(api_url='http://127.0.0.1:9/api/rnd/v1', requests_per_minute=500)", [])

    Raises:
        ValueError: A rate or batch size out of range.
    """

    def __init__(
        self,
        api_url: str,
        api_key: SecretStr | str,
        requests_per_minute: float = 500,
        *,
        batch_size: int = MAX_BATCH,
        timeout_seconds: float = 30.0,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        bucket: TokenBucket | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1 to {MAX_BATCH}")
        self.api_url = api_url.rstrip("/")
        self.requests_per_minute = requests_per_minute
        self.batch_size = batch_size
        self._now = now
        policy = retry_policy or RetryPolicy(max_retries=3)
        rate = requests_per_minute / 60
        self.bucket = bucket or TokenBucket(
            rate, max(1.0, rate), clock=monotonic, sleep=policy.sleep
        )
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._http = httpx.AsyncClient(
            transport=ResilientTransport(
                transport or network_transport(), self.bucket, policy, timeout_seconds
            ),
            auth=_ApiKey(key),
            timeout=timeout_seconds,
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return (
            f"RndClient(api_url={self.api_url!r}, requests_per_minute={self.requests_per_minute})"
        )

    async def __aenter__(self) -> RndClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def query(self, pairs: Iterable[Pair]) -> list[RndAnswer]:
        """The answer for each (ten-digit number, date asked about) pair, in their order.

        A pair given twice is asked once. The pairs go in batches of at most `batch_size`,
        one after the other at the client's rate.

        Raises:
            RndInvalidQuery: A pair is malformed (nothing is sent), or the service refused a
                batch as malformed.
            RndAuthError: The API key was refused.
            RndRateLimited: Still 429 after every retry.
            RndServerError: 5xx, timeouts or lost connections after every retry.
            RndInvalidResponse: An answer that is not the API's JSON or lacks a query.
        """
        pairs = checked_pairs(pairs)
        wanted = list(dict.fromkeys(pairs))
        answers: dict[Pair, RndAnswer] = {}
        for start in range(0, len(wanted), self.batch_size):
            for answer in await self._ask(wanted[start : start + self.batch_size]):
                answers[answer.number, answer.date] = answer
        if wanted:
            batches = -(-len(wanted) // self.batch_size)
            logger.info("asked the RND about %d pair(s) in %d request(s)", len(wanted), batches)
        return [answers[pair] for pair in pairs]

    async def _ask(self, batch: list[Pair]) -> list[RndAnswer]:
        body = {"queries": [{"tn": number, "date": day.isoformat()} for number, day in batch]}
        where = f"POST {self._url()}"
        payload = _json_of(where, await self._post(where, body))
        queried_at = self._now()
        try:
            results = {
                (item["tn"], dt.date.fromisoformat(item["date"])): RndResult(item["result"])
                for item in payload["results"]
            }
            as_of = payload.get("dataAsOf")
            data_as_of = None if as_of is None else dt.date.fromisoformat(as_of)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RndInvalidResponse(
                f"{where} answered with a body that is not the RND's answer ({type(exc).__name__})"
            ) from None
        missing = [pair for pair in batch if pair not in results]
        if missing:
            raise RndInvalidResponse(
                f"{where} answered {len(batch) - len(missing)} of {len(batch)} "
                f"queries (none for {mask_phone(missing[0][0])} on {missing[0][1].isoformat()})"
            )
        return [
            RndAnswer(number, day, results[number, day], queried_at, data_as_of)
            for number, day in batch
        ]

    def _url(self) -> str:
        """The query URL as errors may show it (no query string, no user info)."""
        url = httpx.URL(self.api_url + QUERY_PATH)
        return str(url.copy_with(query=None, userinfo=b""))

    async def _post(self, where: str, body: dict[str, Any]) -> httpx.Response:
        try:
            response = await self._http.post(
                self.api_url + QUERY_PATH, json=body, extensions={REPLAY_SAFE_EXTENSION: True}
            )
        except httpx.TimeoutException:
            raise RndServerError(f"{where} timed out after every retry") from None
        except httpx.TransportError as exc:
            raise RndServerError(f"{where} lost its connection ({type(exc).__name__})") from None
        if response.is_error:
            raise _error_for(where, response)
        return response


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return mask_digits(message)[:300] if isinstance(message, str) else ""


def _error_for(where: str, response: httpx.Response) -> RndError:
    status = response.status_code
    detail = _server_message(response)
    message = f"{where} answered {status}" + (f": {detail}" if detail else "")
    if status in (401, 403):
        return RndAuthError(message + " (check the API key)", status_code=status)
    if status in (400, 422):
        return RndInvalidQuery(message, status_code=status)
    if status == 429:
        wait = response.headers.get("Retry-After")
        hint = f"; it asked to wait {wait}s" if wait else ""
        return RndRateLimited(message + f" (gave up retrying{hint})", status_code=status)
    if status >= 500:
        return RndServerError(message + " (after every retry)", status_code=status)
    return RndError(message, status_code=status)


def _json_of(where: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise RndInvalidResponse(
            f"{where} answered {response.status_code} with a body that is not JSON",
            status_code=response.status_code,
        ) from None
