"""Deterministic generator of realistic, sometimes messy, US contact records.

Same (count, seed) gives the same list. Numbers use real area codes of every US time zone,
ZIPs come from the `zipcodes` package and match the area code's state and zone, and a few
percent of records are broken the way real calling lists are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
import zipcodes
from phonenumbers import timezone as phone_timezones

# Area codes per IANA zone with the state they serve; weights make every zone show up even in
# small lists (Alaska, Hawaii and Puerto Rico are over-represented on purpose).
_AREA_CODES: dict[str, tuple[tuple[str, str], ...]] = {
    "America/New_York": (("212", "NY"), ("404", "GA"), ("617", "MA"), ("305", "FL"), ("215", "PA")),
    "America/Chicago": (("312", "IL"), ("214", "TX"), ("615", "TN"), ("504", "LA"), ("612", "MN")),
    "America/Denver": (("303", "CO"), ("801", "UT"), ("505", "NM"), ("406", "MT")),
    "America/Phoenix": (("602", "AZ"), ("480", "AZ"), ("520", "AZ")),
    "America/Los_Angeles": (
        ("213", "CA"),
        ("415", "CA"),
        ("206", "WA"),
        ("503", "OR"),
        ("702", "NV"),
    ),
    "America/Anchorage": (("907", "AK"),),
    "Pacific/Honolulu": (("808", "HI"),),
    "America/Puerto_Rico": (("787", "PR"), ("939", "PR")),
}
_ZONE_PERCENT = {
    "America/New_York": 40,
    "America/Chicago": 25,
    "America/Denver": 8,
    "America/Phoenix": 5,
    "America/Los_Angeles": 14,
    "America/Anchorage": 2,
    "Pacific/Honolulu": 2,
    "America/Puerto_Rico": 4,
}
ZONES = tuple(_AREA_CODES)

_FIRST_NAMES = (
    "Ana", "James", "Maria", "Robert", "Linh", "Michael", "Aisha", "David", "Sofia", "William",
    "Keanu", "Elena", "Joseph", "Priya", "Daniel", "Olivia", "Carlos", "Emma", "Wei", "Noah",
    "Fatima", "Liam", "Isabella", "Ethan", "Mei", "Lucas", "Grace", "Mateo", "Chloe", "Omar",
    "Hannah", "Diego", "Zoe", "Samuel", "Leilani", "Jacob", "Yuki", "Benjamin", "Ava", "Luis",
)  # fmt: skip
_LAST_NAMES = (
    "Diaz", "Smith", "Johnson", "Nguyen", "Garcia", "Brown", "Williams", "Rodriguez", "Lee",
    "Martinez", "Davis", "Lopez", "Miller", "Wilson", "Kim", "Anderson", "Rivera", "Taylor",
    "Thomas", "Patel", "Moore", "Jackson", "Martin", "Chen", "Hernandez", "Thompson", "White",
    "Kahale", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Torres",
)  # fmt: skip
_MALFORMED_NUMBERS = ("555-01", "", None, "CALL-ME-NOW", "21273650OO", "12345", "n/a")
_FORMATS = (
    "({a}) {e}-{n}",
    "{a}.{e}.{n}",
    "+1-{a}-{e}-{n}",
    "1{a}{e}{n}",
    "+1{a}{e}{n}",
    "{a}-{e}-{n}",
)
_ATTEMPT_STEPS = (0, 0, 0, 0, 1, 1, 2, 3)
# Records were last touched within the year before this instant (fixed, for determinism).
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_EXCHANGES_PER_AREA_CODE = 150


@dataclass(frozen=True)
class _AreaCode:
    code: str
    state: str
    exchanges: tuple[str, ...]
    zips: tuple[str, ...]


@cache
def _area_code_table() -> tuple[_AreaCode, ...]:
    """Area codes repeated by weight, so one uniform pick is a weighted one. Built once."""
    zips: dict[str, list[str]] = {code: [] for pairs in _AREA_CODES.values() for code, _ in pairs}
    served = {code: (state, zone) for zone, pairs in _AREA_CODES.items() for code, state in pairs}
    for record in zipcodes.list_all():
        if not record["active"] or record["zip_code_type"] != "STANDARD":
            continue
        for code in record["area_codes"]:
            if served.get(code) == (record["state"], record["timezone"]):
                zips[code].append(record["zip_code"])
    table: list[_AreaCode] = []
    for zone, pairs in _AREA_CODES.items():
        for code, state in pairs:
            exchanges = _valid_exchanges(code, zone)
            entry = _AreaCode(code, state, exchanges, tuple(sorted(zips[code])))
            table.extend([entry] * round(10 * _ZONE_PERCENT[zone] / len(pairs)))
    return tuple(table)


@cache
def _clock(zone: str) -> tuple:
    """Winter and summer UTC offsets: equal for zones that keep the same clock."""
    return tuple(datetime(2026, month, 15, tzinfo=ZoneInfo(zone)).utcoffset() for month in (1, 7))


def _valid_exchanges(area_code: str, zone: str) -> tuple[str, ...]:
    """A fixed sample of ordinary exchanges (no N11, 555, test codes) that phonenumbers accepts
    and places in `zone`'s clock, so a number's zone never disagrees with its ZIP's."""
    candidates = [
        str(exchange)
        for exchange in range(200, 1000)
        if exchange % 100 != 11 and exchange not in (555, 950, 958, 959, 976)
    ]
    kept = []
    for exchange in sorted(random.Random(area_code).sample(candidates, _EXCHANGES_PER_AREA_CODE)):
        number = phonenumbers.parse(f"+1{area_code}{exchange}0100")
        clocks = {_clock(z) for z in phone_timezones.time_zones_for_number(number)}
        if phonenumbers.is_valid_number(number) and clocks == {_clock(zone)}:
            kept.append(exchange)
    return tuple(kept)


