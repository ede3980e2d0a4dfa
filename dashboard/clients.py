"""One open platform client per credentials block, for the dashboard's lifetime.

A client per request would load the block from Prefect each time and start with an empty
rate limiter; one shared client per block paces every read of the dashboard (health reads,
names, polls) against the block's `requests_per_minute`. Access tokens are shared process-wide
anyway (`cxone.SHARED_TOKENS`), so a token is fetched once per credentials until it expires.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from blocks import MissingBlock, load_credentials
from cxone import CampaignPlatform

from .cache import TtlCache

logger = logging.getLogger(__name__)

# A credentials block that could not be loaded is asked for again after this long.
RETRY_LOAD_SECONDS = 30.0


class ClientUnavailable(Exception):
    """No client for a credentials block: it is missing, or Prefect could not load it.

    The message names the block, never a secret.
    """


class PlatformClients:
    """Open clients by credentials reference (a block name or `"<type-slug>/<name>"`).

    Clients are bound to the event loop that opened them: use one `PlatformClients` per
    app, and close it (`aclose`) when the app stops. A rotated secret takes effect when the
    dashboard restarts.

    Args:
        load: loads a credentials block; default `blocks.load_credentials`.
    """

    def __init__(self, load: Callable[[str], Awaitable[Any]] = load_credentials) -> None:
        self._load = load
        self._clients: TtlCache[str, CampaignPlatform] = TtlCache(
            self._open, ttl_seconds=float("inf"), error_ttl_seconds=RETRY_LOAD_SECONDS
        )
        self._opened: list[CampaignPlatform] = []

    async def get(self, reference: str) -> CampaignPlatform:
        """The client for `reference`, opened on first use.

        Raises:
            ClientUnavailable: the block is missing or could not be loaded (remembered for
                `RETRY_LOAD_SECONDS`).
        """
        return await self._clients.get(reference)

    async def aclose(self) -> None:
        for client in self._opened:
            await client.aclose()
        self._opened.clear()

    async def _open(self, reference: str) -> CampaignPlatform:
        try:
            block = await self._load(reference)
        except MissingBlock as exc:
            raise ClientUnavailable(str(exc)) from None
        except Exception as exc:
            logger.error("could not load credentials block %r: %s", reference, type(exc).__name__)
            raise ClientUnavailable(
                f"the Prefect API could not load the credentials block {reference!r}"
            ) from None
        client = block.get_client()
        self._opened.append(client)
        return client
