"""One campaign's health, from recent webhook data or, failing that, a fresh API read."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from pydantic import BaseModel

from blocks import MissingBlock, load_credentials
from cxone import Campaign, CampaignMetrics, CXoneError, CXoneNotFound

from .pairs import PairDirectory, PairLookupError
from .records import load_history
from .settings import DashboardSettings
from .store import CampaignStore, utc_now

logger = logging.getLogger(__name__)


class CampaignHealth(BaseModel):
    """The tutorial's health summary of one campaign."""

    campaign_id: str
    status: str | None
    active_calls: int
    success_rate: float
    failover_triggered: bool
    last_metric_update: dt.datetime | None


class CampaignNotFound(Exception):
    """The API does not know the campaign and no webhook has reported it."""


class HealthUnavailable(Exception):
    """The health cannot be read: no recent webhook data and the API or Prefect failed."""


class HealthReader:
    """Builds `CampaignHealth` from the store, the FailoverPair and the API.

    Webhook data counts while it is younger than the pair's `window_minutes` (or the
    settings' default for an unpaired campaign); older or absent data means a fresh read of
    the campaign and its metrics with the pair's credentials block (or the default one).

    Args:
        settings: the dashboard settings.
        store: the webhook data.
        pairs: FailoverPair lookups.
        clock: UTC now; injectable for tests.
    """

    def __init__(
        self,
        settings: DashboardSettings,
        store: CampaignStore,
        pairs: PairDirectory,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._settings = settings
        self._store = store
        self._pairs = pairs
        self._clock = clock

    async def read(self, campaign_id: str) -> CampaignHealth:
        """The campaign's health.

        Raises:
            CampaignNotFound: no webhook data and the API answers 404.
            HealthUnavailable: no recent webhook data and the API read failed.
        """
        try:
            pair = await self._pairs.get(campaign_id)
        except PairLookupError:
            pair = None  # already logged; the defaults still give an answer
        window = pair.window_minutes if pair else self._settings.window_minutes
        credentials = pair.credentials_block if pair else self._settings.credentials_block
        latest = self._store.latest(campaign_id)
        if latest is None or latest.at < self._clock() - dt.timedelta(minutes=window):
            campaign, metrics = await self._read_api(campaign_id, credentials, window)
            return CampaignHealth(
                campaign_id=campaign_id,
                status=campaign.status,
                active_calls=metrics.active_calls,
                success_rate=metrics.success_rate,
                failover_triggered=metrics.failover_triggered
                or await self._failover_applied(campaign_id),
                last_metric_update=metrics.last_updated,
            )
        return CampaignHealth(
            campaign_id=campaign_id,
            status=self._store.status(campaign_id)
            or await self._read_status(campaign_id, credentials),
            active_calls=latest.active_calls,
            success_rate=latest.success_rate,
            failover_triggered=await self._failover_applied(campaign_id),
            last_metric_update=latest.at,
        )

    async def _read_api(
        self, campaign_id: str, credentials: str, window: int
    ) -> tuple[Campaign, CampaignMetrics]:
        block = await self._credentials(credentials)
        try:
            async with block.get_client() as client:
                campaign = await client.get_campaign(campaign_id)
                metrics = await client.get_metrics(campaign_id, window_minutes=window)
        except CXoneNotFound:
            raise CampaignNotFound(f"campaign {campaign_id!r} not found") from None
        except CXoneError as exc:
            logger.error("health read of campaign %s failed: %s", campaign_id, exc)
            raise HealthUnavailable(f"the CXone API read failed ({type(exc).__name__})") from None
        return campaign, metrics

    async def _read_status(self, campaign_id: str, credentials: str) -> str | None:
        """The status when no state-change webhook told it; None if the API cannot say."""
        try:
            block = await self._credentials(credentials)
            async with block.get_client() as client:
                return (await client.get_campaign(campaign_id)).status
        except (HealthUnavailable, CXoneError) as exc:
            logger.warning("no status for campaign %s: %s", campaign_id, type(exc).__name__)
            return None

    async def _credentials(self, name: str):
        try:
            return await load_credentials(name)
        except MissingBlock as exc:
            raise HealthUnavailable(str(exc)) from None
        except Exception as exc:
            logger.error("could not load credentials block %r: %s", name, type(exc).__name__)
            raise HealthUnavailable("the Prefect API could not load the credentials") from None

    async def _failover_applied(self, campaign_id: str) -> bool:
        """Whether the pair of `campaign_id` failed over (or half did) in its episode."""
        try:
            status = (await load_history()).status(campaign_id)
        except Exception as exc:
            logger.error("could not read failover records: %s", type(exc).__name__)
            return False
        return status in ("failed_over", "failover_incomplete")
