"""Flow: the daily dial-list sync: a contact file into a CXone calling list and DNC group.

CRM export -> `sync_dial_list` -> calling list -> the skill dials. The file is checked and
read in chunks (`dial_lists`): first for what is true of a number or a person anywhere in it,
then to judge each contact. The DNC and revoked numbers reach the DNC group first (and the
group is made to scrub the skill); only then is the calling list made to hold exactly the
dialable contacts through upload jobs, unless a guard refuses the file.

The upload is one exactly-once operation per sync (`blocks.operation`, one episode of the
list's `DialListSync`): its holder first settles the list's unfinished jobs, then uploads the
parts in order, each job complete before the next (the first overwrites, the rest append).
A sync whose holder failed or died is redone whole in the next episode, never resumed: a
part whose answer was lost may or may not have been applied, and only a fresh overwrite
makes the list exact again. The same dialable set synced again finds its episode applied
and uploads nothing. Adding DNC numbers is a set operation (only the numbers the group does
not hold are sent), so it needs no claim.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import get_run_logger
from prefect.artifacts import (
    acreate_markdown_artifact,
    acreate_progress_artifact,
    aupdate_progress_artifact,
    update_progress_artifact,
)
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

import dial_lists
from blocks import (
    DEFAULT_LEDGER,
    IdempotencyRecord,
    PlatformCredentials,
    advance_episode,
    clock,
    ledger_location,
    load_credentials,
    load_reassigned_numbers_database,
    load_storage_options,
    load_sync_state,
    operation,
    record_sync,
    register_block_types,
    upload_identity,
)
from blocks.operation import OperationIdentity
from cxone import CXoneUploadFailed, PlatformId, time_zone_name
from dial_lists import (
    CHUNK_ROWS,
    DEFAULT_DIRS,
    MAX_PART_BYTES,
    MAX_PART_RECORDS,
    DialFiles,
    ForDay,
    Progress,
    SourceLocation,
    UploadPart,
    campaign_day,
    check_output_dir,
    open_source,
    redact_url,
    upload_parts,
)
from tasks.dial_lists import (
    CALLS_MARGIN_SECONDS,
    add_dnc_numbers,
    find_calling_list,
    find_dnc_group,
    judge_contacts,
    load_rule_tables,
    scrub_skill_with_group,
    settle_upload_jobs,
    upload_part,
)
from tasks.ledger import read_ledger
from tasks.rnd import reassigned_numbers

from . import _cli
from ._checked import checked_flow
from ._progress import Throttle
from ._run_names import for_day_run_name
from ._suppressed import publish_reasons, publish_rnd_evidence, publish_suppressed_file
from ._user_errors import fails_cleanly
from ._words import plural

# Suppressed for these reasons, a number belongs in the DNC group (the FCC's 2024 revocation
# rule gives ten business days; the sync sends it the day it is synced).
DNC_REASONS = ("dnc", "consent_revoked")
# How long a sync waits for another live sync of the same list before it gives up.
HOLDER_WAIT_SECONDS = 60.0
# The progress artifact: the first pass, the evaluation, the DNC group, then the upload.
TALLIED_AT, EVALUATED_AT, UPLOADED_AT = 20.0, 70.0, 95.0
# How far an instant list's `at` may lie behind the run's start (a list for a past instant
# would ask for calls at times already gone).
AT_TOLERANCE = dt.timedelta(minutes=1)
DEFAULT_OUTPUT_DIR = DEFAULT_DIRS["dial-list"]


class DialListRefused(ValueError):
    """The sync uploaded nothing: a guard a careful operator set refused the file (too many
    unreadable lines, an empty source, a list that would shrink too much). The DNC and
    revoked numbers it could read were still added to the DNC group."""


@dataclass
class UploadPlan:
    """What one sync uploads: the parts of the dialable file and their digest (the same
    dialable set synced again has the same digest and uploads nothing)."""

    dialable_path: str
    parts: int
    records: int
    digest: str
    max_records: int = MAX_PART_RECORDS
    max_bytes: int = MAX_PART_BYTES
    jobs: list[dict] = field(default_factory=list)

    def answer(self) -> dict:
        return {"digest": self.digest, "parts": self.parts, "records": self.records}


class _NextEpisode(Exception):
    """The episode's record cannot serve this sync: the upload is redone in the next one."""


