"""A stand-in of the FCC's Reassigned Numbers Database (RND), as a reseller's API would expose it.

The shape is ours: the FCC's RND answers a query of a number and a date (of consent) with
"yes" (permanently disconnected on or after that date), "no" or "no data" (FCC DA 21-1649,
DA 20-423), and commercial resellers expose it by API (in batches, e.g. 1,000 numbers, at a
rate limit, e.g. 500 requests a minute), but no public JSON schema of such an API was found.
This one is modelled on that query:

- `POST /api/rnd/v1/query` with `Authorization: Bearer <api key>` (the config's
  `rnd_api_key`; 401 otherwise) and `{"queries": [{"tn": "<ten digits>", "date":
  "YYYY-MM-DD"}, ...]}` (1 to 1,000 queries; 400 naming the first bad item) ->
  `{"results": [{"tn", "date", "result": "yes" | "no" | "no_data"}, ...], "dataAsOf":
  "YYYY-MM-DD"}`, one result per query in their order. `dataAsOf` is the simulator clock's
  date (UTC). It is an `/api/` path, so injected faults, the rate limit and the request log
  apply to it as to the rest of the described API.

An answer is `yes` when the stand-in holds a permanent disconnection of the number on or
after the date asked about, else `no_data` when it was told it has no data for the number,
else `no`. The control API (`routes_control`) sets what it holds:

- `PUT /_sim/rnd/disconnections` `{"<ten digits>": "YYYY-MM-DD", ...}`: the numbers were
  permanently disconnected on those dates (added to what is held) -> `{"disconnections": {...}}`.
- `PUT /_sim/rnd/no-data` `["<ten digits>", ...]`: numbers with no data (added) ->
  `{"noData": [...]}`.
- `GET /_sim/rnd/queries`: every query answered, oldest first, as `{"tn", "date", "batch",
  "at"}` (`batch` counts the answered requests from 1), for tests to count.

`POST /_sim/reset` forgets all three.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .clock import iso
from .errors import ApiError

MAX_QUERIES = 1_000
YES, NO, NO_DATA = "yes", "no", "no_data"
_TEN_DIGITS = re.compile(r"\d{10}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}

router = APIRouter(prefix="/api/rnd/v1")
control_router = APIRouter(prefix="/_sim/rnd")


@dataclass
class RndData:
    """What the stand-in knows: disconnections (number -> date) and numbers without data,
    and every query it answered."""

    disconnections: dict[str, date] = field(default_factory=dict)
    no_data: set[str] = field(default_factory=set)
    queries: list[dict] = field(default_factory=list)
    batches: int = 0

    def clear(self) -> None:
        self.disconnections.clear()
        self.no_data.clear()
        self.queries.clear()
        self.batches = 0

    def answer(self, number: str, asked: date) -> str:
        """`yes`, `no_data` or `no` for a number and the date asked about."""
        disconnected = self.disconnections.get(number)
        if disconnected is not None and disconnected >= asked:
            return YES
        return NO_DATA if number in self.no_data else NO


def _date(value: object) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _number(value: object) -> str | None:
    return value if isinstance(value, str) and _TEN_DIGITS.fullmatch(value) else None


def parse_queries(payload: object) -> list[tuple[str, date]]:
    """The (number, date) pairs of a query body.

    Raises:
        ApiError: 400 naming the first thing wrong (`item` is its index, when an item).
    """
    queries = payload.get("queries") if isinstance(payload, dict) else None
    if not isinstance(queries, list):
        raise ApiError(400, 'the body must be {"queries": [{"tn": ..., "date": ...}, ...]}')
    if not 1 <= len(queries) <= MAX_QUERIES:
        raise ApiError(400, f"queries must hold 1 to {MAX_QUERIES} items (got {len(queries)})")
    pairs = []
    for index, item in enumerate(queries):
        if not isinstance(item, dict):
            raise ApiError(400, f"queries[{index}] must be an object", item=index)
        number, asked = _number(item.get("tn")), _date(item.get("date"))
        if number is None:
            raise ApiError(400, f"queries[{index}].tn must be ten digits", item=index)
        if asked is None:
            raise ApiError(400, f"queries[{index}].date must be a YYYY-MM-DD date", item=index)
        pairs.append((number, asked))
    return pairs


def _sim(request: Request):
    # The app's `SimState` (not imported: it holds an `RndData`).
    return request.app.state.sim


def _check_key(request: Request) -> None:
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    expected = _sim(request).config.rnd_api_key.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), expected):
        raise ApiError(401, "missing or unknown API key", _BEARER_CHALLENGE)


@router.post("/query")
async def query(request: Request) -> JSONResponse:
    _check_key(request)
    state = _sim(request)
    try:
        payload = await request.json()
    except ValueError:
        raise ApiError(400, "the request body is not valid JSON") from None
    pairs = parse_queries(payload)
    data, now = state.rnd, state.clock.now()
    data.batches += 1
    results = []
    for number, asked in pairs:
        day = asked.isoformat()
        results.append({"tn": number, "date": day, "result": data.answer(number, asked)})
        data.queries.append({"tn": number, "date": day, "batch": data.batches, "at": iso(now)})
    return JSONResponse({"results": results, "dataAsOf": now.date().isoformat()})


@control_router.put("/disconnections")
async def set_disconnections(request: Request, body: dict[str, str]) -> JSONResponse:
    held = {}
    for number, when in body.items():
        on = _date(when)
        if _number(number) is None or on is None:
            raise ApiError(400, f"expected ten digits -> YYYY-MM-DD (got {number!r}: {when!r})")
        held[number] = on
    disconnections = _sim(request).rnd.disconnections
    disconnections.update(held)
    return JSONResponse({"disconnections": {n: d.isoformat() for n, d in disconnections.items()}})


@control_router.put("/no-data")
async def set_no_data(request: Request, body: list[str]) -> JSONResponse:
    bad = [number for number in body if _number(number) is None]
    if bad:
        raise ApiError(400, f"expected ten-digit numbers (got {bad[0]!r})")
    no_data = _sim(request).rnd.no_data
    no_data.update(body)
    return JSONResponse({"noData": sorted(no_data)})


@control_router.get("/queries")
async def queries(request: Request) -> JSONResponse:
    return JSONResponse({"queries": _sim(request).rnd.queries})
