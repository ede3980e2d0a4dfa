"""Simulator configuration: credentials, traffic shaping, paging, webhooks, seeded lists."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, field_validator
from standardwebhooks import Webhook

# Fixed so that a dashboard started without CXONE_WEBHOOK_SECRET can still verify the demo's
# deliveries. It is a development secret: anyone reading this file knows it.
DEV_WEBHOOK_SECRET = "whsec_c2ltdWxhdG9yLWRldi13ZWJob29rLXNlY3JldA=="


def _default_webhook_secret() -> str:
    return os.environ.get("CXONE_WEBHOOK_SECRET") or DEV_WEBHOOK_SECRET


class SimulatorConfig(BaseModel):
    """Everything that shapes one simulator app; `public()` is what may be shown."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    client_id: str = "sim-client"
    client_secret: str = Field("sim-secret", repr=False)
    # The Reassigned Numbers Database stand-in's API key (see `rnd`).
    rnd_api_key: str = Field("sim-rnd-key", min_length=1, repr=False)
    token_ttl_seconds: float = Field(3600, gt=0)
    rate_limit_per_second: float | None = Field(None, gt=0)
    # Bucket size; None means "same as the rate". Ignored while the rate limit is off.
    rate_limit_burst: float | None = Field(None, ge=1)
    # At most this many requests in any trailing 60 s, bursts allowed (a window, not a
    # bucket); off when None. Applies together with the per-second bucket when both are set.
    rate_limit_per_minute: float | None = Field(None, ge=1)
    retry_after_header: bool = True
    latency_ms: float = Field(0, ge=0)
    max_page_size: int = Field(100, ge=1)
    webhook_secret: str = Field(default_factory=_default_webhook_secret, repr=False)
    webhook_retry_delays: list[float] = Field(default_factory=lambda: [0.25, 1, 4])
    seed: int = 42
    contact_lists: dict[str, int] = Field(default_factory=lambda: {"CL-DEMO": 500})

    @field_validator("webhook_secret")
    @classmethod
    def _standard_webhooks_secret(cls, value: str) -> str:
        if not value.startswith("whsec_"):
            raise ValueError("webhook_secret must look like whsec_<base64>")
        try:
            Webhook(value)
        except Exception as exc:  # the library raises its own types for empty or bad base64
            raise ValueError(f"webhook_secret is not valid: {exc}") from exc
        return value

    @field_validator("webhook_retry_delays")
    @classmethod
    def _non_negative_delays(cls, value: list[float]) -> list[float]:
        if any(delay < 0 for delay in value):
            raise ValueError("webhook_retry_delays must be non-negative seconds")
        return value

    @field_validator("contact_lists")
    @classmethod
    def _non_negative_sizes(cls, value: dict[str, int]) -> dict[str, int]:
        if any(size < 0 for size in value.values()):
            raise ValueError("contact list sizes must be non-negative")
        return value

    def public(self) -> dict:
        """The config as GET /_sim/config shows it: never a secret or the RND API key."""
        return self.model_dump(exclude={"client_secret", "webhook_secret", "rnd_api_key"})


class ConfigPatch(BaseModel):
    """Body of PATCH /_sim/config: any subset of the patchable fields."""

    model_config = ConfigDict(extra="forbid")

    rate_limit_per_second: float | None = None
    rate_limit_burst: float | None = None
    rate_limit_per_minute: float | None = None
    retry_after_header: bool | None = None
    latency_ms: float | None = None
    token_ttl_seconds: float | None = None
    max_page_size: int | None = None
    webhook_retry_delays: list[float] | None = None
