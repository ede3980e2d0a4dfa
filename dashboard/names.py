"""Campaign names, read from the platform in the background and kept."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from blocks.ids import is_campaign_id
from cxone import CXoneError, CXoneNotFound

from .clients import ClientUnavailable, PlatformClients

logger = logging.getLogger(__name__)

# After a failed read (not a 404) the name is tried again after this long.
RETRY_SECONDS = 60.0


class CampaignNames:
    """Names by campaign id, for the page.

    `name` answers from what is kept and never reads anything; `want` asks for names that
    are missing or due, which the task in `run` reads with the campaign's credentials (at
    most `concurrency` at a time, through the shared, rate-limited clients). A kept name is
    shown until a newer read replaces it; a campaign the platform does not know keeps no
    name until its next read.

    Args:
        clients: the dashboard's platform clients.
        credentials_for: the credentials reference to read a campaign with.
        ttl_seconds: how long a name is kept before it is read again.
        concurrency: most reads at once.
        clock: monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        clients: PlatformClients,
        credentials_for: Callable[[str], str],
        ttl_seconds: float,
        concurrency: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._credentials_for = credentials_for
        self._ttl = ttl_seconds
        self._concurrency = concurrency
        self._clock = clock
        self._names: dict[str, str | None] = {}
        self._due: dict[str, float] = {}  # campaign id -> when to read it (again)
        self._wanted: dict[str, None] = {}  # an ordered set: first asked, first read
        self._asked = asyncio.Event()
        self._tenants: dict[str, str] = {}  # campaign id -> credentials, when a caller knew

    def name(self, campaign_id: str) -> str | None:
        """The kept name, or None when none was read (yet)."""
        return self._names.get(campaign_id)

    def want(self, campaign_ids: Iterable[str], credentials: str | None = None) -> None:
        """Ask for the names of these campaigns that are missing or due; returns at once.

        Values that are not campaign ids are ignored. `credentials` names the credentials
        reference to read them with, for campaigns no pair names (a scrubbed skill's tenant).
        """
        now = self._clock()
        for campaign_id in campaign_ids:
            if credentials:
                self._tenants[campaign_id] = credentials
            # Ids from pair blocks and records are typed by people: only ids go into paths.
            if is_campaign_id(campaign_id) and self._due.get(campaign_id, now) <= now:
                self._wanted[campaign_id] = None
                self._due[campaign_id] = float("inf")  # asked once; due again once read
        if self._wanted:
            self._asked.set()

    async def run(self) -> None:
        """Read wanted names forever."""
        while True:
            await self._asked.wait()
            self._asked.clear()
            await self.read_wanted()

    async def read_wanted(self) -> None:
        """Read every name wanted so far."""
        batch = list(self._wanted)
        self._wanted.clear()
        limit = asyncio.Semaphore(self._concurrency)

        async def read(campaign_id: str) -> str | None:
            async with limit:
                return await self._read(campaign_id)

        failures = [f for f in await asyncio.gather(*(read(cid) for cid in batch)) if f]
        if failures:
            # One line for a round: an outage must not write one line per campaign.
            logger.warning(
                "could not read the names of %d campaigns (retried in %.0f s), e.g. %s",
                len(failures),
                RETRY_SECONDS,
                failures[0],
            )

    async def _read(self, campaign_id: str) -> str | None:
        """Read one name; returns a description of the failure, or None."""
        reference = self._tenants.get(campaign_id) or self._credentials_for(campaign_id)
        try:
            client = await self._clients.get(reference)
            self._names[campaign_id] = (await client.get_campaign(campaign_id)).name
        except CXoneNotFound:
            self._names.pop(campaign_id, None)
        except (ClientUnavailable, CXoneError) as exc:
            self._due[campaign_id] = self._clock() + RETRY_SECONDS
            return f"{campaign_id} with {reference!r}: {type(exc).__name__}"
        self._due[campaign_id] = self._clock() + self._ttl
        return None
