"""Flow: the daily dial-list sync: a contact file into a CXone calling list and DNC group.

CRM export -> `sync_dial_list` -> calling list -> the skill dials. The file is checked and
evaluated in chunks (`dial_lists`), then the calling list is made to hold exactly the
dialable contacts through upload jobs, and revoked and DNC numbers reach the DNC group.

The upload is one exactly-once operation per sync (`blocks.operation`, one episode of the
list's `DialListSync`): its holder first settles the list's unfinished jobs, then uploads the
parts in order, each job complete before the next (the first overwrites, the rest append),
then the DNC numbers. A sync whose holder failed or died is redone whole in the next episode,
never resumed: a part whose answer was lost may or may not have been applied, and only a
fresh overwrite makes the list exact again. The same file synced again (same dialable set,
same DNC numbers) finds its episode applied and uploads nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import flow, get_run_logger
from prefect.artifacts import (
    acreate_markdown_artifact,
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
    update_progress_artifact,
)
from prefect.states import Completed

from blocks import (
    PlatformCredentials,
    load_credentials,
    load_sync_state,
    operation,
    register_block_types,
    save_sync_state,
    upload_identity,
)
from cxone import CXoneUploadFailed, PlatformId, time_zone_name
from dial_lists import (
    CHUNK_ROWS,
    MAX_PART_BYTES,
    MAX_PART_RECORDS,
    DialFiles,
    ForDay,
    Progress,
    campaign_day,
    open_source,
    upload_parts,
)
from tasks.dial_lists import (
    CALLS_MARGIN_SECONDS,
    add_dnc_numbers,
    find_calling_list,
    find_dnc_group,
    settle_upload_jobs,
    upload_part,
    write_dial_files,
)

from . import _cli
from ._run_names import for_day_run_name
from ._suppressed import COLUMNS, SAMPLE_ROWS, publish_suppressed

# Suppressed for these reasons, a number belongs in the DNC group (the FCC's 2024 revocation
# rule gives ten business days; the sync sends it the day it is synced).
DNC_REASONS = ("dnc", "consent_revoked")
# How long a sync waits for another live sync of the same list before it gives up.
HOLDER_WAIT_SECONDS = 60.0
# The progress artifact: evaluation is most of the work, then the upload, then the DNC group.
EVALUATED_AT, UPLOADED_AT = 70.0, 95.0


@dataclass
class UploadPlan:
    """What one sync sends: the parts of the dialable file, the DNC numbers, and their digest
    (the same file synced again has the same digest and uploads nothing)."""

    dialable_path: str
    parts: int
    records: int
    dnc_numbers: list[str]
    digest: str
    max_records: int = MAX_PART_RECORDS
    max_bytes: int = MAX_PART_BYTES
    jobs: list[dict] = field(default_factory=list)

    def answer(self) -> dict:
        return {"digest": self.digest, "parts": self.parts, "records": self.records}


class _Superseded(Exception):
    """Ends a dead holder's upload: it is redone in the next episode."""


def plan_upload(
    files: DialFiles, dnc_group: str | None, max_records: int, max_bytes: int
) -> UploadPlan:
    """Read the parts once (for their digest) and the DNC numbers; nothing is kept but those."""
    hasher = hashlib.sha256()
    parts = records = 0
    for part in upload_parts(
        files.dialable_parquet_path, max_records=max_records, max_bytes=max_bytes
    ):
        hasher.update(part.number.to_bytes(4, "big") + part.data)
        parts, records = parts + 1, records + part.records
    numbers = dnc_numbers(files.suppressed_parquet_path) if dnc_group else []
    hasher.update(repr((dnc_group, numbers)).encode())
    return UploadPlan(
        files.dialable_parquet_path,
        parts,
        records,
        numbers,
        hasher.hexdigest(),
        max_records,
        max_bytes,
    )


