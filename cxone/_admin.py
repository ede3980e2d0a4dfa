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

What happened to the calls, and taking records out of a list (shapes from the client that
calljacob/nice-cxone-api generates from NICE's OpenAPI files):

- Attempts come from the Reporting API's `GET /contacts/completed?skillId=&startDate=
  &endDate=&skip=&top=` (`ReportingReportingService.ts`: `{totalRecords, completedContacts:
  [...]}`; its type for `GET /contacts` names the array `contacts`, so both are read).
  Disposition names come from `GET /dispositions` (`AdminSkillsService.ts`), read once per
  client, and `GET /dispositions/{id}` for an id that list lacked. How a contact's fields
  tell a busy line from an answering machine is not in the sources (inferred, see
  `attempt_result`).
- `DELETE /lists/call-lists/{sourceName}/removeProspects` with `{"prospectsToRemove":
  [{"externalId"}]}` answers `{successfulRecords, failedRecords: [{externalId,
  resultCode}]}` (`AdminListsService.ts`; both are arrays there, a count is read too). The
  spec types `externalId` as a number; external ids are sent as the strings they are
  (inferred: the product's ids are not numbers). Batches of 100 (the limit was not found).
- `GET /lists/call-lists/{listId}?includeRecords=true&skip=&top=` gives a list's records in
  `resultSet.contactRecords`; their field names are not in the sources (the generator
  collapsed them), so the external id is read from `ExternalId` or `externalId` and numbers
  from `PhoneNumber`, `phoneNumber` and any field whose name ends in "Number" (inferred).
- `GET/POST /dnc-groups/{id}/contributing-skills[/{skillId}]`, `{contributingSkills:
  [{skillId, skillName}]}` like the scrubbed skills (`AdminListsService.ts`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ._access_key_auth import AccessKeyAuth
from ._config import AccessKeyConfig
from ._dial_lists import (
    CallingListColumns,
    DncAddResult,
    RemovalResult,
    UploadBody,
    UploadJob,
    ten_digits,
    wanted_numbers,
)
from ._exceptions import (
    CXoneInvalidResponse,
    CXoneNotFound,
    CXoneServerError,
    CXoneUnsupported,
    CXoneValidationError,
)
from ._masking import mask_phone
from ._models import (
    WEEKDAYS,
    AttemptResult,
    CallAttempt,
    Campaign,
    CampaignMetrics,
    Contact,
    Webhook,
    WebhookRegistration,
    as_utc,
)
from ._ratelimit import BucketRegistry
from ._session import Operation, SessionClient, json_of
from ._spec import CampaignSpec, differences
from ._tokens import TokenCache, token_key
from ._transport import REPLAY_SAFE_EXTENSION, RetryPolicy

BASE_PATH = "/incontactapi/services"
VERSION = 30  # what integrations verified live use for skills, lists and DNC
CAMPAIGN_VERSION = 33  # POST /campaigns takes its flat body from v33.0 on
PAGE = 100  # `top` is capped at 100
_SUMMARIES = "skillSummaries"
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
# Words of a disposition or end reason that say how an unanswered call ended (inferred).
_ENDINGS = (
    (re.compile(r"machine|voice ?mail", re.IGNORECASE), AttemptResult.MACHINE),
    (re.compile(r"busy", re.IGNORECASE), AttemptResult.BUSY),
    (re.compile(r"no ?answer", re.IGNORECASE), AttemptResult.NO_ANSWER),
)
logger = logging.getLogger("cxone")


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


def utc_z_after(moment: dt.datetime) -> str:
    """`utc_z` of the first whole second at or after `moment`.

    Example:
        >>> utc_z_after(dt.datetime(2026, 3, 2, 15, 0, 0, 500, tzinfo=dt.UTC))
        '2026-03-02T15:00:01Z'
    """
    whole = moment.replace(microsecond=0)
    return utc_z(whole if whole == moment else whole + dt.timedelta(seconds=1))


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def attempt_result(contact: dict[str, Any], disposition: dict[str, Any] | None) -> AttemptResult:
    """How a completed contact ended. Inferred (the sources define none of it): `abandoned`
    first; then words of the disposition (its `systemOutcome` and name) or the `endReason`
    naming an answering machine, a busy line or no answer; then agent time means answered.

    Example:
        >>> attempt_result({"abandoned": "true"}, None)
        <AttemptResult.ABANDONED: 'abandoned'>
        >>> attempt_result({"agentSeconds": "40"}, {"dispositionName": "Answering Machine"})
        <AttemptResult.MACHINE: 'machine'>
        >>> attempt_result({"agentSeconds": "0", "endReason": "No Answer"}, None)
        <AttemptResult.NO_ANSWER: 'no_answer'>
        >>> attempt_result({"agentSeconds": 75}, {"dispositionName": "Sale"})
        <AttemptResult.ANSWERED: 'answered'>
    """
    if _flag(contact.get("abandoned")):
        return AttemptResult.ABANDONED
    texts = ((disposition or {}).get(key) for key in ("systemOutcome", "dispositionName"))
    words = " ".join(str(text) for text in (*texts, contact.get("endReason")) if text)
    for pattern, result in _ENDINGS:
        if pattern.search(words):
            return result
    if as_int(contact.get("agentSeconds")) > 0:
        return AttemptResult.ANSWERED
    return AttemptResult.OTHER


def _record_id(record: dict[str, Any]) -> str | None:
    external_id = record.get("ExternalId", record.get("externalId"))
    return None if external_id in (None, "") else str(external_id)


def _record_numbers(record: dict[str, Any]) -> set[str]:
    """The ten-digit numbers of a calling-list record's phone fields (inferred names)."""
    return {
        digits
        for name, value in record.items()
        if name.lower() in ("phonenumber", "phone") or name.lower().endswith("number")
        if (digits := ten_digits(str(value)))
    }


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
    # Start and stop carry no key and answer no skill: read before (a start of a running
    # skill may answer an error) and after.
    changes_by_key = False
    lacks: ClassVar[Mapping[Operation, str]] = {
        "contact_export": "NICE CXone keeps no consent data to segment: scrub contacts from "
        "your own systems with sync_dial_list, which uploads the dialable set to a calling list",
        "metrics_webhook": "NICE CXone has no metrics webhook: the dashboard polls each pair's "
        "skill summary",
    }

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
        self._dispositions: dict[int, dict[str, Any] | None] | None = (
            None  # read once, on first need
        )

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

    async def outbound_campaign_ids(self) -> list[str]:
        """Every Personal Connection phone skill's id."""
        skills = await self._all(
            "/skills",
            "skills",
            {"mediaTypeId": PHONE_MEDIA, "outboundStrategy": PERSONAL_CONNECTION},
        )
        return [
            str(skill["skillId"])
            for skill in skills
            if skill.get("outboundStrategy", PERSONAL_CONNECTION) == PERSONAL_CONNECTION
            and "skillId" in skill
        ]

    async def bulk_campaigns(self, campaign_ids: Collection[str]) -> dict[str, Campaign]:
        """The outbound phone skills, a page of 100 a request, until every wanted one is
        found; like `bulk_metrics`, a page that brings no new skill is the last."""
        wanted, seen = set(campaign_ids), dict[str, dict[str, Any]]()
        params = {"mediaTypeId": PHONE_MEDIA, "outboundStrategy": PERSONAL_CONNECTION}
        while wanted - seen.keys():
            query = {**params, "skip": len(seen), "top": PAGE}
            page = unwrap(await self.call("GET", "/skills", params=query), "skills")
            fresh = {str(skill.get("skillId")) for skill in page} - seen.keys()
            seen.update((str(skill.get("skillId")), skill) for skill in page)
            if len(page) < PAGE or not fresh:
                break
        return {skill: _campaign(row) for skill, row in seen.items() if skill in wanted}

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
        try:
            body = await self.call("POST", "/skills", json={"skills": [item]})
        except CXoneServerError:
            # The answer was lost (a dropped connection, a timeout, a 5xx): the skill may have
            # been created all the same, and its notes say whether by this call.
            made = await self._made_skill(spec.name, key)
            if made is None:
                raise
            return made
        results = unwrap(body, "skillsResults")
        if results and results[0].get("success") and results[0].get("skillId"):
            return await self.get_campaign(str(results[0]["skillId"]))
        error = results[0].get("error") if results else "no result"
        # A create whose answer was lost and is retried meets its own skill's name.
        made = await self._made_skill(spec.name, key)
        if made is None:
            raise CXoneValidationError(
                f"POST /skills refused skill {spec.name!r}: {error}", server_message=str(error)
            )
        return made

    async def _made_skill(self, name: str, key: str) -> Campaign | None:
        """The skill named `name` that a create with `key` made, or None; a new skill may take
        a few seconds to be listed, so it is looked for within `LISTING_GRACE_SECONDS`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LISTING_GRACE_SECONDS
        while True:
            for campaign in await self.find_campaigns_by_name(name):
                if self.made_by(campaign, key):
                    return campaign
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(LISTING_POLL_SECONDS)

    async def pause_campaign(self, campaign_id: str, *, idempotency_key: str) -> None:
        """Stop the skill without `force`: live calls end normally (force would cut them).
        The answer shows no skill (None): callers read it back."""
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
        params, end = self._window(window_minutes)
        body = await self.call("GET", f"/skills/{campaign_id}/summary", params=params)
        rows = unwrap(body, _SUMMARIES)
        return _metrics(rows[0] if rows else {}, end)

    async def bulk_metrics(
        self, campaign_ids: Collection[str], window_minutes: int
    ) -> dict[str, CampaignMetrics]:
        """The outbound skills' summaries, a page of 100 skills a request, for the wanted ones.

        A server that answers every skill whatever `skip` says ends the listing too: a page
        that brings no new skill is the last.
        """
        params, end = self._window(window_minutes)
        wanted, rows = set(campaign_ids), dict[str, dict[str, Any]]()
        while wanted - rows.keys():
            query = {**params, "isOutbound": "true", "skip": len(rows), "top": PAGE}
            page = unwrap(await self.call("GET", "/skills/summary", params=query), _SUMMARIES)
            fresh = {str(row.get("skillId")): row for row in page}.keys() - rows.keys()
            rows.update((str(row.get("skillId")), row) for row in page)
            if len(page) < PAGE or not fresh:
                break
        return {skill: _metrics(row, end) for skill, row in rows.items() if skill in wanted}

    def _window(self, window_minutes: int) -> tuple[dict[str, str], dt.datetime]:
        """The summary's dates for the last `window_minutes`, and its end."""
        # Dates go out in whole seconds; round the end up so this second's calls count.
        end = self._clock().replace(microsecond=0) + dt.timedelta(seconds=1)
        start = end - dt.timedelta(minutes=window_minutes)
        return {"startDate": utc_z(start), "endDate": utc_z(end)}, end

    def iter_contacts(self, list_id: str, *, query: str = "") -> AsyncIterator[list[Contact]]:
        raise CXoneUnsupported(self.lacks["contact_export"])

    async def register_webhook(
        self, registration: WebhookRegistration, *, idempotency_key: str | None = None
    ) -> Webhook:
        raise CXoneUnsupported(self.lacks["metrics_webhook"])

    # Calling lists and upload jobs.

    async def _calling_lists_named(self, name: str, *, must_exist: bool = False) -> list[str]:
        """The ids of the calling lists named `name`.

        Raises:
            CXoneNotFound: None is, when `must_exist`.
        """
        lists = await self._all("/lists/call-lists", "callingLists")
        found = [str(item["listId"]) for item in lists if item.get("listName") == name]
        if must_exist and not found:
            raise CXoneNotFound(f"no calling list is named {name!r}")
        return found

    async def find_or_create_calling_list(self, name: str, columns: CallingListColumns) -> str:
        found = await self._calling_lists_named(name)
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
        expires: dt.date | None = None,
    ) -> str:
        """Submit one file; `overwrite` replaces the list's records, else they are appended.
        The records expire on `expires` (default: in 30 days).

        Never sets `startSkill`: uploading to a running skill dials at once, and only the
        caller decides when a skill dials.
        """
        expiration = (expires or (self._clock() + dt.timedelta(days=30)).date()).isoformat()
        fields = {
            "fileName": file_name,
            "skillId": int(skill_id) if skill_id else None,
            "defaultTimeZone": time_zone,
            "forceOverwrite": overwrite,
            "expirationDate": expiration,
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
        await self._add_skill(group_id, "scrubbed-skills", skill_id)

    async def scrubbed_skills(self, group_id: str) -> set[str]:
        """The ids of every skill the group scrubs, as strings; empty when none (204).

        Raises:
            CXoneNotFound: The group does not exist.
        """
        return await self._skills_of(group_id, "scrubbed-skills", "scrubbedSkills")

    async def contribute_skill(self, group_id: str, skill_id: str) -> None:
        """Make the skill contribute to the group: a call on the skill that ends with a
        do-not-call disposition adds its number to the group. A repeat is harmless.

        Example:
            >>> async def wire(client, group_id, skill_id):
            ...     await client.contribute_skill(group_id, skill_id)
            ...     return skill_id in await client.contributing_skills(group_id)

        Raises:
            CXoneNotFound: The group or the skill does not exist.
        """
        await self._add_skill(group_id, "contributing-skills", skill_id)

    async def contributing_skills(self, group_id: str) -> set[str]:
        """The ids of every skill that contributes to the group; empty when none (204).

        Raises:
            CXoneNotFound: The group does not exist.
        """
        return await self._skills_of(group_id, "contributing-skills", "contributingSkills")

    async def _add_skill(self, group_id: str, kind: str, skill_id: str) -> None:
        await self.call("POST", f"/dnc-groups/{group_id}/{kind}/{skill_id}", replay_safe=True)

    async def _skills_of(self, group_id: str, kind: str, key: str) -> set[str]:
        skills = await self._all(f"/dnc-groups/{group_id}/{kind}", key)
        return {str(skill["skillId"]) for skill in skills if skill.get("skillId") is not None}

    # What happened to the calls, and taking records out of a list.

    async def call_attempts(
        self, campaign_id: str, since: dt.datetime, until: dt.datetime
    ) -> AsyncIterator[list[CallAttempt]]:
        """The skill's attempts (completed contacts) that started in [since, until), a page
        at a time, oldest first, with their dispositions' names.

        An inbound contact is left out, and so is one whose `toAddress` is no NANP number
        (logged). A contact without a disposition (id 0 or none) has `disposition_id` None.

        Example:
            >>> async def day(client, skill_id, since, until):
            ...     return [a async for page in client.call_attempts(skill_id, since, until)
            ...             for a in page]

        Raises:
            CXoneNotFound: The skill does not exist (as the platform answers it).
            CXoneError: Any other failure of a request, after its retries.
        """
        since, until = as_utc(since), as_utc(until)
        params = {"skillId": campaign_id, "startDate": utc_z(since), "endDate": utc_z_after(until)}
        skip = 0
        while True:
            body = await self.call(
                "GET", "/contacts/completed", params={**params, "skip": skip, "top": PAGE}
            )
            contacts = unwrap(body, "completedContacts") or unwrap(body, "contacts")
            attempts = []
            for contact in contacts:
                attempt = await self._attempt(campaign_id, contact)
                if attempt is not None and since <= attempt.attempted_at < until:
                    attempts.append(attempt)
            if attempts:
                yield attempts
            skip += len(contacts)
            if len(contacts) < PAGE:
                return

    async def _attempt(self, campaign_id: str, contact: dict[str, Any]) -> CallAttempt | None:
        outbound = contact.get("isOutbound")
        if outbound is not None and not _flag(outbound):
            return None  # an inbound contact on the skill is no attempt
        number = ten_digits(str(contact.get("toAddress", "")))
        if number is None:
            logger.warning(
                "completed contact %s has no NANP toAddress (%s); skipped",
                contact.get("contactId"),
                mask_phone(contact.get("toAddress")),
            )
            return None
        disposition_id = as_int(contact.get("primaryDispositionId")) or None
        disposition = await self._disposition(disposition_id) if disposition_id else None
        return CallAttempt(
            attempt_id=str(contact["contactId"]),
            campaign_id=str(contact.get("skillId") or campaign_id),
            number=number,
            attempted_at=contact["contactStartDate"],
            result=attempt_result(contact, disposition),
            disposition_id=str(disposition_id) if disposition_id else None,
            disposition_name=(disposition or {}).get("dispositionName"),
            contact_id=str(contact["contactId"]),
        )

    async def _disposition(self, disposition_id: int) -> dict[str, Any] | None:
        """A disposition by id: the tenant's list read once, then one read per id it lacks."""
        if self._dispositions is None:
            listed = await self._all("/dispositions", "dispositions")
            self._dispositions = {as_int(d.get("dispositionId")): d for d in listed}
        if disposition_id not in self._dispositions:
            try:
                body = await self.call("GET", f"/dispositions/{disposition_id}")
            except CXoneNotFound:
                body = None
            found = unwrap(body, "dispositions") or ([body] if isinstance(body, dict) else [])
            self._dispositions[disposition_id] = found[0] if found else None
        return self._dispositions[disposition_id]

    async def remove_contacts(self, list_ref: str, ids: list[str]) -> RemovalResult:
        """Take the records with these external ids out of the calling list named `list_ref`
        (removeProspects, in batches of 100): they are never dialled again.

        An id the list does not hold fails with the platform's result code (a replayed batch
        reports its ids so too, as they are already gone).

        Example:
            >>> async def forget(client):
            ...     return await client.remove_contacts("Renewals", ["c0000007"])

        Raises:
            CXoneNotFound: No calling list has this name.
            CXoneError: Any other failure of a request, after its retries.
        """
        result = RemovalResult()
        unique = list(dict.fromkeys(ids))
        path = f"/lists/call-lists/{quote(list_ref, safe='')}/removeProspects"
        for start in range(0, len(unique), PAGE):
            batch = unique[start : start + PAGE]
            body = await self.call(
                "DELETE",
                path,
                json={"prospectsToRemove": [{"externalId": external_id} for external_id in batch]},
                replay_safe=True,  # removing a removed record changes nothing
            )
            body = body if isinstance(body, dict) else {}
            succeeded = body.get("successfulRecords")
            result.removed += len(succeeded) if isinstance(succeeded, list) else as_int(succeeded)
            for failed in body.get("failedRecords") or []:
                reason = failed.get("resultCode") or failed.get("error") or "failed"
                result.failures.append((str(failed.get("externalId")), str(reason)))
        return result

    async def contacts_with_number(self, list_ref: str, numbers: list[str]) -> dict[str, list[str]]:
        """Each number (as ten digits) with the external ids of the records of the calling
        list(s) named `list_ref` that hold it in any phone field; [] for a number none holds.

        The platform has no search by number: this reads the list's records, a page of 100
        at a time (`includeRecords=true`).

        Example:
            >>> async def holders(client):
            ...     return await client.contacts_with_number("Renewals", ["(212) 555-0101"])

        Raises:
            ValueError: A number is no NANP number.
            CXoneNotFound: No calling list has this name.
        """
        found: dict[str, list[str]] = {digits: [] for digits in wanted_numbers(numbers)}
        for list_id in await self._calling_lists_named(list_ref, must_exist=True):
            skip = 0
            while True:
                params = {"includeRecords": "true", "skip": skip, "top": PAGE}
                body = await self.call("GET", f"/lists/call-lists/{list_id}", params=params)
                records = unwrap(body, "contactRecords")
                for record in records:
                    external_id = _record_id(record)
                    for digits in _record_numbers(record) & found.keys():
                        if external_id and external_id not in found[digits]:
                            found[digits].append(external_id)
                skip += len(records)
                if len(records) < PAGE:
                    break
        return found


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


def _metrics(row: dict[str, Any], end: dt.datetime) -> CampaignMetrics:
    """A skill summary's row as metrics: success rate = connects / dials."""
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
