"""Calling lists, upload jobs and DNC groups: what a dial-list sync sends and reads back."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

# The columns of the CSV files this product uploads, and the platform fields they map to.
UPLOAD_COLUMNS = {
    "external_id": "ExternalId",
    "phone": "PhoneNumber",
    "state": "State",
    "zip": "Zip",
    "time_zone": "TimeZone",
    "call_request_time": "CallRequestDateTime",
    "first_name": "FirstName",
    "last_name": "LastName",
}


# NICE CXone names zones as Windows does: its skills' time-zone settings carry a
# `standardName`. A zone is placed by its standard offset (minutes east of UTC, in January
# for the northern zones) and whether it keeps summer time, which covers every zone a NANP
# number, ZIP code or postal code can be in (the names as CLDR's windowsZones maps them).
_NAMES = {
    (-660, False): "UTC-11",
    (-600, False): "Hawaiian Standard Time",
    (-600, True): "Aleutian Standard Time",
    (-540, True): "Alaskan Standard Time",
    (-480, True): "Pacific Standard Time",
    (-420, False): "US Mountain Standard Time",
    (-420, True): "Mountain Standard Time",
    (-360, False): "Canada Central Standard Time",
    (-360, True): "Central Standard Time",
    (-300, False): "SA Pacific Standard Time",  # Atikokan, Southampton Island: EST all year
    (-300, True): "Eastern Standard Time",
    (-240, False): "SA Western Standard Time",
    (-240, True): "Atlantic Standard Time",
    (-210, True): "Newfoundland Standard Time",
    (0, False): "UTC",
    (540, False): "Tokyo Standard Time",  # Palau (ZIP 96940)
    (600, False): "West Pacific Standard Time",
    (720, False): "UTC+12",  # the Marshall Islands (ZIP 96960, 96970)
}


@functools.cache
def time_zone_name(zone: str) -> str:
    """The platform's name for an IANA time zone (calling-list `TimeZone`, `defaultTimeZone`).

    Example:
        >>> time_zone_name("America/Phoenix"), time_zone_name("America/Indiana/Indianapolis")
        ('US Mountain Standard Time', 'Eastern Standard Time')
        >>> time_zone_name("America/Atikokan")
        'SA Pacific Standard Time'

    Raises:
        ValueError: A zone outside North America and the US territories, or no IANA zone.
    """
    try:
        info = ZoneInfo(zone)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{zone!r} is not an IANA time zone") from exc
    winter, summer = (dt.datetime(2026, month, 15, tzinfo=info) for month in (1, 7))
    offsets = [moment.utcoffset() or dt.timedelta(0) for moment in (winter, summer)]
    standard = min(offsets)
    key = (int(standard.total_seconds() // 60), offsets[0] != offsets[1])
    if key not in _NAMES:
        raise ValueError(f"no CXone time zone name is known for {zone!r}")
    return _NAMES[key]


def ten_digits(number: str) -> str | None:
    """A NANP number's ten digits (a leading 1 dropped), or None when it is none.

    Example:
        >>> ten_digits("+1 (212) 555-0101"), ten_digits("12125550101"), ten_digits("555-0101")
        ('2125550101', '2125550101', None)
    """
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return digits


def wanted_numbers(numbers: list[str]) -> list[str]:
    """The numbers as ten digits, each once, in order.

    Raises:
        ValueError: Some number is no NANP number (all such are named).
    """
    found = [ten_digits(number) for number in numbers]
    bad = [number for number, digits in zip(numbers, found, strict=True) if digits is None]
    if bad:
        raise ValueError(f"not NANP phone numbers: {bad}")
    return list(dict.fromkeys(digits for digits in found if digits))


class CallingListColumns(BaseModel):
    """Which CSV column holds each field of a calling-list record."""

    model_config = ConfigDict(frozen=True)

    external_id: str = "contact_id"
    phone: str = "phone"
    state: str = "state"
    zip: str = "postal_code"
    time_zone: str = "time_zone"
    call_request_time: str = "call_request_time"
    first_name: str = "first_name"
    last_name: str = "last_name"


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


class RemovalResult(BaseModel):
    """What a removal of contacts from a list did: how many left it, and each id that did not
    with the platform's reason."""

    removed: int = 0
    failures: list[tuple[str, str]] = Field(default_factory=list)


class UploadBody:
    """An upload's JSON body, `{...fields, "listFile": "<base64 of the file>"}`, sent in
    slices: the file (up to 256 MB) is base64-encoded one slice at a time as the request
    goes out, never whole, so an upload holds the file once rather than three times.
    Base64 needs no JSON escaping. It can be iterated again when a request is replayed.

    Example:
        >>> import asyncio, base64, json
        >>> body = UploadBody({"fileName": "a.csv"}, b"id,phone\\r\\n")
        >>> async def whole():
        ...     return b"".join([part async for part in body])
        >>> sent = asyncio.run(whole())
        >>> base64.b64decode(json.loads(sent)["listFile"]), len(sent) == len(body)
        (b'id,phone\\r\\n', True)
    """

    SLICE = 3 * 2**18  # 768 KiB of file: 1 MiB of base64

    def __init__(self, fields: dict[str, Any], data: bytes) -> None:
        self._head = json.dumps(fields).encode()[:-1] + b', "listFile": "'
        self._data = data
        self._tail = b'"}'

    def __len__(self) -> int:
        return len(self._head) + 4 * ((len(self._data) + 2) // 3) + len(self._tail)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._head
        view = memoryview(self._data)
        for start in range(0, len(view), self.SLICE):
            yield base64.b64encode(view[start : start + self.SLICE])
        yield self._tail
