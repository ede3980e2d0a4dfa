"""The async CXone client: one `call_endpoint`, typed methods on top of it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ._auth import ClientCredentialsAuth
from ._config import CXoneConfig
from ._dial_lists import (
    CallingListColumns,
    DncAddResult,
    RemovalResult,
    UploadJob,
    ten_digits,
    wanted_numbers,
)
from ._exceptions import CXoneConflict, CXoneInvalidResponse, CXoneNotFound, CXoneUnsupported
from ._export import export_contacts
from ._masking import mask_phone
from ._models import (
    AttemptResult,
    CallAttempt,
    Campaign,
    CampaignList,
    CampaignMetrics,
    CampaignPayload,
    CampaignStatus,
    Contact,
    ContactPage,
    ServerModel,
    Webhook,
    WebhookRegistration,
    as_utc,
)
from ._ratelimit import BucketRegistry
from ._session import Operation, SessionClient, json_of
from ._spec import CampaignSpec, differences
from ._tokens import TokenCache, token_key
from ._transport import IDEMPOTENCY_HEADER, RetryPolicy

M = TypeVar("M", bound=BaseModel)

API = "/api/v2/omnichannel"
CONSENTED_QUERY = "consentFlags.outbound.call==true"
PHONE_QUERY = "phoneNumber=="
PAGE_SIZE = 100
CONCURRENCY = 4  # requests in flight for per-number lookups and per-contact removals
logger = logging.getLogger("cxone")
T = TypeVar("T")
R = TypeVar("R")


class OutcomeDisposition(ServerModel):
    code: str
    name: str | None = None


class Outcome(ServerModel):
    """One entry of `GET .../campaigns/{id}/outcomes` (the simulator's, not the tutorial's)."""

    id: str
    campaign_id: str
    contact_id: str | None = None
    phone_number: str | None = None
    attempted_at: dt.datetime
    result: str
    disposition: OutcomeDisposition | None = None


class OutcomePage(ServerModel):
    outcomes: list[Outcome]
    page: int
    page_size: int
    total_count: int


async def bounded(items: list[T], work: Callable[[T], Awaitable[R]]) -> list[R]:
    """`work(item)` for every item, at most `CONCURRENCY` at once; results in item order."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item: T) -> R:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


