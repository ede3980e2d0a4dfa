"""Interval summaries and completed contacts (Reporting API), under
`/inContactAPI/services/v{N}.0`.

- `GET /skills/{id}/summary?startDate=&endDate=` -> `{"skillSummaries": [row]}`.
- `GET /skills/summary?startDate=&endDate=[&isOutbound=][&skip=&top=]` -> one row per skill,
  paged like every listing, 204 when none match.
- `GET /contacts/completed?skillId=&startDate=&endDate=&updatedSince=&skip=&top=` ->
  `{totalRecords, businessUnitId, lastPollTime, completedContacts: [...]}` (see
  `attempts`): the attempts whose `contactStartDate` is in [startDate, endDate) and whose
  `lastUpdateTime` is at or after `updatedSince`, oldest first, paged like every listing,
  204 when none. Every parameter is optional; a date, when given, is UTC with a literal Z.

Summary dates are required, in UTC with a literal Z, start before end (400 otherwise). A row
sums the skill's activity in [startDate, endDate) and answers numbers as strings (see
`activity`). There are no metric webhooks on this platform: clients poll.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ..clock import iso
from .acd import no_content, page_of, paged, query_flag
from .activity import summary_row
from .dates import parse_utc_z
from .errors import bad_request
from .state import AdminState, admin_state

router = APIRouter()


def _interval(request: Request) -> tuple[datetime, datetime]:
    start = parse_utc_z(request.query_params.get("startDate"))
    end = parse_utc_z(request.query_params.get("endDate"))
    if start is None or end is None:
        raise bad_request("startDate and endDate are required, ISO 8601 in UTC ending in Z")
    if start >= end:
        raise bad_request("startDate must be before endDate")
    return start, end


def _optional_date(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    moment = parse_utc_z(raw)
    if moment is None:
        raise bad_request(f"{name} must be ISO 8601 in UTC ending in Z (got {raw!r})")
    return moment


def _row(state: AdminState, skill_id: int, interval: tuple[datetime, datetime]) -> dict:
    return summary_row(
        state.skills.view(skill_id),
        state.activity.totals(skill_id, *interval),
        state.skills.active_calls[skill_id],
    )


# Declared before the skills router's /skills/{skill_id}, which would take "summary".
@router.get("/skills/summary")
async def all_summaries(request: Request) -> Response:
    state = admin_state(request)
    interval = _interval(request)
    skills = state.skills.all()
    if "isOutbound" in request.query_params:
        outbound = query_flag(request, "isOutbound")
        skills = [skill for skill in skills if state.skills.get(skill)["isOutbound"] is outbound]
    # Only the page's rows are summed: a fleet pages through thousands of skills.
    page = page_of(request, skills)
    if not page:
        return no_content()
    return JSONResponse({"skillSummaries": [_row(state, skill, interval) for skill in page]})


@router.get("/skills/{skill_id}/summary")
async def skill_summary(request: Request, skill_id: int) -> JSONResponse:
    state = admin_state(request)
    state.skills.get(skill_id)
    return JSONResponse({"skillSummaries": [_row(state, skill_id, _interval(request))]})


@router.get("/contacts/completed")
async def completed_contacts(request: Request) -> Response:
    state = admin_state(request)
    raw_skill = request.query_params.get("skillId")
    if raw_skill is not None and not raw_skill.isdigit():
        raise bad_request(f"skillId must be an integer (got {raw_skill!r})")
    contacts = state.attempts.completed(
        int(raw_skill) if raw_skill is not None else None,
        _optional_date(request, "startDate"),
        _optional_date(request, "endDate"),
        _optional_date(request, "updatedSince"),
    )
    views = [attempt.completed_view() for attempt in contacts]
    return paged(
        request,
        views,
        lambda page, total: {
            "totalRecords": str(total),
            "businessUnitId": str(state.config.business_unit_id),
            "lastPollTime": iso(state.clock.now()),
            "completedContacts": page,
        },
    )
