"""Connection settings for one CXone tenant."""

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from ._transport import RetryPolicy

DEFAULT_BASE_URL = "https://api.cxone.com"
DEFAULT_SCOPES = (
    "omnichannel:campaigns:write omnichannel:campaigns:read omnichannel:contactlists:read "
    "omnichannel:webhooks:write analytics:read"
)


# What the rate fields mean, shared by both configs (and the credentials blocks' docs).
PER_MINUTE_HELP = (
    "At most this many requests in any trailing 60 seconds (token requests included), from "
    "every client of these credentials in the process; a burst of all of them is allowed."
)
PER_SECOND_HELP = (
    "Also pace to this many requests a second (a token bucket holding `burst`); default None: "
    "no per-second pace, because neither platform documents one and a pace of "
    "requests_per_minute / 60 would hold a burst (a failover storm) to a few a second."
)
BURST_HELP = "Size of the requests_per_second bucket; default one second's worth."


def _burst_needs_a_rate(burst: float | None, requests_per_second: float | None) -> None:
    # Before the window, burst sized a bucket of requests_per_minute / 60: say it changed.
    if burst is not None and requests_per_second is None:
        raise ValueError("burst sizes the requests_per_second bucket: set requests_per_second")


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, got {value!r}")
    return value.rstrip("/")


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
    requests_per_minute: float = Field(100, gt=0, description=PER_MINUTE_HELP)
    requests_per_second: float | None = Field(None, gt=0, description=PER_SECOND_HELP)
    burst: float | None = Field(None, gt=0, description=BURST_HELP)
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

    def retry_policy(self) -> RetryPolicy:
        """The retry timing these settings ask for."""
        return RetryPolicy(
            max_retries=self.max_retries,
            backoff_base=self.backoff_base_seconds,
            backoff_cap=self.backoff_cap_seconds,
        )

    _base_url = field_validator("base_url")(lambda value: _http_url(value))

    @model_validator(mode="after")
    def _burst(self) -> Self:
        _burst_needs_a_rate(self.burst, self.requests_per_second)
        return self


DEFAULT_ISSUER = "https://cxone.niceincontact.com"


class AccessKeyConfig(BaseModel):
    """Where NICE CXone's published APIs are and how to authenticate to them.

    The access key (id and secret) belongs to a CXone user and carries that user's role. With
    an app registration (`client_id`, `client_secret`) the token comes from the OpenID
    issuer's token endpoint by the password grant; without one, from the access-key endpoint.
    The API host is discovered from the token's tenant unless `api_base_url` is given.

    Example:
        >>> from cxone import AccessKeyConfig
        >>> config = AccessKeyConfig(access_key_id="AK", access_key_secret="s3cret")
        >>> "s3cret" in repr(config), config.issuer
        (False, 'https://cxone.niceincontact.com')
    """

    model_config = ConfigDict(frozen=True)

    access_key_id: str = Field(min_length=1, description="The user's access key id.")
    access_key_secret: SecretStr = Field(description="The access key's secret.")
    client_id: str | None = Field(None, description="The registered app's client id.")
    client_secret: SecretStr | None = Field(None, description="The app's client secret.")
    issuer: str = Field(DEFAULT_ISSUER, description="The OpenID issuer, without a trailing /.")
    api_base_url: str | None = Field(None, description="The API host; skips tenant discovery.")
    requests_per_minute: float = Field(600, gt=0, description=PER_MINUTE_HELP)
    requests_per_second: float | None = Field(None, gt=0, description=PER_SECOND_HELP)
    burst: float | None = Field(None, gt=0, description=BURST_HELP)
    timeout_seconds: float = Field(10.0, gt=0, description="Deadline of one attempt.")
    max_retries: int = Field(3, ge=0, description="Retries of one request.")
    deadline_seconds: float = Field(30.0, gt=0, description="Deadline of one call.")
    backoff_base_seconds: float = Field(2.0, ge=0, description="First backoff step.")
    backoff_cap_seconds: float = Field(10.0, ge=0, description="Longest single backoff wait.")
    token_refresh_margin_seconds: float = Field(300.0, ge=0, description="Refresh this early.")

    def retry_policy(self) -> RetryPolicy:
        """The retry timing these settings ask for."""
        return RetryPolicy(
            max_retries=self.max_retries,
            backoff_base=self.backoff_base_seconds,
            backoff_cap=self.backoff_cap_seconds,
        )

    _urls = field_validator("issuer", "api_base_url")(
        lambda value: None if value is None else _http_url(value)
    )

    @model_validator(mode="after")
    def _burst(self) -> Self:
        _burst_needs_a_rate(self.burst, self.requests_per_second)
        return self
