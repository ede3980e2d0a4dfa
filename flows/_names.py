"""Campaign names beside their ids, for people: run names, artifacts, the fleet's table.

A name is display only. It is kept in the pair's block (`FailoverPair.campaign_names`) once
read, so a run's name needs no platform read; what is missing is read after the evaluation
(never before a failover), a bounded number per run, and a name that cannot be read leaves
the id alone in its place. Nothing ever finds a campaign by its name.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from prefect import get_run_logger
from prefect.context import FlowRunContext

from blocks import FailoverPair, PlatformCredentials, api_client, save_names
from failover import PairOutcome
from tasks.failover import read_names

# Names read in one run at most: a fleet's first run must not spend its time (and the
# API's rate limit) on names; the rest are read by the runs that follow.
MAX_NAMES_PER_RUN = 40


async def rename_run(name: str) -> None:
    """Give this flow run a new name (outside a run: nothing)."""
    context = FlowRunContext.get()
    if context and context.flow_run and context.flow_run.name != name:
        async with api_client() as client:
            await client.update_flow_run(context.flow_run.id, name=name)
        context.flow_run.name = name  # the run as this process knows it


def _known(outcome: PairOutcome) -> dict[str, str]:
    named = (
        (outcome.primary_campaign_id, outcome.primary_name),
        (outcome.backup_campaign_id, outcome.backup_name),
    )
    return {campaign_id: name for campaign_id, name in named if name}


async def named_outcomes(
    evaluated: Sequence[tuple[FailoverPair, PlatformCredentials | None, PairOutcome]],
    concurrency: int,
    after_failover: bool = False,
) -> list[PairOutcome]:
    """The outcomes with their campaigns' names: those kept or learnt during the evaluation,
    and those read now (at most `MAX_NAMES_PER_RUN`); new names are kept in the pairs'
    blocks. A run that failed pairs over (`after_failover`) neither reads nor keeps any: the
    names its failovers learnt are in their records, where the next run finds them.

    Names are for people: a failure to read or keep them is logged, never raised. Ids are
    only compared within one credentials block (two platforms may use the same id).
    """
    known: dict[str, dict[str, str]] = {}  # credentials block -> campaign id -> name
    for pair, _, outcome in evaluated:
        names = known.setdefault(pair.credentials_block, {})
        names |= pair.campaign_names | _known(outcome)
    wanted: dict[str, tuple[PlatformCredentials, list[str]]] = {}
    budget = 0 if after_failover else MAX_NAMES_PER_RUN
    for pair, credentials, _ in evaluated:
        for campaign_id in pair.unnamed():
            if credentials is None or campaign_id in known[pair.credentials_block] or not budget:
                continue
            group = wanted.setdefault(pair.credentials_block, (credentials, []))[1]
            if campaign_id not in group:
                group.append(campaign_id)
                budget -= 1
    logger = get_run_logger()
    for reference, (credentials, campaign_ids) in wanted.items():
        try:
            known[reference] |= await read_names(credentials, campaign_ids, concurrency)
        except Exception as exc:  # names never fail a run
            logger.warning("Could not read campaign names with %r: %s", reference, exc)
    gate = asyncio.Semaphore(concurrency)

    async def keep(pair: FailoverPair, names: dict[str, str]) -> None:
        # One write per pair that learnt names, `concurrency` at a time: a fleet run that
        # failed a hundred pairs over learnt two hundred, and wrote them one after the other.
        async with gate:
            try:
                await save_names(pair, names)
            except Exception as exc:
                logger.warning(
                    "Could not keep the campaign names of pair %s: %s",
                    pair.primary_campaign_id,
                    exc,
                )

    if not after_failover:
        await asyncio.gather(*(keep(pair, known[pair.credentials_block]) for pair, *_ in evaluated))
    return [
        dataclasses.replace(
            outcome,
            primary_name=known[pair.credentials_block].get(outcome.primary_campaign_id),
            backup_name=known[pair.credentials_block].get(outcome.backup_campaign_id),
        )
        for pair, _, outcome in evaluated
    ]
