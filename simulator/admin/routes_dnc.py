"""DNC groups (Admin API), under `/inContactAPI/services/v{N}.0`.

- `GET /dnc-groups` (`skip`, `top`) -> `{"resultSet": {totalGroups, dncGroups: [...]}}`
  with `dncGroupId` and `validRecords` as strings (one client converts both), 204 when none.
- `POST /dnc-groups` `{dncGroupName, dncGroupDescription?}` -> `{"dncGroups": [group]}`.
- `GET /dnc-groups/{id}` -> `{"resultSet": {"dncGroups": [group]}}`.
- `GET /dnc-groups/{id}/records` (`skip`, `top`) -> `{"resultSet": {totalRecords,
  dncRecords: [{phoneNumber, expiredDate, dateCollected, lastUpdateTime}]}}`, 204 when none.
- `POST /dnc-groups/{id}/records` `{"dncGroupRecords": [{phoneNumber: <integer>,
  expiredDate?}]}` -> 200 `{"resultSet": {errorCount, recordResults: [{success, error,
  formattedPhone}]}}`.
- `DELETE /dnc-groups/{id}/records` (same body, numbers as strings or integers) -> 200
  `{errorCount, recordResults}`: unwrapped, unlike the add (as the spec has it).
- `POST /dnc-groups/search?phoneNumber=` -> `{"searchResults": [...]}`, 204 when no group
  holds the number; 400 for a number that is no NANP number.
- `GET /dnc-groups/{id}/scrubbed-skills` -> `{totalRecords, scrubbedSkills: [{skillId,
  skillName}]}` (204 when none); `POST` and `DELETE /dnc-groups/{id}/scrubbed-skills/{skillId}`
  -> 202. Adding a skill twice is harmless; removing one that is not scrubbed is 404.
- `GET/POST/DELETE /dnc-groups/{id}/contributing-skills[/{skillId}]` the same way, the list
  under `contributingSkills` (as calljacob/nice-cxone-api's `AdminListsService.ts` has it): a
  call on a contributing skill that ends with a do-not-call disposition adds its number to
  the group (see `dnc`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .acd import accepted, json_body, no_content, paged
from .dnc import record_view
from .errors import bad_request, not_found
from .phones import normalize_phone
from .state import admin_state

router = APIRouter()


def _batch(results: list[dict]) -> dict:
    return {"errorCount": sum(not r["success"] for r in results), "recordResults": results}


@router.get("/dnc-groups")
async def list_groups(request: Request) -> Response:
    state = admin_state(request)
    now = state.clock.now()
    views = [
        view | {"dncGroupId": str(view["dncGroupId"]), "validRecords": str(view["validRecords"])}
        for view in (group.view(now) for group in state.dnc.all())
    ]
    return paged(
        request,
        views,
        lambda page, total: {"resultSet": {"totalGroups": total, "dncGroups": page}},
    )


@router.post("/dnc-groups")
async def create_group(request: Request) -> JSONResponse:
    state = admin_state(request)
    group = state.dnc.create(await json_body(request))
    return JSONResponse({"dncGroups": [group.view(state.clock.now())]})


# Before /dnc-groups/{group_id}/...: "search" is no group id.
@router.post("/dnc-groups/search")
async def search(request: Request) -> Response:
    state = admin_state(request)
    raw = request.query_params.get("phoneNumber", "")
    phone = normalize_phone(raw)
    if phone is None:
        raise bad_request(f"phoneNumber {raw!r} is not a valid number")
    results = [
        {
            "dncGroupId": group.group_id,
            "dncGroupName": group.name,
            "dncGroupDescription": group.description,
            "formattedPhone": phone,
            **{k: v for k, v in record_view(phone, entry).items() if k != "phoneNumber"},
        }
        for group, entry in state.dnc.search(phone)
    ]
    return JSONResponse({"searchResults": results}) if results else no_content()


@router.get("/dnc-groups/{group_id}")
async def get_group(request: Request, group_id: int) -> JSONResponse:
    state = admin_state(request)
    view = state.dnc.get(group_id).view(state.clock.now())
    return JSONResponse({"resultSet": {"dncGroups": [view]}})


@router.get("/dnc-groups/{group_id}/records")
async def list_records(request: Request, group_id: int) -> Response:
    state = admin_state(request)
    active = state.dnc.get(group_id).active(state.clock.now())
    views = [record_view(phone, entry) for phone, entry in active.items()]
    return paged(
        request,
        views,
        lambda page, total: {"resultSet": {"totalRecords": total, "dncRecords": page}},
    )


@router.post("/dnc-groups/{group_id}/records")
async def add_records(request: Request, group_id: int) -> JSONResponse:
    state = admin_state(request)
    group = state.dnc.get(group_id)
    results = state.dnc.add(group, await json_body(request))
    return JSONResponse({"resultSet": _batch(results)})


@router.delete("/dnc-groups/{group_id}/records")
async def expire_records(request: Request, group_id: int) -> JSONResponse:
    state = admin_state(request)
    group = state.dnc.get(group_id)
    return JSONResponse(_batch(state.dnc.expire(group, await json_body(request))))


def _skill_set_routes(path: str, attribute: str, key: str, what: str) -> None:
    """GET (the list), POST and DELETE (one skill) for one of a group's sets of skills."""

    async def listed(request: Request, group_id: int) -> Response:
        state = admin_state(request)
        names = state.skill_names()
        skills = [
            {"skillId": skill_id, "skillName": names[skill_id]}
            for skill_id in getattr(state.dnc.get(group_id), attribute)
        ]
        return paged(request, skills, lambda page, total: {"totalRecords": total, key: page})

    async def add(request: Request, group_id: int, skill_id: int) -> Response:
        state = admin_state(request)
        skill_ids = getattr(state.dnc.get(group_id), attribute)
        state.skills.get(skill_id)
        if skill_id not in skill_ids:
            skill_ids.append(skill_id)
        return accepted()

    async def remove(request: Request, group_id: int, skill_id: int) -> Response:
        skill_ids = getattr(admin_state(request).dnc.get(group_id), attribute)
        if skill_id not in skill_ids:
            raise not_found(f"skill {skill_id} in the {what} skills of DNC group {group_id}")
        skill_ids.remove(skill_id)
        return accepted()

    router.add_api_route(f"/dnc-groups/{{group_id}}/{path}", listed, methods=["GET"])
    router.add_api_route(f"/dnc-groups/{{group_id}}/{path}/{{skill_id}}", add, methods=["POST"])
    router.add_api_route(
        f"/dnc-groups/{{group_id}}/{path}/{{skill_id}}", remove, methods=["DELETE"]
    )


_skill_set_routes("scrubbed-skills", "scrubbed_skill_ids", "scrubbedSkills", "scrubbed")
_skill_set_routes(
    "contributing-skills", "contributing_skill_ids", "contributingSkills", "contributing"
)
