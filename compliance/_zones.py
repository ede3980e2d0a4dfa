"""Offline geography: postal codes -> (zones, place), place -> zones, place names -> codes.

A place is a USPS state, territory or military code, or a Canadian province or territory code.
US and Canadian codes never collide (CA is California; Canada's rules use the code CAN).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from functools import cache
from importlib import resources
from numbers import Real
from zoneinfo import available_timezones

import holidays
import zipcodes

CANADIAN_PROVINCES = frozenset(holidays.CA.subdivisions)
# US jurisdictions under the TCPA: the states, DC and the inhabited territories. The freely
# associated states (FM, MH, PW) have US ZIP codes but are not US jurisdictions.
_NOT_US = frozenset({"FM", "MH", "PW"})

_ZIP = re.compile(r"(\d{3,5})(?:-?\d{4})?")
# Canada Post: the first letter of a postal code names the province (X: NT or NU, see below).
_POSTAL = re.compile(r"([ABCEGHJ-NPRSTVXY])\d[ABCEGHJ-NPR-TV-Z](?:\s?\d[ABCEGHJ-NPR-TV-Z]\d)?")
_POSTAL_PROVINCES = {
    "A": "NL",
    "B": "NS",
    "C": "PE",
    "E": "NB",
    "G": "QC",
    "H": "QC",
    "J": "QC",
    "K": "ON",
    "L": "ON",
    "M": "ON",
    "N": "ON",
    "P": "ON",
    "R": "MB",
    "S": "SK",
    "T": "AB",
    "V": "BC",
    "X": "NT",
    "Y": "YT",
}
_NUNAVUT_AREAS = ("X0A", "X0B", "X0C")  # the forward sortation areas of Nunavut

ZIP_PLACES_FILE = "data/zip_places.csv"
ZONE_OVERRIDES_FILE = "data/zone_overrides.csv"
ZIP_ZONES_FILE = "data/zip_zones.csv"
FSA_ZONES_FILE = "data/fsa_zones.csv"
AREA_CODE_ZONES_FILE = "data/area_code_zones.csv"
EXCHANGE_ZONES_FILE = "data/exchange_zones.csv"


def zip_table_from_package() -> dict[str, tuple[str | None, str]]:
    """ZIP code -> (IANA zone or None, state), built from the `zipcodes` package.

    Zones the zone database does not know (the package has a few, e.g. blanks for military
    ZIPs) become None: that ZIP then adds a state but no zone. The package holds ~140 MB of
    records once loaded, so `python -m compliance.refresh_data` ships this table as a CSV and
    `zip_table` reads that instead.
    """
    known = available_timezones()
    return {
        entry["zip_code"]: (
            entry["timezone"] if entry["timezone"] in known else None,
            entry["state"],
        )
        for entry in zipcodes.list_all()
    }


def data_rows(name: str) -> list[list[str]]:
    """The rows of a shipped CSV under `compliance/`, without its "#" header and column names."""
    text = resources.files("compliance").joinpath(name).read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.reader(io.StringIO("\n".join(lines))))[1:]


@cache
def zip_table() -> dict[str, tuple[str | None, str]]:
    """ZIP code -> (IANA zone or None, state), from the shipped `data/zip_places.csv`.

    Example:
        >>> zip_table()["85001"]
        ('America/Phoenix', 'AZ')
    """
    return {code: (zone or None, state) for code, zone, state in data_rows(ZIP_PLACES_FILE)}


@cache
def zone_overrides() -> dict[str, frozenset[str]]:
    """ZIP code -> every zone its area can be in, where one zone per ZIP is wrong.

    From `data/zone_overrides.csv` (tribal land, federal boundary rules; see its header).

    Example:
        >>> sorted(zone_overrides()["86045"])
        ['America/Denver', 'America/Phoenix']
    """
    return {code: frozenset(zones.split(";")) for code, zones, *_ in data_rows(ZONE_OVERRIDES_FILE)}


@cache
def zip_zones() -> dict[str, frozenset[str]]:
    """ZIP code -> every zone its area touches, from the boundary polygons (`data/zip_zones.csv`).

    Example:
        >>> sorted(zip_zones()["32456"])  # Port St. Joe, Florida: the boundary is near
        ['America/Chicago', 'America/New_York']
    """
    # 42,000 ZIPs name a few hundred sets of zones: one set each, built once.
    sets: dict[str, frozenset[str]] = {}
    return {
        code: sets.get(zones) or sets.setdefault(zones, frozenset(zones.split(";")))
        for code, zones, _ in data_rows(ZIP_ZONES_FILE)
    }


@cache
def _zip_zone_sets() -> dict[str, frozenset[str]]:
    """ZIP code -> its override where there is one, else its boundary zones."""
    return {**zip_zones(), **zone_overrides()}


def zip_zone_set(code: str) -> frozenset[str]:
    """The zones of a ZIP code: its override, else its boundary zones, else none.

    Example:
        >>> sorted(zip_zone_set("89883")), sorted(zip_zone_set("75201"))  # 64 FR 56705; Dallas
        (['America/Denver'], ['America/Chicago'])
    """
    return _zip_zone_sets().get(code, frozenset())


@cache
def fsa_table() -> dict[str, frozenset[str]]:
    """Canadian postal prefix (FSA, district or letter) -> zones, from `data/fsa_zones.csv`."""
    return {prefix: frozenset(zones.split(";")) for prefix, zones, _ in data_rows(FSA_ZONES_FILE)}


def fsa_zone_set(fsa: str) -> frozenset[str] | None:
    """The zones of the longest listed prefix of a forward sortation area; None if unlisted.

    Example:
        >>> sorted(fsa_zone_set("M5V")), sorted(fsa_zone_set("S9V")), fsa_zone_set("V1W")
        (['America/Toronto'], ['America/Edmonton'], None)
    """
    table = fsa_table()
    return next((table[fsa[:n]] for n in (3, 2, 1) if fsa[:n] in table), None)


@cache
def state_zones() -> dict[str, tuple[str, ...]]:
    """US place -> every zone seen among its ZIP codes, the most common first.

    Example:
        >>> state_zones()["FL"]
        ('America/New_York', 'America/Chicago')
    """
    counts: dict[str, Counter[str]] = {}
    for code, (_, state) in zip_table().items():
        for zone in zip_zone_set(code):
            counts.setdefault(state, Counter())[zone] += 1
    return {
        state: tuple(zone for zone, _ in found.most_common()) for state, found in counts.items()
    }


@cache
def us_zones() -> frozenset[str]:
    """Every zone of a US state, DC or inhabited territory, Alaska and Hawaii included."""
    return frozenset(
        zone for state, zones in state_zones().items() if state not in _NOT_US for zone in zones
    )


@cache
def state_codes() -> tuple[str, ...]:
    """Every place code the data can name: US states, territories, military posts, provinces."""
    return tuple(
        sorted(
            set(holidays.US.subdivisions)
            | {state for _, state in zip_table().values()}
            | CANADIAN_PROVINCES
        )
    )


@cache
def canadian_places() -> frozenset[int]:
    """Indexes into `state_codes()` of the Canadian provinces and territories."""
    return frozenset(i for i, code in enumerate(state_codes()) if code in CANADIAN_PROVINCES)


@cache
def _state_lookup() -> dict[str, str]:
    lookup = {code.upper(): code for code in state_codes()}
    for country in (holidays.CA, holidays.US):  # US last: a US name wins a clash
        lookup.update({name.upper(): code for name, code in country.subdivisions_aliases.items()})
    return lookup


def normalise_state(value: object) -> str | None:
    """A USPS state or Canadian province code from a code or a name in any case, else None.

    Example:
        >>> normalise_state(" new york "), normalise_state("fl"), normalise_state("Ontario")
        ('NY', 'FL', 'ON')
    """
    if not isinstance(value, str):
        return None
    return _state_lookup().get(" ".join(value.split()).upper())


def normalise_zip(value: object) -> str | None:
    """The 5-digit ZIP code of a ZIP, ZIP+4 or number that lost its leading zeros.

    Example:
        >>> normalise_zip("10001-1234"), normalise_zip(2134.0), normalise_zip("n/a")
        ('10001', '02134', None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Real):
        value = float(value)
        if not math.isfinite(value) or not value.is_integer() or not 0 < value < 100_000:
            return None
        return f"{int(value):05d}"
    if not isinstance(value, str):
        return None
    match = _ZIP.fullmatch(value.strip())
    return match.group(1).zfill(5) if match else None


def canadian_fsa(value: object) -> str | None:
    """The forward sortation area (first three characters) of a Canadian postal code, else None.

    Example:
        >>> canadian_fsa("m5v 3l9"), canadian_fsa("V6B"), canadian_fsa("90210")
        ('M5V', 'V6B', None)
    """
    if not isinstance(value, str) or not _POSTAL.fullmatch(value.strip().upper()):
        return None
    return value.strip().upper()[:3]


def canadian_province(value: object) -> str | None:
    """The province of a Canadian postal code (or its first three characters), else None.

    Example:
        >>> canadian_province("m5v 3l9"), canadian_province("X0A 0H0"), canadian_province("90210")
        ('ON', 'NU', None)
    """
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    if not _POSTAL.fullmatch(text):
        return None
    return "NU" if text.startswith(_NUNAVUT_AREAS) else _POSTAL_PROVINCES[text[0]]