def dnc_numbers(suppressed_path: str) -> list[str]:
    """The ten-digit numbers of the contacts suppressed as DNC or revoked, each once (the
    file is read a batch at a time: it can hold millions of rows)."""
    found: set[str] = set()
    columns = ["reason", "phone_e164"]
    for batch in pq.ParquetFile(suppressed_path).iter_batches(CHUNK_ROWS, columns=columns):
        reason, phone = batch.column(0), batch.column(1)
        wanted = pc.and_(
            pc.is_in(reason, value_set=pa.array(DNC_REASONS, reason.type)),
            pc.starts_with(phone, "+1"),
        )
        found.update(pc.utf8_slice_codeunits(phone.filter(wanted), 2).to_pylist())
    return sorted(found)


@dataclass
class _Sync:
    """One sync's settings, as the upload steps need them."""

    credentials: PlatformCredentials
    calling_list: str
    list_id: str
    dnc_group_id: str | None
    skill_id: str | None
    time_zone: str
    job_timeout_seconds: float
    progress: Any


async def _upload(sync: _Sync, plan: UploadPlan) -> dict:
    """Make the list hold exactly the plan's records, once (see the module's docstring)."""
    state = await load_sync_state(sync.list_id, sync.calling_list)
    while True:
        identity = upload_identity(sync.list_id, state.episode)
        record = await operation.settle(
            identity, await operation.load(identity), HOLDER_WAIT_SECONDS
        )
        if record is not None:
            if record.status == "applied" and record.answers.get("plan") == plan.answer():
                get_run_logger().info("Calling list %s already holds this file", sync.list_id)
                return {"record": identity.name, "already_synced": True, **_answers(record)}
            if record.status == "pending":  # its holder died: fence it off first
                await _retire(identity, record, identity.episode + 1)
            state = await load_sync_state(sync.list_id, sync.calling_list)
            if state.episode <= identity.episode:  # set, not added: racing syncs agree
                state.episode = identity.episode + 1
                await save_sync_state(state)
            continue
        try:
            held = await _hold(sync, plan, identity)
        except operation.OperationTaken:
            continue  # another sync claimed this episode: wait for its outcome
        return {"record": identity.name, "already_synced": False, **held}


async def _retire(identity: operation.OperationIdentity, record, episode: int) -> None:
    """Take a dead holder's upload over and end it, so that it cannot send another part."""
    try:
        async with operation.hold(
            identity, record.steps, record.operation, record=record, backoff=False
        ):
            raise _Superseded(f"its holder died; redone whole in episode {episode}")
    except (_Superseded, operation.OperationTaken):
        pass


async def _hold(sync: _Sync, plan: UploadPlan, identity: operation.OperationIdentity) -> dict:
    parts = [f"part-{number}" for number in range(1, plan.parts + 1)]
    steps = ["plan", "settle-jobs", *parts, *(["dnc"] if sync.dnc_group_id else [])]
    description = f"upload {plan.records} records to calling list {sync.calling_list!r}"
    credentials = sync.credentials

    async def record_plan(_: str) -> dict:
        return plan.answer()

    async def settle(_: str) -> dict:
        settled = await settle_upload_jobs(credentials, sync.list_id, sync.job_timeout_seconds)
        return {"settled": settled}

    send = upload_part.with_options(timeout_seconds=sync.job_timeout_seconds + CALLS_MARGIN_SECONDS)
    async with operation.hold(identity, steps, description, backoff=False) as held:
        await held.step("plan", record_plan)
        await held.step("settle-jobs", settle)
        for part in upload_parts(
            plan.dialable_path, max_records=plan.max_records, max_bytes=plan.max_bytes
        ):

            async def submit(key: str, part=part) -> dict:
                return await send(
                    credentials,
                    sync.list_id,
                    part,
                    file_name=f"{sync.calling_list}-{key[:8]}-{part.number}.csv",
                    skill_id=sync.skill_id,
                    time_zone=sync.time_zone,
                    timeout_seconds=sync.job_timeout_seconds,
                )

            await held.step(f"part-{part.number}", submit)
            share = part.number / plan.parts
            await aupdate_progress_artifact(
                sync.progress,
                EVALUATED_AT + (UPLOADED_AT - EVALUATED_AT) * share,
                description=f"Uploaded part {part.number} of {plan.parts}",
            )
        if sync.dnc_group_id:

            async def add(_: str) -> dict:
                return await add_dnc_numbers(credentials, sync.dnc_group_id, plan.dnc_numbers)

            await held.step("dnc", add)
    return _answers(held.record)


