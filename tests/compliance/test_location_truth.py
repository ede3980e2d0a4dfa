"""Location truth (issue 18): the zones a number and a postal code can really be in.

Cases written from the statutes and the boundaries, in both directions: calls the law forbids
that the general-purpose tables allowed, and legal calls that taking a declared state or
province whole blocked. Then the data: every area code spanning two zones is listed, every
verified exchange agrees with its source, every row cites one.
"""

import collections
import csv
import io
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import zipcodes
from phonenumbers.tzdata import TIMEZONE_DATA

from compliance._boundaries import PLACE_MARGIN_KM, canonical_zone, place_zones, zones_near
from compliance._phones import CANADA, library_zone_sets, npa_countries, npa_states
from compliance._zones import (
    AREA_CODE_ZONES_FILE,
    EXCHANGE_ZONES_FILE,
    FSA_ZONES_FILE,
    ZIP_ZONES_FILE,
    data_rows,
    fsa_zone_set,
    state_codes,
    zip_zone_set,
)

ANCHORAGE, ADAK = "America/Anchorage", "America/Adak"
NEW_YORK, CHICAGO, DENVER = "America/New_York", "America/Chicago", "America/Denver"
MST_ALL_YEAR = "America/Whitehorse"  # Yukon, Creston, Dawson Creek, Fort St. John, Fort Nelson
TORONTO, WINNIPEG, EDMONTON, REGINA = (
    "America/Toronto",
    "America/Winnipeg",
    "America/Edmonton",
    "America/Regina",
)


def _blocked(phone, postal_code, state, at, next_at, zones, name):
    """A call the law forbids: outside the calling hours at `at`, callable again at `next_at`."""
    return pytest.param(phone, postal_code, state, at, next_at, zones, id=name)


# phone, postal code, state, instant, next_callable_at, zones
ILLEGAL_CALLS_ALLOWED_BEFORE = [
    # Unalaska keeps Alaska time; libphonenumber put 907-581 in Hawaii time.
    _blocked("9075811234", None, None, "2026-12-01T06:30Z", "2026-12-01T17:00Z", {ANCHORAGE},
             "907-581-unalaska-2130-akst"),
    # Yukon keeps UTC-7 all year since 2020 (not Vancouver's PST): 21:45 there, 20:45 PST.
    _blocked("8676681234", None, None, "2026-12-01T04:45Z", "2026-12-01T16:00Z", {MST_ALL_YEAR},
             "867-668-whitehorse-2145"),
    _blocked("8679931234", None, None, "2026-12-01T04:45Z", "2026-12-01T16:00Z", {MST_ALL_YEAR},
             "867-993-dawson-city-2145"),
    # Creston and the Peace River keep MST all year: 08:30 there when Edmonton is at 09:30.
    _blocked("2504281234", None, None, "2026-07-02T15:30Z", "2026-07-02T16:00Z", {MST_ALL_YEAR},
             "250-428-creston-summer-0830"),
    _blocked("2507821234", None, None, "2026-07-02T15:30Z", "2026-07-02T16:00Z", {MST_ALL_YEAR},
             "250-782-dawson-creek-summer-0830"),
    _blocked("2507851234", None, None, "2026-07-02T15:30Z", "2026-07-02T16:00Z", {MST_ALL_YEAR},
             "250-785-fort-st-john-summer-0830"),
    _blocked("2507741234", None, None, "2026-07-02T15:30Z", "2026-07-02T16:00Z", {MST_ALL_YEAR},
             "250-774-fort-nelson-summer-0830"),
    # Lloydminster keeps Alberta time: 08:15 there at Regina's 09:15. Not verified (the
    # geocoder's "Lloydminster, SK" is a GeoNames place of Alberta): every zone of area code 306.
    _blocked("3068251234", None, None, "2026-12-01T15:15Z", "2026-12-01T16:00Z",
             {EDMONTON, REGINA, WINNIPEG}, "306-825-lloydminster-0815"),
    # Atikokan keeps EST all year: 08:15 there at Toronto's 09:15 EDT (not verified: near a
    # boundary, so every zone of 807).
    _blocked("8075971234", None, None, "2026-07-01T13:15Z", "2026-07-01T14:00Z",
             {"America/Atikokan", TORONTO, WINNIPEG}, "807-597-atikokan-0815"),
    # Port St. Joe is Eastern: 20:30 there, past Florida's 20:00, at Central 19:30.
    _blocked("8502291234", None, None, "2026-12-01T01:30Z", "2026-12-01T14:00Z",
             {CHICAGO, NEW_YORK}, "850-229-port-st-joe-2030-est"),
    # Fort Pierre is Central (49 CFR 71.7(b)): 21:30 there at Mountain 20:30.
    _blocked("6052231234", None, None, "2026-12-01T03:30Z", "2026-12-01T16:00Z",
             {CHICAGO, DENVER}, "605-223-fort-pierre-2130-cst"),
    # West Wendover moved to Mountain time in 1999 (64 FR 56705): 21:30 MST, 20:30 PST.
    _blocked("8005550100", "89883", None, "2026-12-01T04:30Z", "2026-12-01T16:00Z", {DENVER},
             "zip-89883-west-wendover-2130-mst"),
    # Puerto Rico: Law 210-2003 (10 L.P.R.A. 4033), 09:00-21:00.
    _blocked("7877221234", None, None, "2026-12-01T12:30Z", "2026-12-01T13:00Z",
             {"America/Puerto_Rico"}, "puerto-rico-0830"),
    # A declared state that contradicts the ZIP still adds its zones (and its rules).
    _blocked("2145551234", "10001", "TX", "2026-12-01T15:00Z", "2026-12-01T16:00Z",
             {CHICAGO, DENVER, NEW_YORK}, "tx-declared-new-york-zip"),
]  # fmt: skip