def _wire_time(moment: dt.datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def _attempt(outcome: Outcome) -> CallAttempt | None:
    number = ten_digits(outcome.phone_number or "")
    if number is None:
        logger.warning(
            "outcome %s has no NANP number (%s); skipped",
            outcome.id,
            mask_phone(outcome.phone_number),
        )
        return None
    disposition = outcome.disposition
    return CallAttempt(
        attempt_id=outcome.id,
        campaign_id=outcome.campaign_id,
        number=number,
        attempted_at=outcome.attempted_at,
        result=outcome.result if outcome.result in set(AttemptResult) else AttemptResult.OTHER,
        disposition_id=disposition.code if disposition else None,
        disposition_name=disposition.name if disposition else None,
        contact_id=outcome.contact_id,
    )


class CXoneClient(SessionClient):
    """Talks to the described CXone API; implements `CampaignPlatform`.

    Use it as an async context manager, inside the event loop that uses it.

    Args:
        config: tenant settings.
        transport: what sits below the retry layer; default real HTTP. Tests pass
            `simulator.asgi_transport(app)` to talk to an in-process simulator.
        retry_policy: override the retry timing (tests inject a fake sleep).
        token_cache: share tokens with other clients of the same credentials (the
            credentials blocks pass the process-wide `SHARED_TOKENS`).
        buckets: share the rate limit with other clients of the same tenant (the
            credentials blocks pass the process-wide `SHARED_BUCKETS`).

    Example:
        >>> import asyncio
        >>> import httpx
        >>> from cxone import CXoneClient, CXoneConfig
        >>> def platform(request):  # a stand-in answering the token and the listing
        ...     if request.url.path.endswith("/oauth/token"):
        ...         return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        ...     campaign = {"id": "cmp_1", "name": "Renewals", "status": "active"}
        ...     return httpx.Response(200, json={"campaigns": [campaign], "totalCount": 1})
        >>> async def names(config):
        ...     transport = httpx.MockTransport(platform)
        ...     async with CXoneClient(config, transport=transport) as client:
        ...         return [c.name for c in (await client.list_campaigns()).campaigns]
        >>> asyncio.run(names(CXoneConfig(client_id="id", client_secret="secret")))
        ['Renewals']
    """

    # The described API delivers metrics by webhook; nothing needs to poll it.
    pushes_metrics = True
    # A status change carries X-Idempotency-Key, and one to a campaign already in that status
    # is refused with 409 (nothing changes); its 200 answer is the campaign.
    changes_by_key = True
    lacks: ClassVar[Mapping[Operation, str]] = {
        "dial_lists": "the described API has no calling lists, upload jobs or DNC groups; on "
        "this platform use export_segmented_contacts, which segments the platform's own lists"
    }

    def __init__(
        self,
        config: CXoneConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        token_cache: TokenCache | None = None,
        buckets: BucketRegistry | None = None,
    ):
        super().__init__(
            config,
            lambda send: ClientCredentialsAuth(config, send, cache=token_cache),
            transport,
            retry_policy,
            rate=(buckets, token_key(config.base_url, config.client_id)) if buckets else None,
        )

    def __repr__(self) -> str:
        config = self.config
        return f"CXoneClient(base_url={config.base_url!r}, client_id={config.client_id!r})"

    async def call_endpoint(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one request and return its JSON body, or raise the matching `CXoneError`.

        State-changing methods always carry `X-Idempotency-Key` (a fresh one unless given),
        and every retry of this call re-sends the same key. The whole call, retries and
        waits included, ends within `config.deadline_seconds`.
        """
        headers = {}
        if method.upper() not in ("GET", "HEAD"):
            headers[IDEMPOTENCY_HEADER] = idempotency_key or str(uuid.uuid4())
        response = await self._session.send(
            method, f"{self.config.base_url}{path}", params=params, json=json, headers=headers
        )
        if response.status_code == 204:  # No Content: a removal's answer
            return None
        return json_of(response)

    async def _call_model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        body = await self.call_endpoint(method, path, **kwargs)
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise CXoneInvalidResponse(
                f"{method} {self.config.base_url}{path} answered with a {model.__name__} "
                f"the client cannot read: {exc.errors(include_url=False, include_input=False)}"
            ) from None

    async def create_campaign(
        self, spec: CampaignSpec | CampaignPayload, *, idempotency_key: str | None = None
    ) -> Campaign:
        """Create a campaign from a spec (or a ready payload); pass the operation's key."""
        payload = spec.payload() if isinstance(spec, CampaignSpec) else spec
        return await self._call_model(
            Campaign,
            "POST",
            f"{API}/campaigns",
            json=payload.to_wire(),
            idempotency_key=idempotency_key,
        )

    async def spec_differences(self, campaign: Campaign, spec: CampaignSpec) -> list[str]:
        """The payload fields the campaign holds otherwise; its status is how it runs, not
        what it is (a failover resumes a backup created paused)."""
        wanted = spec.payload().to_wire()
        wanted.pop("status")
        return differences(wanted, campaign.model_dump(mode="json", by_alias=True))

    def made_by(self, campaign: Campaign, idempotency_key: str) -> bool:
        # The API does not say which key created a campaign; an identical one is adopted.
        return False

    async def pause_campaign(self, campaign_id: str, *, idempotency_key: str) -> Campaign:
        return await self.set_campaign_status(
            campaign_id, "paused", idempotency_key=idempotency_key
        )

    async def resume_campaign(self, campaign_id: str, *, idempotency_key: str) -> Campaign:
        return await self.set_campaign_status(
            campaign_id, "active", idempotency_key=idempotency_key
        )

    async def list_campaigns(self, name: str | None = None) -> CampaignList:
        params = {"name": name} if name is not None else None
        return await self._call_model(CampaignList, "GET", f"{API}/campaigns", params=params)

    async def find_campaigns_by_name(self, name: str) -> list[Campaign]:
        """Every campaign with exactly this name (the server does not enforce uniqueness)."""
        return [c for c in (await self.list_campaigns(name)).campaigns if c.name == name]

    async def outbound_campaign_ids(self) -> list[str]:
        """Every campaign's id (the described API's campaigns are all outbound)."""
        return [campaign.id for campaign in (await self.list_campaigns()).campaigns]

    async def get_campaign(self, campaign_id: str) -> Campaign:
        return await self._call_model(Campaign, "GET", f"{API}/campaigns/{campaign_id}")

    async def bulk_campaigns(self, campaign_ids: Collection[str]) -> dict[str, Campaign]:
        wanted = set(campaign_ids)
        return {c.id: c for c in (await self.list_campaigns()).campaigns if c.id in wanted}

    async def set_campaign_status(
        self, campaign_id: str, status: CampaignStatus, *, idempotency_key: str | None = None
    ) -> Campaign:
        """Set a campaign's status; a 409 because it already has that status counts as done."""
        try:
            return await self._call_model(
                Campaign,
                "PUT",
                f"{API}/campaigns/{campaign_id}",
                json={"status": status},
                idempotency_key=idempotency_key,
            )
        except CXoneConflict:
            campaign = await self.get_campaign(campaign_id)
            if campaign.status != status:
                raise
            return campaign

    async def get_contact_page(
        self, list_id: str, page: int, *, query: str = CONSENTED_QUERY, page_size: int = 100
    ) -> ContactPage:
        params = {
            "query": query,
            "page": page,
            "pageSize": page_size,
            "sortBy": "id",  # a stable order is what makes de-duplication across pages sound
            "sortOrder": "asc",
        }
        return await self._call_model(
            ContactPage, "GET", f"{API}/contactlists/{list_id}/contacts", params=params
        )

    async def iter_contacts(
        self,
        list_id: str,
        *,
        query: str = CONSENTED_QUERY,
        page_size: int = 100,
        concurrency: int = 4,
    ) -> AsyncIterator[list[Contact]]:
        """Yield the list's contacts in id order, a page at a time, each contact once."""

        async def fetch(page: int) -> ContactPage:
            return await self.get_contact_page(list_id, page, query=query, page_size=page_size)

        async for contacts in export_contacts(fetch, concurrency=concurrency):
            yield contacts

    async def get_metrics(self, campaign_id: str, window_minutes: int = 30) -> CampaignMetrics:
        metrics = await self._call_model(
            CampaignMetrics,
            "GET",
            f"{API}/campaigns/{campaign_id}/metrics",
            params={"windowMinutes": window_minutes},
        )
        # Connected calls are the ones answered and handed to an agent.
        return metrics.model_copy(update={"calls_handled": metrics.calls_connected})

    async def bulk_metrics(
        self, campaign_ids: Collection[str], window_minutes: int
    ) -> dict[str, CampaignMetrics]:
        """Nothing: the described API reads metrics one campaign at a time (SPEC section 1)."""
        return {}

    def _no_dial_lists(self) -> CXoneUnsupported:
        return CXoneUnsupported(self.lacks["dial_lists"])

    async def find_or_create_calling_list(self, name: str, columns: CallingListColumns) -> str:
        raise self._no_dial_lists()

    async def upload_calling_list(self, list_id: str, csv: bytes, **options: Any) -> str:
        raise self._no_dial_lists()

    async def upload_jobs(self, list_id: str) -> list[UploadJob]:
        raise self._no_dial_lists()

    async def get_upload_job(self, job_id: str) -> UploadJob:
        raise self._no_dial_lists()

    async def cancel_upload_job(self, job_id: str) -> None:
        raise self._no_dial_lists()

    async def find_or_create_dnc_group(self, name: str) -> str:
        raise self._no_dial_lists()

    async def dnc_numbers(self, group_id: str) -> set[str]:
        raise self._no_dial_lists()

    async def add_dnc_numbers(self, group_id: str, numbers: list[str]) -> DncAddResult:
        raise self._no_dial_lists()

    async def scrub_skill(self, group_id: str, skill_id: str) -> None:
        raise self._no_dial_lists()

    async def scrubbed_skills(self, group_id: str) -> set[str]:
        raise self._no_dial_lists()

    async def contribute_skill(self, group_id: str, skill_id: str) -> None:
        raise self._no_dial_lists()

    async def contributing_skills(self, group_id: str) -> set[str]:
        raise self._no_dial_lists()

    # What happened to the calls, and taking contacts out of a list (the simulator's routes,
    # not the tutorial's).

    async def call_attempts(
        self, campaign_id: str, since: dt.datetime, until: dt.datetime
    ) -> AsyncIterator[list[CallAttempt]]:
        """The campaign's attempts made in [since, until), a page at a time, oldest first.

        Read from `GET .../campaigns/{id}/outcomes` (scope `analytics:read`). An attempt
        whose number is no NANP number is logged and left out.

        Example:
            >>> async def day(client, campaign_id, since, until):
            ...     return [a async for page in client.call_attempts(campaign_id, since, until)
            ...             for a in page]

        Raises:
            CXoneNotFound: The campaign does not exist.
            CXoneError: Any other failure of a request, after its retries.
        """
        params = {"since": _wire_time(since), "until": _wire_time(until), "pageSize": PAGE_SIZE}
        page_number = 1
        while True:
            page = await self._call_model(
                OutcomePage,
                "GET",
                f"{API}/campaigns/{campaign_id}/outcomes",
                params={**params, "page": page_number},
            )
            attempts = [a for a in map(_attempt, page.outcomes) if a is not None]
            if attempts:
                yield attempts
            read = (page_number - 1) * page.page_size + len(page.outcomes)
            if len(page.outcomes) < page.page_size or read >= page.total_count:
                return
            page_number += 1

    async def remove_contacts(self, list_ref: str, ids: list[str]) -> RemovalResult:
        """Take contacts out of the contact list `list_ref` (its id), one request each.

        A contact the list does not hold fails with "not found" (one already removed too).

        Example:
            >>> async def forget(client):
            ...     return await client.remove_contacts("CL-1", ["c0000007"])

        Raises:
            CXoneError: A request failed otherwise than with 404, after its retries.
        """

        async def remove(contact_id: str) -> str | None:
            try:
                await self.call_endpoint(
                    "DELETE", f"{API}/contactlists/{list_ref}/contacts/{contact_id}"
                )
            except CXoneNotFound as exc:
                return f"not found: {exc}"
            return None

        outcomes = await bounded(list(dict.fromkeys(ids)), remove)
        failures = [
            (cid, why) for cid, why in zip(dict.fromkeys(ids), outcomes, strict=True) if why
        ]
        return RemovalResult(removed=len(outcomes) - len(failures), failures=failures)

    async def contacts_with_number(self, list_ref: str, numbers: list[str]) -> dict[str, list[str]]:
        """Each number (as ten digits) with the ids of the contacts of list `list_ref` holding
        it, in id order; [] for a number no contact holds. One query per number
        (`phoneNumber==+1...`), never a read of the whole list.

        Example:
            >>> async def holders(client):
            ...     return await client.contacts_with_number("CL-1", ["(212) 555-0101"])

        Raises:
            ValueError: A number is no NANP number.
            CXoneNotFound: The list does not exist.
        """

        async def holders(digits: str) -> list[str]:
            ids: list[str] = []
            async for contacts in self.iter_contacts(list_ref, query=f"{PHONE_QUERY}+1{digits}"):
                ids += [contact.id for contact in contacts]
            return ids

        wanted = wanted_numbers(numbers)
        return dict(zip(wanted, await bounded(wanted, holders), strict=True))

    async def register_webhook(
        self, registration: WebhookRegistration, *, idempotency_key: str | None = None
    ) -> Webhook:
        return await self._call_model(
            Webhook,
            "POST",
            f"{API}/webhooks",
            json=registration.to_wire(),
            idempotency_key=idempotency_key,
        )