def _answers(record) -> dict:
    jobs = [record.answers[s] for s in record.steps if s.startswith("part-")]
    dnc = record.answers.get("dnc") or {}
    return {
        "jobs": jobs,
        "settled_jobs": (record.answers.get("settle-jobs") or {}).get("settled", []),
        "dnc_added": dnc.get("added", 0),
        "dnc_already": dnc.get("already", 0),
        "dnc_failures": dnc.get("failures", []),
    }


def _check(
    calling_list: str, at: dt.datetime | None, for_day: dt.date | None, zone: str
) -> dt.datetime | None:
    """The run's instant (None for a day list); a ValueError names the first bad setting."""
    if not calling_list.strip():
        raise ValueError("calling_list must name the calling list")
    if at is not None and for_day is not None:
        raise ValueError("give at most one of for_day (a day list) and at (an instant)")
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(f"`at` must be timezone-aware, got naive {at.isoformat()}")
    time_zone_name(zone)  # a zone the platform cannot name fails here, before any work
    return at if at is not None or for_day is not None else dt.datetime.now(dt.UTC)


@flow(
    name="sync-dial-list",
    flow_run_name=for_day_run_name("sync", "calling_list"),
    timeout_seconds=6 * 3600,
)
async def sync_dial_list(
    source: str,
    calling_list: str,
    credentials_block: str = "cxone",
    skill_id: PlatformId | None = None,
    dnc_group: str | None = None,
    at: dt.datetime | None = None,
    output_dir: str = "exports",
    for_day: ForDay = None,
    zone: str = "America/New_York",
    job_timeout_minutes: float = 60,
    max_part_records: int = MAX_PART_RECORDS,
    max_part_bytes: int = MAX_PART_BYTES,
) -> dict:
    """Sync a contact file into a calling list: exactly the dialable contacts, once.

    Checks the file's header, finds (or creates) the calling list, evaluates the file chunk
    by chunk into dialable and suppressed files (as the export writes them, mode 0600), then
    replaces the list's records with the dialable set through upload jobs within the
    platform's per-file limits, waiting for each. With `dnc_group`, the numbers of contacts
    suppressed as `dnc` or `consent_revoked` are added to that DNC group (found or created),
    only those it does not hold yet. The skill is never started by the upload.

    Args:
        source: A CSV or Parquet file with the columns `compliance.evaluate` takes: a path or
            any URL `fsspec` opens (install the filesystem's package, e.g. `s3fs`).
        calling_list: The calling list's name.
        credentials_block: Credentials block: a CXoneCredentials name or
            '<block-type-slug>/<name>' (calling lists need NICE CXone: 'cxone-access-key/...').
        skill_id: The skill the list belongs to, if any.
        dnc_group: The DNC group revoked and DNC numbers go to, if any.
        at: Judge the contacts at this instant (timezone-aware); default now, unless
            `for_day` is given.
        output_dir: Directory for the dialable and suppressed files and `run.json`.
        for_day: Build a day list for this date in `zone` ("today": the date there when the
            run starts): a contact is dialable when it has a legal window that day, and its
            upload asks for the first call at the window's start.
        zone: The campaign's IANA time zone (the day of `for_day`; the list's default zone).
        job_timeout_minutes: How long one upload job may take before it is cancelled.
        max_part_records: Records per upload file (the platform's limit: 500,000).
        max_part_bytes: Bytes per upload file (the platform's limit: 256 MB).

    Returns:
        `read`, `dialable`, `suppressed`, `by_reason`, `uploaded` (records sent),
        `job_id` (the last job) and `job_ids`, `dnc_added`, `dnc_already`, `dnc_failures`,
        `already_synced` (the list already held this file), `calling_list_id`, `record` (the
        upload's record), `dialable_path`, `suppressed_path` and the other files.

    Raises:
        CXoneUnsupported: the platform has no calling lists (the described API); raised
            before the file is evaluated.
        MissingColumnsError: the file lacks a required column (nothing is uploaded).
        CXoneUploadFailed: an upload job was cancelled or did not complete in time.
        ValueError: a bad setting, named.

    Example:
        ```python
        import asyncio
        from flows.dial_list import sync_dial_list

        asyncio.run(sync_dial_list("crm/contacts.parquet", "Renewals", dnc_group="Internal"))
        ```
    """
    logger = get_run_logger()
    for_day = campaign_day(for_day, zone)
    at = _check(calling_list, at, for_day, zone)
    open_source(source)  # the header, before anything else: a missing column fails here
    await register_block_types()
    credentials = await load_credentials(credentials_block)
    list_id = await find_calling_list(credentials, calling_list)
    group_id = await find_dnc_group(credentials, dnc_group) if dnc_group else None

    progress = await acreate_progress_artifact(
        0, key="dial-list-progress", description=f"Evaluating {source}"
    )

    def evaluated(step: Progress) -> None:
        share = step.read / step.total if step.total else 0.0
        update_progress_artifact(
            progress, EVALUATED_AT * share, description=f"Evaluated {step.read:,} contacts"
        )

    files: DialFiles = await asyncio.to_thread(
        write_dial_files,
        source,
        output_dir,
        for_day=for_day,
        at=at,
        zone=zone,
        on_progress=evaluated,
    )
    await aupdate_progress_artifact(progress, EVALUATED_AT, description="Uploading")
    plan = plan_upload(files, dnc_group, max_part_records, max_part_bytes)
    sync = _Sync(
        credentials,
        calling_list,
        list_id,
        group_id,
        skill_id,
        time_zone_name(zone),
        job_timeout_minutes * 60,
        progress,
    )
    outcome = await _upload(sync, plan)
    await aupdate_progress_artifact(progress, 100, description="Synced")

    job_ids = [job["job_id"] for job in outcome["jobs"]]
    summary = {
        **files.summary(),
        "calling_list": calling_list,
        "calling_list_id": list_id,
        "dnc_group": dnc_group,
        "uploaded": plan.records,
        "job_id": job_ids[-1] if job_ids else None,
        "job_ids": job_ids,
        **{key: outcome[key] for key in ("dnc_added", "dnc_already", "dnc_failures")},
        "already_synced": outcome["already_synced"],
        "settled_jobs": outcome["settled_jobs"],
        "record": outcome["record"],
    }
    await _publish(summary)
    state = await load_sync_state(list_id, calling_list)
    kept = ("read", "dialable", "suppressed", "by_reason", "uploaded", "job_ids", "dnc_added")
    state.last_sync = {key: summary[key] for key in kept} | {
        "for_day": summary["for_day"],
        "at": summary["at"],
        "synced_at": dt.datetime.now(dt.UTC).isoformat(),
        "source": source,
        "dialable_path": summary["dialable_path"],
        "suppressed_path": summary["suppressed_path"],
    }
    await save_sync_state(state)
    logger.info(
        "Calling list %r (%s) holds %d dialable contacts; %d suppressed; %d DNC numbers added",
        calling_list,
        list_id,
        files.dialable,
        files.suppressed,
        summary["dnc_added"],
    )
    message = (
        f"{calling_list!r} holds {summary['dialable']:,} dialable contacts; "
        f"{summary['suppressed']:,} suppressed; {summary['dnc_added']:,} DNC numbers added"
    )
    return Completed(message=message, data=summary)