def plan_upload(files: DialFiles, max_records: int, max_bytes: int) -> UploadPlan:
    """Read the parts once, for their digest; nothing is kept but that."""
    hasher = hashlib.sha256()
    parts = records = 0
    for part in upload_parts(
        files.dialable_parquet_path, max_records=max_records, max_bytes=max_bytes
    ):
        hasher.update(part.number.to_bytes(4, "big") + part.data)
        parts, records = parts + 1, records + part.records
    return UploadPlan(
        files.dialable_parquet_path, parts, records, hasher.hexdigest(), max_records, max_bytes
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
    credentials_block: str
    calling_list: str
    list_id: str
    skill_id: str | None
    time_zone: str
    job_timeout_seconds: float
    progress: Any
    expires: dt.date | None = None


@dataclass(frozen=True)
class UploadOutcome:
    """What the upload of one sync did."""

    record: str
    already_synced: bool
    jobs: list[dict[str, Any]]
    settled_jobs: list[str]

    @property
    def job_ids(self) -> list[str]:
        return [job["job_id"] for job in self.jobs]


@dataclass
class SyncSummary:
    """What one sync did: the engine's counts and files, the DNC group, and the upload (none
    when a guard refused the file). `as_dict()` is what the flow returns."""

    files: DialFiles
    source: str
    calling_list: str
    calling_list_id: str
    dnc_group: str | None
    dnc_added: int
    dnc_already: int
    dnc_failures: list[Any]
    scrubbed_skill: str | None
    scrub_already: bool | None
    ledger: str | None = None
    credentials_block: str | None = None
    rnd: dict[str, Any] | None = None
    registry: dict[str, Any] | None = None
    uploaded: int = 0
    upload: UploadOutcome | None = None
    expires: dt.date | None = None
    refused: str | None = None

    @property
    def job_ids(self) -> list[str]:
        return self.upload.job_ids if self.upload else []

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the keys the flow has always returned."""
        values = {
            **self.files.summary(),
            "source": self.source,
            "ledger": self.ledger,
            "rnd": self.rnd,
            "registry": self.registry,
            "calling_list": self.calling_list,
            "calling_list_id": self.calling_list_id,
            "dnc_group": self.dnc_group,
            "dnc_added": self.dnc_added,
            "dnc_already": self.dnc_already,
            "dnc_failures": self.dnc_failures,
            "scrubbed_skill": self.scrubbed_skill,
            "scrub_already": self.scrub_already,
            "uploaded": self.uploaded,
            "job_id": self.job_ids[-1] if self.job_ids else None,
            "job_ids": self.job_ids,
        }
        if self.upload is not None:
            values |= {
                "expires": self.expires.isoformat() if self.expires else None,
                "already_synced": self.upload.already_synced,
                "settled_jobs": self.upload.settled_jobs,
                "record": self.upload.record,
            }
        if self.refused is not None:
            values["refused"] = self.refused
        return values

    def last_sync(self, synced_at: dt.datetime) -> dict[str, Any]:
        """What the list's `DialListSync` keeps of this sync."""
        values = self.as_dict()
        kept = ("read", "dialable", "suppressed", "by_reason", "uploaded", "job_ids", "dnc_added")
        return {key: values[key] for key in kept} | {
            "for_day": values["for_day"],
            "at": values["at"],
            "synced_at": synced_at.isoformat(),
            "source": self.source,
            "unreadable": self.files.unreadable,
            "dnc_group": self.dnc_group,
            "scrubbed_skill": self.scrubbed_skill,
            "credentials_block": self.credentials_block,
            "dialable_path": self.files.dialable_path,
            "suppressed_path": self.files.suppressed_path,
        }


async def _upload(sync: _Sync, plan: UploadPlan) -> UploadOutcome:
    """Make the list hold exactly the plan's records, once (see the module's docstring)."""
    state = await load_sync_state(sync.list_id, sync.credentials_block, sync.calling_list)
    parts = [f"part-{number}" for number in range(1, plan.parts + 1)]
    description = f"upload {plural(plan.records, 'record')} to calling list {sync.calling_list!r}"
    while True:
        identity = upload_identity(sync.list_id, sync.credentials_block, state.episode)

        async def settled(
            record: IdempotencyRecord | None, identity: OperationIdentity = identity
        ) -> operation.Outcome[None] | None:
            if record is None:
                return None  # nobody claimed this episode yet: claim it
            if record.status == "applied" and record.answers.get("plan") == plan.answer():
                get_run_logger().info("Calling list %s already holds this file", sync.list_id)
                return operation.Outcome(record)
            if record.status == "pending":  # its holder died: fence it off first
                reason = f"its holder died; redone whole in episode {identity.episode + 1}"
                await operation.retire(identity, record, reason)
            raise _NextEpisode

        try:
            outcome = await operation.run_once(
                identity,
                ["plan", "settle-jobs", *parts],
                description,
                lambda held: _send_parts(sync, plan, held),
                max_wait=HOLDER_WAIT_SECONDS,
                backoff=False,
                settled=settled,
            )
        except _NextEpisode:
            state = await advance_episode(state, identity.episode + 1)  # racing syncs agree
            continue
        assert outcome.record is not None
        jobs = [outcome.record.answers[s] for s in outcome.record.steps if s.startswith("part-")]
        settled_jobs = (outcome.record.answers.get("settle-jobs") or {}).get("settled", [])
        return UploadOutcome(identity.name, not outcome.held, jobs, settled_jobs)


async def _send_parts(sync: _Sync, plan: UploadPlan, held: operation.HeldOperation) -> None:
    """The upload's steps: the plan, the leftover jobs settled, then each part in order."""
    credentials = sync.credentials

    async def record_plan(_: str) -> dict[str, Any]:
        return plan.answer()

    limit = sync.job_timeout_seconds + CALLS_MARGIN_SECONDS
    settle_jobs = settle_upload_jobs.with_options(timeout_seconds=limit)
    send = upload_part.with_options(timeout_seconds=limit)

    async def settle(_: str) -> dict[str, Any]:
        settled = await settle_jobs(credentials, sync.list_id, sync.job_timeout_seconds)
        return {"settled": settled}

    await held.step("plan", record_plan)
    await held.step("settle-jobs", settle)
    for part in upload_parts(
        plan.dialable_path, max_records=plan.max_records, max_bytes=plan.max_bytes
    ):

        async def submit(key: str, part: UploadPart = part) -> dict[str, Any]:
            answer: dict[str, Any] = await send(
                credentials,
                sync.list_id,
                part,
                file_name=f"{sync.calling_list}-{key[:8]}-{part.number}.csv",
                skill_id=sync.skill_id,
                time_zone=sync.time_zone,
                timeout_seconds=sync.job_timeout_seconds,
                expires=sync.expires,
            )
            return answer

        await held.step(f"part-{part.number}", submit)
        share = part.number / plan.parts
        await aupdate_progress_artifact(
            sync.progress,
            EVALUATED_AT + (UPLOADED_AT - EVALUATED_AT) * share,
            description=f"Uploaded part {part.number} of {plan.parts}",
        )


def record_expiry(day: dt.date, snapshot: dial_lists.RegistrySnapshot | None) -> dt.date:
    """When the uploaded records expire, so that a list no sync replaced stops by itself: the
    day after the list's day (the next daily sync replaces it before), and never after the
    registry snapshot's last good day. Never before the platform's today: the platform's
    clock is the wall clock.

    Example:
        >>> record_expiry(dt.date(2999, 3, 2), None).isoformat()
        '2999-03-03'
    """
    expires = max(day, dt.datetime.now(dt.UTC).date()) + dt.timedelta(days=1)
    return min(expires, snapshot.expires_on()) if snapshot is not None else expires


def check_settings(
    source: str,
    calling_list: str,
    *,
    at: dt.datetime | None = None,
    for_day: ForDay = None,
    zone: str = "America/New_York",
    output_dir: str = DEFAULT_OUTPUT_DIR,
    max_unreadable: int = 0,
    max_shrink: float = 0.5,
    now: dt.datetime | None = None,
    registry: str | None = None,
    **_: object,
) -> None:
    """Everything about a sync's settings that can be checked before its run exists.

    Raises:
        ValueError: The first bad setting, named: a blank calling list, both `at` and
            `for_day`, a naive `at` or one in the past, a zone the platform cannot name, a
            source URL carrying credentials, an output directory this flow must not use
            (`OutputDirError`), a negative `max_unreadable`, a `max_shrink` outside 0-1.
    """
    if not calling_list.strip():
        raise ValueError("calling_list must name the calling list")
    if at is not None and for_day is not None:
        raise ValueError("give at most one of for_day (a day list) and at (an instant)")
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(f"`at` must be timezone-aware, got naive {at.isoformat()}")
    now = now or clock.now()
    if at is not None and at < now - AT_TOLERANCE:
        raise ValueError(
            f"`at` ({at.isoformat()}) is in the past: a calling list for it would ask for "
            "calls at times already gone; leave `at` out (now) or give for_day"
        )
    campaign_day(for_day, zone, now)  # "today" or a date; a bad zone fails here too
    time_zone_name(zone)  # a zone the platform cannot name fails here, before any work
    dial_lists.check_source_url(source)
    check_output_dir(output_dir, "dial-list")
    if max_unreadable < 0:
        raise ValueError(f"max_unreadable must be 0 or more, not {max_unreadable}")
    if registry is not None:
        dial_lists.RegistrySnapshot.check(registry, now.date())
    if not 0 <= max_shrink <= 1:
        raise ValueError(
            f"max_shrink must be between 0 and 1 (a share of the list), not {max_shrink}"
        )


def _refusal(
    files: DialFiles, last: dict, max_unreadable: int, allow_empty: bool, max_shrink: float
) -> str | None:
    """Why the file must not replace the list (a guard a careful operator expects), or None."""
    if files.unreadable > max_unreadable:
        named = "; ".join(f"line {u['line']}: {u['why']}" for u in files.first_unreadable[:3])
        more = files.unreadable - min(3, len(files.first_unreadable))
        return (
            f"{files.unreadable:,} line(s) of the source could not be read as one contact each, "
            f"more than max_unreadable={max_unreadable} allows ({named}"
            f"{f'; and {more:,} more' if more > 0 else ''}; all in {files.unreadable_path})"
        )
    if files.read == 0 and not allow_empty:
        return (
            "the source holds no contact; an empty file would empty the calling list: pass "
            "allow_empty=True if that is intended"
        )
    before = last.get("uploaded")
    if isinstance(before, int) and before > 0 and not (allow_empty and files.dialable == 0):
        shrink = 1 - files.dialable / before
        if shrink > max_shrink:
            return (
                f"the list would shrink from {plural(before, 'contact')} (last sync "
                f"{last.get('synced_at', 'unknown')}) to {files.dialable:,} ({shrink:.0%} "
                f"fewer), more than max_shrink={max_shrink} allows; if that is intended, run "
                f"again with max_shrink={min(1.0, round(shrink + 0.005, 2))}"
            )
    return None


@checked_flow(
    check=check_settings,
    name="sync-dial-list",
    flow_run_name=for_day_run_name("sync", "calling_list"),
    timeout_seconds=6 * 3600,
)
@fails_cleanly
async def sync_dial_list(
    source: SourceLocation,
    calling_list: str,
    credentials_block: str = "cxone",
    skill_id: PlatformId | None = None,
    dnc_group: str | None = None,
    at: dt.datetime | None = None,
    output_dir: str = DEFAULT_OUTPUT_DIR,
    for_day: ForDay = None,
    zone: str = "America/New_York",
    job_timeout_minutes: float = 60,
    max_part_records: int = MAX_PART_RECORDS,
    max_part_bytes: int = MAX_PART_BYTES,
    allow_empty: bool = False,
    max_unreadable: int = 0,
    max_shrink: float = 0.5,
    source_credentials: str | None = None,
    ledger: str | None = DEFAULT_LEDGER,
    registry: str | None = None,
    registry_consent_exempts: bool = False,
    rnd_block: str | None = None,
    rnd_no_data_blocks: bool = False,
    rnd_max_age_days: float = 30,
) -> State[Any]:
    """Sync a contact file into a calling list: exactly the dialable contacts, once.

    Checks the settings and the file's header, finds (or creates) the calling list, reads
    the file twice (first for the numbers and persons that are DNC or revoked anywhere in it,
    then to judge each contact), writes the dialable, suppressed and unreadable files (mode
    0600), adds the DNC and revoked numbers to the DNC group, and only then replaces the
    list's records with the dialable set through upload jobs within the platform's per-file
    limits, waiting for each. With `skill_id` and `dnc_group` the group is made to scrub the
    skill (confirmed by reading it back): on NICE CXone a DNC group blocks only the skills
    it scrubs. The skill is never started by the upload.

    Nothing is uploaded (the DNC numbers are still added) when the file has more unreadable
    lines than `max_unreadable`, holds no contact (unless `allow_empty`), or would shrink the
    list by more than `max_shrink` since the last sync; the run then fails with a message
    naming what it found.

    Args:
        source: A CSV or Parquet file with the columns `compliance.evaluate` takes: a path or
            any URL `fsspec` opens (install the filesystem's package, e.g. `s3fs`). A URL
            must not carry credentials: pass them in `source_credentials`.
        calling_list: The calling list's name.
        credentials_block: Credentials block: a CXoneCredentials name or
            '<block-type-slug>/<name>' (calling lists need NICE CXone: 'cxone-access-key/...').
        skill_id: The skill the list belongs to, if any; the DNC group is made to scrub it.
        dnc_group: The DNC group revoked and DNC numbers go to, if any.
        at: Judge the contacts at this instant (timezone-aware, not in the past); default
            now, unless `for_day` is given.
        output_dir: Directory for the dialable, suppressed and unreadable files and
            `run.json`: this flow's own (a directory holding other files is refused).
        for_day: Build a day list for this date in `zone` ("today": the date there when the
            run starts): a contact is dialable when it has a legal window that day at or
            after the run's start, and its upload asks for the first call at that window's
            start.
        zone: The campaign's IANA time zone (the day of `for_day`; the list's default zone).
        job_timeout_minutes: How long one upload job may take before it is cancelled.
        max_part_records: Records per upload file (the platform's limit: 500,000).
        max_part_bytes: Bytes per upload file (the platform's limit: 256 MB).
        allow_empty: Let a source with no contact empty the list.
        max_unreadable: CSV lines that may fail to read as one contact each before the sync
            refuses to upload.
        max_shrink: The largest share by which the list may shrink since the last sync
            (0.5: to half its size); 1 allows any.
        source_credentials: A block holding the source's storage options: a
            `FileStorageCredentials` name or '<block-type-slug>/<name>' (e.g.
            'aws-credentials/prod' of prefect-aws).
        ledger: The attempts ledger (an `AttemptsLedger` block's name; "default" is also the
            embedded file when no block is saved): its attempts count toward the caps (per
            number, and per person over their numbers; the larger of the file's and the
            ledger's counts wins) and its opt-outs and revocations suppress the number.
            None: the file's columns only.
        registry: A Do-Not-Call registry snapshot: a directory of the registry's number files
            and a `manifest.json` (`downloaded_at`, `source`); refused when older than 31
            days (16 CFR 310.4(b)(3)(iv)). Its numbers are suppressed as `dnc_registry`.
            Records expire no later than the snapshot's 31st day.
        registry_consent_exempts: Let a contact's express consent (consent given, not
            revoked) exempt it from the registry. Off by default: decide with counsel.
        rnd_block: A `ReassignedNumbersDatabase` block: the numbers of contacts with consent
            and a `consent_at` date are checked; `yes` (disconnected since) suppresses as
            `reassigned`; answers are kept in the attempts ledger and reused for
            `rnd_max_age_days` (a `yes` for ever), and both files keep the answer and its
            query time (the safe harbor's evidence, 47 CFR 64.1200(m)).
        rnd_no_data_blocks: Suppress on a `no_data` answer too (default: only reported).
        rnd_max_age_days: How long a cached `no` or `no_data` answer stands.

    Returns:
        A `Completed` state (`Failed` when a guard refused the file) whose data, what a call
        returns, is the `SyncSummary` as a dict: `read`, `dialable`, `suppressed`,
        `by_reason`, `unreadable`, `unreadable_path`,
        `uploaded` (records sent), `job_id` (the last job) and `job_ids`, `dnc_added`,
        `dnc_already`, `dnc_failures`, `scrubbed_skill` (the skill the group scrubs,
        confirmed), `already_synced` (the list already held this file), `calling_list_id`,
        `record` (the upload's record), `dialable_path`, `suppressed_path` and the other files.

    Raises:
        CXoneUnsupported: the platform has no calling lists (the described API); raised
            before the file is evaluated.
        MissingColumnsError: the file lacks a required column (nothing is uploaded).
        DialListRefused: a guard refused the file (nothing was uploaded).
        CXoneUploadFailed: an upload job was cancelled or did not complete in time.
        ValueError: a bad setting, named (before the run when called from Python).

    Example:
        ```python
        import asyncio
        from flows.dial_list import sync_dial_list

        asyncio.run(sync_dial_list("crm/contacts.parquet", "Renewals", dnc_group="Internal"))
        ```
    """
    logger = get_run_logger()
    load_rule_tables()  # while the flow talks to the server and the platform
    now = clock.now()
    check_settings(
        source, calling_list, at=at, for_day=for_day, zone=zone, output_dir=output_dir,
        max_unreadable=max_unreadable, max_shrink=max_shrink, now=now, registry=registry,
    )  # fmt: skip
    for_day = campaign_day(for_day, zone, now)
    at = at if at is not None or for_day is not None else now
    shown = redact_url(source)
    storage = await load_storage_options(source_credentials) if source_credentials else None
    opened = open_source(source, storage_options=storage)  # the header: a bad one fails here
    await register_block_types()
    credentials = await load_credentials(credentials_block, "dial_lists")
    list_id = await find_calling_list(credentials, calling_list)
    group_id = await find_dnc_group(credentials, dnc_group) if dnc_group else None
    scrub = await _scrub(credentials, dnc_group, group_id, skill_id)

    progress = await acreate_progress_artifact(
        0, key="dial-list-progress", description=f"Reading {shown}"
    )

    throttle = Throttle()

    def evaluated(step: Progress) -> None:
        if not throttle.ready():  # each update blocks the evaluation for a server call
            return
        share = step.read / step.total if step.total else 0.0
        start, end = (0.0, TALLIED_AT) if step.phase == "tally" else (TALLIED_AT, EVALUATED_AT)
        verb = "Read" if step.phase == "tally" else "Evaluated"
        update_progress_artifact(
            progress,
            start + (end - start) * share,
            description=f"{verb} {plural(step.read, 'contact')}",
        )

    view, ledger_shown = await read_ledger(ledger, now)
    snapshot = (
        await asyncio.to_thread(dial_lists.RegistrySnapshot.open, registry, now.date())
        if registry
        else None
    )
    rnd_answers: Counter[str] = Counter()
    reassigned = None
    if rnd_block:
        database = await load_reassigned_numbers_database(rnd_block)
        cache = await ledger_location(ledger) if ledger else None
        reassigned = reassigned_numbers(
            database, cache[0] if cache else None, now=now, max_age_days=rnd_max_age_days,
            no_data_blocks=rnd_no_data_blocks, loop=asyncio.get_running_loop(),
            tally=rnd_answers,
        )  # fmt: skip
    files = await judge_contacts(
        opened,
        output_dir,
        for_day=for_day,
        at=at,
        now=now,
        zone=zone,
        on_progress=evaluated,
        ledger=view,
        registry=snapshot,
        registry_consent_exempts=registry_consent_exempts,
        reassigned=reassigned,
    )
    del view
    # The DNC group first: whatever happens to the upload, these numbers are not dialled.
    dnc = {"added": 0, "already": 0, "failures": []}
    if group_id:
        await aupdate_progress_artifact(progress, EVALUATED_AT, description="DNC group")
        dnc = await add_dnc_numbers(
            credentials, group_id, dnc_numbers(files.suppressed_parquet_path)
        )
    state = await load_sync_state(list_id, credentials_block, calling_list)
    summary = SyncSummary(
        files,
        source=shown,
        ledger=ledger_shown,
        credentials_block=credentials_block,
        calling_list=calling_list,
        calling_list_id=list_id,
        dnc_group=dnc_group,
        dnc_added=dnc["added"],
        dnc_already=dnc["already"],
        dnc_failures=dnc["failures"],
        scrubbed_skill=scrub["scrubbed_skill"],
        scrub_already=scrub["scrub_already"],
        rnd=dict(rnd_answers) if rnd_block else None,
        registry=(
            {
                "source": snapshot.source,
                "downloaded_at": snapshot.downloaded_at.isoformat(),
                "numbers": snapshot.numbers,
            }
            if snapshot
            else None
        ),
    )
    refusal = _refusal(files, state.last_sync, max_unreadable, allow_empty, max_shrink)
    if refusal:
        message = f"Nothing uploaded to {calling_list!r}: {refusal}. " + _dnc_sentence(summary)
        summary.refused = refusal
        await _publish(summary, message)
        logger.error("%s", message)
        return Failed(message=message, data=DialListRefused(message))

    await aupdate_progress_artifact(progress, EVALUATED_AT, description="Uploading")
    plan = plan_upload(files, max_part_records, max_part_bytes)
    expires = record_expiry(for_day or at.astimezone(dt.UTC).date(), snapshot)
    sync = _Sync(
        credentials,
        credentials_block,
        calling_list,
        list_id,
        skill_id,
        time_zone_name(zone),
        job_timeout_minutes * 60,
        progress,
        expires,
    )
    outcome = await _upload(sync, plan)
    await aupdate_progress_artifact(progress, 100, description="Synced")

    summary.uploaded, summary.upload, summary.expires = plan.records, outcome, expires
    message = _message(summary)
    await _publish(summary, message)
    state = await load_sync_state(list_id, credentials_block, calling_list)
    await record_sync(state, summary.last_sync(now))
    logger.info("%s", message)
    return Completed(message=message, data=summary.as_dict())


async def _scrub(
    credentials: PlatformCredentials,
    dnc_group: str | None,
    group_id: str | None,
    skill_id: str | None,
) -> dict:
    """Make the DNC group scrub the skill, and say what protects the skill."""
    if group_id and skill_id:
        done = await scrub_skill_with_group(credentials, group_id, str(skill_id))
        return {"scrubbed_skill": str(skill_id), "scrub_already": done["already"]}
    if skill_id:
        get_run_logger().warning(
            "No DNC group named: revoked and DNC numbers reach no group, and no group of "
            "this sync scrubs skill %s",
            skill_id,
        )
    elif dnc_group:
        get_run_logger().warning(
            "No skill_id given: DNC group %r is filled but this sync attaches it to no skill; "
            "on NICE CXone a group blocks only the skills it scrubs",
            dnc_group,
        )
    return {"scrubbed_skill": None, "scrub_already": None}


def _dnc_sentence(summary: SyncSummary) -> str:
    if not summary.dnc_group:
        return "No DNC group named: revoked and DNC numbers went to no group."
    sentence = (
        f"DNC group {summary.dnc_group!r}: {plural(summary.dnc_added, 'number')} added, "
        f"{summary.dnc_already:,} already there"
    )
    if summary.dnc_failures:
        sentence += f", {len(summary.dnc_failures):,} refused"
    if summary.scrubbed_skill:
        sentence += f"; it scrubs skill {summary.scrubbed_skill} (confirmed)"
    return sentence + "."


def _message(summary: SyncSummary) -> str:
    """What the sync did, in a sentence or three (the run's final state message)."""
    name, dialable, files = summary.calling_list, summary.files.dialable, summary.files
    if summary.upload is not None and summary.upload.already_synced:
        held = f"{name!r} already held this file's {dialable:,} dialable contacts: nothing changed."
    else:
        jobs = len(summary.job_ids)
        held = f"{name!r} holds {dialable:,} dialable contacts ({plural(jobs, 'upload job')})."
    counted = f" {files.suppressed:,} suppressed of {files.read:,} read"
    if files.unreadable:
        counted += f"; {files.unreadable:,} unreadable lines"
    return f"{held}{counted}. {_dnc_sentence(summary)}"


async def _publish(summary: SyncSummary, message: str) -> None:
    """The counts by reason and the first suppressed contacts as tables, and a summary naming
    the list, jobs and files."""
    files, values = summary.files, summary.as_dict()
    await publish_suppressed_file(
        files.suppressed_parquet_path, files.suppressed, files.suppressed_path
    )
    await publish_reasons(
        files.by_reason,
        files.read,
        key="dial-list-reasons",
        description=f"{plural(files.read, 'contact')} read for {summary.calling_list!r}",
    )
    if summary.rnd is not None:
        await publish_rnd_evidence(files.suppressed_parquet_path, summary.rnd)
    when = f"day {values['for_day']}" if values["for_day"] else f"at {values['at']}"
    jobs = ", ".join(f"`{job}`" for job in summary.job_ids) or "none"
    upload = summary.upload
    if upload is not None and upload.already_synced:
        jobs += " (from the earlier sync of this same file: nothing was uploaded again)"
    lines = [
        f"## Dial list `{summary.calling_list}` (list `{summary.calling_list_id}`)",
        "",
        message,
        "",
        f"Evaluated for {when}: **{files.dialable:,} dialable**, "
        f"{files.suppressed:,} suppressed of {files.read:,} read, "
        f"{files.unreadable:,} unreadable lines.",
        "",
        f"- Source: `{summary.source}`",
        f"- Upload jobs: {jobs}",
    ]
    if upload is not None:
        lines.append(f"- Leftover jobs stopped first: {', '.join(upload.settled_jobs) or 'none'}")
    lines += [
        f"- {_dnc_sentence(summary)}",
        f"- Dialable: `{files.dialable_path}` (and `.parquet`)",
        f"- Suppressed: `{files.suppressed_path}` (and `.parquet`)",
        f"- Unreadable lines: `{files.unreadable_path}`",
        f"- Run marker: `{files.marker_path}`",
    ]
    if upload is not None:
        lines.append(f"- Upload record: `{upload.record}`")
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
    cli.add_argument(
        "--output-dir", default=DEFAULT_OUTPUT_DIR, help="this flow's directory for its files"
    )
    cli.add_argument(
        "--for-day", help="build a day list for this date (YYYY-MM-DD) or 'today' in --zone"
    )
    cli.add_argument("--zone", default="America/New_York", help="the campaign's IANA time zone")
    cli.add_argument(
        "--job-timeout-minutes", type=float, default=60, help="how long one upload job may take"
    )
    cli.add_argument(
        "--allow-empty", action="store_true", help="let a source with no contact empty the list"
    )
    cli.add_argument(
        "--max-unreadable",
        type=int,
        default=0,
        help="CSV lines that may fail to read before the sync refuses to upload",
    )
    cli.add_argument(
        "--max-shrink",
        type=float,
        default=0.5,
        help="the largest share by which the list may shrink since the last sync (1: any)",
    )
    cli.add_argument(
        "--ledger",
        default=DEFAULT_LEDGER,
        help="the attempts ledger: an AttemptsLedger block's name ('default': also the "
        "embedded file)",
    )
    cli.add_argument(
        "--source-credentials",
        help="a block with the source's storage options: NAME of a FileStorageCredentials "
        "block, or TYPE-SLUG/NAME (e.g. aws-credentials/prod)",
    )
    args = cli.parse_args(argv)
    options = _cli.options(args)

    async def check() -> None:
        """The settings; the source, there with the columns it needs; credentials that are
        saved and can sync a dial list."""
        sync_dial_list.check_call(**options)
        block = options["source_credentials"]
        storage = await load_storage_options(block) if block else None
        await asyncio.to_thread(open_source, options["source"], storage_options=storage)
        await load_credentials(options["credentials_block"], "dial_lists")

    errors = (CXoneUploadFailed, DialListRefused)
    _cli.run(args, lambda: sync_dial_list(**options), errors, check)


if __name__ == "__main__":
    main()
