"""Credentials blocks, one per platform: where the API is and how to authenticate to it.

Every flow takes a `credentials_block` reference and gets a client from `get_client()`; the
block type decides which platform the flows speak (`load_credentials`).
"""

from __future__ import annotations

import httpx
from prefect.blocks.core import Block
from prefect.exceptions import ObjectNotFound
from pydantic import Field, HttpUrl, SecretStr

from cxone import (
    DEFAULT_BASE_URL,
    DEFAULT_ISSUER,
    DEFAULT_SCOPES,
    SHARED_BUCKETS,
    SHARED_TOKENS,
    AccessKeyConfig,
    AdminClient,
    BucketRegistry,
    CXoneClient,
    CXoneConfig,
    Operation,
)

from ._prefect import api_client
from .rate_limit import shared_buckets

PER_MINUTE = (
    "At most this many requests in any 60 seconds from every client of this block in a "
    "process (token requests included); a burst of all of them may go out at once."
)


class _CallLimits(Block):
    """How long one API call may take, how often it is retried, the optional per-second
    pace and whether the limit is shared across processes: common to both credentials
    blocks, so a hung server fails a run within a bounded time."""

    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="Deadline of one attempt of an API call, answer included, in seconds.",
    )
    max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries of a failed API call after the first try."
    )
    deadline_seconds: float = Field(
        default=30.0,
        gt=0,
        le=60,
        description="Deadline of one API call with all its retries and waits, in seconds.",
    )
    requests_per_second: float | None = Field(
        default=None,
        gt=0,
        description="Optional: also pace to this many requests a second (a bucket of one "
        "second's worth), for a tenant that enforces a per-second limit. Empty (the default): "
        "no per-second pace, only requests_per_minute, so a burst such as a failover storm "
        "goes out at once; neither platform documents a per-second limit.",
    )
    share_rate_limit: bool = Field(
        default=False,
        description="Keep requests_per_minute across every process using this saved block "
        "(the responder, flow runs, the dashboard) through a rate limit the Prefect server "
        "keeps: two thirds of it at once, the rest over the minute, a Prefect write per "
        "batch of requests. Off (the default): each process keeps it alone.",
    )

    def buckets(self, requests_per_minute: float) -> BucketRegistry:
        """What this block's clients pace with: the process's limits, and the one shared
        across processes when `share_rate_limit` is on (see `blocks.rate_limit`)."""
        if not self.share_rate_limit:
            return SHARED_BUCKETS
        return shared_buckets(self, requests_per_minute, SHARED_BUCKETS)


class CXoneCredentials(_CallLimits):
    """Credentials and limits for one CXone tenant (or the local simulator).

    The only thing that changes between the simulator and a real tenant: point `base_url`
    at the tenant and store its client id and secret.

    Example:
        ```python
        from blocks import CXoneCredentials

        CXoneCredentials(
            client_id="sim-client", client_secret="sim-secret", base_url="http://127.0.0.1:8765"
        ).save("cxone", overwrite=True)
        ```
    """

    _block_type_name = "CXone Credentials"
    _description = (
        "OAuth2 client credentials, base URL, scopes and request rate for the NICE CXone "
        "outbound API. Use get_client() to talk to the API."
    )
    _documentation_url = HttpUrl(
        "https://developer.niceincontact.com/Documentation/APIAuthenticationAndAuthorization"
    )
    _code_example = """```python
from blocks import CXoneCredentials

credentials = CXoneCredentials.load("BLOCK_NAME")
async with credentials.get_client() as client:
    campaign = await client.get_campaign("cmp_123")
```"""

    client_id: str = Field(description="OAuth2 client id of the registered application.")
    client_secret: SecretStr = Field(description="OAuth2 client secret; stored encrypted.")
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        description="API root, e.g. https://api.cxone.com or http://127.0.0.1:8765.",
    )
    scopes: str = Field(
        default=DEFAULT_SCOPES, description="Space-separated OAuth2 scopes to request."
    )
    requests_per_minute: int = Field(default=100, gt=0, description=PER_MINUTE)

    def get_config(self) -> CXoneConfig:
        """The client configuration these credentials describe."""
        return CXoneConfig(
            base_url=self.base_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=self.scopes,
            requests_per_minute=self.requests_per_minute,
            requests_per_second=self.requests_per_second,
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
            deadline_seconds=self.deadline_seconds,
        )

    def get_client(self, transport: httpx.AsyncBaseTransport | None = None) -> CXoneClient:
        """A new `CXoneClient`; open it inside the task that uses it (clients are loop-bound).

        Clients of the same credentials share their access token and their rate limit within
        the process; with `share_rate_limit`, a saved block's limit also holds across
        processes (see `blocks.rate_limit`).
        """
        return CXoneClient(
            self.get_config(),
            transport=transport,
            token_cache=SHARED_TOKENS,
            buckets=self.buckets(self.requests_per_minute),
        )


class MissingBlock(ValueError):
    """No block document is saved under the name a flow was given."""


