"""Dispositions (Admin API), under `/inContactAPI/services/v{N}.0`: the seeded set of
`dispositions`.

- `GET /dispositions` (`skip`, `top`) -> `{totalRecords, businessUnitId, dispositions}`,
  204 past the last page.
- `GET /dispositions/{dispositionId}` -> the disposition, unwrapped; 404 for an unknown id.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .acd import paged
from .dispositions import DISPOSITIONS, by_id, listed
from .errors import not_found
from .state import admin_state

router = APIRouter()


@router.get("/dispositions")
async def list_dispositions(request: Request) -> Response:
    unit = admin_state(request).config.business_unit_id
    return paged(
        request,
        [listed(disposition) for disposition in DISPOSITIONS],
        lambda page, total: {"totalRecords": total, "businessUnitId": unit, "dispositions": page},
    )


@router.get("/dispositions/{disposition_id}")
async def get_disposition(disposition_id: int) -> JSONResponse:
    disposition = by_id(disposition_id)
    if disposition is None:
        raise not_found(f"disposition {disposition_id}")
    return JSONResponse(disposition)
