"""Calling lists and upload jobs (Admin API), under `/inContactAPI/services/v{N}.0`.

- `GET /lists/call-lists` (`skip`, `top`) -> `{"resultSet": {"totalRecords": "<n>",
  "callingLists": [...]}}` (the total as a string), 204 when there are none.
- `POST /lists/call-lists?listName=&externalIdColumn=&...Column=` with
  `{"destinationMappings": [{"fieldName": "PhoneNumber", "fieldValue": <column>}]}` ->
  `{"listId": n}`. Not idempotent.
- `GET /lists/call-lists/{listId}?includeRecords=true&skip=&top=` -> `{"resultSet":
  {listName, status, counts..., skills, contactRecords}}` (`contactRecords` only with
  `includeRecords=true`, paged).
- `DELETE /lists/call-lists/{listId}?forceInactive=&forceDelete=` -> 202 (see
  `AdminState.delete_list`).
- `POST /lists/call-lists/{listId}/upload` -> `{"jobId": n}` (see `uploads`).
- `DELETE /lists/call-lists/{sourceName}/removeProspects` `{"prospectsToRemove":
  [{"externalId": ...}]}` -> 200 `{"successfulRecords": [{externalId, resultCode:
  "Success"}], "failedRecords": [{externalId, resultCode}]}`: names and shapes as
  calljacob/nice-cxone-api's `AdminListsService.ts` has them (both are arrays there; the
  result codes are the stand-in's own). `sourceName` is the list's name (URL-encoded); the
  records of every list of that name with each external id (a string, or a number read as
  its digits) leave the list. An id no such list holds fails that item only ("NotFound");
  404 when no list has the name, 400 for a body without items.
- `GET /lists/call-lists/jobs` -> `{totalRecords, uploadJobs: [...]}` (204 when none),
  `GET /lists/call-lists/jobs/{jobId}` -> `{"uploadJobs": [job]}`; each answer counts as a
  status poll of the jobs it shows. `DELETE /lists/call-lists/jobs/{jobId}` cancels a
  pending job (202; 400 once it is complete or cancelled).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .acd import accepted, json_body, page_of, paged, query_flag
from .state import admin_state
from .uploads import UploadJob

router = APIRouter()


def _polled(jobs: list[UploadJob]) -> list[dict]:
    """The jobs' views, each answer counting as one status poll of the job."""
    views = [job.view() for job in jobs]
    for job in jobs:
        job.polls += 1
    return views


# The job routes come first: /lists/call-lists/{listId} would take "jobs".
@router.get("/lists/call-lists/jobs")
async def list_jobs(request: Request) -> Response:
    jobs = admin_state(request).jobs.all()
    return paged(
        request,
        jobs,
        lambda page, total: {"totalRecords": total, "uploadJobs": _polled(page)},
    )


@router.get("/lists/call-lists/jobs/{job_id}")
async def get_job(request: Request, job_id: int) -> JSONResponse:
    return JSONResponse({"uploadJobs": _polled([admin_state(request).jobs.get(job_id)])})


@router.delete("/lists/call-lists/jobs/{job_id}")
async def cancel_job(request: Request, job_id: int) -> Response:
    admin_state(request).jobs.cancel(job_id)
    return accepted()


@router.get("/lists/call-lists")
async def list_calling_lists(request: Request) -> Response:
    state = admin_state(request)
    names = state.skill_names()
    summaries = [calling_list.summary(names) for calling_list in state.lists.all()]
    return paged(
        request,
        summaries,
        lambda page, total: {"resultSet": {"totalRecords": str(total), "callingLists": page}},
    )


@router.post("/lists/call-lists")
async def create_calling_list(request: Request) -> JSONResponse:
    body = await json_body(request)
    calling_list = admin_state(request).lists.create(request.query_params, body)
    return JSONResponse({"listId": calling_list.list_id})


@router.get("/lists/call-lists/{list_id}")
async def get_calling_list(request: Request, list_id: int) -> JSONResponse:
    state = admin_state(request)
    calling_list = state.lists.get(list_id)
    result = calling_list.summary(state.skill_names())
    del result["listId"]
    if query_flag(request, "includeRecords"):
        result["contactRecords"] = page_of(request, calling_list.records)
    return JSONResponse({"resultSet": result})


@router.delete("/lists/call-lists/{list_id}")
async def delete_calling_list(request: Request, list_id: int) -> Response:
    admin_state(request).delete_list(
        list_id,
        force_inactive=query_flag(request, "forceInactive"),
        force_delete=query_flag(request, "forceDelete"),
    )
    return accepted()


@router.post("/lists/call-lists/{list_id}/upload")
async def upload(request: Request, list_id: int) -> JSONResponse:
    job = admin_state(request).submit_upload(list_id, await json_body(request))
    return JSONResponse({"jobId": job.job_id})


@router.delete("/lists/call-lists/{source_name}/removeProspects")
async def remove_prospects(request: Request, source_name: str) -> JSONResponse:
    state = admin_state(request)
    return JSONResponse(state.remove_prospects(source_name, await json_body(request)))
