"""Offline geography: ZIP code -> (zone, state), state -> zones, state names -> codes."""

from __future__ import annotations

import csv
import io
import math
import re
from functools import cache
from importlib import resources
from numbers import Real
from zoneinfo import available_timezones

import holidays
import zipcodes

# Judged instead of an unknown zone when the policy does not block unknown zones.
CONTIGUOUS_US_ZONES = frozenset(
    {
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
    }
)

_ZIP = re.compile(r"(\d{3,5})(?:-?\d{4})?")


ZIP_PLACES_FILE = "data/zip_places.csv"


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


@cache
def zip_table() -> dict[str, tuple[str | None, str]]:
    """ZIP code -> (IANA zone or None, state), from the shipped `data/zip_places.csv`.

    Example:
        >>> zip_table()["85001"]
        ('America/Phoenix', 'AZ')
    """
    rows = csv.reader(
        io.StringIO(resources.files("compliance").joinpath(ZIP_PLACES_FILE).read_text("utf-8"))
    )
    next(rows)  # header
    return {code: (zone or None, state) for code, zone, state in rows}


@cache
def zip_zones() -> tuple[str, ...]:
    """The distinct zones of the ZIP table, sorted."""
    return tuple(sorted({zone for zone, _ in zip_table().values() if zone}))


@cache
def state_zones() -> dict[str, frozenset[str]]:
    """State -> every zone seen among its ZIP codes (e.g. FL -> New_York and Chicago)."""
    zones: dict[str, set[str]] = {}
    for zone, state in zip_table().values():
        if zone is not None:
            zones.setdefault(state, set()).add(zone)
    return {state: frozenset(found) for state, found in zones.items()}


@cache
def state_codes() -> tuple[str, ...]:
    """Every state, territory and military-post code that the data can name, sorted."""
    return tuple(
        sorted(set(holidays.US.subdivisions) | {state for _, state in zip_table().values()})
    )


@cache
def _state_lookup() -> dict[str, str]:
    lookup = {code.upper(): code for code in state_codes()}
    lookup.update({name.upper(): code for name, code in holidays.US.subdivisions_aliases.items()})
    return lookup


def normalise_state(value: object) -> str | None:
    """A USPS state code from a code or a name in any case, else None.

    Example:
        >>> normalise_state(" new york "), normalise_state("fl"), normalise_state(7)
        ('NY', 'FL', None)
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
