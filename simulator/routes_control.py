"""The /_sim/ control API: tests and the demo drive the simulator through it.

No auth, no rate limit, no faults (those middlewares only look at /api/ paths). Reset, config,
faults, the request log and the clock come from `routes_shared`; this router adds contact
lists, campaigns, metrics, transitions and webhook deliveries, and the dialer (not in the
tutorial, see `outcomes` and `simulator.dialing`):

- `POST /_sim/campaigns/{id}/dial-until` `{"until": ISO, "stepMinutes": 15,
  "maxAttemptsPerRecord": 3, "retryMinutes": 60}`: the active campaign dials its contact
  list from the simulator's clock to `until`, where the clock then stands -> `{campaignId,
  from, until, counts: {answered, no_answer, busy, abandoned, machine}, attempts: [outcome,
  ...]}`; 404 for an unknown campaign, 409 on the system clock, 400 for an `until` before now.
- `PUT /_sim/dispositions` `{"<number>": "<code>"}`: the next attempt to each number (any
  common format) is answered and ends with that disposition ("DNC": an agent's opt-out) ->
  `{"pending": {ten digits: code}}`; 400 for a number that is none or an unknown code.
- `GET /_sim/attempts[?campaignId=]`: every attempt, oldest first, as the outcomes route shows
  it.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .campaigns import METRIC_FIELDS
from .contactlists import ContactList, ContactListError
from .contacts import e164, generate_contacts
from .dialing import DialUntil, pending_from, run_answer
from .errors import ApiError
from .outcomes import DISPOSITIONS
from .state import sim
from .webhooks import METRICS_UPDATE

router = APIRouter(prefix="/_sim")

# Enough for the largest benchmarks while keeping one request from exhausting memory.
MAX_GENERATED_CONTACTS = 2_000_000


class NewContactList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    list_id: str = Field(min_length=1)
    count: int = Field(ge=0, le=MAX_GENERATED_CONTACTS)
    seed: int | None = None  # None: the configured seed


class ContactUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[dict]


class MetricsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    successRate: float | None = Field(None, ge=0, le=1)
    callsAttempted: int | None = Field(None, ge=0)
    callsConnected: int | None = Field(None, ge=0)
    callsAbandoned: int | None = Field(None, ge=0)
    activeCalls: int | None = Field(None, ge=0)
    failoverTriggered: bool | None = None


def _contact_list(request: Request, list_id: str) -> ContactList:
    contacts = sim(request).contact_lists.get(list_id)
    if contacts is None:
        raise ApiError(404, f"contact list {list_id!r} not found")
    return contacts


@router.post("/contactlists", status_code=201)
async def create_contact_list(request: Request, body: NewContactList) -> JSONResponse:
    state = sim(request)
    seed = state.config.seed if body.seed is None else body.seed
    state.contact_lists[body.list_id] = ContactList(generate_contacts(body.count, seed))
    return JSONResponse({"list_id": body.list_id, "count": body.count}, status_code=201)


@router.post("/contactlists/{list_id}/contacts")
async def upsert_contacts(request: Request, list_id: str, body: ContactUpsert) -> JSONResponse:
    contacts = _contact_list(request, list_id)
    try:
        upserted = contacts.upsert(body.contacts)
    except ContactListError as exc:
        raise ApiError(400, str(exc)) from None
    return JSONResponse({"list_id": list_id, "upserted": upserted, "count": len(contacts)})


@router.delete("/contactlists/{list_id}/contacts/{contact_id}", status_code=204)
async def delete_contact(request: Request, list_id: str, contact_id: str) -> Response:
    if not _contact_list(request, list_id).delete(contact_id):
        raise ApiError(404, f"contact {contact_id!r} not found in list {list_id!r}")
    return Response(status_code=204)


@router.get("/campaigns")
async def all_campaigns(request: Request) -> JSONResponse:
    return JSONResponse({"campaigns": sim(request).campaigns.all()})


@router.get("/transitions")
async def transitions(request: Request) -> JSONResponse:
    """Status changes that took effect (replays and 409s are not changes), oldest first."""
    return JSONResponse({"transitions": sim(request).campaigns.transitions})


@router.put("/campaigns/{campaign_id}/metrics")
async def set_metrics(request: Request, campaign_id: str, body: MetricsUpdate) -> JSONResponse:
    state = sim(request)
    metrics = state.campaigns.update_metrics(campaign_id, body.model_dump(exclude_none=True))
    state.webhooks.publish(
        METRICS_UPDATE,
        {"campaignId": campaign_id, **{field: metrics[field] for field in METRIC_FIELDS}},
    )
    return JSONResponse(metrics)


@router.get("/webhook-deliveries")
async def webhook_deliveries(request: Request) -> JSONResponse:
    return JSONResponse({"deliveries": sim(request).webhooks.deliveries})


@router.post("/campaigns/{campaign_id}/dial-until")
async def dial_until(request: Request, campaign_id: str, body: DialUntil) -> JSONResponse:
    state = sim(request)
    start = state.clock.now()
    attempts = [outcome.view() for outcome in state.dial_until(campaign_id, body)]
    owner = {"campaignId": campaign_id}
    return JSONResponse(run_answer(owner, start, state.clock.now(), attempts))


@router.put("/dispositions")
async def set_dispositions(request: Request, body: dict[str, str]) -> JSONResponse:
    pending = pending_from(
        body, lambda raw: (e164(raw) or "")[2:] or None, DISPOSITIONS.__contains__
    )
    return JSONResponse({"pending": sim(request).outcomes.pending.set(pending)})


@router.get("/attempts")
async def attempts(
    request: Request, campaign_id: str | None = Query(None, alias="campaignId")
) -> JSONResponse:
    outcomes = sim(request).outcomes.all(campaign_id)
    return JSONResponse({"attempts": [outcome.view() for outcome in outcomes]})
