"""What the flows need from a dialing platform, as a protocol.

`CXoneClient` speaks the described API. An adapter for NICE's published Admin API (access-key
auth, Personal Connection skills started and stopped, calling-list upload jobs) implements the
same methods, and the flows do not change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from ._models import (
    Campaign,
    CampaignMetrics,
    CampaignPayload,
    CampaignStatus,
    Contact,
    Webhook,
    WebhookRegistration,
)


@runtime_checkable
class CampaignPlatform(Protocol):
    async def create_campaign(
        self, payload: CampaignPayload, *, idempotency_key: str | None = None
    ) -> Campaign: ...

    async def find_campaigns_by_name(self, name: str) -> list[Campaign]: ...

    async def get_campaign(self, campaign_id: str) -> Campaign: ...

    async def set_campaign_status(
        self, campaign_id: str, status: CampaignStatus, *, idempotency_key: str | None = None
    ) -> Campaign: ...

    def iter_contacts(self, list_id: str, *, query: str = ...) -> AsyncIterator[list[Contact]]: ...

    async def get_metrics(self, campaign_id: str, window_minutes: int = 30) -> CampaignMetrics: ...

    async def register_webhook(
        self, registration: WebhookRegistration, *, idempotency_key: str | None = None
    ) -> Webhook: ...

    async def aclose(self) -> None: ...
