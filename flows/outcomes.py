"""Flow: read what happened on every call back from the platform into the attempts ledger.

platform (attempts, dispositions) -> `collect_outcomes` -> attempts ledger -> tomorrow's list
                                                      \\-> DNC group + optouts file (the CRM's)
                                                      \\-> capped records leave today's lists

Every 15 minutes (the deployment `collect-outcomes`) a run reads each outbound campaign's
attempts since the ledger's cursor for it, up to the run's window (the last quarter hour
boundary), keeps each attempt once, turns "do not call" dispositions into opt-outs (the
ledger, the DNC group at once, a file the CRM imports) and moves the cursors forward. One
run per window does the work (`blocks.operation`): a second run of the same window returns
the first one's counts. Collecting a window twice would change nothing anyway: attempts are
keyed by the platform's ids and the DNC group is a set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from prefect import get_run_logger
from prefect.artifacts import (
    acreate_progress_artifact,
    aupdate_progress_artifact,
)
from prefect.states import Completed

import dial_lists
from blocks import (
    DEFAULT_LEDGER,
    DialListSync,
    PlatformCredentials,
    clock,
    credentials_key,
    ledger_for_writing,
    load_credentials,
    operation,
    read_blocks,
    register_block_types,
)
from cxone import CallAttempt, CXoneNotFound, CXoneUnsupported
from dial_lists import neutralise_table, prepare_output_dir, private_file, write_run_marker
from ledger import OPTED_OUT, REVOKED, AttemptRow, Ledger, OptOutRow, open_ledger
from tasks.dial_lists import add_dnc_numbers, find_dnc_group
from tasks.masking import mask_phone

from . import _cli
from ._checked import checked_flow
from ._suppressed import table_artifact
from ._user_errors import fails_cleanly
from ._words import plural

WINDOW = dt.timedelta(minutes=15)
# A first collection reaches back this far (a cursor continues from where it stopped).
FIRST_LOOK_BACK = dt.timedelta(hours=24)
HOLDER_WAIT_SECONDS = 120.0
DEFAULT_OPTOUT_DISPOSITIONS = ("Do Not Call",)
_KINDS = {OPTED_OUT: "opt-out on a call", REVOKED: "revocation"}


def window_end(now: dt.datetime) -> dt.datetime:
    """The end of the last whole quarter hour at `now` (a run's window).

    Example:
        >>> window_end(dt.datetime(2026, 12, 7, 15, 7, 30, tzinfo=dt.UTC)).isoformat()
        '2026-12-07T15:00:00+00:00'
    """
    now = now.astimezone(dt.UTC)
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


def is_optout(attempt: CallAttempt, dispositions: Sequence[str]) -> bool:
    """Whether the attempt ended with a "do not call" disposition (its id or name, any case).

    Example:
        >>> from cxone import AttemptResult
        >>> made = dt.datetime(2026, 12, 7, 15, tzinfo=dt.UTC)
        >>> attempt = CallAttempt(attempt_id="1", campaign_id="4100", number="2125550101",
        ...     attempted_at=made, result=AttemptResult.ANSWERED, disposition_id="5",
        ...     disposition_name="Do not call")
        >>> is_optout(attempt, ["do not call"]), is_optout(attempt, ["7"])
        (True, False)
    """
    wanted = {text.strip().casefold() for text in dispositions}
    given = {
        (value or "").strip().casefold()
        for value in (attempt.disposition_id, attempt.disposition_name)
    }
    return bool(wanted & given - {""})


def check_settings(
    credentials_block: str = "cxone",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    *,
    output_dir: str = dial_lists.DEFAULT_DIRS["outcomes"],
    **_: object,
) -> None:
    """What can be checked before the run: aware instants in order, a usable directory.

    Raises:
        ValueError: The first bad setting, named.
    """
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise ValueError(f"`{name}` must be timezone-aware, got naive {moment.isoformat()}")
    if since is not None and until is not None and since >= until:
        raise ValueError(f"`since` ({since.isoformat()}) must be before `until`")
    dial_lists.check_output_dir(output_dir, "outcomes")


async def _campaign(
    client,
    ledger: Ledger,
    campaign_id: str,
    since: dt.datetime | None,
    until: dt.datetime,
    dispositions: Sequence[str],
) -> dict:
    """Collect one campaign's attempts into the ledger; returns what it read and added."""
    start = since or await ledger.collected_until(campaign_id) or until - FIRST_LOOK_BACK
    read = added = opted = 0
    if start < until:
        async for page in client.call_attempts(campaign_id, start, until):
            rows = [
                AttemptRow(
                    a.campaign_id, a.attempt_id, int(a.number), a.attempted_at, a.result.value,
                    a.disposition_name or a.disposition_id, a.contact_id,
                )
                for a in page
            ]  # fmt: skip
            optouts = [
                OptOutRow(
                    int(a.number), a.attempted_at, OPTED_OUT, f"campaign {campaign_id}",
                    a.disposition_name or a.disposition_id,
                )
                for a in page
                if is_optout(a, dispositions)
            ]  # fmt: skip
            read += len(rows)
            added += await ledger.add_attempts(rows)
            opted += await ledger.add_optouts(optouts)
    await ledger.advance(campaign_id, until)
    return {"from": start.isoformat(), "read": read, "added": added, "optouts": opted}


async def _contribute(credentials: PlatformCredentials, group_id: str, skills: list[str]) -> dict:
    """Make the skills contributing skills of the group (NICE: DNC dispositions on them add
    the number to the group on the platform too)."""
    async with credentials.get_client() as client:
        try:
            held = await client.contributing_skills(group_id)
        except CXoneUnsupported:
            return {"contributing": [], "supported": False}
        for skill in sorted(set(skills) - held):
            await client.contribute_skill(group_id, skill)
    return {"contributing": sorted(set(skills)), "supported": True}


def optouts_file(until: dt.datetime) -> str:
    """The name of a window's opt-outs file (each window's is kept: the CRM imports them).

    Example:
        >>> optouts_file(dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC))
        'optouts-20261207T1515Z.csv'
    """
    return f"optouts-{until.astimezone(dt.UTC):%Y%m%dT%H%MZ}.csv"


def _write_optouts(directory, rows: list[OptOutRow], until: dt.datetime) -> str:
    """The window's opt-outs as a CSV the CRM imports (mode 0600; formulas made inert)."""
    path = directory / optouts_file(until)
    table = pa.table(
        {
            "phone_e164": [f"+1{row.number}" for row in rows],
            "opted_out_at": [row.at.isoformat() for row in rows],
            "kind": [_KINDS[row.kind] for row in rows],
            "source": [row.source for row in rows],
            "detail": [row.detail or "" for row in rows],
        },
        schema=pa.schema([(name, pa.string()) for name in
                          ("phone_e164", "opted_out_at", "kind", "source", "detail")]),
    )  # fmt: skip
    with private_file(path) as handle:
        pa_csv.write_csv(neutralise_table(table), handle)
    return str(path)


@checked_flow(
    check=check_settings,
    name="collect-outcomes",
    flow_run_name="collect outcomes",
    timeout_seconds=3600,
)
@fails_cleanly
async def collect_outcomes(
    credentials_block: str = "cxone",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    campaign_ids: list[str] | None = None,
    ledger: str = DEFAULT_LEDGER,
    dnc_group: str | None = None,
    optout_dispositions: list[str] = list(DEFAULT_OPTOUT_DISPOSITIONS),  # noqa: B006
    output_dir: str = dial_lists.DEFAULT_DIRS["outcomes"],
    calling_lists: list[str] | None = None,
) -> dict:
    """Read every outbound campaign's call attempts and dispositions into the attempts ledger.

    Args:
        credentials_block: A CXoneCredentials name or '<block-type-slug>/<name>'.
        since: Read from here (timezone-aware); default: each campaign's cursor in the ledger
            (where the last run stopped), or 24 hours before `until` the first time.
        until: Read up to here; default: the last quarter-hour boundary (the run's window).
        campaign_ids: The campaigns (skill ids on NICE); default: every outbound campaign.
        ledger: The attempts ledger (an `AttemptsLedger` block; "default" is also the
            embedded file, made if missing).
        dnc_group: The DNC group opt-outs go to at once (NICE); the campaigns are made its
            contributing skills where the platform supports it.
        optout_dispositions: Disposition names or ids that mean "do not call".
        output_dir: This flow's directory: `optouts-<window>.csv` (the window's opt-outs, for
            the CRM to import; one file per window, kept) and `run.json`.
        calling_lists: The synced calling lists whose records are re-judged with the new
            attempts (default every list `sync_dial_list` keeps a state of): a record whose
            number or person reached a cap, opted out or revoked since the morning leaves
            the list now (it comes back with the next sync if it may be called then).

    Returns:
        `attempts` (read), `new_attempts` (not in the ledger before), `optouts` (new
        opt-outs), `ledger_path` (the ledger, without a password), `window`, `campaigns`
        (per campaign: from, read, added, optouts), `dnc_added`, `optouts_path`, and
        `already_collected` when an earlier run did this window.

    Raises:
        ValueError: A bad setting, named (before the run when called from Python).

    Example:
        ```python
        import asyncio
        from flows.outcomes import collect_outcomes

        asyncio.run(collect_outcomes("cxone-access-key/prod", dnc_group="Internal DNC"))
        ```
    """
    logger = get_run_logger()
    now = clock.now()
    check_settings(credentials_block, since, until, output_dir=output_dir)
    until = until or window_end(now)
    dnc_group = dnc_group or None  # a deployment's unset variable arrives as ""
    directory = prepare_output_dir(output_dir, "outcomes")
    await register_block_types()
    credentials = await load_credentials(credentials_block)
    url, shown = await ledger_for_writing(ledger)
    identity = operation.OperationIdentity(
        "collect-outcomes",
        {"credentials_block": credentials_block, "ledger": shown, "until": until.isoformat()},
    )
    collect = partial(
        _collect, credentials, url, shown, since, until, campaign_ids, dnc_group,
        optout_dispositions, directory, calling_lists, credentials_block,
    )  # fmt: skip
    outcome = await operation.run_once(
        identity,
        ["collect"],
        f"collect outcomes up to {until}",
        lambda held: held.step("collect", lambda _key: collect()),
        max_wait=HOLDER_WAIT_SECONDS,
        backoff=False,
    )
    if not outcome.held:
        assert outcome.record is not None
        summary = {**outcome.record.answers["collect"], "already_collected": True}
        logger.info("Window ending %s already collected by %s", until, identity.name)
        return Completed(message=_message(summary), data=summary)
    summary = {**outcome.value, "already_collected": False}
    write_run_marker(directory, summary)
    logger.info("%s", _message(summary))
    return Completed(message=_message(summary), data=summary)


async def _collect(
    credentials: PlatformCredentials,
    url: str,
    shown: str,
    since: dt.datetime | None,
    until: dt.datetime,
    campaign_ids: list[str] | None,
    dnc_group: str | None,
    dispositions: Sequence[str],
    directory,
    calling_lists: list[str] | None,
    credentials_block: str,
) -> dict:
    logger = get_run_logger()
    progress = await acreate_progress_artifact(
        0, key="collect-outcomes-progress", description=f"Collecting up to {until.isoformat()}"
    )
    async with credentials.get_client() as client, open_ledger(url) as ledger:
        campaigns = campaign_ids or await client.outbound_campaign_ids()
        done: dict[str, dict] = {}
        for number, campaign_id in enumerate(campaigns, start=1):
            done[campaign_id] = await _campaign(
                client, ledger, campaign_id, since, until, dispositions
            )
            await aupdate_progress_artifact(
                progress, 90 * number / max(len(campaigns), 1),
                description=f"Collected {number} of {plural(len(campaigns), 'campaign')}",
            )  # fmt: skip
        earliest = min((dt.datetime.fromisoformat(c["from"]) for c in done.values()), default=until)
        optouts = await ledger.optouts(earliest, until)
    dnc = {"added": 0, "already": 0, "failures": []}
    contributing: dict = {"contributing": [], "supported": None}
    if dnc_group and optouts:
        group_id = await find_dnc_group(credentials, dnc_group)
        dnc = await add_dnc_numbers(credentials, group_id, [str(o.number) for o in optouts])
    if dnc_group and campaigns:
        group_id = await find_dnc_group(credentials, dnc_group)
        contributing = await _contribute(credentials, group_id, list(campaigns))
    removed = await _enforce(credentials, credentials_block, url, until, directory, calling_lists)
    path = _write_optouts(directory, optouts, until)
    await table_artifact(
        "optouts",
        [_masked(o) for o in optouts[:200]],
        f"{plural(len(optouts), 'opt-out')} up to {until.isoformat()}; the file is {path}",
    )
    await aupdate_progress_artifact(progress, 100, description="Collected")
    if not contributing["supported"] and dnc_group and campaigns:
        logger.info("The platform has no contributing skills: opt-outs reach the group here")
    return {
        "attempts": sum(c["read"] for c in done.values()),
        "new_attempts": sum(c["added"] for c in done.values()),
        "optouts": len(optouts),
        "ledger_path": shown,
        "window": {"from": earliest.isoformat(), "until": until.isoformat()},
        "campaigns": done,
        "dnc_group": dnc_group,
        "dnc_added": dnc["added"],
        "contributing_skills": contributing["contributing"],
        "optouts_path": path,
        "removed": removed,
    }


# Reasons that make a placed record leave its list before the day is over.
_LEAVE_NOW = ("frequency_cap", "dnc", "consent_revoked")


async def _enforce(
    credentials: PlatformCredentials,
    credentials_block: str,
    url: str,
    until: dt.datetime,
    directory,
    calling_lists: list[str] | None,
) -> dict[str, int]:
    """Re-judge each synced list's placed records with what the ledger knows at `until`;
    take out of the list those now capped, opted out or revoked. Returns removals per list.

    Only the lists synced through the same credentials block are this platform's.
    """
    logger = get_run_logger()
    synced = [
        state
        for _, state in await read_blocks(DialListSync)
        if state.last_sync and state.tenant == credentials_key(credentials_block)
    ]
    wanted = [
        state
        for state in synced
        if (calling_lists is None or state.calling_list in calling_lists)
        and Path(str(state.last_sync.get("dialable_path", ""))).with_suffix(".parquet").exists()
    ]
    if not wanted:
        return {}
    async with open_ledger(url) as ledger:
        view = await ledger.view(until)
    removed: dict[str, int] = {}
    for state in wanted:
        placed = Path(state.last_sync["dialable_path"]).with_suffix(".parquet")
        checked = await asyncio.to_thread(
            dial_lists.build_dial_files,
            str(placed),
            directory / "recheck" / state.calling_list_id,
            at=until,
            owner="outcomes",
            ledger=view,
        )
        leaving = _leaving(checked.suppressed_parquet_path)
        if not leaving:
            removed[state.calling_list] = 0
            continue
        try:
            async with credentials.get_client() as client:
                result = await client.remove_contacts(state.calling_list, leaving)
        except CXoneNotFound:
            logger.warning("Calling list %r is gone from the platform", state.calling_list)
            continue
        removed[state.calling_list] = result.removed
        logger.info(
            "Took %s out of %r: capped, opted out or revoked since the list was made",
            plural(result.removed, "record"),
            state.calling_list,
        )
    return removed


def _leaving(suppressed_path: str) -> list[str]:
    table = pq.read_table(suppressed_path, columns=["contact_id", "reason"])
    leaving = pc.is_in(table.column("reason"), pa.array(_LEAVE_NOW))
    return sorted(set(table.column("contact_id").filter(leaving).cast(pa.string()).to_pylist()))


def _masked(optout: OptOutRow) -> dict:
    return {
        "phone": mask_phone(str(optout.number)),
        "at": optout.at.isoformat(),
        "kind": _KINDS[optout.kind],
        "source": optout.source,
        "disposition": optout.detail or "",
    }


def _message(summary: dict) -> str:
    return (
        f"{summary['attempts']:,} attempts read ({summary['new_attempts']:,} new) from "
        f"{plural(len(summary['campaigns']), 'campaign')} up to {summary['window']['until']}; "
        f"{plural(summary['optouts'], 'opt-out')}"
        + (f", {summary['dnc_added']:,} added to {summary['dnc_group']!r}" if summary["dnc_group"]
           else "")
        + (" (already collected)" if summary.get("already_collected") else "")
    )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    cli = _cli.parser("python -m flows.outcomes", collect_outcomes.__doc__.splitlines()[0])
    _cli.credentials_option(cli)
    cli.add_argument("--since", type=_cli.aware_instant, help="read from here (ISO-8601, offset)")
    cli.add_argument("--until", type=_cli.aware_instant, help="read up to here (ISO-8601)")
    cli.add_argument("--campaign-ids", nargs="+", help="the campaigns (default: every one)")
    cli.add_argument("--ledger", default=DEFAULT_LEDGER, help="the AttemptsLedger block")
    cli.add_argument("--dnc-group", help="the DNC group opt-outs go to")
    cli.add_argument(
        "--optout-dispositions",
        nargs="+",
        default=list(DEFAULT_OPTOUT_DISPOSITIONS),
        help="disposition names or ids that mean do not call",
    )
    cli.add_argument(
        "--output-dir", default=dial_lists.DEFAULT_DIRS["outcomes"], help="this flow's directory"
    )
    cli.add_argument(
        "--calling-lists", nargs="+", help="the synced lists to re-judge (default: every one)"
    )
    args = cli.parse_args(argv)
    options = _cli.options(args)
    _cli.run(
        args, lambda: collect_outcomes(**options), check=_cli.checks(collect_outcomes, options)
    )


if __name__ == "__main__":
    main()
