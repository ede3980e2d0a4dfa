"""Dashboard settings, read from the environment when the app first needs them."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SECRET_ENV = "CXONE_WEBHOOK_SECRET"
CREDENTIALS_ENV = "CXONE_CREDENTIALS_BLOCK"


class DashboardSettings(BaseModel):
    """What one dashboard app needs to know.

    Attributes:
        webhook_secret: the Standard Webhooks secret (`whsec_<base64>`) shared with CXone;
            None leaves the webhook endpoint answering 503.
        credentials_block: the CXoneCredentials block used for fresh API reads of a campaign
            that no FailoverPair names.
        window_minutes: how old webhook data may be before the health endpoint reads the API,
            for a campaign without a FailoverPair (a pair's own window wins).
        history_points: metrics points kept per campaign for the sparkline.
        pair_cache_seconds: how long a FailoverPair lookup (found or missing) is reused.
        replay_capacity: most webhook ids remembered at once for replay detection.
    """

    model_config = ConfigDict(frozen=True)

    webhook_secret: SecretStr | None = None
    credentials_block: str = Field(default="cxone", min_length=1)
    window_minutes: int = Field(default=30, gt=0)
    history_points: int = Field(default=60, ge=2)
    pair_cache_seconds: float = Field(default=5.0, ge=0)
    replay_capacity: int = Field(default=10_000, ge=1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DashboardSettings:
        """Settings from `CXONE_WEBHOOK_SECRET` and `CXONE_CREDENTIALS_BLOCK`.

        Args:
            environ: the variables to read; default `os.environ`.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        if environ.get(SECRET_ENV):
            values["webhook_secret"] = environ[SECRET_ENV]
        if environ.get(CREDENTIALS_ENV):
            values["credentials_block"] = environ[CREDENTIALS_ENV]
        return cls(**values)
