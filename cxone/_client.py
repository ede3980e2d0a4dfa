"""The async CXone client: one `call_endpoint`, typed methods on top of it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ._auth import ClientCredentialsAuth
from ._config import CXoneConfig
from ._dial_lists import CallingListColumns, DncAddResult, UploadJob
from ._exceptions import CXoneConflict, CXoneInvalidResponse, CXoneUnsupported
from ._export import export_contacts
from ._models import (
    Campaign,
    CampaignList,
    CampaignMetrics,
    CampaignPayload,
    CampaignStatus,
    Contact,
    ContactPage,
    Webhook,
    WebhookRegistration,
)
from ._ratelimit import BucketRegistry
from ._session import SessionClient, json_of
from ._spec import CampaignSpec, differences
from ._tokens import TokenCache, token_key
from ._transport import IDEMPOTENCY_HEADER, RetryPolicy

M = TypeVar("M", bound=BaseModel)

API = "/api/v2/omnichannel"
CONSENTED_QUERY = "consentFlags.outbound.call==true"


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

    async def pause_campaign(self, campaign_id: str, *, idempotency_key: str) -> None:
        await self.set_campaign_status(campaign_id, "paused", idempotency_key=idempotency_key)

    async def resume_campaign(self, campaign_id: str, *, idempotency_key: str) -> None:
        await self.set_campaign_status(campaign_id, "active", idempotency_key=idempotency_key)

    async def list_campaigns(self, name: str | None = None) -> CampaignList:
        params = {"name": name} if name is not None else None
        return await self._call_model(CampaignList, "GET", f"{API}/campaigns", params=params)

    async def find_campaigns_by_name(self, name: str) -> list[Campaign]:
        """Every campaign with exactly this name (the server does not enforce uniqueness)."""
        return [c for c in (await self.list_campaigns(name)).campaigns if c.name == name]

    async def get_campaign(self, campaign_id: str) -> Campaign:
        return await self._call_model(Campaign, "GET", f"{API}/campaigns/{campaign_id}")

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

    def _no_dial_lists(self) -> CXoneUnsupported:
        return CXoneUnsupported(
            "the described API has no calling lists, upload jobs or DNC groups; on this "
            "platform use export_segmented_contacts, which segments the platform's own lists"
        )

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
