"""Where the Reassigned Numbers Database is asked: a reseller's API, its key and its rate.

A dial-list sync names the block (`rnd_block`) and gets an `rnd.RndClient` from
`get_client()`; the key is a `SecretStr`, stored encrypted and shown redacted.
"""

from __future__ import annotations

import httpx
from prefect.blocks.core import Block
from pydantic import Field, HttpUrl, SecretStr

from cxone import SHARED_BUCKETS
from rnd import RndClient

from .credentials import load_block


class ReassignedNumbersDatabase(Block):
    """A Reassigned Numbers Database API: for a number and a date (of consent), `yes`
    (permanently disconnected since), `no` or `no_data`.

    Example:
        >>> block = ReassignedNumbersDatabase(
        ...     api_url="http://127.0.0.1:8765/api/rnd/v1", api_key="sim-rnd-key"
        ... )
        >>> block.api_key, "sim-rnd-key" in repr(block)
        (SecretStr('**********'), False)
        >>> block.get_client()
        RndClient(api_url='http://127.0.0.1:8765/api/rnd/v1', requests_per_minute=500)

        Saved once, a sync names it (`rnd_block="rnd"`):

        ```python
        ReassignedNumbersDatabase(api_url="https://...", api_key="...").save("rnd")
        ```
    """

    _block_type_name = "Reassigned Numbers Database"
    _block_type_slug = "reassigned-numbers-database"
    _description = (
        "A Reassigned Numbers Database API (the FCC's RND, through a reseller): its URL, API "
        "key and rate limit. Use get_client() to ask whether numbers changed hands since "
        "their consent."
    )
    _documentation_url = HttpUrl("https://www.reassigned.us/")
    _code_example = """```python
import datetime as dt

from blocks import ReassignedNumbersDatabase

database = ReassignedNumbersDatabase.load("BLOCK_NAME")
async with database.get_client() as client:
    [answer] = await client.query([("2125550101", dt.date(2025, 1, 2))])
```"""

    api_url: str = Field(
        description="The API's base URL; queries go to {api_url}/query (the simulator's "
        "stand-in: http://127.0.0.1:8765/api/rnd/v1)."
    )
    api_key: SecretStr = Field(description="The API key, sent as a bearer token; stored encrypted.")
    requests_per_minute: int = Field(
        default=500, gt=0, description="Client-side request rate limit (the service's limit)."
    )

    def get_client(self, transport: httpx.AsyncBaseTransport | None = None) -> RndClient:
        """A new `RndClient`; open it inside the task that uses it (clients are loop-bound).

        Clients of the same `api_url` share their rate limit within the process.
        """
        rate = self.requests_per_minute / 60
        bucket = SHARED_BUCKETS.get(f"rnd {self.api_url}", rate, max(1.0, rate))
        return RndClient(
            self.api_url, self.api_key, self.requests_per_minute, transport=transport, bucket=bucket
        )


async def load_reassigned_numbers_database(reference: str) -> ReassignedNumbersDatabase:
    """The block `reference` names: a `ReassignedNumbersDatabase` block's name, or
    `"<block-type-slug>/<name>"`.

    Raises:
        MissingBlock: Nothing is saved under that name; the message says how to create it.
    """
    block = await load_block(reference, ReassignedNumbersDatabase, "pass rnd_block=None")
    assert isinstance(block, ReassignedNumbersDatabase)
    return block
