"""Upload jobs: a base64 CSV checked and parsed at submission, applied when the job completes.

Submission (`POST /lists/call-lists/{listId}/upload`) checks the body and the file at once
and answers 400 for a violation, creating no job: the file limits (records, bytes, characters
per record: the platform's 500,000 / 256 MB / 512, configurable), UTF-8, a header row, and
every column the list's mapping names. A record's characters are its fields joined by commas.
Blank lines are skipped; rows are numbered from the header (row 1).

A field holding a control character (U+0000 to U+001F, so a tab, CR or LF inside a quoted
field too, or U+007F) also fails the submission, with 400 naming the record and its column.
That is the strict reading: the platform's rule for control characters was not found (its
limit of 512 characters per record is documented), and a record that carries one is likely
to be refused or cut by a dialer that reads lines.

Rows are then parsed with the list's mapping. A row without an external id or without a
valid phone number in any destination column is rejected (counted in `invalidRecords`, listed
by the control API with its row number and reason); the rest are the job's records.

A job completes asynchronously, on the simulator's clock: once `job_duration_seconds` have
passed since submission AND it has answered `job_polls_before_complete` status polls with
`isComplete: false` (default 1: the first poll never sees it complete). Only then do its
records reach the list (`forceOverwrite` replaces the list's records, otherwise they are
appended) and does `startSkill` start the skill. The control API can make a job never
complete, or be cancelled by the platform instead of completing.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..clock import Clock, iso
from .calllists import CallingList
from .config import AdminConfig
from .dates import parse_date
from .errors import bad_request
from .phones import normalize_phone
from .registry import Registry
from .skills import invalid_operation

Outcome = Literal["complete", "never_complete", "cancel"]
_REQUIRED_FLAGS = ("forceOverwrite", "startSkill", "sendEmail")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Upload:
    """A checked upload body."""

    list_file: str
    file_name: str
    skill_id: int | None
    default_time_zone: str | None
    force_overwrite: bool
    start_skill: bool
    expiration: datetime


def upload_from(body: object, now: datetime) -> Upload:
    """The upload a JSON body asks for; 400 names the first problem."""
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    if not isinstance(body.get("listFile"), str) or not body["listFile"]:
        raise bad_request("listFile (the base64 CSV) is required")
    for flag in _REQUIRED_FLAGS:
        if not isinstance(body.get(flag), bool):
            raise bad_request(f"{flag} is required and must be a boolean")
    expiration = parse_date(body.get("expirationDate"))
    if expiration is None:
        raise bad_request("expirationDate is required (YYYY-MM-DD or ISO 8601)")
    if expiration.date() < now.date():  # a record may expire at the end of today
        raise bad_request("expirationDate is in the past")
    skill_id = body.get("skillId")
    if skill_id is not None and (isinstance(skill_id, bool) or not isinstance(skill_id, int)):
        raise bad_request("skillId must be an integer")
    if body["startSkill"] and skill_id is None:
        raise bad_request("startSkill needs a skillId")
    for text in ("fileName", "defaultTimeZone"):
        if not isinstance(body.get(text, ""), str):
            raise bad_request(f"{text} must be a string")
    return Upload(
        list_file=body["listFile"],
        file_name=body.get("fileName", ""),
        skill_id=skill_id,
        default_time_zone=body.get("defaultTimeZone") or None,
        force_overwrite=body["forceOverwrite"],
        start_skill=body["startSkill"],
        expiration=expiration,
    )


def _rows(list_file: str, config: AdminConfig) -> list[list[str]]:
    """The CSV rows of a base64 file within the limits; 400 for the first violation."""
    try:
        data = base64.b64decode(list_file, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("listFile is not valid base64") from None
    if len(data) > config.max_upload_bytes:
        raise bad_request(
            f"the file is {len(data)} bytes; the limit is {config.max_upload_bytes} bytes"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_request("the file is not UTF-8") from None
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), strict=True) if any(row)]
    except csv.Error as exc:
        raise bad_request(f"the file is not CSV: {exc}") from None
    if len(rows) - 1 > config.max_upload_records:
        raise bad_request(
            f"the file has {len(rows) - 1} records; the limit is {config.max_upload_records}"
        )
    for number, row in enumerate(rows, start=1):
        length = sum(map(len, row)) + len(row) - 1
        if length > config.max_record_chars:
            raise bad_request(
                f"record {number} has {length} characters; the limit is {config.max_record_chars}"
            )
        if _CONTROL.search("".join(row)):
            index = next(i for i, value in enumerate(row) if _CONTROL.search(value))
            raise bad_request(
                f"record {number} has a control character in column {_column(rows[0], index)}"
            )
    return rows


def _column(header: list[str], index: int) -> str:
    """A column's name in the header, or its position (from 1) when the header has none.

    >>> _column(["id", " phone "], 1), _column(["id"], 2), _column(["a\\tb"], 0)
    ('phone', '3', '1')
    """
    name = header[index].strip() if index < len(header) else ""
    return name if name and not _CONTROL.search(name) else str(index + 1)


def parse_file(
    calling_list: CallingList, upload: Upload, config: AdminConfig
) -> tuple[list[dict], list[dict]]:
    """(records, rejected rows) of the upload's file read with the list's mapping."""
    rows = _rows(upload.list_file, config)
    if not rows:
        raise bad_request("the file has no header row")
    header = [name.strip() for name in rows[0]]
    mapped = [
        *calling_list.columns.values(),
        *(column for _, column in calling_list.destinations + calling_list.custom),
    ]
    missing = sorted({column for column in mapped if column not in header})
    if missing:
        raise bad_request(f"the file has no column {', '.join(map(repr, missing))}")
    records, rejected = [], []
    for number, row in enumerate(rows[1:], start=2):
        values = dict(zip(header, (value.strip() for value in row), strict=False))
        record = _record(calling_list, values, upload.default_time_zone)
        problem = _record_problem(record, calling_list)
        if problem:
            rejected.append({"row": number, "externalId": record["ExternalId"], "reason": problem})
        else:
            records.append(record)
    return records, rejected


def _record(calling_list: CallingList, values: dict[str, str], zone: str | None) -> dict:
    record = {
        system_field: values.get(column, "")
        for system_field, column in calling_list.columns.items()
        if values.get(column) or system_field == "ExternalId"
    }
    for phone_field, column in calling_list.destinations:
        phone = normalize_phone(values.get(column, ""))
        if phone:
            record[phone_field] = phone
    for custom_field, column in calling_list.custom:
        record[custom_field] = values.get(column, "")
    if zone and "TimeZone" not in record:
        record["TimeZone"] = zone
    return record


def _record_problem(record: dict, calling_list: CallingList) -> str | None:
    if not record["ExternalId"]:
        return "no external id"
    if not any(phone_field in record for phone_field, _ in calling_list.destinations):
        return "no valid phone number"
    return None


@dataclass
class UploadJob:
    job_id: int
    calling_list: CallingList
    upload: Upload
    records: list[dict]
    rejected: list[dict]
    submitted: datetime
    outcome: Outcome
    polls: int = 0
    completed: datetime | None = None
    cancelled: bool = False

    @property
    def pending(self) -> bool:
        return self.completed is None and not self.cancelled

    def view(self) -> dict:
        return {
            "jobId": self.job_id,
            "listId": self.calling_list.list_id,
            "listName": self.calling_list.name,
            "startDate": iso(self.submitted),
            "submitDate": iso(self.submitted),
            "isComplete": self.completed is not None,
            "isCancelled": self.cancelled,
            "completedDate": iso(self.completed) if self.completed else None,
        }

    def control_view(self) -> dict:
        return {
            **self.view(),
            "outcome": self.outcome,
            "polls": self.polls,
            "skillId": self.upload.skill_id,
            "forceOverwrite": self.upload.force_overwrite,
            "startSkill": self.upload.start_skill,
            "fileName": self.upload.file_name,
            "records": len(self.records),
            "rejected": self.rejected,
        }


class UploadJobs:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._jobs: Registry[UploadJob] = Registry("upload job", first_id=9001)
        self.next_outcome: Outcome = "complete"

    def clear(self) -> None:
        self._jobs.clear()
        self.next_outcome = "complete"

    def submit(
        self, calling_list: CallingList, upload: Upload, parsed: tuple[list[dict], list[dict]]
    ) -> UploadJob:
        records, rejected = parsed
        outcome, self.next_outcome = self.next_outcome, "complete"  # "the next job" is one job
        return self._jobs.add(
            lambda job_id: UploadJob(
                job_id=job_id,
                calling_list=calling_list,
                upload=upload,
                records=records,
                rejected=rejected,
                submitted=self._clock.now(),
                outcome=outcome,
            )
        )

    def get(self, job_id: int) -> UploadJob:
        return self._jobs.get(job_id)

    def all(self) -> list[UploadJob]:
        return self._jobs.all()

    def cancel(self, job_id: int) -> None:
        job = self.get(job_id)
        if not job.pending:
            state = "complete" if job.completed else "cancelled"
            raise invalid_operation(f"upload job {job_id} is already {state}")
        job.cancelled = True

    def due(self, config: AdminConfig) -> list[UploadJob]:
        """Pending jobs whose time and polls are up and that are allowed to finish."""
        wait = timedelta(seconds=config.job_duration_seconds)
        now = self._clock.now()
        return [
            job
            for job in self._jobs.all()
            if job.pending
            and job.outcome != "never_complete"
            and now >= job.submitted + wait
            and job.polls >= config.job_polls_before_complete
        ]
