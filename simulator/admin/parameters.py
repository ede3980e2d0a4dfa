"""Dialer parameters of a Personal Connection skill, block by block, with their checks.

- general-settings and retry-settings: the `PUT` body wraps the block
  (`{"generalSettings": {...}}`); partial blocks are merged; a field of the wrong JSON type
  is 400 `InvalidParameter`; unknown fields are ignored, as lenient servers do (so a typo
  changes nothing, which a client only notices by reading back). The spec disagrees with
  itself on `aggressiveness` (string or number) and `waitTimeFactor` (number or boolean):
  both are accepted. `abandonRateThreshold` is a percentage, 0-100 (the unit is inferred).
- schedule-settings: the whole week every time. Every day must be active with a window of
  "HH:MM" times whose start is before its end: an inactive day, a missing field, a
  zero-length or overnight window is 400 `InvalidParameter` (verified live for inactive days
  and zero-length windows; the rest is the strict reading).
- time-zones: `GET` answers `[{name, description, overrideTime, timeZoneActiveToCall,
  startTime, endTime}]`; `PUT` takes `{"timeZoneSettings": [{standardName, ...}]}` for zones
  the skill knows (the platform really names the key `name` one way, `standardName` the
  other).

>>> merged = merge_block(default_general_settings(), {"generalSettings": {"maximumAttempts": 5}},
...                      "generalSettings", GENERAL_FIELDS)
>>> merged["maximumAttempts"], merged["abandonRateThreshold"]
(5, 3)
"""

from __future__ import annotations

import re

from .errors import bad_request

DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_NUMBER = (int, float)

# Field -> the JSON types it accepts ("number" excludes booleans).
GENERAL_FIELDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "minimumRetryMinutes",
            "maximumAttempts",
            "defaultContactExpiration",
            "maximumRingingDuration",
            "beginDampenPercentage",
            "abandonRateCutoff",
            "abandonRateThreshold",
            "inactiveBlenderTimer",
            "maximumRatio",
            "endOfListNotificationsDelay",
            "percentageOfAgentsBeforeOverdial",
            "consecutiveAttemptsWithoutALiveConnect",
            "proficiencyFactor",
            "maxConcurrentCallsPerAgent",
            "maxWaitTimeSeconds",
        ),
        ("number",),
    ),
    **dict.fromkeys(
        (
            "getPriorityContactsOnContactInsertion",
            "loadCallbacks",
            "loadFresh",
            "loadNonFresh",
            "overrideBusinessUnitAbandonRate",
            "notifyAgentsWhenListIsEmpty",
            "blockMultipleCalls",
            "enableDialingByProficiency",
            "deliverCallbacksOnDNCHolidays",
            "deliverPrioritiesOnDNCHolidays",
        ),
        ("boolean",),
    ),
    "aggressiveness": ("string", "number"),
    "waitTimeFactor": ("number", "boolean"),
}
RETRY_FIELDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "maximumAttempts",
            "minimumRetryMinutes",
            "maximumNumberOfHandledCalls",
            "restrictedCallingMinutes",
            "restrictedCallingMaxAttempts",
            "generalStaleMinutes",
            "callbackRestMinutes",
            "maximumNumberOfCallbacks",
            "callbackStaleMinutes",
        ),
        ("number",),
    ),
    **dict.fromkeys(
        ("loadNonFresh", "finalizeWhenExhausted", "releaseAgentSpecificCalls"), ("boolean",)
    ),
}
# Windows standard names of the zones a US business unit dials, with their descriptions.
TIME_ZONES = {
    "Eastern Standard Time": "(UTC-05:00) Eastern Time (US & Canada)",
    "Central Standard Time": "(UTC-06:00) Central Time (US & Canada)",
    "Mountain Standard Time": "(UTC-07:00) Mountain Time (US & Canada)",
    "US Mountain Standard Time": "(UTC-07:00) Arizona",
    "Pacific Standard Time": "(UTC-08:00) Pacific Time (US & Canada)",
    "Alaskan Standard Time": "(UTC-09:00) Alaska",
    "Hawaiian Standard Time": "(UTC-10:00) Hawaii",
    "SA Western Standard Time": "(UTC-04:00) Georgetown, La Paz, Manaus, San Juan",
}


def _is(value: object, kinds: tuple[str, ...]) -> bool:
    checks = {
        "number": isinstance(value, _NUMBER) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "string": isinstance(value, str),
    }
    return any(checks[kind] for kind in kinds)


def default_general_settings() -> dict:
    numbers = {field: 0 for field, kinds in GENERAL_FIELDS.items() if kinds == ("number",)}
    flags = {field: False for field, kinds in GENERAL_FIELDS.items() if kinds == ("boolean",)}
    return {
        **numbers,
        **flags,
        "minimumRetryMinutes": 60,
        "maximumAttempts": 3,
        "defaultContactExpiration": 30,
        "abandonRateThreshold": 3,
        "maximumRingingDuration": 30,
        "maxConcurrentCallsPerAgent": 1,
        "loadFresh": True,
        "loadNonFresh": True,
        "loadCallbacks": True,
        "aggressiveness": "5",
        "waitTimeFactor": 0,
    }