@cache
def _days() -> tuple[str, ...]:
    """The dates of the year before `_EPOCH`, formatted once (strftime per record is slow)."""
    return tuple((_EPOCH - timedelta(days=offset)).strftime("%Y-%m-%d") for offset in range(1, 366))


def _pick(rng: random.Random, items: tuple):
    # rng.random() indexing is several times faster than rng.choice and just as deterministic.
    return items[int(rng.random() * len(items))]


def _timestamp(rng: random.Random) -> str:
    minutes, second = divmod(int(rng.random() * 86400), 60)
    return f"{_pick(rng, _days())}T{minutes // 60:02d}:{minutes % 60:02d}:{second:02d}Z"


def _consent(rng: random.Random, modified: str) -> dict | None:
    """~75% granted, some revoked (a few with a stale `call: true`), some refused or absent."""
    roll = rng.random()
    if roll < 0.75:
        return {"outbound": {"call": True, "revokedAt": None}}
    if roll < 0.80:
        return {"outbound": {"call": False, "revokedAt": modified}}
    if roll < 0.82:
        return {"outbound": {"call": True, "revokedAt": modified}}
    if roll < 0.92:
        return {"outbound": {"call": False, "revokedAt": None}}
    if roll < 0.96:
        return None
    return {"outbound": {}}


def _phone_number(rng: random.Random, area: _AreaCode) -> str | None:
    if rng.random() < 0.03:
        return _pick(rng, _MALFORMED_NUMBERS)
    exchange = _pick(rng, area.exchanges)
    return _pick(rng, _FORMATS).format(a=area.code, e=exchange, n=f"{int(rng.random() * 1e4):04d}")


def _contact(index: int, rng: random.Random, table: tuple[_AreaCode, ...]) -> dict:
    area = _pick(rng, table)
    contact: dict = {
        "id": f"c{index:07d}",
        "phoneNumber": _phone_number(rng, area),
        "firstName": _pick(rng, _FIRST_NAMES),
        "lastName": _pick(rng, _LAST_NAMES),
        "postalCode": _pick(rng, area.zips),
        "state": area.state,
    }
    roll = rng.random()
    if roll < 0.04:
        del contact["postalCode"], contact["state"]
    elif roll < 0.06:
        contact["postalCode"] = contact["state"] = None
    elif roll < 0.08:
        del contact["postalCode"]
    modified = _timestamp(rng)
    consent = _consent(rng, modified)
    if consent is not None:
        contact["consentFlags"] = consent
    contact["doNotCall"] = rng.random() < 0.05
    roll = rng.random()
    if roll >= 0.12:
        last24h = _pick(rng, _ATTEMPT_STEPS) // 2
        contact["attempts"] = {"last24h": last24h, "last7d": last24h + _pick(rng, _ATTEMPT_STEPS)}
    elif roll >= 0.08:
        contact["attempts"] = None
    contact["lastModifiedTime"] = modified
    return contact


_ZONE_OF_AREA_CODE = {code: zone for zone, pairs in _AREA_CODES.items() for code, _ in pairs}


@lru_cache(maxsize=2**16)
def _parsed(raw: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        return None
    return number


def e164(raw: object) -> str | None:
    """A valid +1 number in any common format as E.164, else None.

    >>> e164("(212) 555-0142"), e164(" 12125550142"), e164("555-01"), e164(None)
    ('+12125550142', '+12125550142', None, None)
    """
    number = _parsed(raw.strip()) if isinstance(raw, str) else None
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None
    )


def number_zone(raw: object) -> tuple[str, str] | None:
    """(E.164, IANA zone) of a valid +1 number, or None for one that is no such number or in
    no one clock.

    The zone is the one the generator gave its area code; for another area code, the one
    every zone `phonenumbers` places the number in agrees on (as the generator checks).

    >>> number_zone("(212) 555-0142"), number_zone("+1 808 555 0100")
    (('+12125550142', 'America/New_York'), ('+18085550100', 'Pacific/Honolulu'))
    >>> number_zone("555-01"), number_zone("+44 20 7946 0000")
    (None, None)
    """
    number = e164(raw)
    if number is None:
        return None
    zone = _ZONE_OF_AREA_CODE.get(number[2:5])
    if zone is None:
        found = phone_timezones.time_zones_for_number(_parsed(raw.strip()))
        zones = [z for z in found if z != "Etc/Unknown"]
        if not zones or len({_clock(z) for z in zones}) != 1:
            return None
        zone = zones[0]
    return number, zone


def generate_contacts(count: int, seed: int) -> list[dict]:
    """`count` contacts with ids c0000001.. in creation order; same seed, same list."""
    rng = random.Random(seed)
    table = _area_code_table()
    return [_contact(index, rng, table) for index in range(1, count + 1)]
