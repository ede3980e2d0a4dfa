"""All in-memory state of one stand-in (its issuer and API share it), and what ties the
stores together: upload jobs completing into lists and skills, and list deletion."""

from __future__ import annotations

import contextlib

from fastapi import Request

from ..clock import Clock
from ..faults import Faults
from ..ratelimit import RateLimiter
from ..requestlog import new_request_log
from .activity import SkillActivity
from .calllists import CallingList, CallingLists
from .campaigns import AdminCampaigns
from .config import AdminConfig
from .dialer import DialLog, dial_pass
from .dnc import DncGroups
from .errors import AdminError, bad_request
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
        if upload.force_overwrite:
            calling_list.records, calling_list.rejected = list(job.records), list(job.rejected)
        else:
            calling_list.records += job.records
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


def admin_state(request: Request) -> AdminState:
    """The state of the stand-in serving `request`."""
    return request.app.state.admin
