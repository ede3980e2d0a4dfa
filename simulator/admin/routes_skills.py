"""Skills and their dialer parameters (Admin API), under `/inContactAPI/services/v{N}.0`.

- `GET /skills` (`mediaTypeId`, `outboundStrategy`, `searchString`, `skip`, `top`) ->
  `{businessUnitId, lastPollTime, totalRecords, skills: [...]}`, 204 when none. A new skill
  shows up here only `listing_delay_seconds` after its creation (default 0).
- `GET /skills/{id}` -> `{"skills": [skill]}`, always wrapped, with `skillId` and
  `campaignId` as strings (the platform answers some numbers as strings: here).
- `POST /skills` `{"skills": [...]}` -> 200 `{errorCount, skillsResults: [{success, error,
  skillId}]}`, failures per item (see `skills`).
- `PUT /skills/{id}` `{"skill": {...}}` -> `{success: true, skillId}`.
- `POST /skills/{id}/start`, `POST /skills/{id}/stop[?force=true]`, no body -> 202.
- `GET /skills/{id}/parameters` -> every block (`generalSettings`, `retrySettings`,
  `scheduleSettings`, `timeZoneSettings`, `callingLists`, and the blocks the stand-in does
  not model, empty). `GET`/`PUT` `.../parameters/general-settings`, `retry-settings`,
  `schedule-settings` and `time-zones` (see `parameters`); a `PUT` answers 202.
  Parameters exist for Personal Connection skills only (400 for any other skill).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ..clock import iso
from . import parameters
from .acd import accepted, json_body, paged, query_flag
from .errors import bad_request, not_found
from .state import AdminState, admin_state

router = APIRouter()

# Path segment -> the block's key in GET .../parameters.
_BLOCK_KEYS = {
    "general-settings": "generalSettings",
    "retry-settings": "retrySettings",
    "schedule-settings": "scheduleSettings",
    "time-zones": "timeZoneSettings",
}
# Blocks whose PUT merges a partial block, with the fields each accepts.
_MERGED_FIELDS = {
    "generalSettings": parameters.GENERAL_FIELDS,
    "retrySettings": parameters.RETRY_FIELDS,
}
_UNMODELLED_BLOCKS = (
    "cadenceSettings",
    "cpaSettings",
    "deliveryPreferences",
    "filterSettings",
    "listManagementSettings",
    "xsSettings",
)


def _filtered(request: Request, views: list[dict]) -> list[dict]:
    params = request.query_params
    if "mediaTypeId" in params:
        views = [v for v in views if str(v["mediaTypeId"]) == params["mediaTypeId"]]
    if "outboundStrategy" in params:
        wanted = params["outboundStrategy"].lower()
        views = [v for v in views if v["outboundStrategy"].lower() == wanted]
    if "searchString" in params:
        needle = params["searchString"].lower()
        views = [v for v in views if needle in v["skillName"].lower()]
    return views


@router.get("/skills")
async def list_skills(request: Request) -> Response:
    state = admin_state(request)
    listed = state.skills.listed(state.config.listing_delay_seconds)
    views = _filtered(request, [state.skills.view(skill_id) for skill_id in listed])
    return paged(
        request,
        views,
        lambda page, total: {
            "businessUnitId": state.config.business_unit_id,
            "lastPollTime": iso(state.clock.now()),
            "totalRecords": total,
            "skills": page,
        },
    )


@router.post("/skills")
async def create_skills(request: Request) -> JSONResponse:
    body = await json_body(request)
    items = body.get("skills") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise bad_request('the body must be {"skills": [{...}]}')
    results = admin_state(request).skills.create(items)
    errors = sum(not result["success"] for result in results)
    return JSONResponse({"errorCount": errors, "skillsResults": results})


@router.get("/skills/{skill_id}")
async def get_skill(request: Request, skill_id: int) -> JSONResponse:
    view = admin_state(request).skills.view(skill_id)
    view |= {"skillId": str(view["skillId"]), "campaignId": str(view["campaignId"])}
    return JSONResponse({"skills": [view]})


@router.put("/skills/{skill_id}")
async def update_skill(request: Request, skill_id: int) -> JSONResponse:
    admin_state(request).skills.update(skill_id, await json_body(request))
    return JSONResponse({"success": True, "skillId": skill_id})


@router.post("/skills/{skill_id}/start")
async def start_skill(request: Request, skill_id: int) -> Response:
    admin_state(request).skills.start(skill_id, via="api")
    return accepted()


@router.post("/skills/{skill_id}/stop")
async def stop_skill(request: Request, skill_id: int) -> Response:
    admin_state(request).skills.stop(skill_id, force=query_flag(request, "force"))
    return accepted()


def _blocks(state: AdminState, skill_id: int) -> dict:
    """The stored parameter blocks of a Personal Connection skill."""
    state.skills.personal_connection(skill_id)
    return state.parameters.of(skill_id)


def _block_key(block: str) -> str:
    if block not in _BLOCK_KEYS:
        raise not_found(f"parameter block {block!r}")
    return _BLOCK_KEYS[block]


@router.get("/skills/{skill_id}/parameters")
async def all_parameters(request: Request, skill_id: int) -> JSONResponse:
    state = admin_state(request)
    blocks = _blocks(state, skill_id)
    calling_lists = [{"id": cl.list_id, "name": cl.name} for cl in state.lists_of_skill(skill_id)]
    return JSONResponse(
        {
            "skillName": state.skills.get(skill_id)["skillName"],
            "skillNo": skill_id,
            **blocks,
            "callingLists": calling_lists,
            **{block: {} for block in _UNMODELLED_BLOCKS},
        }
    )


@router.get("/skills/{skill_id}/parameters/{block}")
async def get_parameter_block(request: Request, skill_id: int, block: str) -> JSONResponse:
    key = _block_key(block)
    return JSONResponse(_blocks(admin_state(request), skill_id)[key])


@router.put("/skills/{skill_id}/parameters/{block}")
async def put_parameter_block(request: Request, skill_id: int, block: str) -> Response:
    key = _block_key(block)
    blocks = _blocks(admin_state(request), skill_id)
    body = await json_body(request)
    if key in _MERGED_FIELDS:
        blocks[key] = parameters.merge_block(blocks[key], body, key, _MERGED_FIELDS[key])
    elif key == "scheduleSettings":
        blocks[key] = parameters.schedule_from(body)
    else:
        blocks[key] = parameters.time_zones_from(blocks[key], body)
    return accepted()
