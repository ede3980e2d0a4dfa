"""The described API under /api/v2 (SPEC.md section 1), and two routes the tutorial lacks:

- `GET /api/v2/omnichannel/campaigns/{id}/outcomes?since=&until=&page=&pageSize=` (scope
  `analytics:read`): what happened to each call (see `outcomes`).
- `DELETE /api/v2/omnichannel/contactlists/{listId}/contacts/{contactId}` (scope
  `omnichannel:campaigns:write`, idempotent by key like every write) -> 204, 404 when the
  list or the contact is absent: the contact leaves the list and is never dialled again.

The contacts query language gains `phoneNumber==<E.164>` (see `contactlists`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from .auth import (
    ANALYTICS_READ,
    CAMPAIGNS_READ,
    CAMPAIGNS_WRITE,
    CONTACTLISTS_READ,
    WEBHOOKS_WRITE,
)
from .contactlists import ALL_QUERY, ContactListError
from .errors import ApiError, invalid
from .state import SimState, sim
from .validation import campaign_problems, status_problems, webhook_problems
from .webhooks import STATE_CHANGE

router = APIRouter(prefix="/api/v2")


def require(scope: str) -> object:
    """A dependency that lets the request through only with a live token holding `scope`."""

    async def check(request: Request) -> None:
        sim(request).tokens.check(request.headers.get("authorization"), scope)

    return Depends(check)


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError(400, "the request body is not valid JSON") from None


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ApiError(400, f"{name} must be a positive integer (got {raw!r})")
    return value


async def _idempotent(request: Request, handler: Callable[[bytes], Response]) -> Response:
    body = await request.body()
    return sim(request).idempotency.run(request, body, lambda: handler(body))


@router.post("/oauth/token")
async def issue_token(request: Request) -> JSONResponse:
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    config = sim(request).config
    token = sim(request).tokens.issue(
        form, config.client_id, config.client_secret, config.token_ttl_seconds
    )
    return JSONResponse(token, headers={"Cache-Control": "no-store"})


@router.post("/omnichannel/campaigns", dependencies=[require(CAMPAIGNS_WRITE)])
async def create_campaign(request: Request) -> Response:
    state = sim(request)

    def create(body: bytes) -> JSONResponse:
        payload = _json(body)
        problems = campaign_problems(payload, state.contact_lists)
        if problems:
            raise invalid("campaign", problems)
        return JSONResponse(state.campaigns.create(payload), status_code=201)

    return await _idempotent(request, create)


@router.get("/omnichannel/campaigns", dependencies=[require(CAMPAIGNS_READ)])
async def list_campaigns(request: Request, name: str | None = None) -> JSONResponse:
    campaigns = sim(request).campaigns.all(name)
    return JSONResponse({"campaigns": campaigns, "totalCount": len(campaigns)})


@router.get("/omnichannel/campaigns/{campaign_id}", dependencies=[require(CAMPAIGNS_READ)])
async def get_campaign(request: Request, campaign_id: str) -> JSONResponse:
    return JSONResponse(sim(request).campaigns.get(campaign_id))


@router.put("/omnichannel/campaigns/{campaign_id}", dependencies=[require(CAMPAIGNS_WRITE)])
async def change_status(request: Request, campaign_id: str) -> Response:
    state = sim(request)

    def change(body: bytes) -> JSONResponse:
        state.campaigns.get(campaign_id)
        payload = _json(body)
        status = payload.get("status") if isinstance(payload, dict) else None
        problems = status_problems(status)
        if problems:
            raise invalid("status change", problems)
        campaign = state.campaigns.set_status(campaign_id, status)
        state.webhooks.publish(STATE_CHANGE, {"campaignId": campaign_id, "status": status})
        return JSONResponse(campaign)

    return await _idempotent(request, change)


@router.get("/omnichannel/campaigns/{campaign_id}/metrics", dependencies=[require(ANALYTICS_READ)])
async def campaign_metrics(request: Request, campaign_id: str) -> JSONResponse:
    window = _int_param(request, "windowMinutes", 30)
    metrics = sim(request).campaigns.metrics(campaign_id)
    return JSONResponse({**metrics, "windowMinutes": window})


def _time_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))  # a "+" the query string spaced
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 time (got {raw!r})") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _paging(request: Request, state: SimState) -> tuple[int, int]:
    """(page from 1, page size capped by the config)."""
    cap = state.config.max_page_size
    return _int_param(request, "page", 1), min(_int_param(request, "pageSize", cap), cap)


@router.get("/omnichannel/campaigns/{campaign_id}/outcomes", dependencies=[require(ANALYTICS_READ)])
async def campaign_outcomes(request: Request, campaign_id: str) -> JSONResponse:
    state = sim(request)
    state.campaigns.get(campaign_id)
    found = state.outcomes.between(
        campaign_id, _time_param(request, "since"), _time_param(request, "until")
    )
    page, page_size = _paging(request, state)
    start = (page - 1) * page_size
    views = [outcome.view() for outcome in found[start : start + page_size]]
    return JSONResponse(
        {"outcomes": views, "page": page, "pageSize": page_size, "totalCount": len(found)}
    )


def _contact_list(state: SimState, list_id: str):
    contacts = state.contact_lists.get(list_id)
    if contacts is None:
        raise ApiError(404, f"contact list {list_id!r} not found")
    return contacts


@router.delete(
    "/omnichannel/contactlists/{list_id}/contacts/{contact_id}",
    dependencies=[require(CAMPAIGNS_WRITE)],
)
async def remove_contact(request: Request, list_id: str, contact_id: str) -> Response:
    state = sim(request)

    def remove(_: bytes) -> Response:
        if not _contact_list(state, list_id).delete(contact_id):
            raise ApiError(404, f"contact {contact_id!r} not found in list {list_id!r}")
        return Response(status_code=204)

    return await _idempotent(request, remove)


@router.get(
    "/omnichannel/contactlists/{list_id}/contacts", dependencies=[require(CONTACTLISTS_READ)]
)
async def list_contacts(request: Request, list_id: str) -> JSONResponse:
    state = sim(request)
    contacts = _contact_list(state, list_id)
    params = request.query_params
    sort_order = params.get("sortOrder", "asc")
    if sort_order not in ("asc", "desc"):
        raise ApiError(400, f"sortOrder must be asc or desc (got {sort_order!r})")
    page, page_size = _paging(request, state)
    try:
        items, total = contacts.page(
            params.get("query", ALL_QUERY),
            params.get("sortBy", "id"),
            sort_order == "desc",
            page,
            page_size,
        )
    except ContactListError as exc:
        raise ApiError(400, str(exc)) from None
    return JSONResponse(
        {"contacts": items, "page": page, "pageSize": page_size, "totalCount": total}
    )


@router.post("/omnichannel/webhooks", dependencies=[require(WEBHOOKS_WRITE)])
async def register_webhook(request: Request) -> Response:
    state = sim(request)

    def register(body: bytes) -> JSONResponse:
        payload = _json(body)
        problems = webhook_problems(payload)
        if problems:
            raise invalid("webhook", problems)
        return JSONResponse(state.webhooks.register(payload), status_code=201)

    return await _idempotent(request, register)
