"""Every use of Prefect's private internals, in one place, each checked by a contract test.

The project leans on a few things Prefect does not promise (`tests/contract/
test_prefect_internals.py` checks each one against the installed Prefect and names its
version when one moved):

- `PrefectClient._client`, its `httpx.AsyncClient` subclass: writes on the failover's hot
  path and the shared rate limit's calls are built and sent on it directly.
- `httpx.AsyncClient.send` called unbound on that client: one try without the Prefect
  client's own slow retries.
- A block's `_block_document_id` and `_block_document_name`: which stored document a block
  read or created through `blocks._documents` is.
- `Block._block_type_id` and `Block._block_schema_id`, set by
  `Block.aregister_type_and_schema`.
- `Flow.__call__` starting a run and `Flow.serialize_parameters` giving the parameters the
  engine stores with it (`flows._checked` overrides both).
- `PrefectClient._loop` and `AsyncClientContext._httpx_settings`: whether the running flow's
  own client serves this event loop, as `get_client()` decides (`api_client` reuses it).

Nothing else in the project touches a Prefect name that starts with an underscore.
"""

from __future__ import annotations

import asyncio
import functools
import random
import ssl
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import certifi
import httpx
import prefect
from prefect.blocks.core import Block
from prefect.client.orchestration import PrefectClient, get_client
from prefect.context import AsyncClientContext
from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY

# The Prefect the contract was last checked against (the pin in pyproject.toml allows 3.9.x).
CHECKED_VERSION = "3.9"


def api_client() -> PrefectClient:
    """A client of the Prefect API, to use as `async with api_client() as client:`.

    The running flow's own client when it serves this event loop, as `get_client()` gives it;
    otherwise a new client on the process's one TLS context. `get_client()` builds a TLS
    context for every client it makes (about 20 ms of CPU to load the CA bundle, even for an
    http:// API), and the block documents open a client for each read and write: outside a
    flow run (the dashboard's record listings, a credentials load) that was most of a read's
    CPU on the client's side.

    Raises:
        ValueError: no Prefect API is set and the ephemeral server is off (as `get_client`).

    Example:
        >>> async def health() -> int:
        ...     async with api_client() as client:
        ...         return (await client.request("GET", "/health")).status_code
    """
    return _context_client() or get_client(httpx_settings={"verify": _tls_context()})


def _context_client() -> PrefectClient | None:
    context = AsyncClientContext.get()
    client = context.client if context is not None else None
    if client is None or getattr(context, "_httpx_settings", None) is not None:
        return None
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:  # outside an event loop: no run's client is this caller's to use
        return None
    return client if getattr(client, "_loop", None) is running else None


def _tls_context() -> ssl.SSLContext:
    return _tls_context_for(
        bool(PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value()), PREFECT_API_SSL_CERT_FILE.value()
    )


@functools.cache
def _tls_context_for(skip_verify: bool, cert_file: str | None) -> ssl.SSLContext:
    """Built as `PrefectClient` builds its own, once per pair of settings."""
    if skip_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=cert_file or certifi.where())


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


def quick_retry_delays(budget: float, first: float = 0.005, cap: float = 0.25) -> Iterator[float]:
    """Waits before each retry of a busy server: exponential backoff with full jitter (from
    `first`, at most `cap` each), for about `budget` seconds in all.

    Example:
        >>> delays = list(quick_retry_delays(1.0))
        >>> all(0 <= d <= 0.25 for d in delays) and 1.0 <= sum(delays) < 1.25
        True
    """
    ceiling, spent = first, 0.0
    while spent < budget:
        delay = random.uniform(0, ceiling)
        spent += delay
        yield delay
        ceiling = min(ceiling * 2, cap)


async def send_busy_retrying(
    client: PrefectClient, request: httpx.Request, budget: float
) -> httpx.Response:
    """Send `request` without the Prefect client's retries, and again within milliseconds
    while the server answers 503 (busy: on SQLite, a write that met another writer), for about
    `budget` seconds; the last answer (a 503 if the server stayed busy). The Prefect client
    would wait 2 s, then 4 s, before its retries.

    Only for requests safe to repeat after a 503 (the server did not apply them).

    Raises:
        httpx.TransportError: the server could not be reached (not retried here).
    """
    response = await send_once(client, request)
    delays = quick_retry_delays(budget)
    while response.status_code == 503:
        delay = next(delays, None)
        if delay is None:
            break
        await asyncio.sleep(delay)
        response = await send_once(client, request)
    return response


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
