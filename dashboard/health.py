"""One campaign's health, from recent readings or, failing that, a cached platform read.

Whoever holds the dashboard's token (or, in localhost mode, any local process) may ask, so
what it may make the tenant do is bounded:

- **Known campaigns** are those the dashboard has readings of (webhooks or polls), those a
  FailoverPair names (primary or backup), and those a platform read has found. Their reads
  go through one shared client per credentials block (its rate limit holds for all of them)
  and each answer is reused for `health_cache_seconds`, so a burst costs one read.
- **Unknown campaigns** reach the tenant only within a small budget
  (`unknown_lookups_per_minute` for all of them together); beyond it the answer is 429 with
  `Retry-After`, without any call. A campaign found this way becomes known.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import deque
from collections.abc import Callable

from pydantic import BaseModel

from cxone import Campaign, CampaignMetrics, CXoneError, CXoneNotFound

from .cache import TtlCache
from .clients import ClientUnavailable, PlatformClients
from .pairs import PairCache
from .records import HistoryCache
from .settings import DashboardSettings
from .store import CampaignStore, utc_now

logger = logging.getLogger(__name__)

_WINDOW_SECONDS = 60.0


class CampaignHealth(BaseModel):
    """The tutorial's health summary of one campaign."""

    campaign_id: str
    status: str | None
    active_calls: int
    success_rate: float
    failover_triggered: bool
    last_metric_update: dt.datetime | None


class CampaignNotFound(Exception):
    """The platform does not know the campaign and no reading has reported it."""


class HealthUnavailable(Exception):
    """The health cannot be read: no recent readings and the platform or Prefect failed."""


class TooManyLookups(Exception):
    """The budget for campaigns the dashboard does not know is spent for now.

    `retry_after` is the whole seconds until the next lookup is allowed.
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many lookups of campaigns this dashboard does not know; retry in {retry_after} s"
        )
        self.retry_after = retry_after


class LookupBudget:
    """At most `per_minute` lookups in any 60 seconds; refuses rather than waits.

    Args:
        per_minute: the budget, at least 1.
        clock: monotonic seconds; injectable for tests.

    Example:
        >>> now = [0.0]
        >>> budget = LookupBudget(2, clock=lambda: now[0])
        >>> [budget.take() for _ in range(3)]
        [0.0, 0.0, 60.0]
        >>> now[0] = 60.0
        >>> budget.take()
        0.0
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._taken: deque[float] = deque()

    def take(self) -> float:
        """Take one lookup: 0.0 when allowed, else the seconds until one is."""
        now = self._clock()
        while self._taken and self._taken[0] <= now - _WINDOW_SECONDS:
            self._taken.popleft()
        if len(self._taken) >= self._per_minute:
            return self._taken[0] + _WINDOW_SECONDS - now
        self._taken.append(now)
        return 0.0


