"""Async clients of the two platforms the product speaks, behind one protocol.

`CXoneClient` speaks the API the tutorial describes (SPEC section 1); `AdminClient` speaks
NICE CXone's published APIs (section 4). Both hold authentication (`httpx.Auth` flows),
pacing, retries, deadlines, typed errors and wire models, and implement `CampaignPlatform`.
Imports httpx and pydantic only: never Prefect, never `compliance`.

The pacing and retrying transport (`ResilientTransport`, `TokenBucket`, `RetryPolicy`) also
serves the product's other HTTP clients (`rnd`); the platform clients pace with a
`RateLimit` (a window of requests a minute, an optional per-second bucket).
"""

from ._access_key_auth import AccessKeyAuth
from ._admin import AdminClient
from ._client import CONSENTED_QUERY, CXoneClient
from ._config import DEFAULT_BASE_URL, DEFAULT_ISSUER, DEFAULT_SCOPES, AccessKeyConfig, CXoneConfig
from ._dial_lists import (
    UPLOAD_COLUMNS,
    CallingListColumns,
    DncAddResult,
    RemovalResult,
    UploadBody,
    UploadJob,
    time_zone_name,
)
from ._exceptions import (
    CXoneAuthError,
    CXoneConflict,
    CXoneError,
    CXoneExportIncomplete,
    CXoneInvalidResponse,
    CXoneNotFound,
    CXoneRateLimited,
    CXoneServerError,
    CXoneUnsupported,
    CXoneUploadFailed,
    CXoneValidationError,
)
from ._masking import mask_phone
from ._models import (
    ID_PATTERN,
    AttemptResult,
    CallAttempt,
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
    PlatformId,
    PredictiveSettings,
    RateLimits,
    Webhook,
    WebhookRegistration,
)
from ._platform import CampaignPlatform
from ._ratelimit import (
    SHARED_BUCKETS,
    BucketRegistry,
    ChainedLimiter,
    Limiter,
    RateLimit,
    TokenBucket,
)
from ._session import Operation, network_transport
from ._spec import CampaignSettings, CampaignSpec, CampaignSpecMismatch, DialingWindow
from ._tokens import SHARED_TOKENS, TokenCache
from ._transport import (
    IDEMPOTENCY_HEADER,
    REPLAY_SAFE_EXTENSION,
    ResilientTransport,
    RetryPolicy,
)

__all__ = [
    "CONSENTED_QUERY",
    "DEFAULT_BASE_URL",
    "DEFAULT_ISSUER",
    "DEFAULT_SCOPES",
    "IDEMPOTENCY_HEADER",
    "ID_PATTERN",
    "REPLAY_SAFE_EXTENSION",
    "SHARED_BUCKETS",
    "SHARED_TOKENS",
    "UPLOAD_COLUMNS",
    "AccessKeyAuth",
    "AccessKeyConfig",
    "AdminClient",
    "AttemptResult",
    "BucketRegistry",
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
    "CXoneUnsupported",
    "CXoneUploadFailed",
    "CXoneValidationError",
    "CallAttempt",
    "CallingListColumns",
    "Campaign",
    "CampaignList",
    "CampaignMetrics",
    "CampaignPayload",
    "CampaignPlatform",
    "CampaignSettings",
    "CampaignSpec",
    "CampaignSpecMismatch",
    "CampaignStatus",
    "ChainedLimiter",
    "ComplianceConfig",
    "Contact",
    "ContactPage",
    "DialerConfig",
    "DialingRules",
    "DialingWindow",
    "DncAddResult",
    "FailoverConfig",
    "IanaZone",
    "Limiter",
    "Operation",
    "PlatformId",
    "PredictiveSettings",
    "RateLimit",
    "RateLimits",
    "RemovalResult",
    "ResilientTransport",
    "RetryPolicy",
    "TokenBucket",
    "TokenCache",
    "UploadBody",
    "UploadJob",
    "Webhook",
    "WebhookRegistration",
    "mask_phone",
    "network_transport",
    "time_zone_name",
]
