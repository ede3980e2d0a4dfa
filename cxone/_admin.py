"""The client of NICE CXone's published APIs (SPEC section 4); implements `CampaignPlatform`.

A campaign here is a Personal Connection skill (id = the skill id, as a string): active means
running. Pause is a stop without `force` (live calls finish), resume a start. The dialing
window goes into the skill's schedule settings, the abandonment threshold and attempts into
its general settings. There are no idempotency keys on this platform, so every write is read
before and confirmed after by the callers: a skill created with a key keeps it in its `notes`,
and a start or stop that answers "already" is confirmed by reading the skill.

Read tolerantly (reference: cxone_admin_api.md): numbers may be strings, an empty result is
204, arrays may sit in `resultSet`, batch creates answer 200 with a `success` per item, and
`isRunning` is absent when false. Where the sources say "not found", the tolerant reading is
taken and named where it matters.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from ._access_key_auth import AccessKeyAuth
from ._config import AccessKeyConfig
from ._dial_lists import CallingListColumns, DncAddResult, UploadBody, UploadJob
from ._exceptions import CXoneInvalidResponse, CXoneUnsupported, CXoneValidationError
from ._models import WEEKDAYS, Campaign, CampaignMetrics, Contact, Webhook, WebhookRegistration
from ._ratelimit import BucketRegistry
from ._session import SessionClient, json_of
from ._spec import CampaignSpec, differences
from ._tokens import TokenCache, token_key
from ._transport import REPLAY_SAFE_EXTENSION, RetryPolicy

BASE_PATH = "/incontactapi/services"
VERSION = 30  # what integrations verified live use for skills, lists and DNC
CAMPAIGN_VERSION = 33  # POST /campaigns takes its flat body from v33.0 on
PAGE = 100  # `top` is capped at 100
PHONE_MEDIA = 4
PERSONAL_CONNECTION = "Personal Connection"
SKILL_NAME_LIMIT = 30
KEY_NOTE = "cxone-campaigns key "
# A new skill can take a few seconds to appear in listings (reference, section 3).
LISTING_GRACE_SECONDS = 15.0
LISTING_POLL_SECONDS = 1.0
# The platform answers "already running" / "already stopped" with an error (the exact answer
# was not found in the sources); the callers confirm by reading the skill.
_ALREADY = re.compile(r"already|not running|is running|InvalidOperation", re.IGNORECASE)
_DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_DIGITS = re.compile(r"\d")


def as_int(value: Any) -> int:
    """A count that may arrive as a string.

    Example:
        >>> as_int("12"), as_int(7), as_int(None)
        (12, 7, 0)
    """
    if value is None or value == "":
        return 0
    return int(float(value))


def unwrap(body: Any, key: str) -> list[dict[str, Any]]:
    """The items under `key`, whether at the top or inside `resultSet`; [] for a 204.

    Example:
        >>> unwrap({"resultSet": {"skills": [{"skillId": "1"}]}}, "skills")
        [{'skillId': '1'}]
        >>> unwrap(None, "skills")
        []
    """
    if not isinstance(body, dict):
        return []
    items = body.get(key)
    if items is None and isinstance(body.get("resultSet"), dict):
        items = body["resultSet"].get(key)
    return items if isinstance(items, list) else []


def phone_digits(value: Any) -> str:
    """A NANP number as its 10 digits (a leading 1 dropped).

    Example:
        >>> phone_digits("+1 (212) 736-5000"), phone_digits(2127365000)
        ('2127365000', '2127365000')
    """
    digits = "".join(_DIGITS.findall(str(value)))
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def utc_z(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with a literal Z, as the platform wants it."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _campaign(skill: dict[str, Any]) -> Campaign:
    # `isRunning` only appears for a skill that is dialling: absent means not running.
    return Campaign.model_validate(
        {
            **skill,
            "id": str(skill["skillId"]),
            "name": skill.get("skillName", ""),
            "status": "active" if skill.get("isRunning") is True else "paused",
        }
    )


class AdminClient(SessionClient):
    """Talks to NICE CXone's Admin and Reporting APIs.

    Use it as an async context manager, inside the event loop that uses it.

    Args:
        config: access key, app registration, issuer and limits.
        transport: what sits below the retry layer; default real HTTP.
        retry_policy: override the retry timing (tests inject a fake sleep).
        token_cache: share tokens with other clients of the same credentials.
        buckets: share the rate limit with other clients of the same tenant.
        clock: UTC now, for metric windows; injectable for tests.
    """

    # Metrics are only polled on this platform: there is no metrics webhook.
    pushes_metrics = False

    def __init__(
        self,
        config: AccessKeyConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        token_cache: TokenCache | None = None,
        buckets: BucketRegistry | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ):
        super().__init__(
            config,
            lambda send: AccessKeyAuth(config, send, cache=token_cache),
            transport,
            retry_policy,
            rate=(buckets, token_key(config.issuer, config.access_key_id)) if buckets else None,
        )
        self._clock = clock

    @property
    def _access(self) -> AccessKeyAuth:
        auth = self.auth
        assert isinstance(auth, AccessKeyAuth)
        return auth

    def __repr__(self) -> str:
        return f"AdminClient(issuer={self.config.issuer!r}, key={self.config.access_key_id!r})"

    async def call(
        self,
        method: str,
        path: str,
        *,
        version: int = VERSION,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: UploadBody | None = None,
        replay_safe: bool = False,
    ) -> Any:
        """One request to the tenant's API; the JSON body, or None for an empty answer.

        `content` is a JSON body sent in slices, for files too large to build whole.

        `replay_safe` marks a write whose repetition changes nothing (start, stop), so that
        the transport may retry it after a 5xx or a dropped connection.
        """
        url = f"{await self._access.api_endpoint()}{BASE_PATH}/v{version}.0{path}"
        extensions = {REPLAY_SAFE_EXTENSION: True} if replay_safe else None
        headers = None
        if content is not None:
            headers = {"Content-Type": "application/json", "Content-Length": str(len(content))}
        response = await self._session.send(
            method,
            url,
            params=params,
            json=json,
            content=content,
            headers=headers,
            extensions=extensions,
        )
        if response.status_code == 204 or not response.content:
            return None
        return json_of(response)

    async def _all(
        self, path: str, key: str, params: dict[str, Any] | None = None, version: int = VERSION
    ) -> list[dict[str, Any]]:
        """Every item of a paged listing (`skip`/`top`, at most 100 a page)."""
        items: list[dict[str, Any]] = []
        while True:
            query = {**(params or {}), "skip": len(items), "top": PAGE}
            page = unwrap(await self.call("GET", path, params=query, version=version), key)
            items += page
            if len(page) < PAGE:
                return items

    # Campaigns: Personal Connection skills.

    async def find_campaigns_by_name(self, name: str) -> list[Campaign]:
        skills = await self._all(
            "/skills",
            "skills",
            {
                "searchString": name,
                "mediaTypeId": PHONE_MEDIA,
                "outboundStrategy": PERSONAL_CONNECTION,
            },
        )
        return [_campaign(skill) for skill in skills if skill.get("skillName") == name]

    async def get_campaign(self, campaign_id: str) -> Campaign:
        body = await self.call("GET", f"/skills/{campaign_id}")
        skills = unwrap(body, "skills") or ([body] if isinstance(body, dict) else [])
        if not skills:
            raise CXoneInvalidResponse(f"GET /skills/{campaign_id} answered no skill")
        return _campaign(skills[0])

    def made_by(self, campaign: Campaign, idempotency_key: str) -> bool:
        return f"{KEY_NOTE}{idempotency_key}" in str((campaign.model_extra or {}).get("notes"))

    async def spec_differences(self, campaign: Campaign, spec: CampaignSpec) -> list[str]:
        parameters = await self.call("GET", f"/skills/{campaign.id}/parameters") or {}
        schedule = parameters.get("scheduleSettings") or {}
        general = parameters.get("generalSettings") or {}
        have = {
            "dialingWindow": {
                "start": schedule.get("mondayStartTime"),
                "end": schedule.get("mondayEndTime"),
            },
            "abandonRateThreshold": general.get("abandonRateThreshold"),
            "maximumAttempts": general.get("maximumAttempts"),
        }
        return differences(_wanted_settings(spec), have)

    async def create_campaign(
        self, spec: CampaignSpec, *, idempotency_key: str | None = None
    ) -> Campaign:
        """Create (or finish creating) the skill, its settings and its calling list.

        Every part is found before it is made, so a call that died half-way is completed by
        the next one with the same key, not duplicated.

        Raises:
            CXoneValidationError: the spec asks for what the platform cannot do.
        """
        _check_spec(spec)
        key = idempotency_key or ""
        found = await self.find_campaigns_by_name(spec.name)
        skill = next((c for c in found if self.made_by(c, key)), None)
        if skill is None:
            skill = await self._create_skill(spec, await self._group_id(spec), key)
        wanted = _wanted_settings(spec)
        await self.call(
            "PUT",
            f"/skills/{skill.id}/parameters/schedule-settings",
            json={"scheduleSettings": _schedule(spec)},
        )
        await self.call(
            "PUT",
            f"/skills/{skill.id}/parameters/general-settings",
            json={
                "generalSettings": {
                    "abandonRateThreshold": wanted["abandonRateThreshold"],
                    "maximumAttempts": wanted["maximumAttempts"],
                }
            },
        )
        await self.find_or_create_calling_list(spec.contact_list_id, CallingListColumns())
        if spec.initial_status == "active":
            await self.resume_campaign(skill.id, idempotency_key=key)
        return await self.get_campaign(skill.id)

    async def _group_id(self, spec: CampaignSpec) -> int:
        """The CXone campaign (a reporting group) of the same name, created if missing."""
        groups = await self._all("/campaigns", "campaigns", version=CAMPAIGN_VERSION)
        for group in groups:
            if (group.get("name") or group.get("campaignName")) == spec.name:
                return as_int(group.get("id") or group.get("campaignId"))
        body = await self.call(
            "POST",
            "/campaigns",
            version=CAMPAIGN_VERSION,
            json={"name": spec.name, "isActive": True, "description": spec.settings.description},
        )
        return as_int((body or {}).get("id"))

    async def _create_skill(self, spec: CampaignSpec, group_id: int, key: str) -> Campaign:
        item = {
            "mediaTypeId": PHONE_MEDIA,
            "skillName": spec.name,
            "isOutbound": True,
            "outboundStrategy": PERSONAL_CONNECTION,
            "campaignId": group_id,
            "notes": f"{KEY_NOTE}{key}",
        }
        body = await self.call("POST", "/skills", json={"skills": [item]})
        results = unwrap(body, "skillsResults")
        if results and results[0].get("success") and results[0].get("skillId"):
            return await self.get_campaign(str(results[0]["skillId"]))
        error = results[0].get("error") if results else "no result"
        # A create whose answer was lost and is retried meets its own skill's name; the skill
        # may take a few seconds to be listed.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LISTING_GRACE_SECONDS
        while loop.time() < deadline:
            for campaign in await self.find_campaigns_by_name(spec.name):
                if self.made_by(campaign, key):
                    return campaign
            await asyncio.sleep(LISTING_POLL_SECONDS)
        raise CXoneValidationError(
            f"POST /skills refused skill {spec.name!r}: {error}", server_message=str(error)
        )

    async def pause_campaign(self, campaign_id: str, *, idempotency_key: str) -> None:
        """Stop the skill without `force`: live calls end normally (force would cut them)."""
        await self._start_or_stop(campaign_id, "stop")

    async def resume_campaign(self, campaign_id: str, *, idempotency_key: str) -> None:
        await self._start_or_stop(campaign_id, "start")

    async def _start_or_stop(self, campaign_id: str, action: str) -> None:
        try:
            await self.call("POST", f"/skills/{campaign_id}/{action}", replay_safe=True)
        except CXoneValidationError as exc:
            # "Already running/stopped": the callers read the skill to confirm.
            if not _ALREADY.search(str(exc.server_message or exc)):
                raise

    async def get_metrics(self, campaign_id: str, window_minutes: int = 30) -> CampaignMetrics:
        """Success rate = connects / dials over the window, from the skill's summary."""
        # Dates go out in whole seconds; round the end up so this second's calls count.
        end = self._clock().replace(microsecond=0) + dt.timedelta(seconds=1)
        start = end - dt.timedelta(minutes=window_minutes)
        body = await self.call(
            "GET",
            f"/skills/{campaign_id}/summary",
            params={"startDate": utc_z(start), "endDate": utc_z(end)},
        )
        rows = unwrap(body, "skillSummaries")
        row = rows[0] if rows else {}
        dials, connects = as_int(row.get("dials")), as_int(row.get("connects"))
        return CampaignMetrics(
            success_rate=connects / dials if dials else 0.0,
            calls_attempted=dials,
            calls_connected=connects,
            active_calls=as_int(row.get("contactsActive")),
            calls_abandoned=as_int(row.get("abandonCount")),
            calls_handled=as_int(row.get("contactsHandled")),
            last_updated=end,
        )

    def iter_contacts(self, list_id: str, *, query: str = "") -> AsyncIterator[list[Contact]]:
        raise CXoneUnsupported(
            "NICE CXone keeps no consent data to segment: scrub contacts from your own "
            "systems with sync_dial_list, which uploads the dialable set to a calling list"
        )

    async def register_webhook(
        self, registration: WebhookRegistration, *, idempotency_key: str | None = None
    ) -> Webhook:
        raise CXoneUnsupported(
            "NICE CXone has no metrics webhook: the dashboard polls each pair's skill summary"
        )

    # Calling lists and upload jobs.

    async def find_or_create_calling_list(self, name: str, columns: CallingListColumns) -> str:
        lists = await self._all("/lists/call-lists", "callingLists")
        found = [str(item["listId"]) for item in lists if item.get("listName") == name]
        if len(found) > 1:
            raise CXoneValidationError(
                f"{len(found)} calling lists are named {name!r} ({', '.join(found)}); "
                "delete the extra ones first"
            )
        if found:
            return found[0]
        params = {
            "listName": name,
            "externalIdColumn": columns.external_id,
            "stateColumn": columns.state,
            "zipColumn": columns.zip,
            "timeZoneColumn": columns.time_zone,
            "callRequestTimeColumn": columns.call_request_time,
            "firstNameColumn": columns.first_name,
            "lastNameColumn": columns.last_name,
        }
        body = await self.call(
            "POST",
            "/lists/call-lists",
            params=params,
            json={
                "destinationMappings": [{"fieldName": "PhoneNumber", "fieldValue": columns.phone}]
            },
        )
        return str((body or {}).get("listId"))

    async def upload_calling_list(
        self,
        list_id: str,
        csv: bytes,
        *,
        file_name: str,
        overwrite: bool,
        skill_id: str | None,
        time_zone: str,
    ) -> str:
        """Submit one file; `overwrite` replaces the list's records, else they are appended.

        Never sets `startSkill`: uploading to a running skill dials at once, and only the
        caller decides when a skill dials.
        """
        expires = (self._clock() + dt.timedelta(days=30)).date().isoformat()
        fields = {
            "fileName": file_name,
            "skillId": int(skill_id) if skill_id else None,
            "defaultTimeZone": time_zone,
            "forceOverwrite": overwrite,
            "expirationDate": expires,
            "startSkill": False,
            "sendEmail": False,
        }
        body = UploadBody(fields, csv)
        answer = await self.call("POST", f"/lists/call-lists/{list_id}/upload", content=body)
        return str((answer or {}).get("jobId"))

    async def upload_jobs(self, list_id: str) -> list[UploadJob]:
        jobs = await self._all("/lists/call-lists/jobs", "uploadJobs")
        return [_job(job) for job in jobs if str(job.get("listId")) == str(list_id)]

    async def get_upload_job(self, job_id: str) -> UploadJob:
        jobs = unwrap(await self.call("GET", f"/lists/call-lists/jobs/{job_id}"), "uploadJobs")
        if not jobs:
            raise CXoneInvalidResponse(f"GET /lists/call-lists/jobs/{job_id} answered no job")
        return _job(jobs[0])

    async def cancel_upload_job(self, job_id: str) -> None:
        await self.call("DELETE", f"/lists/call-lists/jobs/{job_id}", replay_safe=True)

    # DNC groups.

    async def find_or_create_dnc_group(self, name: str) -> str:
        groups = await self._all("/dnc-groups", "dncGroups")
        for group in groups:
            if group.get("dncGroupName") == name:
                return str(group["dncGroupId"])
        body = await self.call("POST", "/dnc-groups", json={"dncGroupName": name})
        created = unwrap(body, "dncGroups")
        if not created:
            raise CXoneInvalidResponse(f"POST /dnc-groups answered no group for {name!r}")
        return str(created[0]["dncGroupId"])

    async def dnc_numbers(self, group_id: str) -> set[str]:
        records = await self._all(f"/dnc-groups/{group_id}/records", "dncRecords")
        return {phone_digits(record.get("phoneNumber")) for record in records}

    async def add_dnc_numbers(self, group_id: str, numbers: list[str]) -> DncAddResult:
        """Add numbers in batches; failures are per number (the batch answers 200)."""
        result = DncAddResult()
        for start in range(0, len(numbers), PAGE):
            batch = numbers[start : start + PAGE]
            body = await self.call(
                "POST",
                f"/dnc-groups/{group_id}/records",
                # The platform wants integers here (verified live by one integration).
                json={"dncGroupRecords": [{"phoneNumber": int(phone_digits(n))} for n in batch]},
            )
            outcomes = unwrap(body, "recordResults")
            for number, outcome in zip(batch, outcomes, strict=False):
                if outcome.get("success"):
                    result.added += 1
                else:
                    result.failures.append((number, str(outcome.get("error"))))
        return result

    async def scrub_skill(self, group_id: str, skill_id: str) -> None:
        """Make the skill scrub the group: the skill never dials a number the group holds.

        A DNC group blocks only the skills it scrubs. Adding a skill the group already
        scrubs is harmless (202 again), so the request may be replayed.

        Raises:
            CXoneNotFound: The group or the skill does not exist.
        """
        await self.call(
            "POST", f"/dnc-groups/{group_id}/scrubbed-skills/{skill_id}", replay_safe=True
        )

    async def scrubbed_skills(self, group_id: str) -> set[str]:
        """The ids of every skill the group scrubs, as strings; empty when none (204).

        Raises:
            CXoneNotFound: The group does not exist.
        """
        skills = await self._all(f"/dnc-groups/{group_id}/scrubbed-skills", "scrubbedSkills")
        return {str(skill["skillId"]) for skill in skills if skill.get("skillId") is not None}