class HealthReader:
    """Builds `CampaignHealth` from the store, the pairs, the failover history and the API.

    Readings count while they are younger than the pair's `window_minutes` (or the
    settings' default for a campaign no pair names); older or absent ones mean a platform
    read of the campaign and its metrics with the pair's credentials block (or the default).

    Args:
        settings: the dashboard settings.
        store: the readings.
        pairs: the pair listing.
        clients: the dashboard's platform clients.
        history: the failover history.
        clock: UTC now; injectable for tests.
        monotonic: monotonic seconds, for the caches and the budget; injectable for tests.
    """

    def __init__(
        self,
        settings: DashboardSettings,
        store: CampaignStore,
        pairs: PairCache,
        clients: PlatformClients,
        history: HistoryCache,
        clock: Callable[[], dt.datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._store = store
        self._pairs = pairs
        self._clients = clients
        self._history = history
        self._clock = clock
        ttl = settings.health_cache_seconds
        self._reads: TtlCache[tuple[str, str, int], tuple[Campaign, CampaignMetrics]] = TtlCache(
            self._read_api, ttl, clock=monotonic
        )
        self._statuses: TtlCache[tuple[str, str], str | None] = TtlCache(
            self._read_status, ttl, clock=monotonic
        )
        self._budget = LookupBudget(settings.unknown_lookups_per_minute, monotonic)
        self._found: set[str] = set()

    def is_known(self, campaign_id: str) -> bool:
        """Whether the dashboard knows the campaign (see the module docstring)."""
        return (
            campaign_id in self._store
            or self._pairs.naming(campaign_id) is not None
            or campaign_id in self._found
        )

    async def read(self, campaign_id: str) -> CampaignHealth:
        """The campaign's health.

        Raises:
            CampaignNotFound: no readings and the platform answers 404.
            HealthUnavailable: no recent readings and the platform read failed.
            TooManyLookups: an unknown campaign, and the budget for those is spent.
        """
        pair = self._pairs.naming(campaign_id)
        window = pair.window_minutes if pair else self._settings.window_minutes
        credentials = self._pairs.credentials_for(campaign_id, self._settings.credentials_block)
        latest = self._store.latest(campaign_id)
        if latest is None or latest.at < self._clock() - dt.timedelta(minutes=window):
            key = (campaign_id, credentials, window)
            # Only a read that would reach the tenant spends the budget; a cached answer does not.
            unknown = not (self.is_known(campaign_id) or self._reads.holds(key))
            if unknown and (wait := self._budget.take()):
                raise TooManyLookups(math.ceil(wait))
            campaign, metrics = await self._reads.get(key)
            self._found.add(campaign_id)
            return CampaignHealth(
                campaign_id=campaign_id,
                status=campaign.status,
                active_calls=metrics.active_calls,
                success_rate=metrics.success_rate,
                failover_triggered=metrics.failover_triggered
                or await self._failover_applied(campaign_id, campaign.status),
                last_metric_update=metrics.last_updated,
            )
        status = self._store.status(campaign_id) or await self._statuses.get(
            (campaign_id, credentials)
        )
        return CampaignHealth(
            campaign_id=campaign_id,
            status=status,
            active_calls=latest.active_calls,
            success_rate=latest.success_rate,
            failover_triggered=await self._failover_applied(campaign_id, status),
            last_metric_update=latest.at,
        )

    async def _read_api(self, key: tuple[str, str, int]) -> tuple[Campaign, CampaignMetrics]:
        campaign_id, credentials, window = key
        try:
            client = await self._clients.get(credentials)
            campaign = await client.get_campaign(campaign_id)
            metrics = await client.get_metrics(campaign_id, window_minutes=window)
        except ClientUnavailable as exc:
            raise HealthUnavailable(str(exc)) from None
        except CXoneNotFound:
            raise CampaignNotFound(f"campaign {campaign_id!r} not found") from None
        except CXoneError as exc:
            logger.error("health read of campaign %s failed: %s", campaign_id, exc)
            raise HealthUnavailable(f"the CXone API read failed ({type(exc).__name__})") from None
        return campaign, metrics

    async def _read_status(self, key: tuple[str, str]) -> str | None:
        """The status when no state-change webhook told it; None if the API cannot say."""
        campaign_id, credentials = key
        try:
            client = await self._clients.get(credentials)
            return (await client.get_campaign(campaign_id)).status
        except (ClientUnavailable, CXoneError) as exc:
            logger.warning("no status for campaign %s: %s", campaign_id, type(exc).__name__)
            return None

    async def _failover_applied(self, campaign_id: str, campaign_status: str | None) -> bool:
        """Whether the pair of `campaign_id` failed over (or half did) in its episode;
        `campaign_status` is the campaign's own status, if known."""
        try:
            status = (await self._history.get()).status(campaign_id, campaign_status)
        except Exception as exc:
            logger.error("could not read failover records: %s", type(exc).__name__)
            return False
        return status in ("failed_over", "failover_incomplete")
