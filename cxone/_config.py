"""Connection settings for one CXone tenant."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_BASE_URL = "https://api.cxone.com"
DEFAULT_SCOPES = (
    "omnichannel:campaigns:write omnichannel:campaigns:read omnichannel:contactlists:read "
    "omnichannel:webhooks:write analytics:read"
)


class CXoneConfig(BaseModel):
    """Where the API lives, how to authenticate, and how hard to push it.

    The secret is a `SecretStr`: its repr and str are masked, so the config can be logged.

    Example:
        >>> from cxone import CXoneConfig
        >>> config = CXoneConfig(client_id="app", client_secret="s3cret")
        >>> "s3cret" in repr(config)
        False
    """

    model_config = ConfigDict(frozen=True)

    base_url: str = Field(DEFAULT_BASE_URL, description="API root, without a trailing slash.")
    client_id: str = Field(min_length=1, description="OAuth2 client id.")
    client_secret: SecretStr = Field(description="OAuth2 client secret.")
    scopes: str = Field(DEFAULT_SCOPES, description="Space-separated OAuth2 scopes to request.")
    requests_per_minute: float = Field(
        100, gt=0, description="Client-side rate limit shared by all concurrent requests."
    )
    burst: float | None = Field(
        None, gt=0, description="Token-bucket size; default one second's worth of requests."
    )
    timeout_seconds: float = Field(
        10.0, gt=0, description="Deadline of one attempt: connect, send and the whole answer."
    )
    max_retries: int = Field(3, ge=0, description="Retries of one request after the first try.")
    deadline_seconds: float = Field(
        30.0, gt=0, description="Deadline of one call: every attempt and wait between them."
    )
    backoff_base_seconds: float = Field(0.5, ge=0, description="First backoff step.")
    backoff_cap_seconds: float = Field(10.0, ge=0, description="Longest single backoff wait.")
    token_refresh_margin_seconds: float = Field(
        60.0, ge=0, description="Refresh the token this long before it expires."
    )

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {value!r}")
        return value.rstrip("/")
