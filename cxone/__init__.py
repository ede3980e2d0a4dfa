"""Async client for the CXone outbound API (see SPEC.md section 1).

Holds authentication, pacing, retries, idempotency keys, typed errors, wire models and the
contact export. Imports httpx and pydantic only: never Prefect, never `compliance`.
"""

from ._client import CONSENTED_QUERY, CXoneClient
from ._config import DEFAULT_BASE_URL, DEFAULT_SCOPES, CXoneConfig
from ._exceptions import (
    CXoneAuthError,
    CXoneConflict,
    CXoneError,
    CXoneExportIncomplete,
    CXoneInvalidResponse,
    CXoneNotFound,
    CXoneRateLimited,
    CXoneServerError,
    CXoneValidationError,
)
from ._models import (
    Campaign,
    CampaignList,
    CampaignMetrics,
    CampaignPayload,
    CampaignStatus,
    ComplianceConfig,
    Contact,
    ContactPage,
    DialerConfig,
    DialingRules,
    FailoverConfig,
    IanaZone,
    PredictiveSettings,
    RateLimits,
    Webhook,
    WebhookRegistration,
)
from ._platform import CampaignPlatform
from ._tokens import SHARED_TOKENS, TokenCache
from ._transport import IDEMPOTENCY_HEADER, RetryPolicy

__all__ = [
    "CONSENTED_QUERY",
    "DEFAULT_BASE_URL",
    "DEFAULT_SCOPES",
    "IDEMPOTENCY_HEADER",
    "SHARED_TOKENS",
    "CXoneAuthError",
    "CXoneClient",
    "CXoneConfig",
    "CXoneConflict",
    "CXoneError",
    "CXoneExportIncomplete",
    "CXoneInvalidResponse",
    "CXoneNotFound",
    "CXoneRateLimited",
    "CXoneServerError",
    "CXoneValidationError",
    "Campaign",
    "CampaignList",
    "CampaignMetrics",
    "CampaignPayload",
    "CampaignPlatform",
    "CampaignStatus",
    "ComplianceConfig",
    "Contact",
    "ContactPage",
    "DialerConfig",
    "DialingRules",
    "FailoverConfig",
    "IanaZone",
    "PredictiveSettings",
    "RateLimits",
    "RetryPolicy",
    "TokenCache",
    "Webhook",
    "WebhookRegistration",
]