async def load_block(reference: str, default: type[Block], instead: str) -> Block:
    """The block `reference` names: a `default` block's name, or `"<block-type-slug>/<name>"`
    for a block of any type, as `Block.load` takes.

    Args:
        reference: The name or "<slug>/<name>".
        default: The block type of a bare name.
        instead: What else the caller can do, ending the error message ("pass ...").

    Raises:
        MissingBlock: nothing is saved under that name; the message says how to create it.
    """
    slug, _, name = reference.rpartition("/")
    block_type = Block if slug else default
    try:
        async with api_client() as client:
            return await block_type.aload(reference, client=client)
    except ValueError as exc:
        if not isinstance(exc.__cause__, ObjectNotFound):
            raise
    kind = slug or default.get_block_type_slug()
    raise MissingBlock(
        f"no {kind} block named {name!r} is saved on this Prefect server; create it first "
        f"(see the README's Configuration section) or {instead}"
    )


def credentials_key(reference: str) -> str:
    """A credentials reference in its one spelling, "<block-type-slug>/<name>": what keeps
    the state of one tenant's calling list apart from another's list of the same id.

    Example:
        >>> credentials_key("prod") == credentials_key("cxone-credentials/prod")
        True
        >>> credentials_key("cxone-access-key/prod")
        'cxone-access-key/prod'
    """
    slug, _, name = reference.rpartition("/")
    return f"{slug or CXoneCredentials.get_block_type_slug()}/{name}"


async def load_credentials(reference: str, *needs: Operation) -> PlatformCredentials:
    """The credentials block `reference` names: a CXoneCredentials block's name, or
    `"<block-type-slug>/<name>"` for any credentials block type, as `Block.load` takes.

    Args:
        reference: The name or "<slug>/<name>".
        needs: What the caller will ask of the platform ("dial_lists", ...): a platform
            without it is refused here, before anything is done (no call is made).

    Raises:
        MissingBlock: nothing is saved under that name (the message says how to create it),
            or the block saved there holds no credentials.
        CXoneUnsupported: the platform lacks one of `needs`; the message says what instead.
    """
    credentials = await load_block(reference, CXoneCredentials, "pass --credentials-block")
    if not isinstance(credentials, CXoneCredentials | CXoneAccessKey):
        raise MissingBlock(
            f"{reference!r} is a {credentials.get_block_type_slug()} block, not credentials; "
            "pass --credentials-block"
        )
    if needs:
        async with credentials.get_client() as client:
            for operation in needs:
                client.check_supports(operation)
    return credentials


class CXoneAccessKey(_CallLimits):
    """Credentials for NICE CXone's published APIs: an access key, and an app registration.

    Saving one and passing `"cxone-access-key/<name>"` as `credentials_block` runs every flow
    on the real platform. With `client_id` and `client_secret` (the app NICE registers for
    you) the token comes from the OpenID password grant; without them, from the access-key
    endpoint. The tenant's API host is discovered unless `api_base_url` is set.

    Example:
        ```python
        from blocks import CXoneAccessKey

        CXoneAccessKey(access_key_id="AK...", access_key_secret="...").save("prod")
        ```
    """

    _block_type_name = "CXone Access Key"
    _block_type_slug = "cxone-access-key"
    _description = (
        "Access key and optional app registration for NICE CXone's published Admin and "
        "Reporting APIs (Personal Connection skills, calling lists, DNC groups)."
    )
    _documentation_url = HttpUrl(
        "https://developer.niceincontact.com/Documentation/APIAuthenticationAndAuthorization"
    )
    _code_example = """```python
from blocks import CXoneAccessKey

credentials = CXoneAccessKey.load("BLOCK_NAME")
async with credentials.get_client() as client:
    skill = await client.get_campaign("4100001")
```"""

    access_key_id: str = Field(description="Access key id of the CXone user the flows act as.")
    access_key_secret: SecretStr = Field(description="The access key's secret; stored encrypted.")
    client_id: str | None = Field(
        default=None, description="Client id of the app registered with NICE, if any."
    )
    client_secret: SecretStr | None = Field(
        default=None, description="Client secret of that app; stored encrypted."
    )
    issuer: str = Field(
        default=DEFAULT_ISSUER,
        description="The OpenID issuer (https://cxone-gov.niceincontact.com for government).",
    )
    api_base_url: str | None = Field(
        default=None, description="The tenant's API host; leave empty to discover it."
    )
    requests_per_minute: int = Field(default=600, gt=0, description=PER_MINUTE)

    def get_config(self) -> AccessKeyConfig:
        """The client configuration these credentials describe."""
        return AccessKeyConfig(
            access_key_id=self.access_key_id,
            access_key_secret=self.access_key_secret,
            client_id=self.client_id,
            client_secret=self.client_secret,
            issuer=self.issuer,
            api_base_url=self.api_base_url,
            requests_per_minute=self.requests_per_minute,
            requests_per_second=self.requests_per_second,
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
            deadline_seconds=self.deadline_seconds,
        )

    def get_client(self, transport: httpx.AsyncBaseTransport | None = None) -> AdminClient:
        """A new `AdminClient`; open it inside the task that uses it (clients are loop-bound).

        Clients of the same credentials share their access token and their rate limit within
        the process; with `share_rate_limit`, a saved block's limit also holds across
        processes (see `blocks.rate_limit`).
        """
        return AdminClient(
            self.get_config(),
            transport=transport,
            token_cache=SHARED_TOKENS,
            buckets=self.buckets(self.requests_per_minute),
        )


# What a flow's `credentials_block` may name: each type's `get_client()` gives a client of
# the `cxone.CampaignPlatform` protocol.
PlatformCredentials = CXoneCredentials | CXoneAccessKey
