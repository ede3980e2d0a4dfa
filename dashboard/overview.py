"""The data behind the page: monitored campaigns and the failover history."""

from __future__ import annotations

import datetime as dt
import logging

from pydantic import BaseModel

from blocks import FailoverPair, IdempotencyRecord

from .pairs import list_pairs
from .records import History, PairStatus, load_history
from .store import CampaignStore

logger = logging.getLogger(__name__)


class Point(BaseModel):
    at: dt.datetime
    success_rate: float


class PairInfo(BaseModel):
    backup_campaign_id: str
    threshold: float
    window_minutes: int
    min_calls: int


class CampaignRow(BaseModel):
    """One monitored campaign: what its webhooks said and how it is paired."""

    campaign_id: str
    status: str | None
    success_rate: float | None
    calls_attempted: int | None
    active_calls: int | None
    last_metric_update: dt.datetime | None
    points: list[Point]
    pair: PairInfo | None
    failover_triggered: bool
    failover_status: PairStatus | None


class FailoverEntry(BaseModel):
    """One failover or restore of a pair."""

    name: str
    kind: str
    primary_campaign_id: str | None
    backup_campaign_id: str | None
    episode: int | None
    operation: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    error: str | None


class Overview(BaseModel):
    """The `/api/campaigns` answer; `warnings` says which Prefect reads failed."""

    campaigns: list[CampaignRow]
    failovers: list[FailoverEntry]
    warnings: list[str]


def _row(
    campaign_id: str, store: CampaignStore, pair: FailoverPair | None, status: PairStatus | None
) -> CampaignRow:
    latest = store.latest(campaign_id)
    return CampaignRow(
        campaign_id=campaign_id,
        status=store.status(campaign_id),
        success_rate=latest.success_rate if latest else None,
        calls_attempted=latest.calls_attempted if latest else None,
        active_calls=latest.active_calls if latest else None,
        last_metric_update=latest.at if latest else None,
        points=[Point(at=p.at, success_rate=p.success_rate) for p in store.history(campaign_id)],
        pair=PairInfo.model_validate(pair, from_attributes=True) if pair else None,
        failover_triggered=status in ("failed_over", "failover_incomplete"),
        failover_status=status,
    )


def _entry(name: str, record: IdempotencyRecord) -> FailoverEntry:
    return FailoverEntry.model_validate(
        {**record.model_dump(), **record.subject, "name": name},
    )


async def overview(store: CampaignStore) -> Overview:
    """Every campaign that sent webhooks or is the primary of a FailoverPair, and every
    failover record, newest first.

    A Prefect API failure leaves out what it would have added and says so in `warnings`,
    so the webhook data still shows during an outage.
    """
    warnings: list[str] = []
    try:
        pairs = {pair.primary_campaign_id: pair for pair in await list_pairs()}
    except Exception as exc:
        logger.error("could not list FailoverPairs: %s", type(exc).__name__)
        warnings.append("failover pairs could not be read from Prefect")
        pairs = {}
    try:
        history = await load_history()
    except Exception as exc:
        logger.error("could not list failover records: %s", type(exc).__name__)
        warnings.append("failover history could not be read from Prefect")
        history = History([], {})
    campaign_ids = dict.fromkeys([*store.campaign_ids(), *pairs])
    return Overview(
        campaigns=[_row(cid, store, pairs.get(cid), history.status(cid)) for cid in campaign_ids],
        failovers=sorted(
            (_entry(name, record) for name, record in history.records),
            key=lambda entry: entry.created_at,
            reverse=True,
        ),
        warnings=warnings,
    )
