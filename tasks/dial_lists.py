"""Tasks of the dial-list sync: evaluate the contact file, then the calling list, its upload
jobs and the DNC group on the platform.

The evaluation is `dial_lists.build_dial_files` as a task. The platform tasks are thin: one
client, a few calls; the flow (`flows.dial_list`) orders them inside the exactly-once upload.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

import compliance
from blocks import PlatformCredentials
from cxone import (
    CallingListColumns,
    CXoneInvalidResponse,
    CXoneUploadFailed,
    CXoneValidationError,
    UploadJob,
)
from dial_lists import ContactSource, DialFiles, Owner, Progress, UploadPart, build_dial_files
from ledger import LedgerView
from tasks.masking import mask_phone

from .errors import CXONE_TASK_OPTIONS, THREE_CALLS_SECONDS, TWO_CALLS_SECONDS

# Runs in a worker thread (the flow awaits it there), where Prefect cannot enforce a task
# timeout; the flow's own timeout bounds it.
write_dial_files = task(name="write-dial-files", cache_policy=NO_CACHE)(build_dial_files)


_tables: Future[None] | None = None
_tables_lock = threading.Lock()


def load_rule_tables() -> None:
    """Start loading the rule engine's reference tables (`compliance.load_tables`) in a thread
    of their own, once per process, and return at once: a flow calls this first, so that the
    tables load while it talks to the Prefect server and the platform, and `judge_contacts`
    waits for them. A flow run's process is new each time, and the tables took 0.3-0.5 s of
    a 1M list's evaluation (measured).

    Example:
        >>> load_rule_tables()  # returns at once; a second call starts nothing more
        >>> load_rule_tables()
    """
    global _tables
    with _tables_lock:
        if _tables is not None:
            return
        _tables = loading = Future()

    def load() -> None:
        try:
            compliance.load_tables()
        except BaseException as error:  # the evaluation loads them itself and says why not
            loading.set_exception(error)
        else:
            loading.set_result(None)

    threading.Thread(target=load, name="rule-tables", daemon=True).start()


async def judge_contacts(
    source: ContactSource,
    output_dir: str | os.PathLike,
    *,
    for_day: dt.date | None,
    at: dt.datetime,
    now: dt.datetime,
    zone: str,
    owner: Owner = "dial-list",
    on_progress: Callable[[Progress], None] | None = None,
    ledger: LedgerView | None = None,
    **outside: object,
) -> DialFiles:
    """`write_dial_files` in a worker thread: a day list (`for_day`) whose windows start no
    earlier than `now`, else a list for the instant `at`; with what the attempts `ledger`
    knows."""
    if _tables is not None:
        with suppress(Exception):
            await asyncio.wrap_future(_tables)
    return await asyncio.to_thread(
        write_dial_files,
        source,
        output_dir,
        for_day=for_day,
        at=None if for_day else at,
        not_before=now if for_day else None,
        zone=zone,
        owner=owner,
        on_progress=on_progress,
        ledger=ledger,
        **outside,
    )


# Job status polls start quick (the stand-in and small lists finish in seconds) and slow down
# to this (a large list takes minutes on the platform).
MAX_POLL_SECONDS = 10.0
# Room, on top of the job's own time limit, for the submission and the cancel calls.
CALLS_MARGIN_SECONDS = 150
# A job's time limit unless the flow gives its own (`job_timeout_minutes`): the tasks that
# wait on jobs time out after it and the margin (the flow passes `with_options`).
DEFAULT_JOB_SECONDS = 3600
JOB_TASK_SECONDS = DEFAULT_JOB_SECONDS + CALLS_MARGIN_SECONDS
# Reading a DNC group and adding to it: batches of calls, each within its deadline.
DNC_TASK_SECONDS = 1800


@task(name="find-calling-list", timeout_seconds=TWO_CALLS_SECONDS, **CXONE_TASK_OPTIONS)
async def find_calling_list(credentials: PlatformCredentials, name: str) -> str:
    """The id of the calling list named `name`, created with this product's columns if missing.

    Raises:
        CXoneUnsupported: the platform has no calling lists (the described API).
    """
    async with credentials.get_client() as client:
        return await client.find_or_create_calling_list(name, CallingListColumns())


@task(name="find-dnc-group", timeout_seconds=TWO_CALLS_SECONDS, **CXONE_TASK_OPTIONS)
async def find_dnc_group(credentials: PlatformCredentials, name: str) -> str:
    """The id of the DNC group named `name`, created if missing."""
    async with credentials.get_client() as client:
        return await client.find_or_create_dnc_group(name)


@task(name="scrub-skill-with-group", timeout_seconds=THREE_CALLS_SECONDS, **CXONE_TASK_OPTIONS)
async def scrub_skill_with_group(
    credentials: PlatformCredentials, group_id: str, skill_id: str
) -> dict:
    """Make the skill scrub the DNC group, and confirm it by reading the group back.

    A DNC group blocks only the skills it scrubs: until this is done, the skill dials the
    group's numbers. A skill the group already scrubs is left alone (no write).

    Args:
        credentials: The platform's credentials block.
        group_id: The DNC group's id.
        skill_id: The skill's id.

    Returns:
        `group_id`, `skill_id`, `already` (True when the group scrubbed the skill before) and
        `confirmed` (always True: the read-back shows the skill).

    Raises:
        CXoneInvalidResponse: The platform accepted the wiring but the group's scrubbed
            skills still do not include the skill.
        CXoneNotFound: The group or the skill does not exist.
        CXoneUnsupported: The platform has no DNC groups (the described API).
    """
    async with credentials.get_client() as client:
        already = skill_id in await client.scrubbed_skills(group_id)
        if not already:
            await client.scrub_skill(group_id, skill_id)
            if skill_id not in await client.scrubbed_skills(group_id):
                raise CXoneInvalidResponse(
                    f"DNC group {group_id} accepted skill {skill_id} as a scrubbed skill, but "
                    "its scrubbed skills read back without it: the skill may still dial the "
                    "group's numbers"
                )
    return {"group_id": group_id, "skill_id": skill_id, "already": already, "confirmed": True}


async def _wait(client, job_id: str, deadline: float) -> UploadJob:
    """Poll the job until it finished or the deadline (monotonic) passed."""
    delay = 0.05
    while True:
        job = await client.get_upload_job(job_id)
        if job.finished or time.monotonic() >= deadline:
            return job
        await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, MAX_POLL_SECONDS)


@task(name="settle-upload-jobs", timeout_seconds=JOB_TASK_SECONDS, **CXONE_TASK_OPTIONS)
async def settle_upload_jobs(
    credentials: PlatformCredentials, list_id: str, timeout_seconds: float
) -> list[str]:
    """Cancel every unfinished upload job of the list and wait until each has stopped.

    Run before a sync's first upload: a job left by a run that died could otherwise complete
    after this sync's overwrite and add its records again.

    Returns:
        The ids of the jobs that were unfinished (each is now cancelled or complete).

    Raises:
        CXoneUploadFailed: a job still runs `timeout_seconds` after it was cancelled.
    """
    async with credentials.get_client() as client:
        pending = [job for job in await client.upload_jobs(list_id) if not job.finished]
        deadline = time.monotonic() + timeout_seconds
        for job in pending:
            try:
                await client.cancel_upload_job(job.job_id)
            except CXoneValidationError:  # it finished between the listing and the cancel
                if not (await client.get_upload_job(job.job_id)).finished:
                    raise
        for job in pending:
            if not (await _wait(client, job.job_id, deadline)).finished:
                raise CXoneUploadFailed(
                    f"upload job {job.job_id} of calling list {list_id} was cancelled but "
                    f"still runs after {timeout_seconds:.0f}s; this sync uploads nothing"
                )
    if pending:
        get_run_logger().warning(
            "Stopped unfinished upload jobs of calling list %s: %s",
            list_id,
            ", ".join(job.job_id for job in pending),
        )
    return [job.job_id for job in pending]


@task(name="upload-part", timeout_seconds=JOB_TASK_SECONDS, **CXONE_TASK_OPTIONS)
async def upload_part(
    credentials: PlatformCredentials,
    list_id: str,
    part: UploadPart,
    *,
    file_name: str,
    skill_id: str | None,
    time_zone: str,
    timeout_seconds: float,
    expires: dt.date | None = None,
) -> dict:
    """Submit one part as an upload job and wait until the job completed.

    The first part replaces the list's records, later ones are appended. The skill is never
    started by the upload.

    Returns:
        `job_id`, `records` (in the part) and `completed_at`.

    Raises:
        CXoneUploadFailed: the job was cancelled, or did not complete within
            `timeout_seconds` (it is then cancelled, so that it cannot complete later).
    """
    async with credentials.get_client() as client:
        job_id = await client.upload_calling_list(
            list_id,
            part.data,
            file_name=file_name,
            overwrite=part.overwrite,
            skill_id=skill_id,
            time_zone=time_zone,
            expires=expires,
        )
        get_run_logger().info(
            "Upload job %s: part %d (%d records) of calling list %s",
            job_id,
            part.number,
            part.records,
            list_id,
        )
        job = await _wait(client, job_id, time.monotonic() + timeout_seconds)
        if not job.finished:
            await client.cancel_upload_job(job_id)
            raise CXoneUploadFailed(
                f"upload job {job_id} (part {part.number} of calling list {list_id}) did not "
                f"complete within {timeout_seconds:.0f}s and was cancelled"
            )
    if job.is_cancelled:
        raise CXoneUploadFailed(
            f"upload job {job_id} (part {part.number} of calling list {list_id}) was "
            "cancelled on the platform"
        )
    completed = job.completed_at.isoformat() if job.completed_at else None
    return {"job_id": job_id, "records": part.records, "completed_at": completed}


@task(name="add-dnc-numbers", timeout_seconds=DNC_TASK_SECONDS, **CXONE_TASK_OPTIONS)
async def add_dnc_numbers(
    credentials: PlatformCredentials, group_id: str, numbers: list[str]
) -> dict:
    """Add the numbers the group does not hold yet (a set: a re-run adds nothing).

    Args:
        numbers: Ten NANP digits each.

    Returns:
        `already` (in the group before), `added`, and `failures`: (number, error) pairs the
        platform refused, numbers masked to their last four digits.
    """
    async with credentials.get_client() as client:
        held = await client.dnc_numbers(group_id)
        new = sorted(set(numbers) - held)
        result = await client.add_dnc_numbers(group_id, new) if new else None
    failures = [(mask_phone(number), error) for number, error in result.failures] if result else []
    for number, error in failures[:20]:
        get_run_logger().warning("DNC group %s refused %s: %s", group_id, number, error)
    return {
        "already": len(set(numbers) & held),
        "added": result.added if result else 0,
        "failures": failures,
    }
