"""Block documents with one API call per read or write.

`Block.save` re-registers the block type and schema before every write (several API calls)
and cannot say "create only". The exactly-once operations write on the failover's hot path, so
they register each block type once per process and API, and then create, read and update
documents with the client directly.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar
from uuid import UUID

import httpx
from prefect.blocks.core import Block
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import BlockDocumentCreate, BlockDocumentUpdate
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import PREFECT_API_URL
from pydantic import ValidationError

from . import _prefect

B = TypeVar("B", bound=Block)

# The Prefect server's default maximum page: it refuses a larger one rather than truncating,
# so a shorter page is the last.
PAGE_SIZE = 200
# Names asked for in one filter: the answer holds only the documents that exist (paged as
# any other), so a fleet's few records among thousands of names take one or two requests,
# not one per `PAGE_SIZE` names. SQLite binds each name as a parameter (its limit: 32,766).
NAMES_PER_FILTER = 1000
_REGISTRATION_TRIES = 3
# Creates refused with a 409 while no document of their name exists (another constraint
# broke: a fresh server's encryption key made by two creates at once) before giving up.
CONFLICT_TRIES = 3

# On SQLite, a write that meets a concurrent writer answers 503 at once (its read snapshot is
# stale); the Prefect client would wait 2 s, then 4 s, before retrying. A record update on
# the failover's hot path retries within milliseconds instead, with random waits so that the
# writers that collided do not collide again, then falls back to the client.
_QUICK_RETRY_BUDGET = 10.0


# (API URL, block class) -> (block type id, block schema id) on that API.
_registered: dict[tuple[str | None, type[Block]], tuple[UUID, UUID]] = {}


class DocumentExists(Exception):
    """A block document of that type and name already exists: someone else made the claim."""


async def register(block_type: type[Block]) -> tuple[UUID, UUID]:
    """Register `block_type` with the current API once per process; returns its type and
    schema ids.

    Idempotent under races: when another process registers the same type between this one's
    read and create, the server answers "already exists" and the next try reads it.

    Raises:
        ObjectAlreadyExists: still racing after three tries (not seen in practice).
    """
    key = (PREFECT_API_URL.value(), block_type)
    if key not in _registered:
        for attempt in range(_REGISTRATION_TRIES):
            try:
                async with _prefect.api_client() as client:
                    await block_type.aregister_type_and_schema(client=client)
                break
            except ObjectAlreadyExists:
                if attempt == _REGISTRATION_TRIES - 1:
                    raise
        _registered[key] = _prefect.registered_ids(block_type)
    return _registered[key]


def _dump_context(block_type: type[Block]) -> dict[str, Any] | None:
    """Dump secrets as their values, and only for a block that has some: with that context
    Prefect rebuilds the block's JSON schema for every field of every dump."""
    return {"include_secrets": True} if _has_secrets(block_type) else None


@functools.cache
def _has_secrets(block_type: type[Block]) -> bool:
    return bool(block_type.model_json_schema().get("secret_fields"))


