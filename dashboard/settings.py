"""Dashboard settings, read from the environment when the app starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SECRET_ENV = "CXONE_WEBHOOK_SECRET"
CREDENTIALS_ENV = "CXONE_CREDENTIALS_BLOCK"
POLL_ENV = "CXONE_POLL_SECONDS"
METRICS_EVENT_ENV = "CXONE_METRICS_EVENT_SECONDS"
TOKEN_BLOCK_ENV = "CXONE_DASHBOARD_TOKEN_BLOCK"
AUTH_ENV = "CXONE_DASHBOARD_AUTH"


class DashboardSettings(BaseModel):
    """What one dashboard app needs to know.

    Attributes:
        webhook_secret: the Standard Webhooks secret (`whsec_<base64>`, at least 24 bytes
            decoded) shared with CXone; None, or an unusable one, leaves the webhook endpoint
            answering 503 (and is logged at start-up).
        credentials_block: the credentials block used for platform reads of a campaign that
            no FailoverPair names.
        window_minutes: how old readings may be before the health endpoint reads the API,
            for a campaign without a FailoverPair (a pair's own window wins).
        history_points: metrics points kept per campaign for the sparkline.
        pair_cache_seconds: how often all FailoverPairs are listed.
        history_cache_seconds: how long one reading of the failover history is reused.
        replay_capacity: most webhook ids remembered at once for replay detection.
        health_cache_seconds: how long a platform read for the health endpoint is reused.
        unknown_lookups_per_minute: platform reads allowed per minute, all together, for
            campaigns the dashboard does not know (see `dashboard.health`).
        name_cache_seconds: how long a campaign name is shown before it is read again.
        poll_seconds: how often the pairs on platforms without metrics webhooks are polled;
            0 disables polling.
        poll_concurrency: most metrics reads at once while polling.
        metrics_event_seconds: the least time between two `cxone.campaign.metrics.updated`
            of one polled campaign (`CXONE_METRICS_EVENT_SECONDS`; 0: one a reading); its
            readings in between are stored, shown and checked, not announced. Webhook
            deliveries always get theirs.
        event_queue_capacity: most readings waiting for their events.
        revocation_secret: the Standard Webhooks secret of `POST /webhooks/revocations`
            (`CXONE_REVOCATION_SECRET`); None leaves that route answering 503.
        ledger_url: where revocations are kept (`CXONE_LEDGER_URL`, a SQLAlchemy async URL);
            default the embedded ledger file (`CXONE_LEDGER_PATH` or
            attempts-ledger/attempts.db).
        token_block: the Prefect `Secret` block holding the token every route but the
            signed webhooks and `/livez` needs (`CXONE_DASHBOARD_TOKEN_BLOCK`).
        auth: "token" (the default), or "localhost" (`CXONE_DASHBOARD_AUTH=localhost`): no
            credentials, and only loopback clients are answered.
        token: the token itself, instead of reading `token_block` (tests); never logged.
    """

    model_config = ConfigDict(frozen=True)

    webhook_secret: SecretStr | None = None
    revocation_secret: SecretStr | None = None
    ledger_url: str | None = None
    credentials_block: str = Field(default="cxone", min_length=1)
    window_minutes: int = Field(default=30, gt=0)
    history_points: int = Field(default=60, ge=2)
    pair_cache_seconds: float = Field(default=5.0, gt=0)
    history_cache_seconds: float = Field(default=5.0, ge=0)
    replay_capacity: int = Field(default=10_000, ge=1)
    health_cache_seconds: float = Field(default=10.0, ge=0)
    unknown_lookups_per_minute: int = Field(default=6, ge=1)
    name_cache_seconds: float = Field(default=600.0, gt=0)
    poll_seconds: float = Field(default=15.0, ge=0)
    poll_concurrency: int = Field(default=8, ge=1)
    metrics_event_seconds: float = Field(default=60.0, ge=0)
    event_queue_capacity: int = Field(default=100_000, ge=1)
    token_block: str = Field(default="dashboard-token", min_length=1)
    auth: Literal["token", "localhost"] = "token"
    token: SecretStr | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DashboardSettings:
        """Settings from `CXONE_WEBHOOK_SECRET`, `CXONE_REVOCATION_SECRET`,
        `CXONE_LEDGER_URL`, `CXONE_CREDENTIALS_BLOCK`, `CXONE_POLL_SECONDS`,
        `CXONE_METRICS_EVENT_SECONDS`, `CXONE_DASHBOARD_TOKEN_BLOCK` and
        `CXONE_DASHBOARD_AUTH`; an empty variable means the default.

        Args:
            environ: the variables to read; default `os.environ`.

        Raises:
            pydantic.ValidationError: a value is out of range (say, a negative poll interval,
                or `CXONE_DASHBOARD_AUTH` other than "localhost" or "token").

        Example:
            >>> DashboardSettings.from_env({"CXONE_POLL_SECONDS": "5"}).poll_seconds
            5.0
        """
        environ = os.environ if environ is None else environ
        names = {
            SECRET_ENV: "webhook_secret",
            "CXONE_REVOCATION_SECRET": "revocation_secret",
            "CXONE_LEDGER_URL": "ledger_url",
            CREDENTIALS_ENV: "credentials_block",
            POLL_ENV: "poll_seconds",
            METRICS_EVENT_ENV: "metrics_event_seconds",
            TOKEN_BLOCK_ENV: "token_block",
            AUTH_ENV: "auth",
        }
        return cls(**{field: environ[env] for env, field in names.items() if environ.get(env)})
