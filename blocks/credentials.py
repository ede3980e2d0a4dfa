"""The CXone credentials block: where the API is and how to authenticate to it."""

from __future__ import annotations

import httpx
from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from cxone import DEFAULT_BASE_URL, DEFAULT_SCOPES, CXoneClient, CXoneConfig


class CXoneCredentials(Block):
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
    _documentation_url = (
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
    requests_per_minute: int = Field(
        default=100, gt=0, description="Client-side request rate limit for this tenant."
    )

    def get_config(self) -> CXoneConfig:
        """The client configuration these credentials describe."""
        return CXoneConfig(
            base_url=self.base_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=self.scopes,
            requests_per_minute=self.requests_per_minute,
        )

    def get_client(self, transport: httpx.AsyncBaseTransport | None = None) -> CXoneClient:
        """A new `CXoneClient`; open it inside the task that uses it (clients are loop-bound)."""
        return CXoneClient(self.get_config(), transport=transport)