def default_retry_settings() -> dict:
    numbers = {field: 0 for field, kinds in RETRY_FIELDS.items() if kinds == ("number",)}
    flags = {field: False for field, kinds in RETRY_FIELDS.items() if kinds == ("boolean",)}
    return {**numbers, **flags, "maximumAttempts": 3, "minimumRetryMinutes": 60}


def default_schedule_settings() -> dict:
    week = {}
    for day in DAYS:
        week |= {f"{day}StartTime": "00:00", f"{day}EndTime": "23:59", f"{day}IsActive": True}
    return {"isScheduled": False, **week}


def default_time_zones() -> list[dict]:
    return [
        {
            "name": name,
            "description": description,
            "overrideTime": False,
            "timeZoneActiveToCall": True,
            "startTime": "08:00",
            "endTime": "21:00",
        }
        for name, description in TIME_ZONES.items()
    ]


def _block(body: object, key: str) -> dict:
    block = body.get(key) if isinstance(body, dict) else None
    if not isinstance(block, dict):
        raise bad_request(f'the body must be {{"{key}": {{...}}}}')
    return block


def merge_block(stored: dict, body: object, key: str, fields: dict[str, tuple[str, ...]]) -> dict:
    """`stored` updated with the known fields of `body[key]`; 400 for a field's wrong type."""
    block = _block(body, key)
    for field, value in block.items():
        if field in fields and not _is(value, fields[field]):
            raise bad_request(f"{key}.{field} must be a {' or '.join(fields[field])}")
    if "abandonRateThreshold" in block and not 0 <= block["abandonRateThreshold"] <= 100:
        raise bad_request(f"{key}.abandonRateThreshold is a percentage, 0 to 100")
    return {**stored, **{field: value for field, value in block.items() if field in fields}}


def _window_problem(where: str, start: object, end: object) -> str | None:
    if not (isinstance(start, str) and _HHMM.fullmatch(start)):
        return f"{where} start time must be HH:MM"
    if not (isinstance(end, str) and _HHMM.fullmatch(end)):
        return f"{where} end time must be HH:MM"
    if start >= end:  # zero-padded HH:MM compares like the times it names
        return f"{where} window {start}-{end} is empty or runs past midnight"
    return None


def schedule_from(body: object) -> dict:
    """The whole week from a `{"scheduleSettings": {...}}` body; 400 names what is wrong."""
    block = _block(body, "scheduleSettings")
    if not isinstance(block.get("isScheduled"), bool):
        raise bad_request("scheduleSettings.isScheduled must be a boolean")
    schedule = {"isScheduled": block["isScheduled"]}
    for day in DAYS:
        if block.get(f"{day}IsActive") is not True:
            raise bad_request(f"{day}IsActive must be true: every day needs a window")
        start, end = block.get(f"{day}StartTime"), block.get(f"{day}EndTime")
        problem = _window_problem(day, start, end)
        if problem:
            raise bad_request(problem)
        schedule |= {f"{day}StartTime": start, f"{day}EndTime": end, f"{day}IsActive": True}
    return schedule


def time_zones_from(stored: list[dict], body: object) -> list[dict]:
    """`stored` with the zones a `{"timeZoneSettings": [...]}` body names replaced."""
    items = body.get("timeZoneSettings") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise bad_request('the body must be {"timeZoneSettings": [{"standardName": ...}]}')
    by_name = {zone["name"]: dict(zone) for zone in stored}
    for item in items:
        name = item.get("standardName") if isinstance(item, dict) else None
        if name not in by_name:
            raise bad_request(f"standardName {name!r} is not a time zone of this skill")
        problem = _window_problem(name, item.get("startTime"), item.get("endTime"))
        flags = [item.get(flag, False) for flag in ("timeZoneActiveToCall", "overrideTime")]
        if problem or not all(isinstance(flag, bool) for flag in flags):
            raise bad_request(problem or f"{name}: the flags must be booleans")
        by_name[name].update(
            startTime=item["startTime"],
            endTime=item["endTime"],
            timeZoneActiveToCall=flags[0],
            overrideTime=flags[1],
        )
    return list(by_name.values())


class SkillParameters:
    """The stored blocks of each skill, created with their defaults on first use."""

    def __init__(self) -> None:
        self._blocks: dict[int, dict] = {}

    def clear(self) -> None:
        self._blocks.clear()

    def of(self, skill_id: int) -> dict:
        if skill_id not in self._blocks:
            self._blocks[skill_id] = {
                "generalSettings": default_general_settings(),
                "retrySettings": default_retry_settings(),
                "scheduleSettings": default_schedule_settings(),
                "timeZoneSettings": default_time_zones(),
            }
        return self._blocks[skill_id]