LEGAL_CALLS_BLOCKED_BEFORE = [
    # A declared state that agrees with the ZIP no longer adds its other zones.
    pytest.param(
        "2145551234", "75201", "TX", "2026-12-01T15:00Z", {CHICAGO}, id="dallas-0900-not-el-paso"
    ),
    pytest.param(
        "3172321234", "46204", "IN", "2026-12-01T13:00Z", {NEW_YORK}, id="indianapolis-0800"
    ),
    pytest.param("6152561234", "37203", "TN", "2026-12-01T02:30Z", {CHICAGO}, id="nashville-2030"),
    pytest.param("3055771234", "33101", "FL", "2026-12-01T13:00Z", {NEW_YORK}, id="miami-0800"),
    pytest.param("3132241234", "48201", "MI", "2026-12-01T13:00Z", {NEW_YORK}, id="detroit-0800"),
    pytest.param(
        "5024541234", "40202", "KY", "2026-12-01T15:00Z", {NEW_YORK}, id="louisville-1000"
    ),
    pytest.param("4023441234", "68102", "NE", "2026-12-01T14:00Z", {CHICAGO}, id="omaha-0800"),
    pytest.param("7852321234", "66603", "KS", "2026-12-01T14:00Z", {CHICAGO}, id="topeka-0800"),
    pytest.param("7012221234", "58501", "ND", "2026-12-01T14:00Z", {CHICAGO}, id="bismarck-0800"),
    pytest.param(
        "6053361234", "57104", "SD", "2026-12-01T15:00Z", {CHICAGO}, id="sioux-falls-0900"
    ),
    pytest.param("2083451234", "83702", "ID", "2026-12-01T15:00Z", {DENVER}, id="boise-0800"),
    pytest.param(
        "5032291234", "97201", "OR", "2026-12-01T03:30Z", {"America/Los_Angeles"},
        id="portland-1930",
    ),
    pytest.param(
        "9072691234", "99501", "AK", "2026-12-01T17:00Z", {ANCHORAGE}, id="anchorage-0800"
    ),
    pytest.param(
        "6022531234", "85001", "AZ", "2026-07-02T03:30Z", {"America/Phoenix"},
        id="phoenix-summer-2030",
    ),
    # A Canadian postal code is judged in its FSA's zones, not every zone of the province.
    pytest.param("4165551234", "M5V 3L9", "ON", "2026-12-01T14:15Z", {TORONTO}, id="toronto-m5v"),
    pytest.param(
        "6045551234", "V6B 1A1", "BC", "2026-12-01T05:15Z", {"America/Vancouver"},
        id="vancouver-v6b-2115",
    ),
]  # fmt: skip


