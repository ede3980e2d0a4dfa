"""Campaigns (reporting groups, Admin API), under `/inContactAPI/services/v{N}.0`.

- `GET /campaigns` (`skip`, `top`) -> `{businessUnitId, totalRecords, campaigns: [...]}`,
  204 when none. From v33.0 a campaign reads `{id, name, isActive, description, notes,
  lastUpdateTime}`; older versions name the first two `campaignId` and `campaignName`.
- `POST /campaigns` `{name, isActive?, description?, notes?}` -> `{"id": n}`. Needs v33.0:
  older versions answer 500, as the platform does for this flat body. Not idempotent.
- `GET /campaigns/{id}` -> the campaign, unwrapped, named as in the listing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .acd import api_version, json_body, paged
from .errors import AdminError
from .state import admin_state

router = APIRouter()
FLAT_CAMPAIGN_VERSION = 33


def _named_for(request: Request, campaign: dict) -> dict:
    if api_version(request) >= FLAT_CAMPAIGN_VERSION:
        return dict(campaign)
    renamed = {key: value for key, value in campaign.items() if key not in ("id", "name")}
    return {"campaignId": campaign["id"], "campaignName": campaign["name"], **renamed}


@router.get("/campaigns")
async def list_campaigns(request: Request) -> Response:
    state = admin_state(request)
    views = [_named_for(request, campaign) for campaign in state.campaigns.all()]
    return paged(
        request,
        views,
        lambda page, total: {
            "businessUnitId": state.config.business_unit_id,
            "totalRecords": total,
            "campaigns": page,
        },
    )


@router.post("/campaigns")
async def create_campaign(request: Request) -> JSONResponse:
    if api_version(request) < FLAT_CAMPAIGN_VERSION:
        raise AdminError(
            500, "InternalServerError", "an error occurred while processing the request"
        )
    campaign = admin_state(request).campaigns.create(await json_body(request))
    return JSONResponse({"id": campaign["id"]})


@router.get("/campaigns/{campaign_id}")
async def get_campaign(request: Request, campaign_id: int) -> JSONResponse:
    return JSONResponse(_named_for(request, admin_state(request).campaigns.get(campaign_id)))
