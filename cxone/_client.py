"""The async CXone client: one `call_endpoint`, typed methods on top of it."""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import ValidationError

from ._auth import ClientCredentialsAuth, server_message
from ._config import CXoneConfig
from ._exceptions import (
    CXoneAuthError,
    CXoneConflict,
    CXoneError,
    CXoneInvalidResponse,
    CXoneNotFound,
    CXoneRateLimited,
    CXoneServerError,
    CXoneValidationError,
)
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
from ._ratelimit import TokenBucket
from ._tokens import TokenCache
from ._transport import IDEMPOTENCY_HEADER, ResilientTransport, RetryPolicy

API = "/api/v2/omnichannel"
CONSENTED_QUERY = "consentFlags.outbound.call==true"
SCOPE_PATTERN = re.compile(r"\b[a-z]+(?::[a-z]+)+\b")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building one costs ~50 ms of CPU (it loads the CA bundle); a task opens a client each time.
    return httpx.create_ssl_context()


def network_transport() -> httpx.AsyncHTTPTransport:
    """A socket transport that reuses the process's one TLS context."""
    return httpx.AsyncHTTPTransport(verify=_tls_context())


def _error_for(response: httpx.Response) -> CXoneError:
    """The typed exception for an error response; messages carry method, URL and status."""
    request, status = response.request, response.status_code
    where = f"{request.method} {request.url}"
    detail = server_message(response)
    message = f"{where} answered {status}" + (f": {detail}" if detail else "")
    kwargs = {"status_code": status, "url": str(request.url)}
    if status in (401, 403):
        scope = SCOPE_PATTERN.search(detail) if status == 403 else None
        return CXoneAuthError(message, missing_scope=scope and scope.group(0), **kwargs)
    if status == 404:
        return CXoneNotFound(message, **kwargs)
    if status == 409:
        return CXoneConflict(message, **kwargs)
    if status in (400, 422):
        return CXoneValidationError(message, server_message=detail, **kwargs)
    if status == 429:
        return CXoneRateLimited(message + " (retries exhausted)", **kwargs)
    if status >= 500:
        return CXoneServerError(message, **kwargs)
    return CXoneError(message, **kwargs)


class CXoneClient:
    """Talks to the described CXone API; implements `CampaignPlatform`.

    Use it as an async context manager, inside the event loop that uses it.

    Args:
        config: tenant settings.
        transport: what sits below the retry layer; default real HTTP. Tests pass
            `simulator.asgi_transport(app)` to talk to an in-process simulator.
        retry_policy: override the retry timing (tests inject a fake sleep).
        token_cache: share tokens with other clients of the same credentials (the
            credentials blocks pass the process-wide `SHARED_TOKENS`).

    Example:
        >>> import asyncio
        >>> from cxone import CXoneClient, CXoneConfig
        >>> async def names(config):
        ...     async with CXoneClient(config) as client:
        ...         return [c.name for c in (await client.list_campaigns()).campaigns]
        >>> # asyncio.run(names(CXoneConfig(client_id="...", client_secret="...")))
    """

    def __init__(
        self,
        config: CXoneConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        token_cache: TokenCache | None = None,
    ):
        self.config = config
        policy = retry_policy or RetryPolicy(
            max_retries=config.max_retries,
            backoff_base=config.backoff_base_seconds,
            backoff_cap=config.backoff_cap_seconds,
        )
        rate = config.requests_per_minute / 60
        self._bucket = TokenBucket(rate, max(1.0, config.burst or rate), sleep=policy.sleep)
        self._transport = ResilientTransport(
            transport or network_transport(), self._bucket, policy, config.timeout_seconds
        )
        self.auth = ClientCredentialsAuth(
            config, self._transport.handle_async_request, cache=token_cache
        )
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            transport=self._transport,
            auth=self.auth,
            timeout=config.timeout_seconds,
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:
        config = self.config
        return f"CXoneClient(base_url={config.base_url!r}, client_id={config.client_id!r})"

    async def __aenter__(self) -> CXoneClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

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
        url = f"{self.config.base_url}{path}"
        try:
            async with asyncio.timeout(self.config.deadline_seconds):
                response = await self._http.request(
                    method, path, params=params, json=json, headers=headers
                )
        except TimeoutError:
            raise CXoneServerError(
                f"{method} {url} did not complete within its "
                f"{self.config.deadline_seconds:g}s deadline",
                url=url,
            ) from None
        except httpx.TimeoutException:
            raise CXoneServerError(f"{method} {url} timed out", url=url) from None
        except httpx.TransportError as exc:
            raise CXoneServerError(
                f"{method} {url} lost its connection ({type(exc).__name__})", url=url
            ) from None
        if response.is_error:
            raise _error_for(response)
        try:
            return response.json()
        except ValueError:
            raise CXoneInvalidResponse(
                f"{method} {url} answered {response.status_code} with a body that is not JSON "
                f"(content-type {response.headers.get('content-type', 'missing')!r})",
                status_code=response.status_code,
                url=url,
            ) from None

    async def _call_model(self, model, method: str, path: str, **kwargs):
        body = await self.call_endpoint(method, path, **kwargs)
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise CXoneInvalidResponse(
                f"{method} {self.config.base_url}{path} answered with a {model.__name__} "
                f"the client cannot read: {exc.errors(include_url=False, include_input=False)}"
            ) from None

    async def create_campaign(
        self, payload: CampaignPayload, *, idempotency_key: str | None = None
    ) -> Campaign:
        """Create a campaign. Pass a key derived from the payload to make re-runs safe."""
        return await self._call_model(
            Campaign,
            "POST",
            f"{API}/campaigns",
            json=payload.to_wire(),
            idempotency_key=idempotency_key,
        )

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
        return await self._call_model(
            CampaignMetrics,
            "GET",
            f"{API}/campaigns/{campaign_id}/metrics",
            params={"windowMinutes": window_minutes},
        )

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