def _row(judge, at, phone, postal_code, state):
    extra = {k: v for k, v in (("postal_code", postal_code), ("state", state)) if v}
    return judge(at, phone=phone, **extra)


@pytest.mark.parametrize(
    ("phone", "postal_code", "state", "at", "next_at", "zones"), ILLEGAL_CALLS_ALLOWED_BEFORE
)
def test_calls_the_law_forbids_are_blocked(judge, phone, postal_code, state, at, next_at, zones):
    row = _row(judge, at, phone, postal_code, state)

    assert (row.reason, set(row.time_zones.split(";"))) == ("outside_calling_hours", zones)
    assert row.next_callable_at == pd.Timestamp(next_at)


@pytest.mark.parametrize(
    ("phone", "postal_code", "state", "at", "zones"), LEGAL_CALLS_BLOCKED_BEFORE
)
def test_legal_calls_are_allowed(judge, phone, postal_code, state, at, zones):
    row = _row(judge, at, phone, postal_code, state)

    assert (row.reason, set(row.time_zones.split(";"))) == ("ok", zones)


@pytest.mark.parametrize(
    ("postal_code", "zones"),
    [
        ("M5V 3L9", {TORONTO}),  # downtown Toronto
        ("V6B", {"America/Vancouver"}),  # downtown Vancouver (the V6 district row)
        ("S9V 0A1", {EDMONTON}),  # Lloydminster, Saskatchewan side: Alberta time
        ("T5J", {EDMONTON}),
        ("P9N", {WINNIPEG}),  # Kenora
        ("X0A", {TORONTO, WINNIPEG}),  # Baffin and Kivalliq: a rural FSA spanning two zones
        ("V1W", {EDMONTON, MST_ALL_YEAR, "America/Vancouver"}),  # unlisted: the province
    ],
)
def test_canadian_postal_codes_take_their_fsas_zones(judge, postal_code, zones):
    row = judge("2026-12-01T18:00Z", phone="8005550100", postal_code=postal_code)

    assert set(row.time_zones.split(";")) == zones


def test_an_unlisted_fsa_is_judged_in_every_zone_of_its_province():
    assert fsa_zone_set("V1W") is None  # Kelowna: not in the postal-code data
    assert fsa_zone_set("M9Z") == {TORONTO}  # the whole M district is in Toronto


# --- The data ---


def _table(name: str) -> tuple[list[str], list[list[str]]]:
    text = resources.files("compliance").joinpath(name).read_text("utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    return header, list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "name", [ZIP_ZONES_FILE, FSA_ZONES_FILE, AREA_CODE_ZONES_FILE, EXCHANGE_ZONES_FILE]
)
def test_derived_tables_name_their_sources_and_date_and_every_row_a_source(name):
    header, _ = _table(name)
    rows = data_rows(name)

    assert "python -m compliance.refresh_data" in " ".join(header)
    assert "timezonefinder" in header[-1] and "derived 20" in header[-1]
    assert rows and all(row[-1] for row in rows)


def _area_codes() -> dict[int, frozenset[str]]:
    return {
        int(npa): frozenset(zones.split(";")) for npa, zones, _ in data_rows(AREA_CODE_ZONES_FILE)
    }


def test_every_area_code_spanning_two_zones_is_listed_with_all_of_them():
    # Derived independently of the shipped area-code table: the zones of the ZIPs of its state
    # that list it (zipcodes package, shipped ZIP zones) and libphonenumber's zones of its
    # exchanges. Every zone found must be among the area code's.
    found: dict[int, set[str]] = collections.defaultdict(set)
    for entry in zipcodes.list_all():
        for npa in map(int, entry["area_codes"] or ()):
            if npa_states()[npa] >= 0 and state_codes()[npa_states()[npa]] == entry["state"]:
                found[npa] |= zip_zone_set(entry["zip_code"])
    table, sets = library_zone_sets()
    for npa in np.flatnonzero(npa_countries() > 0):
        country = "CA" if npa_countries()[npa] == CANADA else "US"
        for set_id in np.unique(table[npa * 1000 : npa * 1000 + 1000]):
            found[int(npa)] |= {canonical_zone(zone, country) for zone in sets[set_id]}
    spans = _area_codes()

    spanning = {npa for npa, zones in found.items() if len(zones) > 1}
    assert len(spanning) >= 25
    assert {npa for npa in spanning if not found[npa] <= spans.get(npa, frozenset())} == set()
    for npa in (907, 850, 605, 250, 306, 807, 867, 208, 541, 812, 701, 915):
        assert len(spans[npa]) >= 2, npa
    assert spans[212] == {NEW_YORK} and spans[416] == {TORONTO}


