"""Configuration of the NICE CXone stand-in: credentials, tenant, traffic, timing, limits.

>>> config = AdminConfig()
>>> (config.access_key_id, config.client_id, config.tenant_id)
('sim-access-key', 'sim-app', '6f1f3a52-8c0e-4b7d-9a41-2d5e7c9b0a13')
>>> sorted(set(config.model_dump()) - set(config.public()))
['access_key_secret', 'client_secret']
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TENANT_ID = "6f1f3a52-8c0e-4b7d-9a41-2d5e7c9b0a13"
_MB = 1024 * 1024


class AdminConfig(BaseModel):
    """Everything that shapes one stand-in; `public()` is what may be shown.

    The upload limits default to the platform's per-file limits (500,000 records, 256 MB,
    512 characters per record); tests lower them to exercise the failures cheaply.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    access_key_id: str = "sim-access-key"
    access_key_secret: str = Field("sim-access-secret", repr=False)
    client_id: str = "sim-app"
    client_secret: str = Field("sim-app-secret", repr=False)
    tenant_id: str = DEFAULT_TENANT_ID
    tenant_name: str = "simtenant"
    business_unit_id: int = 4600001
    cluster: str = "SIM1"
    area: str = "na1"
    token_ttl_seconds: float = Field(3600, gt=0)
    rate_limit_per_second: float | None = Field(None, gt=0)
    rate_limit_burst: float | None = Field(None, ge=1)
    # At most this many requests in any trailing 60 s (see simulator.ratelimit); None: off.
    rate_limit_per_minute: float | None = Field(None, ge=1)
    # The platform sends no reliable Retry-After; kept as a switch for the shared throttle.
    retry_after_header: bool = False
    latency_ms: float = Field(0, ge=0)
    listing_delay_seconds: float = Field(0, ge=0)
    job_duration_seconds: float = Field(0, ge=0)
    job_polls_before_complete: int = Field(1, ge=0)
    max_upload_records: int = Field(500_000, ge=1)
    max_upload_bytes: int = Field(256 * _MB, ge=1)
    max_record_chars: int = Field(512, ge=1)
    seed: int = 42  # what the dialer draws call outcomes from (see simulator.dialing)

    def public(self) -> dict:
        """The config as GET /_sim/admin/config shows it: never a secret."""
        return self.model_dump(exclude={"access_key_secret", "client_secret"})


class AdminConfigPatch(BaseModel):
    """Body of PATCH /_sim/admin/config: any subset of the patchable fields."""

    model_config = ConfigDict(extra="forbid")

    token_ttl_seconds: float | None = None
    rate_limit_per_second: float | None = None
    rate_limit_burst: float | None = None
    rate_limit_per_minute: float | None = None
    latency_ms: float | None = None
    listing_delay_seconds: float | None = None
    job_duration_seconds: float | None = None
    job_polls_before_complete: int | None = None
    max_upload_records: int | None = None
    max_upload_bytes: int | None = None
    max_record_chars: int | None = None
    seed: int | None = None
