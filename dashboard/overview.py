"""The data behind the page: monitored campaigns, the failover history and the dial lists."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import PurePath

from pydantic import BaseModel

from blocks import DialListSync, FailoverPair, IdempotencyRecord

from .names import CampaignNames
from .pairs import PairCache
from .records import History, HistoryCache, PairStatus
from .store import CampaignStore

logger = logging.getLogger(__name__)


class Point(BaseModel):
    at: dt.datetime
    success_rate: float
    calls_attempted: int  # 0 before any dial: the page draws no point for those


class PairInfo(BaseModel):
    backup_campaign_id: str
    threshold: float
    window_minutes: int
    min_calls: int


class Abandonment(BaseModel):
    """The abandonment guard's last reading of a campaign (over the rolling 30 days)."""

    rate: float | None
    level: str
    checked_at: dt.datetime | None


class CampaignRow(BaseModel):
    """One monitored campaign: what its readings said, how it is paired, and the abandonment
    guard's last reading of it."""

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
    abandonment: Abandonment | None


class DialListEntry(BaseModel):
    """A calling list's last dial-list sync: when, counts by reason, and its files' names
    (never where they are on the server)."""

    calling_list: str
    calling_list_id: str
    synced_at: dt.datetime | None
    for_day: str | None
    read: int | None
    dialable: int | None
    suppressed: int | None
    by_reason: dict[str, int]
    uploaded: int | None
    dnc_added: int | None
    dnc_group: str | None = None
    scrubbed_skill: str | None = None  # the skill the DNC group scrubs, confirmed by the sync
    unreadable: int | None = None
    dialable_file: str | None
    suppressed_file: str | None


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
    """The `/api/campaigns` answer.

    `names` maps the campaign ids mentioned (rows, backups, failovers, scrubbed skills) to the
    platform's names, for those read so far; `warnings` says which Prefect reads failed.
    """

    campaigns: list[CampaignRow]
    failovers: list[FailoverEntry]
    dial_lists: list[DialListEntry]
    names: dict[str, str]
    warnings: list[str]


def _row(
    campaign_id: str, store: CampaignStore, pair: FailoverPair | None, history: History
) -> CampaignRow:
    latest = store.latest(campaign_id)
    status = history.status(campaign_id, store.status(campaign_id))
    guarded = history.abandonment(campaign_id)
    return CampaignRow(
        campaign_id=campaign_id,
        status=store.status(campaign_id),
        success_rate=latest.success_rate if latest else None,
        calls_attempted=latest.calls_attempted if latest else None,
        active_calls=latest.active_calls if latest else None,
        last_metric_update=latest.at if latest else None,
        points=[
            Point(at=p.at, success_rate=p.success_rate, calls_attempted=p.calls_attempted)
            for p in store.history(campaign_id)
        ],
        pair=PairInfo.model_validate(pair, from_attributes=True) if pair else None,
        failover_triggered=status in ("failed_over", "failover_incomplete"),
        failover_status=status,
        abandonment=Abandonment(
            rate=guarded.abandonment_rate,
            level=guarded.abandonment_level,
            checked_at=guarded.abandonment_checked_at,
        )
        if guarded
        else None,
    )


def _dial_list(sync: DialListSync) -> DialListEntry:
    last = sync.last_sync
    return DialListEntry(
        calling_list=sync.calling_list or last.get("calling_list", ""),
        calling_list_id=sync.calling_list_id,
        synced_at=last.get("synced_at") or sync.updated_at,
        for_day=last.get("for_day"),
        by_reason=last.get("by_reason") or {},
        **{
            key: last.get(key)
            for key in (
                "read",
                "dialable",
                "suppressed",
                "uploaded",
                "dnc_added",
                "dnc_group",
                "scrubbed_skill",
                "unreadable",
            )
        },
        dialable_file=_file_name(last.get("dialable_path")),
        suppressed_file=_file_name(last.get("suppressed_path")),
    )


def _file_name(path: str | None) -> str | None:
    """A file's name without its directory: the answer must not show server paths."""
    return PurePath(path).name if path else None


def _entry(name: str, record: IdempotencyRecord) -> FailoverEntry:
    return FailoverEntry.model_validate(
        {**record.model_dump(), **record.subject, "name": name},
    )


async def overview(
    store: CampaignStore, pairs: PairCache, history: HistoryCache, names: CampaignNames
) -> Overview:
    """Every campaign that sent readings or is the primary of a FailoverPair, every failover
    record (newest first), and the names known of the campaigns they mention. Names not
    known yet are asked for, and show on a later refresh.

    Pairs come from the background listing, the history from its short cache. A Prefect
    API failure leaves out what it would have added and says so in `warnings`, so the
    readings still show during an outage.
    """
    warnings: list[str] = []
    if not pairs.listing.ok:
        warnings.append("failover pairs could not be read from Prefect")
    try:
        failovers = await history.get()
    except Exception as exc:
        logger.error("could not list failover records: %s", type(exc).__name__)
        warnings.append("failover history could not be read from Prefect")
        failovers = History([], {})
    rows = [
        _row(cid, store, pairs.pair_for(cid), failovers)
        for cid in dict.fromkeys([*store.campaign_ids(), *pairs.listing.pairs])
    ]
    entries = sorted(
        (_entry(name, record) for name, record in failovers.records),
        key=lambda entry: entry.created_at,
        reverse=True,
    )
    mentioned = dict.fromkeys(
        [
            *(row.campaign_id for row in rows),
            *(row.pair.backup_campaign_id for row in rows if row.pair),
            *(cid for e in entries for cid in (e.primary_campaign_id, e.backup_campaign_id) if cid),
        ]
    )
    dial_lists = sorted(
        (_dial_list(sync) for sync in failovers.dial_lists if sync.last_sync),
        key=lambda entry: entry.calling_list,
    )
    names.want(mentioned)
    # The skills the DNC groups scrub are campaigns (NICE skills) too, of the list's tenant.
    for sync in failovers.dial_lists:
        if skill := str(sync.last_sync.get("scrubbed_skill") or ""):
            names.want([skill], credentials=sync.tenant or None)
            mentioned[skill] = None
    known = {cid: name for cid in mentioned if (name := names.name(cid)) is not None}
    return Overview(
        campaigns=rows, failovers=entries, dial_lists=dial_lists, names=known, warnings=warnings
    )
