"""Failover history: the IdempotencyRecord blocks the failover flow claims, one per failover."""

from __future__ import annotations

from blocks import IdempotencyRecord, record_name

from .prefect_reads import read_all

FAILOVER_PREFIX = record_name("failover") + "-"


async def failover_records() -> list[tuple[str, IdempotencyRecord]]:
    """Every failover record as (block name, record)."""
    return [
        (name, record)
        for name, record in await read_all(IdempotencyRecord)
        if name.startswith(FAILOVER_PREFIX)
    ]


def failover_applied(records: list[tuple[str, IdempotencyRecord]], campaign_id: str) -> bool:
    """Whether an applied failover record exists for `campaign_id` as the primary.

    Record names start with `record_name("failover", primary_id)`, followed by `-` and
    whatever else identifies the failover (or nothing).
    """
    prefix = record_name("failover", campaign_id)
    return any(
        record.status == "applied" and (name == prefix or name.startswith(prefix + "-"))
        for name, record in records
    )
