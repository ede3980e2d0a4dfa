"""The stand-in's own control API under /_sim/admin/ on the API app: no auth, no rate limit,
no faults. Reset, config, faults, the request log and the clock come from `routes_shared`;
this router adds:

- `GET /_sim/admin/skills` -> every skill with `isRunning` (always present here),
  `activeCalls` and `listed` (whether `GET /skills` shows it yet).
- `PUT /_sim/admin/skills/{id}/active-calls` `{"activeCalls": n}`: calls in progress, which a
  plain stop leaves running and a forced stop ends.
- `POST /_sim/admin/skills/{id}/activity` `{"at"?, "dials", "connects",
  "rightPartyConnects", "abandons", "handled", "offered"}` (counts default to 0, `at` to
  now) -> 201; `GET` lists what was recorded. Summaries sum it by `at`.
- `POST /_sim/admin/activity` `{"activity": [{"skillId", ...the same counts}]}` -> 201: the
  same for many skills in one step, so that no summary read sees some of them and not the
  others (a storm's collapses, together); 404 naming an unknown skill, nothing recorded.
- `GET /_sim/admin/transitions`: the starts and stops that took effect, oldest first,
  `{skillId, action: "start"|"stop", via: "api"|"upload", force, endedCalls, at}`.
- `GET /_sim/admin/campaigns`.
- `GET /_sim/admin/lists[/{id}]`: lists (deleted ones too, flagged) with their `records`
  (each flagged `scrubbed` when a DNC group scrubbing one of the list's skills holds its
  number), `duplicateExternalIds` `{externalId: count}` and `rejected` rows.
- `GET /_sim/admin/jobs`: upload jobs with their outcome, polls, counts and rejected rows.
- `POST /_sim/admin/jobs/next` `{"outcome": "complete"|"never_complete"|"cancel"}`: what the
  next submitted job does; `PUT /_sim/admin/jobs/{id}` with the same body changes a job.
- `GET /_sim/admin/dnc-groups`: groups with every number (expired ones too, flagged).
- `POST /_sim/admin/skills/{id}/dial`: one dialing pass of the skill (see `dialer`): every
  record of its lists, "scrubbed" when a DNC group that scrubs the skill holds its number,
  else "offered" -> `{skillId, offered, scrubbed, entries}` (this pass's entries); 404 for an
  unknown skill.
- `POST /_sim/admin/skills/{id}/dial-until` `{"until": ISO, "stepMinutes": 15,
  "maxAttemptsPerRecord": 3, "retryMinutes": 60}`: the skill's dialer runs from the
  simulator's clock to `until` (see `dialer` and `simulator.dialing`), leaving the clock
  there -> `{skillId, from, until, counts: {answered, no_answer, busy, abandoned,
  machine}, attempts: [...]}`; 404 for an unknown skill, 409 on the system clock, 400 for an
  `until` before now.
- `PUT /_sim/admin/dispositions` `{"<ten digits>": <dispositionId>}`: the next attempt to
  each number is answered and ends with that disposition (an agent's opt-out: 2005, "Do Not
  Call") -> `{"pending": {...}}`, every disposition still waiting; 400 for a number that is
  no NANP number or an unknown disposition. A reset clears them.
- `GET /_sim/admin/attempts[?skillId=]`: every attempt, oldest first, `{contactId, skillId,
  listId, externalId, phone, at, result, dispositionId}` (the `contactId` is the completed
  contact's).
- `GET /_sim/admin/dial-log[?skillId=]`: every pass's and run's entries, oldest first,
  `{skillId, listId, externalId, phone, outcome: "offered"|"scrubbed"|"attempted",
  dncGroupIds, at}`, an attempted one with its `contactId`, `result` and `dispositionId`;
  `DELETE /_sim/admin/dial-log` -> 204 clears it (so does a reset).

Lists show the records removeProspects took out under `removed` (with `removedAt`); DNC
groups their `contributingSkillIds` beside `scrubbedSkillIds`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..clock import iso
from ..dialing import DialUntil, pending_from, run_answer
from .activity import COUNTS
from .calllists import CallingList
from .dialer import blocked_numbers
from .dispositions import by_id
from .dnc import DncGroup, record_view
from .phones import normalize_phone
from .state import AdminState, admin_state
from .uploads import Outcome


async def _settled(request: Request) -> None:
    admin_state(request).settle()


router = APIRouter(prefix="/_sim/admin", dependencies=[Depends(_settled)])


class ActiveCalls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activeCalls: int = Field(ge=0)


class Activity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = None
    dials: int = Field(0, ge=0)
    connects: int = Field(0, ge=0)
    rightPartyConnects: int = Field(0, ge=0)
    abandons: int = Field(0, ge=0)
    handled: int = Field(0, ge=0)
    offered: int = Field(0, ge=0)


class SkillActivity(Activity):
    skillId: int


class ManyActivities(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity: list[SkillActivity] = Field(min_length=1)


class JobOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome


def _skill_view(state: AdminState, skill_id: int, listed: set[int]) -> dict:
    return state.skills.view(skill_id) | {
        "isRunning": state.skills.is_running(skill_id),
        "activeCalls": state.skills.active_calls[skill_id],
        "listed": skill_id in listed,
    }


def _activity_view(records: list[dict]) -> list[dict]:
    return [{**record, "at": iso(record["at"])} for record in records]


def _list_view(state: AdminState, calling_list: CallingList) -> dict:
    blocked = blocked_numbers(state.dnc.all(), calling_list.skill_ids, state.clock.now())
    phone_fields = [phone_field for phone_field, _ in calling_list.destinations]
    return calling_list.summary(state.skill_names()) | {
        "deleted": calling_list.deleted,
        "records": [
            {**record, "scrubbed": any(record.get(f) in blocked for f in phone_fields)}
            for record in calling_list.records
        ],
        "duplicateExternalIds": calling_list.duplicates(),
        "rejected": calling_list.rejected,
        "removed": calling_list.removed,
    }


def _group_view(state: AdminState, group: DncGroup) -> dict:
    now = state.clock.now()
    active = group.active(now)
    return group.view(now) | {
        "numbers": [
            {**record_view(phone, entry), "active": phone in active}
            for phone, entry in group.numbers.items()
        ],
        "scrubbedSkillIds": group.scrubbed_skill_ids,
        "contributingSkillIds": group.contributing_skill_ids,
    }


@router.get("/skills")
async def skills(request: Request) -> JSONResponse:
    state = admin_state(request)
    listed = set(state.skills.listed(state.config.listing_delay_seconds))
    views = [_skill_view(state, skill_id, listed) for skill_id in state.skills.all()]
    return JSONResponse({"skills": views})


@router.put("/skills/{skill_id}/active-calls")
async def set_active_calls(request: Request, skill_id: int, body: ActiveCalls) -> JSONResponse:
    state = admin_state(request)
    state.skills.get(skill_id)
    state.skills.active_calls[skill_id] = body.activeCalls
    return JSONResponse({"skillId": skill_id, "activeCalls": body.activeCalls})


def _record_activity(state: AdminState, skill_id: int, body: Activity) -> None:
    at = body.at or state.clock.now()
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    state.activity.add(skill_id, at, {count: getattr(body, count) for count in COUNTS})


@router.post("/skills/{skill_id}/activity", status_code=201)
async def add_activity(request: Request, skill_id: int, body: Activity) -> JSONResponse:
    state = admin_state(request)
    state.skills.get(skill_id)
    _record_activity(state, skill_id, body)
    records = _activity_view(state.activity.records(skill_id))
    return JSONResponse({"skillId": skill_id, "activity": records}, status_code=201)


@router.post("/activity", status_code=201)
async def add_activities(request: Request, body: ManyActivities) -> JSONResponse:
    state = admin_state(request)
    for entry in body.activity:  # every skill known before anything is recorded
        state.skills.get(entry.skillId)
    for entry in body.activity:
        _record_activity(state, entry.skillId, entry)
    return JSONResponse({"recorded": len(body.activity)}, status_code=201)


@router.get("/skills/{skill_id}/activity")
async def activity(request: Request, skill_id: int) -> JSONResponse:
    state = admin_state(request)
    state.skills.get(skill_id)
    records = _activity_view(state.activity.records(skill_id))
    return JSONResponse({"skillId": skill_id, "activity": records})


@router.get("/transitions")
async def transitions(request: Request) -> JSONResponse:
    return JSONResponse({"transitions": admin_state(request).skills.transitions})


@router.get("/campaigns")
async def campaigns(request: Request) -> JSONResponse:
    return JSONResponse({"campaigns": admin_state(request).campaigns.all()})


@router.get("/lists")
async def lists(request: Request) -> JSONResponse:
    state = admin_state(request)
    views = [_list_view(state, cl) for cl in state.lists.all(include_deleted=True)]
    return JSONResponse({"lists": views})


@router.get("/lists/{list_id}")
async def one_list(request: Request, list_id: int) -> JSONResponse:
    state = admin_state(request)
    return JSONResponse(_list_view(state, state.lists.get(list_id)))


@router.get("/jobs")
async def jobs(request: Request) -> JSONResponse:
    return JSONResponse({"jobs": [job.control_view() for job in admin_state(request).jobs.all()]})


@router.post("/jobs/next")
async def next_job(request: Request, body: JobOutcome) -> JSONResponse:
    admin_state(request).jobs.next_outcome = body.outcome
    return JSONResponse({"next": body.outcome})


@router.put("/jobs/{job_id}")
async def set_job_outcome(request: Request, job_id: int, body: JobOutcome) -> JSONResponse:
    job = admin_state(request).jobs.get(job_id)
    job.outcome = body.outcome
    return JSONResponse(job.control_view())


@router.get("/dnc-groups")
async def dnc_groups(request: Request) -> JSONResponse:
    state = admin_state(request)
    return JSONResponse({"dncGroups": [_group_view(state, g) for g in state.dnc.all()]})


@router.post("/skills/{skill_id}/dial")
async def dial(request: Request, skill_id: int) -> JSONResponse:
    entries = admin_state(request).dial(skill_id)
    offered = sum(entry["outcome"] == "offered" for entry in entries)
    return JSONResponse(
        {
            "skillId": skill_id,
            "offered": offered,
            "scrubbed": len(entries) - offered,
            "entries": entries,
        }
    )


@router.post("/skills/{skill_id}/dial-until")
async def dial_until(request: Request, skill_id: int, body: DialUntil) -> JSONResponse:
    state = admin_state(request)
    start = state.clock.now()
    attempts = [attempt.control_view() for attempt in state.dial_until(skill_id, body)]
    return JSONResponse(run_answer({"skillId": skill_id}, start, state.clock.now(), attempts))


@router.put("/dispositions")
async def set_dispositions(request: Request, body: dict[str, int]) -> JSONResponse:
    pending = pending_from(body, normalize_phone, lambda found: by_id(found) is not None)
    return JSONResponse({"pending": admin_state(request).attempts.pending.set(pending)})


@router.get("/attempts")
async def attempts(
    request: Request, skill_id: int | None = Query(None, alias="skillId")
) -> JSONResponse:
    found = admin_state(request).attempts.all(skill_id)
    return JSONResponse({"attempts": [attempt.control_view() for attempt in found]})


@router.get("/dial-log")
async def dial_log(
    request: Request, skill_id: int | None = Query(None, alias="skillId")
) -> JSONResponse:
    return JSONResponse({"entries": admin_state(request).dial_log.entries(skill_id)})


@router.delete("/dial-log", status_code=204)
async def clear_dial_log(request: Request) -> Response:
    admin_state(request).dial_log.clear()
    return Response(status_code=204)