async def send(method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    """Send one write to the Prefect API, retrying a busy server within milliseconds.

    A write that met a busy server retries behind this process's other retrying writes, one
    at a time: on SQLite, writers that retry together collide again.

    Only for writes safe to repeat: a partial update writes the same fields again, and a
    repeated create answers 409, which the claim's holder recognises as its own (its record
    names its flow run, and `operation.settle` hands a record held by this run back to it; a
    backup's claim, a variable, names its pair).
    """
    async with _prefect.api_client() as client:
        request = _prefect.http_client(client).build_request(method, path, json=body)
        response = await _try_once(client, request)
        if response is not None:
            return response
        async with _retry_gate():
            for delay in _prefect.quick_retry_delays(_QUICK_RETRY_BUDGET):
                await asyncio.sleep(delay)
                response = await _try_once(client, request)
                if response is not None:
                    return response
        return await _prefect.send_with_retries(client, request)  # its retries, then its error


async def _try_once(client: PrefectClient, request: httpx.Request) -> httpx.Response | None:
    """One try with httpx's own send (without the Prefect client's slow retries); None when
    the server was busy or unreachable."""
    try:
        response = await _prefect.send_once(client, request)
    except httpx.TransportError:
        return None
    return None if response.status_code == 503 else response


# One lock per event loop and purpose: a lock belongs to the loop it first waited in, and
# every `asyncio.run` (each flow called from a script) brings a new loop.
_loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def loop_lock(purpose: str) -> asyncio.Lock:
    """This event loop's lock for `purpose` (made on first use)."""
    locks = _loop_locks.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(purpose, asyncio.Lock())


def _retry_gate() -> asyncio.Lock:
    return loop_lock("quick retries")


async def create(block: Block, name: str) -> None:
    """Save `block` as a new document called `name`: the atomic claim.

    Raises:
        DocumentExists: a document of this type and name exists already.
        httpx.HTTPStatusError: the server refused the create `CONFLICT_TRIES` times over a
            conflict that was not this name (or refused it otherwise).
    """
    type_id, schema_id = await register(type(block))
    data = block.model_dump(mode="json", by_alias=True, context=_dump_context(type(block)))
    document = BlockDocumentCreate(
        name=name, block_schema_id=schema_id, block_type_id=type_id, data=data
    )
    body = document.model_dump(mode="json")
    for _ in range(CONFLICT_TRIES):
        response = await send("POST", "/block_documents/", body)
        if response.status_code != 409:
            break
        # The server answers 409 for any broken constraint, not only a taken name: a fresh
        # server's first creates race to make its encryption key. Only a document saved
        # under this name is someone else's claim; otherwise the create is tried again.
        if await exists(type(block), name):
            raise DocumentExists(f"{type(block).get_block_type_slug()}/{name}")
    response.raise_for_status()  # still refused, with no document of this name: say so
    _prefect.bind_document(block, name, response.json()["id"])


async def update(block: B, *fields: str) -> None:
    """Write `fields` of a block read or created through this module (a partial update).

    Only the named fields are sent, and the server merges them into the stored document, so
    two writers of different fields (a step's answer, a lease renewal) never undo each other.
    """
    await register(type(block))
    data: dict[str, Any] = block.model_dump(
        mode="json", include=set(fields), context=_dump_context(type(block))
    )
    update = BlockDocumentUpdate(data=data, merge_existing_data=True)
    path = f"/block_documents/{_prefect.document_id(block)}"
    response = await send("PATCH", path, update.model_dump(mode="json", exclude_unset=True))
    response.raise_for_status()


async def read(block_type: type[B], name: str) -> B | None:
    """The document of `block_type` saved as `name`, or None when there is none.

    Raises:
        pydantic.ValidationError: the stored document no longer fits the block.
    """
    try:
        async with _prefect.api_client() as client:
            return await block_type.aload(name, client=client)
    except ValueError as exc:  # Prefect wraps the API's ObjectNotFound in a ValueError
        if isinstance(exc.__cause__, ObjectNotFound):
            return None
        raise


async def exists(block_type: type[Block], name: str) -> bool:
    """Whether a document of `block_type` is saved as `name` (whatever its data holds).

    Counts instead of reading: the server answers a count with one query, while a read, even
    of a document that is not there, also builds the document and its block schema (measured
    on PostgreSQL: about 4 ms of the server's CPU against 9 ms for a miss and 14 ms for a hit).
    """
    query = {
        "block_types": {"slug": {"any_": [block_type.get_block_type_slug()]}},
        # As a read by name: anonymous documents are not left out.
        "block_documents": {"name": {"any_": [name]}, "is_anonymous": None},
    }
    async with _prefect.api_client() as client:
        response = await client.request("POST", "/block_documents/count", json=query)
    return bool(response.json())


# Per event loop and block type: the existence checks waiting for the next request.
_asked: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[type[Block], _AskedTogether]] = (
    weakref.WeakKeyDictionary()
)


async def exists_together(block_type: type[Block], name: str) -> bool:
    """`exists`, in one request with the checks this event loop asks meanwhile.

    A check asked while another request of these is at the server waits for it to answer
    and goes with the next: one request at a time per block type, each for every name asked
    since the last (a group commit). A storm's fifty failovers each check for a takeover
    twice; asked one by one, those hundred counts queue at the Prefect server with the
    failovers' own writes. The answer is as fresh as `exists`': the request is sent after
    the check was asked.

    Raises:
        httpx.HTTPError: the request failed (every check in it gets the error).
    """
    groups = _asked.setdefault(asyncio.get_running_loop(), {})
    group = groups.get(block_type)
    if group is None:
        group = groups[block_type] = _AskedTogether(block_type)
    return await group.ask(name)


class _AskedTogether:
    """The existence checks of one block type on one event loop (see `exists_together`)."""

    def __init__(self, block_type: type[Block]) -> None:
        self._block_type = block_type
        self._waiting: dict[str, list[asyncio.Future[bool]]] = {}
        self._sender: asyncio.Task[None] | None = None

    async def ask(self, name: str) -> bool:
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(name, []).append(answer)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        return await answer

    async def _send(self) -> None:
        try:
            await asyncio.sleep(0)  # the checks asked in this turn of the loop go along
            await self._send_waiting()
        finally:
            self._sender = None  # a finished task would keep its event loop alive here

    async def _send_waiting(self) -> None:
        while self._waiting:
            asked, self._waiting = self._waiting, {}
            try:
                saved = await _saved_names(self._block_type, list(asked))
            except BaseException as exc:
                for answer in (answer for answers in asked.values() for answer in answers):
                    if answer.done():
                        continue
                    if isinstance(exc, asyncio.CancelledError):
                        answer.cancel()  # a future takes no CancelledError as a result
                    else:
                        answer.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise  # cancelled with its event loop
                continue
            for name, answers in asked.items():
                for answer in answers:
                    if not answer.done():  # a caller cancelled meanwhile is not told
                        answer.set_result(name in saved)


