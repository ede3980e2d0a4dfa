"""What the flows need from a dialing platform, as one protocol.

`CXoneClient` speaks the described API (SPEC section 1); `AdminClient` speaks NICE's published
APIs (section 4). Tasks call these methods and never ask which platform they have: where a
platform lacks something (the described API has no calling-list upload or DNC groups; NICE
has no metrics webhook and keeps no consent data), the method raises `CXoneUnsupported`
saying so.

A `list_ref` names the list the platform dials: on NICE CXone the calling list's *name* (the
platform removes records by it), on the described API the contact list's id. The ids in it
are the calling-list records' external ids, or the contact ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Collection
from typing import Protocol, runtime_checkable

from ._dial_lists import CallingListColumns, DncAddResult, RemovalResult, UploadJob
from ._models import (
    CallAttempt,
    Campaign,
    CampaignMetrics,
    Contact,
    Webhook,
    WebhookRegistration,
)
from ._session import Operation
from ._spec import CampaignSpec


@runtime_checkable
class CampaignPlatform(Protocol):
    pushes_metrics: bool
    """True when the platform delivers metrics by webhook; False when they must be polled."""

    changes_by_key: bool
    """True when a status change is applied at most once per idempotency key and a change to
    a campaign already in that status is answered as applied without acting: the change may
    be sent without reading the campaign first. False: read first, send only if needed."""

    def check_supports(self, operation: Operation) -> None:
        """Raise `CXoneUnsupported` (saying what to use instead) when the platform lacks
        `operation`; no call is made."""

    async def find_campaigns_by_name(self, name: str) -> list[Campaign]: ...

    async def outbound_campaign_ids(self) -> list[str]:
        """Every outbound campaign's id (Personal Connection skills on NICE CXone)."""

    async def spec_differences(self, campaign: Campaign, spec: CampaignSpec) -> list[str]:
        """How an existing campaign differs from a spec, field by field."""

    def made_by(self, campaign: Campaign, idempotency_key: str) -> bool:
        """Whether `campaign` was created with this key (a create whose answer was lost)."""

    async def create_campaign(
        self, spec: CampaignSpec, *, idempotency_key: str | None = None
    ) -> Campaign: ...

    async def get_campaign(self, campaign_id: str) -> Campaign:
        """The campaign, its `status` "active" (dialling) or "paused"."""

    async def pause_campaign(self, campaign_id: str, *, idempotency_key: str) -> Campaign | None:
        """Ask for the campaign to stop dialling (live calls finish). Returns the campaign as
        the platform's answer shows it, or None when the answer shows none: callers confirm
        by reading it back."""

    async def resume_campaign(self, campaign_id: str, *, idempotency_key: str) -> Campaign | None:
        """Ask for the campaign to dial again; returns as `pause_campaign` does."""

    async def bulk_campaigns(self, campaign_ids: Collection[str]) -> dict[str, Campaign]:
        """Those of `campaign_ids` that one listing of every outbound campaign shows, with
        their names and statuses (a page per 100 skills on NICE CXone)."""

    async def get_metrics(self, campaign_id: str, window_minutes: int = 30) -> CampaignMetrics: ...

    async def bulk_metrics(
        self, campaign_ids: Collection[str], window_minutes: int
    ) -> dict[str, CampaignMetrics]:
        """The metrics of those of `campaign_ids` that one listing of every campaign gives
        (NICE's all-skills summary, a page per 100 skills); {} on a platform without such a
        listing (the described API). Read the campaigns left out with `get_metrics`."""

    def iter_contacts(self, list_id: str, *, query: str = ...) -> AsyncIterator[list[Contact]]: ...

    async def register_webhook(
        self, registration: WebhookRegistration, *, idempotency_key: str | None = None
    ) -> Webhook: ...

    async def find_or_create_calling_list(self, name: str, columns: CallingListColumns) -> str:
        """The id of the calling list named `name`, created with `columns` if missing."""

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
        """Submit one upload job of CSV records; returns the job id. Its records expire at
        `expires` (the platform's own default when None): a list that is not synced again
        stops dialling by itself."""

    async def upload_jobs(self, list_id: str) -> list[UploadJob]:
        """Every upload job of the list, pending ones included."""

    async def get_upload_job(self, job_id: str) -> UploadJob: ...

    async def cancel_upload_job(self, job_id: str) -> None: ...

    async def find_or_create_dnc_group(self, name: str) -> str: ...

    async def dnc_numbers(self, group_id: str) -> set[str]:
        """Every number in the group, as 10 NANP digits."""

    async def add_dnc_numbers(self, group_id: str, numbers: list[str]) -> DncAddResult: ...

    async def scrub_skill(self, group_id: str, skill_id: str) -> None:
        """Make the skill scrub the group (never dial its numbers); a repeat is harmless."""

    async def scrubbed_skills(self, group_id: str) -> set[str]:
        """The ids of every skill the group scrubs."""

    async def contribute_skill(self, group_id: str, skill_id: str) -> None:
        """Make the skill contribute to the group: a call on it that ends with a do-not-call
        disposition adds the number to the group; a repeat is harmless."""

    async def contributing_skills(self, group_id: str) -> set[str]:
        """The ids of every skill that contributes to the group."""

    def call_attempts(
        self, campaign_id: str, since: dt.datetime, until: dt.datetime
    ) -> AsyncIterator[list[CallAttempt]]:
        """The campaign's call attempts made in [since, until), a page at a time, oldest
        first, each with its result and disposition."""

    async def remove_contacts(self, list_ref: str, ids: list[str]) -> RemovalResult:
        """Take these records (contacts) out of the list: never dialled again."""

    async def contacts_with_number(self, list_ref: str, numbers: list[str]) -> dict[str, list[str]]:
        """Each number (ten digits) with the ids of the list's records holding it."""

    async def aclose(self) -> None: ...
