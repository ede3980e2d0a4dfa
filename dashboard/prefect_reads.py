"""Reading saved block documents from the Prefect API: one by name, or all of a type."""

from __future__ import annotations

import logging
from typing import TypeVar

from prefect.blocks.core import Block
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from pydantic import ValidationError

logger = logging.getLogger(__name__)

B = TypeVar("B", bound=Block)

# The Prefect server's default maximum limit: it refuses a larger one rather than truncating,
# so a shorter page is the last.
_PAGE_SIZE = 200


async def load_block(block_type: type[B], name: str) -> B | None:
    """The block saved as `name`, or None when there is none.

    Raises:
        Whatever the Prefect client raises when the API is unreachable or errs, and
        `pydantic.ValidationError` when the saved document no longer fits the block.
    """
    try:
        return await block_type.aload(name)
    except ValueError as exc:
        if isinstance(exc.__cause__, ObjectNotFound):
            return None
        raise


async def read_all(block_type: type[B]) -> list[tuple[str, B]]:
    """Every saved document of `block_type` as (name, block), in the API's order.

    A block type never registered has no documents. A document that no longer fits the
    block's schema is skipped with a warning rather than hiding all the others.

    Raises:
        Whatever the Prefect client raises when the API is unreachable or errs.
    """
    slug = block_type.get_block_type_slug()
    found: list[tuple[str, B]] = []
    async with get_client() as client:
        offset = 0
        while True:
            try:
                page = await client.read_block_documents_by_type(
                    block_type_slug=slug, offset=offset, limit=_PAGE_SIZE, include_secrets=False
                )
            except PrefectHTTPStatusError as exc:
                if exc.response.status_code == 404:  # the type was never registered
                    return []
                raise
            for document in page:
                try:
                    found.append((document.name, block_type.model_validate(document.data)))
                except ValidationError:
                    logger.warning("skipped block %s/%s: it no longer fits", slug, document.name)
            if len(page) < _PAGE_SIZE:
                return found
            offset += _PAGE_SIZE