def _job(job: dict[str, Any]) -> UploadJob:
    return UploadJob(
        job_id=str(job["jobId"]),
        list_id=str(job.get("listId")) if job.get("listId") is not None else None,
        is_complete=bool(job.get("isComplete")),
        is_cancelled=bool(job.get("isCancelled")),
        submitted_at=job.get("submitDate") or None,
        completed_at=job.get("completedDate") or None,
    )


def _check_spec(spec: CampaignSpec) -> None:
    problems = []
    if len(spec.name) > SKILL_NAME_LIMIT:
        problems.append(f"name {spec.name!r} is longer than a skill name may be (30)")
    days = spec.settings.dialing_rules.allowed_days
    if days is not None and set(days) != set(WEEKDAYS):
        problems.append(
            "allowed_days must be every day (or left unset): Personal Connection schedules "
            "cannot close a day; the compliance rules still judge each contact's days"
        )
    if problems:
        raise CXoneValidationError(
            "NICE CXone cannot provision this spec: " + "; ".join(problems),
            server_message="; ".join(problems),
        )


def _wanted_settings(spec: CampaignSpec) -> dict[str, Any]:
    window = spec.settings.dialing_rules
    return {
        "dialingWindow": {
            "start": window.start_time.strftime("%H:%M"),
            "end": window.end_time.strftime("%H:%M"),
        },
        # A percentage on this platform (the unit is inferred; the sources do not say).
        "abandonRateThreshold": round(spec.settings.predictive.abandonment_threshold * 100, 2),
        "maximumAttempts": spec.settings.rate_limits.max_calls_per_contact_per_week,
    }


def _schedule(spec: CampaignSpec) -> dict[str, Any]:
    """Every day active with the campaign's window (an inactive day is refused)."""
    window = _wanted_settings(spec)["dialingWindow"]
    schedule: dict[str, Any] = {"isScheduled": True}
    for day in _DAYS:
        schedule |= {
            f"{day}StartTime": window["start"],
            f"{day}EndTime": window["end"],
            f"{day}IsActive": True,
        }
    return schedule