async def _publish(summary: dict) -> None:
    """The counts by reason and the first suppressed contacts as tables, and a summary naming
    the list, jobs and files."""
    read = summary["read"] or 1
    suppressed = pq.ParquetFile(summary["suppressed_parquet_path"])
    wanted = [name for name in COLUMNS if name in suppressed.schema_arrow.names]
    first = next(suppressed.iter_batches(batch_size=SAMPLE_ROWS, columns=wanted), None)
    await publish_suppressed(
        first.to_pandas() if first is not None else pd.DataFrame(columns=wanted),
        summary["suppressed"],
        summary["suppressed_path"],
    )
    await acreate_table_artifact(
        key="dial-list-reasons",
        table=[
            {"reason": reason, "contacts": count, "share": f"{count / read:.1%}"}
            for reason, count in sorted(summary["by_reason"].items(), key=lambda kv: -kv[1])
        ],
        description=f"{summary['read']:,} contacts read for {summary['calling_list']!r}",
    )
    when = f"day {summary['for_day']}" if summary["for_day"] else f"at {summary['at']}"
    jobs = ", ".join(f"`{job}`" for job in summary["job_ids"]) or "none"
    if summary["already_synced"]:
        jobs += " (from the earlier sync of this same file: nothing was uploaded again)"
    lines = [
        f"## Dial list `{summary['calling_list']}` (list `{summary['calling_list_id']}`)",
        "",
        f"Evaluated for {when}: **{summary['dialable']:,} dialable**, "
        f"{summary['suppressed']:,} suppressed of {summary['read']:,} read.",
        "",
        f"- Upload jobs: {jobs}",
        f"- Leftover jobs stopped first: {', '.join(summary['settled_jobs']) or 'none'}",
    ]
    if summary["dnc_group"]:
        lines.append(
            f"- DNC group `{summary['dnc_group']}`: {summary['dnc_added']} added, "
            f"{summary['dnc_already']} already there, {len(summary['dnc_failures'])} refused"
        )
    lines += [
        f"- Dialable: `{summary['dialable_path']}` (and `.parquet`)",
        f"- Suppressed: `{summary['suppressed_path']}` (and `.parquet`)",
        f"- Run marker: `{summary['marker_path']}`",
        f"- Upload record: `{summary['record']}`",
    ]
    await acreate_markdown_artifact(
        key="dial-list", markdown="\n".join(lines), description="Dial-list sync"
    )