def test_overlays_span_what_they_overlay():
    spans = _area_codes()

    assert spans[778] == spans[250] | spans[604]  # British Columbia: Creston, the Peace River
    assert spans[639] == spans[474] == spans[306]  # Saskatchewan: Lloydminster, Creighton
    assert spans[647] == spans[416] == {TORONTO}


# The named Canadian exchanges: the place, its zone, and the GeoNames point the chain uses.
VERIFIED = {
    "907-581": ("Unalaska, AK", ANCHORAGE, None),
    "867-668": ("Whitehorse, YT", MST_ALL_YEAR, (60.71611, -135.05375)),
    "250-428": ("Creston, BC", MST_ALL_YEAR, (49.09987, -116.50211)),
    "250-782": ("Dawson Creek, BC", MST_ALL_YEAR, (55.75984, -120.24030)),
    "250-785": ("Fort St. John, BC", MST_ALL_YEAR, (56.24988, -120.85292)),
    "250-774": ("Fort Nelson, BC", MST_ALL_YEAR, (58.80530, -122.69724)),
    "867-993": ("Dawson, YT", MST_ALL_YEAR, (64.06013, -139.43328)),
}


def test_verified_exchanges_agree_with_their_source():
    # The chain again for the named exchanges and a sample of the US rows: geocoder place ->
    # zipcodes points (US) or the GeoNames point (Canada, given above: loading GeoNames takes
    # seconds) -> the polygons' zones within the margin.
    rows = {
        exchange: (zones, place) for exchange, zones, place, _ in data_rows(EXCHANGE_ZONES_FILE)
    }
    spans = _area_codes()
    us_rows = sorted(key for key in rows if npa_countries()[int(key[:3])] != CANADA)
    sample = {"907-581", *np.random.default_rng(18).choice(us_rows, 25, replace=False)}

    for exchange, (place, zone, point) in VERIFIED.items():
        assert rows[exchange] == (zone, place), exchange
        if point is not None:
            assert zones_near([point], PLACE_MARGIN_KM, "CA") == {zone}, exchange
    for exchange in sample:
        zones, place = rows[exchange]
        assert place_zones(place, "US")[0] == {zones}, exchange
    assert all(len(spans[int(exchange[:3])]) > 1 for exchange in rows)


def test_a_verified_exchange_is_where_libphonenumber_splits_too():
    # The deepest keys of libphonenumber's own data for the named exchanges disagree with the
    # boundaries: the reason these rows exist.
    assert TIMEZONE_DATA.get("1907581") != (ANCHORAGE,)
    assert set(TIMEZONE_DATA["1867"]) != {MST_ALL_YEAR}


def test_zip_zones_come_from_the_boundaries_with_overrides_on_top():
    assert zip_zone_set("75201") == {CHICAGO}  # Dallas
    assert zip_zone_set("79901") == {DENVER}  # El Paso
    assert zip_zone_set("32456") == {CHICAGO, NEW_YORK}  # Port St. Joe: near the boundary
    assert zip_zone_set("89883") == {DENVER}  # zone_overrides.csv: 64 FR 56705
    assert zip_zone_set("30301") == {NEW_YORK}  # Georgia: a margin never crosses a state line
    assert zip_zone_set("00901") == {"America/Puerto_Rico"}
    assert zip_zone_set("96799") == {"Pacific/Pago_Pago"}


def test_the_rules_command_says_where_each_zone_comes_from():
    from compliance.rules import describe_contact

    text = describe_contact("(907) 581-1234", "99685", "AK")
    assert "exchange 907-581, verified (Unalaska, AK" in text
    assert "ZIP 99685, boundaries" in text and "state AK: not added" in text
    text = describe_contact("3068251234", "S9V 1A1", "AB")
    assert "area code 306, every zone it spans" in text
    assert "fsa_zones.csv row S9V" in text and "state AB: America/Edmonton <- every zone" in text
    assert "every zone of BC" in describe_contact(postal_code="V1W 1A1")  # unlisted FSA
