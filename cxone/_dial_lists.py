"""Calling lists, upload jobs and DNC groups: what a dial-list sync sends and reads back."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

# The columns of the CSV files this product uploads, and the platform fields they map to.
UPLOAD_COLUMNS = {
    "external_id": "ExternalId",
    "phone": "PhoneNumber",
    "state": "State",
    "zip": "Zip",
    "time_zone": "TimeZone",
    "call_request_time": "CallRequestDateTime",
}


class CallingListColumns(BaseModel):
    """Which CSV column holds each field of a calling-list record."""

    model_config = ConfigDict(frozen=True)

    external_id: str = "contact_id"
    phone: str = "phone"
    state: str = "state"
    zip: str = "postal_code"
    time_zone: str = "time_zone"
    call_request_time: str = "call_request_time"


class UploadJob(BaseModel):
    """One upload job as the platform reports it."""

    job_id: str
    list_id: str | None = None
    is_complete: bool = False
    is_cancelled: bool = False
    submitted_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None

    @property
    def finished(self) -> bool:
        return self.is_complete or self.is_cancelled


class DncAddResult(BaseModel):
    """What a batch of DNC additions did, number by number."""

    added: int = 0
    failures: list[tuple[str, str]] = Field(default_factory=list)