def main(argv: list[str] | None = None) -> None:
    cli = _cli.parser("python -m flows.dial_list", sync_dial_list.__doc__.splitlines()[0])
    cli.add_argument("source", help="a CSV or Parquet contact file: a path or an fsspec URL")
    cli.add_argument("calling_list", help="the calling list's name (created if missing)")
    _cli.credentials_option(cli)
    cli.add_argument("--skill-id", help="the skill the list belongs to (it is never started)")
    cli.add_argument("--dnc-group", help="the DNC group that revoked and DNC numbers go to")
    cli.add_argument(
        "--at",
        type=_cli.aware_instant,
        help="judge at this instant, ISO-8601 with a UTC offset (default: now, unless --for-day)",
    )
    cli.add_argument("--output-dir", default="exports", help="directory for the segment files")
    cli.add_argument(
        "--for-day", help="build a day list for this date (YYYY-MM-DD) or 'today' in --zone"
    )
    cli.add_argument("--zone", default="America/New_York", help="the campaign's IANA time zone")
    cli.add_argument(
        "--job-timeout-minutes", type=float, default=60, help="how long one upload job may take"
    )
    args = cli.parse_args(argv)
    # A missing column is a ValueError, which every command line reports alone already.
    _cli.run(args, lambda: sync_dial_list(**_cli.options(args)), (CXoneUploadFailed,))


if __name__ == "__main__":
    main()
