"""A calling-list record's time zone and call request time, as the stand-in's dialer reads them.

Records carry `TimeZone` in the platform's (Windows-style) names, "Eastern Standard Time"
and the like: from their own column, or the upload's `defaultTimeZone`. The table maps the
names a NANP number or ZIP code can be in back to one IANA zone each (the product's client
writes them from IANA zones; the simulator imports no product code, hence its own table). An
IANA name is taken as it is. A record without a zone the table knows is never dialled: the
platform derives a zone from the ZIP, city and state or area code and rejects the record or
gives it the default zone when none matches (reference, section 4); the stand-in does not
guess.

`CallRequestDateTime` is a local wall time in the record's zone ("2026-11-30 08:00:00", ISO
8601 or `MM/DD/YYYY HH:MM[:SS]`): the record is not dialled before it. A value that is no
time keeps the record from being dialled (the strict reading: the platform's parsing was not
found).

>>> record_zone({"TimeZone": "Eastern Standard Time"})
zoneinfo.ZoneInfo(key='America/New_York')
>>> record_zone({"TimeZone": "America/Phoenix"}), record_zone({}), record_zone({"TimeZone": "Mars"})
(zoneinfo.ZoneInfo(key='America/Phoenix'), None, None)
>>> call_request_time({"CallRequestDateTime": "2026-11-30 08:00:00"}, record_zone(
...     {"TimeZone": "Eastern Standard Time"})).isoformat()
'2026-11-30T13:00:00+00:00'
>>> call_request_time({}, None) is None, call_request_time({"CallRequestDateTime": "soon"}, None)
(True, False)
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PLATFORM_ZONES = {
    "UTC-11": "Pacific/Pago_Pago",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Aleutian Standard Time": "America/Adak",
    "Alaskan Standard Time": "America/Anchorage",
    "Pacific Standard Time": "America/Los_Angeles",
    "US Mountain Standard Time": "America/Phoenix",
    "Mountain Standard Time": "America/Denver",
    "Canada Central Standard Time": "America/Regina",
    "Central Standard Time": "America/Chicago",
    "Eastern Standard Time": "America/New_York",
    "SA Western Standard Time": "America/Puerto_Rico",
    "Atlantic Standard Time": "America/Halifax",
    "Newfoundland Standard Time": "America/St_Johns",
    "West Pacific Standard Time": "Pacific/Guam",
}
_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


def record_zone(record: dict) -> ZoneInfo | None:
    """The record's zone, or None when it has none the stand-in knows."""
    name = record.get("TimeZone") or ""
    try:
        return ZoneInfo(PLATFORM_ZONES.get(name, name)) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _wall_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    for form in _FORMATS:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    return None


def call_request_time(record: dict, zone: ZoneInfo | None) -> datetime | bool | None:
    """When the record may first be dialled (UTC); None when it says nothing, False when its
    `CallRequestDateTime` cannot be read (or has no zone to be read in)."""
    text = record.get("CallRequestDateTime") or ""
    if not text:
        return None
    wall = _wall_time(text)
    if wall is None or zone is None:
        return False
    return wall.replace(tzinfo=zone).astimezone(UTC)
