"""Rebuild the shipped lookup tables from the packages they come from.

    python -m compliance.refresh_data

`data/zip_places.csv` comes from the `zipcodes` package and `data/npa_states.csv` (area
code -> country and state or province) from libphonenumber's region data and geocoder. Both
packages take well over 100 MB each once loaded, which would count against every export;
the shipped CSVs hold only the columns the engine uses. A test fails when an installed
package no longer agrees with the shipped tables: run this then.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from ._phones import NPA_PLACES_FILE, npa_places_from_package
from ._zones import ZIP_PLACES_FILE, zip_table_from_package


def write_tables(directory: Path) -> None:
    """Write both tables into `directory`.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     write_tables(Path(tmp))
        ...     print((Path(tmp) / "npa_states.csv").read_text().splitlines()[:2])
        ['npa,country,place', '201,US,NJ']
    """
    with open(directory / Path(ZIP_PLACES_FILE).name, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["zip_code", "timezone", "state"])
        for code, (zone, state) in sorted(zip_table_from_package().items()):
            writer.writerow([code, zone or "", state])
    with open(directory / Path(NPA_PLACES_FILE).name, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["npa", "country", "place"])
        for npa, (country, place) in sorted(npa_places_from_package().items()):
            writer.writerow([npa, country, place])


if __name__ == "__main__":
    target = Path(str(resources.files("compliance").joinpath("data")))
    write_tables(target)
    print(f"wrote {ZIP_PLACES_FILE} and {NPA_PLACES_FILE} under {target.parent}")
