"""Every use of Prefect's private internals, in one place, each checked by a contract test.

The project leans on a few things Prefect does not promise (`tests/contract/
test_prefect_internals.py` checks each one against the installed Prefect and names its
version when one moved):

- `PrefectClient._client`, its `httpx.AsyncClient` subclass: writes on the failover's hot
  path are built and sent on it directly.
- `httpx.AsyncClient.send` called unbound on that client: one try without the Prefect
  client's own slow retries.
- A block's `_block_document_id` and `_block_document_name`: which stored document a block
  read or created through `blocks._documents` is.
- `Block._block_type_id` and `Block._block_schema_id`, set by
  `Block.aregister_type_and_schema`.
- `Flow.__call__` starting a run and `Flow.serialize_parameters` giving the parameters the
  engine stores with it (`flows._checked` overrides both).

Nothing else in the project touches a Prefect name that starts with an underscore.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import prefect
from prefect.blocks.core import Block
from prefect.client.orchestration import PrefectClient

# The Prefect the contract was last checked against (the pin in pyproject.toml allows 3.9.x).
CHECKED_VERSION = "3.9"


def http_client(client: PrefectClient) -> httpx.AsyncClient:
    """The httpx client under a Prefect client (with its base URL and auth).

    Raises:
        TypeError: this Prefect keeps it elsewhere (see the contract test).
    """
    inner = getattr(client, "_client", None)
    if not isinstance(inner, httpx.AsyncClient):
        raise TypeError(
            f"PrefectClient._client is {type(inner).__name__} in Prefect {prefect.__version__}, "
            "not an httpx.AsyncClient: blocks/_prefect.py needs updating"
        )
    return inner


async def send_once(client: PrefectClient, request: httpx.Request) -> httpx.Response:
    """Send `request` once, without the Prefect client's retries (httpx's own `send`)."""
    return await httpx.AsyncClient.send(http_client(client), request)


async def send_with_retries(client: PrefectClient, request: httpx.Request) -> httpx.Response:
    """Send `request` through the Prefect client's retrying `send`."""
    return await http_client(client).send(request)


def document_id(block: Block) -> UUID | None:
    """The id of the stored document `block` was read as or created as, if any.

    Example:
        >>> from blocks import FailoverPair
        >>> document_id(FailoverPair(primary_campaign_id="a", backup_campaign_id="b")) is None
        True
    """
    value: UUID | None = block._block_document_id
    return value


def document_name(block: Block) -> str | None:
    """The name of the stored document `block` was read or created as, if any."""
    value: str | None = block._block_document_name
    return value


def bind_document(block: Block, name: str, document: UUID | str) -> None:
    """Make `block` the stored document `document` (an id) called `name`."""
    block._block_document_name = name
    block._block_document_id = document if isinstance(document, UUID) else UUID(document)


def registered_ids(block_type: type[Block]) -> tuple[UUID, UUID]:
    """The block type's and schema's ids, once `aregister_type_and_schema` ran.

    Raises:
        RuntimeError: the block type was not registered in this process.
    """
    type_id: Any = block_type._block_type_id
    schema_id: Any = block_type._block_schema_id
    if type_id is None or schema_id is None:
        raise RuntimeError(f"{block_type.__name__} is not registered with the API yet")
    return UUID(str(type_id)), UUID(str(schema_id))
