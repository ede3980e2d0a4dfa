"""Payload checks. Each returns every problem found, so one 400 names them all."""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .webhooks import EVENT_TYPES

STATUSES = ("active", "paused")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Federal (TCPA) calling hours; the campaign's window must sit inside them.
EARLIEST_CALL = time(8, 0)
LATEST_CALL = time(21, 0)
MAX_ABANDONMENT = 0.03  # the FTC's 3% cap on abandoned calls
_CLOCK_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _section(payload: dict, key: str, where: str, problems: list[str]) -> dict:
    """`payload[key]` if it is an object (or absent: then {}); otherwise records a problem."""
    value = payload.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where}{key} must be an object")
        return {}
    return value


def status_problems(status: object) -> list[str]:
    if status not in STATUSES:
        return [f"status must be one of {', '.join(STATUSES)} (got {status!r})"]
    return []


def campaign_problems(payload: object, known_lists: Container[str]) -> list[str]:
    if not isinstance(payload, dict):
        return ["the campaign must be a JSON object"]
    problems: list[str] = []
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name is required and must be a non-empty string")
    if "status" in payload:
        problems += status_problems(payload["status"])
    problems += _dialer_problems(payload)
    problems += _compliance_problems(payload)
    list_id = payload.get("contactListId")
    if list_id is None or list_id == "":
        problems.append("contactListId is required")
    elif not isinstance(list_id, str):
        problems.append("contactListId must be a string")
    elif list_id not in known_lists:
        problems.append(f"contactListId {list_id!r} names no known contact list")
    return problems


def _dialer_problems(payload: dict) -> list[str]:
    problems: list[str] = []
    dialer = _section(payload, "dialerConfig", "", problems)
    settings = _section(dialer, "predictiveSettings", "dialerConfig.", problems)
    where = "dialerConfig.predictiveSettings."
    checks = (
        ("answerRatio", lambda v: 0 <= v <= 1, "must be between 0 and 1"),
        ("callRate", lambda v: v > 0, "must be greater than 0"),
        (
            "abandonmentThreshold",
            lambda v: 0 <= v <= MAX_ABANDONMENT,
            f"must be between 0 and {MAX_ABANDONMENT} (the FTC's 3% abandonment cap)",
        ),
        ("maxCallsInFlight", lambda v: v >= 1 and v == int(v), "must be a positive integer"),
    )
    for key, valid, rule in checks:
        if key not in settings:
            continue
        value = settings[key]
        if not _is_number(value):
            problems.append(f"{where}{key} must be a number (got {value!r})")
        elif not valid(value):
            problems.append(f"{where}{key} {rule} (got {value!r})")
    return problems


def _compliance_problems(payload: dict) -> list[str]:
    problems: list[str] = []
    compliance = _section(payload, "complianceConfig", "", problems)
    if "timeZone" in compliance:
        problems += _zone_problems(compliance["timeZone"])
    rules = _section(compliance, "dialingRules", "complianceConfig.", problems)
    problems += _window_problems(rules)
    days = rules.get("allowedDays")
    if days is not None and (
        not isinstance(days, list) or any(day not in WEEKDAYS for day in days)
    ):
        problems.append(
            f"complianceConfig.dialingRules.allowedDays must list weekday names (got {days!r})"
        )
    limits = _section(compliance, "rateLimits", "complianceConfig.", problems)
    for key, value in limits.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(
                f"complianceConfig.rateLimits.{key} must be a non-negative integer (got {value!r})"
            )
    return problems


def _zone_problems(zone: object) -> list[str]:
    try:
        if isinstance(zone, str) and zone:
            ZoneInfo(zone)
            return []
    except (ZoneInfoNotFoundError, ValueError):
        pass
    return [f"complianceConfig.timeZone {zone!r} is not an IANA time zone"]


def _clock(rules: dict, key: str, problems: list[str]) -> time | None:
    value = rules.get(key)
    if value is None:
        return None
    if isinstance(value, str) and _CLOCK_TIME.fullmatch(value):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    problems.append(f"complianceConfig.dialingRules.{key} must be HH:MM:SS (got {value!r})")
    return None


def _window_problems(rules: dict) -> list[str]:
    problems: list[str] = []
    start = _clock(rules, "startTime", problems)
    end = _clock(rules, "endTime", problems)
    window = f"{EARLIEST_CALL:%H:%M}-{LATEST_CALL:%H:%M}"
    if start is not None and not EARLIEST_CALL <= start <= LATEST_CALL:
        problems.append(f"complianceConfig.dialingRules.startTime {start} is outside {window}")
    if end is not None and not EARLIEST_CALL <= end <= LATEST_CALL:
        problems.append(f"complianceConfig.dialingRules.endTime {end} is outside {window}")
    if start is not None and end is not None and start >= end:
        problems.append("complianceConfig.dialingRules.startTime must be before endTime")
    return problems


def _is_http_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def webhook_problems(body: object) -> list[str]:
    if not isinstance(body, dict):
        return ["the webhook must be a JSON object"]
    problems: list[str] = []
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name is required and must be a non-empty string")
    url = body.get("callbackUrl")
    if not _is_http_url(url):
        problems.append(f"callbackUrl must be an http(s) URL (got {url!r})")
    events = body.get("events")
    if not isinstance(events, list) or not events:
        problems.append(f"events must be a non-empty list of: {', '.join(EVENT_TYPES)}")
    else:
        unknown = [event for event in events if event not in EVENT_TYPES]
        if unknown:
            problems.append(f"unknown event types {unknown!r}; known: {', '.join(EVENT_TYPES)}")
    if "enabled" in body and not isinstance(body["enabled"], bool):
        problems.append("enabled must be true or false")
    headers = body.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        problems.append("headers must be an object of string values")
    return problems
