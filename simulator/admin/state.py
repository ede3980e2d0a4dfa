"""All in-memory state of one stand-in (its issuer and API share it), and what ties the
stores together: upload jobs completing into lists and skills, list deletion and record
removal, and the dialer's runs (attempts, their dispositions, and the numbers a
do-not-call disposition adds to the DNC groups the skill contributes to)."""

from __future__ import annotations

import contextlib

from fastapi import Request

from ..clock import Clock, iso
from ..dialing import ANSWERED, DialUntil, draw_call, picked_up, run_steps
from ..faults import Faults
from ..ratelimit import RateLimiter
from ..requestlog import new_request_log
from .activity import SkillActivity
from .attempts import DEFAULT_CALLER_ID, Attempt, Attempts
from .calllists import CallingList, CallingLists
from .campaigns import AdminCampaigns
from .config import AdminConfig
from .dialer import DialLog, dial_pass, due_records
from .dispositions import FOR_CALL, is_do_not_call
from .dnc import DncGroups
from .errors import AdminError, bad_request, not_found
from .parameters import SkillParameters
from .skills import Skills, invalid_operation
from .tokens import AdminTokens
from .uploads import UploadJob, UploadJobs, parse_file, upload_from


class AdminState:
    """Lives on `app.state.admin` of both apps. Stores are cleared in place, so middlewares
    that hold them stay wired after a reset. `api_url` is what tenant discovery answers as
    `api_endpoint`; serving on a socket sets it to the API app's real URL."""

    def __init__(self, config: AdminConfig, clock: Clock, api_url: str) -> None:
        self.config = config
        self.clock = clock
        self.api_url = api_url
        self.limiter = RateLimiter(clock)
        self.tokens = AdminTokens(lambda: self.config, clock)
        self.faults = Faults()
        self.requests = new_request_log()
        self.campaigns = AdminCampaigns(clock)
        self.skills = Skills(clock, self.campaigns)
        self.parameters = SkillParameters()
        self.activity = SkillActivity()
        self.lists = CallingLists(clock)
        self.jobs = UploadJobs(clock)
        self.dnc = DncGroups(clock)
        self.dial_log = DialLog()
        self.attempts = Attempts()

    def reset(self) -> None:
        """Back to a fresh start under the current config."""
        for store in (
            self.tokens,
            self.faults,
            self.requests,
            self.campaigns,
            self.skills,
            self.parameters,
            self.activity,
            self.lists,
            self.jobs,
            self.dnc,
            self.dial_log,
            self.attempts,
        ):
            store.clear()
        self.limiter.reset()

    def set_config(self, config: AdminConfig) -> None:
        self.config = config
        self.limiter.reset()  # a new config starts with a full bucket

    def skill_names(self) -> dict[int, str]:
        return {skill_id: self.skills.get(skill_id)["skillName"] for skill_id in self.skills.all()}

    def submit_upload(self, list_id: int, body: object) -> UploadJob:
        """Check an upload against the list, its skill and the limits, and queue its job."""
        calling_list = self.lists.get(list_id)
        upload = upload_from(body, self.clock.now())
        if upload.skill_id is not None:
            if upload.skill_id not in self.skills.all():
                raise bad_request(f"skill {upload.skill_id} was not found")
            skill = self.skills.personal_connection(upload.skill_id)
            if upload.start_skill and not skill["isActive"]:
                raise invalid_operation(f"skill {upload.skill_id} is inactive")
        return self.jobs.submit(calling_list, upload, parse_file(calling_list, upload, self.config))

    def settle(self) -> None:
        """Finish the upload jobs that are due; called before every read of the state."""
        for job in self.jobs.due(self.config):
            if job.outcome == "cancel" or job.calling_list.deleted:
                job.cancelled = True
                continue
            self._apply(job)

    def _apply(self, job: UploadJob) -> None:
        now = self.clock.now()
        calling_list, upload = job.calling_list, job.upload
        # Each record keeps its upload's expiration (a record's own ExpirationDate wins).
        expires = iso(upload.expiration)
        records = [{"ExpirationDate": expires, **record} for record in job.records]
        if upload.force_overwrite:
            calling_list.records, calling_list.rejected = records, list(job.rejected)
        else:
            calling_list.records += records
            calling_list.rejected += job.rejected
        calling_list.uploaded = calling_list.updated = now
        if upload.skill_id is not None and upload.skill_id not in calling_list.skill_ids:
            calling_list.skill_ids.append(upload.skill_id)
        job.completed = now
        if upload.start_skill and not self.skills.is_running(upload.skill_id):
            # Deactivated since submission: there is nothing to start.
            with contextlib.suppress(AdminError):
                self.skills.start(upload.skill_id, via="upload")

    def delete_list(self, list_id: int, force_inactive: bool, force_delete: bool) -> None:
        """Delete a list. One that feeds a running skill needs `forceInactive`; one with
        upload jobs still pending needs `forceDelete`, which cancels them (both rules are
        the strict reading: the platform's rules were not found)."""
        calling_list = self.lists.get(list_id)
        if not force_inactive and any(map(self.skills.is_running, calling_list.skill_ids)):
            raise invalid_operation(
                f"calling list {list_id} feeds a running skill; pass forceInactive=true"
            )
        pending = [
            job for job in self.jobs.all() if job.pending and job.calling_list is calling_list
        ]
        if pending and not force_delete:
            raise invalid_operation(
                f"calling list {list_id} has upload jobs in progress; pass forceDelete=true"
            )
        for job in pending:
            job.cancelled = True
        calling_list.deleted = True

    def lists_of_skill(self, skill_id: int) -> list[CallingList]:
        return [cl for cl in self.lists.all() if skill_id in cl.skill_ids]

    def dial(self, skill_id: int) -> list[dict]:
        """One dialing pass of the skill over its lists (see `dialer`), logged; 404 for an
        unknown skill."""
        self.skills.get(skill_id)
        now = self.clock.now()
        entries = dial_pass(skill_id, self.lists_of_skill(skill_id), self.dnc.all(), now)
        self.dial_log.add(entries)
        return entries

    def dial_until(self, skill_id: int, rules: DialUntil) -> list[Attempt]:
        """Run the skill's dialer from now to `rules.until` (see `dialer`); the attempts made.
        404 for an unknown skill; a skill that is not running attempts nothing."""
        self.skills.get(skill_id)
        made: list[Attempt] = []

        def step(at) -> None:
            self.settle()
            if not self.skills.is_running(skill_id):
                return
            lists = self.lists_of_skill(skill_id)
            book = self.attempts.book
            for calling_list, record, phone, key in due_records(
                skill_id, lists, self.dnc.all(), book, at, rules
            ):
                made.append(self._attempt(skill_id, calling_list, record, phone, key, at))

        run_steps(self.clock, rules, step)
        return made

    def _attempt(
        self, skill_id: int, calling_list: CallingList, record: dict, phone: str, key, at
    ) -> Attempt:
        call = draw_call(self.config.seed, key, self.attempts.book.record(key, at))
        if phone in self.attempts.pending:
            call = picked_up(call)
        if call.result == ANSWERED:
            disposition_id = self.attempts.pending.take(phone) or FOR_CALL[call.agent_outcome]
        else:
            disposition_id = FOR_CALL.get(call.result)  # an abandoned call has none
        attempt = self.attempts.add(
            skill_id=skill_id,
            list_id=calling_list.list_id,
            external_id=record.get("ExternalId", ""),
            phone=phone,
            at=at,
            call=call,
            disposition_id=disposition_id,
            caller_id=self.skills.get(skill_id).get("callerIdOverride") or DEFAULT_CALLER_ID,
        )
        if is_do_not_call(disposition_id):
            for group in self.dnc.all():
                if skill_id in group.contributing_skill_ids:
                    group.collect(phone, at)
        self.dial_log.add([{**attempt.control_view(), "outcome": "attempted", "dncGroupIds": []}])
        return attempt

    def remove_prospects(self, source_name: str, body: object) -> dict:
        """Take records out of every list named `source_name` by external id: one result per
        item, an id no such list holds failing that item only; 404 when no list has the name.
        """
        lists = [cl for cl in self.lists.all() if cl.name == source_name]
        if not lists:
            raise not_found(f"calling list {source_name!r}")
        items = body.get("prospectsToRemove") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise bad_request('the body must be {"prospectsToRemove": [{"externalId": ...}]}')
        now = self.clock.now()
        done: dict[str, list[dict]] = {"successfulRecords": [], "failedRecords": []}
        for item in items:
            external_id = item.get("externalId") if isinstance(item, dict) else None
            if isinstance(external_id, bool) or not isinstance(external_id, str | int):
                done["failedRecords"].append(
                    {"externalId": str(external_id), "resultCode": "InvalidExternalId"}
                )
                continue
            external_id = str(external_id)
            removed = sum(calling_list.remove(external_id, now) for calling_list in lists)
            outcome = "successfulRecords" if removed else "failedRecords"
            code = "Success" if removed else "NotFound"
            done[outcome].append({"externalId": external_id, "resultCode": code})
        return done


def admin_state(request: Request) -> AdminState:
    """The state of the stand-in serving `request`."""
    return request.app.state.admin