async def _saved_names(block_type: type[Block], names: list[str]) -> set[str]:
    """Which of `names` a document of `block_type` is saved as (whatever its data holds)."""
    saved: set[str] = set()
    for start in range(0, len(names), NAMES_PER_FILTER):
        # As `exists`: anonymous documents are not left out.
        chunk = {"name": {"any_": names[start : start + NAMES_PER_FILTER]}, "is_anonymous": None}
        async for page in _pages(block_type, chunk):
            saved.update(document["name"] for document in page)
    return saved


async def read_all(block_type: type[B]) -> list[tuple[str, B]]:
    """Every saved document of `block_type` as (name, block), by name.

    Pages through `/block_documents/filter`, which honours `offset` and `limit`: the
    by-type route (`read_block_documents_by_type`) ignores both and answers every document,
    so paging it never ends once a type has `PAGE_SIZE` documents. A block type never
    registered has no documents. A document that no longer fits the block's schema is
    skipped rather than hiding all the others.
    """
    return await _read_filtered(block_type, {"is_anonymous": {"eq_": False}})


async def read_all_checked(
    block_type: type[B],
) -> tuple[list[tuple[str, B]], list[tuple[str, dict[str, Any], str]]]:
    """Every saved document of `block_type`: those that load as (name, block), and those that
    no longer fit its schema or validators as (name, stored data, why), so that a caller can
    report them instead of leaving them out.
    """
    unfit: list[tuple[str, dict[str, Any], str]] = []
    found = await _read_filtered(block_type, {"is_anonymous": {"eq_": False}}, unfit)
    return found, unfit


def name_of(block: Block) -> str:
    """The name of the stored document `block` was read or created as ("" when none)."""
    return _prefect.document_name(block) or ""


async def read_named(block_type: type[B], names: Iterable[str]) -> dict[str, B]:
    """The documents of `block_type` saved under `names`, in a few calls instead of one each
    (names without a document are left out).
    """
    wanted = sorted(set(names))
    found: dict[str, B] = {}
    for start in range(0, len(wanted), NAMES_PER_FILTER):
        chunk = {"name": {"any_": wanted[start : start + NAMES_PER_FILTER]}}
        found.update(await _read_filtered(block_type, chunk))
    return found


async def _read_filtered(
    block_type: type[B],
    documents: dict[str, Any],
    unfit: list[tuple[str, dict[str, Any], str]] | None = None,
) -> list[tuple[str, B]]:
    """The documents of `block_type` matching the `documents` filter, page by page (those
    that do not validate are left out, or added to `unfit` when given)."""
    found: list[tuple[str, B]] = []
    async for page in _pages(block_type, documents):
        for document in page:
            try:
                block = block_type.model_validate(document["data"])
            except ValidationError as exc:
                if unfit is not None:
                    why = "; ".join(error["msg"] for error in exc.errors())
                    unfit.append((document["name"], document["data"], why))
                continue
            _prefect.bind_document(block, document["name"], document["id"])
            found.append((document["name"], block))
    return found


async def _pages(block_type: type[Block], documents: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """The documents of `block_type` matching the `documents` filter, a page at a time."""
    query: dict[str, Any] = {
        "block_types": {"slug": {"any_": [block_type.get_block_type_slug()]}},
        "block_documents": documents,
        "sort": "NAME_ASC",
        "limit": PAGE_SIZE,
        "include_secrets": False,
    }
    async with _prefect.api_client() as client:
        offset = 0
        while True:
            response = await client.request(
                "POST", "/block_documents/filter", json={**query, "offset": offset}
            )
            # Each document carries its whole block schema (about 4 kB); only the name, id and
            # data are read, which keeps a listing of hundreds of documents cheap.
            page: list[Any] = response.json()
            yield page
            if len(page) < PAGE_SIZE:
                return
            offset += PAGE_SIZE


async def delete(block: Block) -> bool:
    """Delete the stored document `block` was read or created as; False when it was gone.

    Deleting by id is safe under races: a document made again under the same name since is
    another document, with another id, and stays.
    """
    document = _prefect.document_id(block)
    if document is None:
        return False
    async with _prefect.api_client() as client:
        try:
            await client.delete_block_document(document)
        except ObjectNotFound:
            return False
    return True
