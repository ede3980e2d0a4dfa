"""Phone parsing agrees with libphonenumber; area-code states and ZIP zones are right."""

import collections
from zoneinfo import available_timezones

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import zipcodes
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as phone_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

from compliance._boundaries import canonical_zone
from compliance._phones import (
    CANADA,
    EXCHANGE,
    OTHER_COUNTRY,
    US,
    _patterns,
    npa_countries,
    npa_states,
    parse_phones,
    province_zones,
    zone_sets,
)
from compliance._zones import state_codes, state_zones, zip_table, zip_zone_set, zone_overrides

WHOLE_CONTINENT = set(TIMEZONE_DATA["1"])
TERRITORIES = ("PR", "GU", "VI", "AS", "MP")
DENVER, PHOENIX = "America/Denver", "America/Phoenix"


def _library_view(national: int) -> tuple[bool, set[str]]:
    number = phonenumbers.PhoneNumber(country_code=1, national_number=national)
    if not phonenumbers.is_valid_number(number):
        return False, set()
    zones = set(phone_timezone.time_zones_for_number(number)) - {"Etc/Unknown"}
    return True, set() if zones >= WHOLE_CONTINENT else zones


def _canonical(zones: set[str], country: str) -> set[str]:
    return {canonical_zone(zone, country) for zone in zones}


def _assert_agrees(numbers: list[int]) -> None:
    """Validity is libphonenumber's. Zones of a US or Canadian number: a verified exchange has
    its place's zone (checked
    against its source in test_location_truth); any other number has every zone of its area
    code, which covers every zone libphonenumber gives it (libphonenumber is one source of the
    area code's span, not the authority: issue 18). Other +1 countries are refused: no zone."""
    phones = parse_phones(pd.Series([str(n) for n in numbers], dtype="str"))
    for i, national in enumerate(numbers):
        valid, zones = _library_view(national)
        assert phones.valid[i] == valid, national
        found = set(zone_sets()[phones.zone_set[i]])
        if phones.country[i] not in (US, CANADA):  # refused as unsupported: no zone needed
            assert found == set(), national
        elif phones.zone_origin[i] == EXCHANGE:
            assert len(found) == 1, national
        else:
            country = "CA" if phones.country[i] == CANADA else "US"
            assert found >= _canonical(zones, country), national


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(2_000_000_000, 9_999_999_999), min_size=1, max_size=50))
def test_validity_matches_and_zones_cover_libphonenumber(numbers):
    _assert_agrees(numbers)


def test_every_exchange_libphonenumber_splits_is_covered():
    # Keys deeper than the area code are the split exchanges (208, 541, 850, 907 ...).
    prefixes = [key[1:] for key in TIMEZONE_DATA if key.startswith("1") and len(key) > 4]
    rng = np.random.default_rng(3)
    numbers = [
        int(prefix.ljust(6, "5")) * 10_000 + int(rng.integers(0, 10_000)) for prefix in prefixes
    ]

    _assert_agrees(numbers)


@pytest.mark.parametrize(
    ("phone", "zones"),
    [
        ("8504341234", {"America/Chicago"}),
        ("8506441234", {"America/New_York"}),
        ("8005550100", set()),
        ("5005550100", set()),
        ("9005550100", set()),
        ("8768761234", set()),  # Jamaica mobile: libphonenumber gives no place
    ],
)
def test_non_geographic_and_split_numbers(phone, zones):
    phones = parse_phones(pd.Series([phone]))

    assert phones.valid[0]
    assert set(zone_sets()[phones.zone_set[0]]) == zones == _library_view(int(phone))[1]


@pytest.mark.parametrize(
    ("state", "area_codes"),
    [
        (
            "FL",
            [
                239,
                305,
                321,
                324,
                352,
                386,
                407,
                448,
                561,
                645,
                656,
                689,
                727,
                728,
                754,
                772,
                786,
                813,
                850,
                863,
                904,
                941,
                954,
            ],
        ),
        ("OK", [405, 539, 572, 580, 918]),
        ("CT", [203, 475, 860, 959]),
        ("OR", [458, 503, 541, 971]),
        ("WA", [206, 253, 360, 425, 509, 564]),
        ("DC", [202, 771]),
        ("PR", [787, 939]),
    ],
)
def test_area_code_states(state, area_codes):
    found = {npa: state_codes()[npa_states()[npa]] for npa in area_codes}

    assert found == dict.fromkeys(area_codes, state)


def test_area_code_states_agree_with_zip_area_codes():
    # Independent source: the area codes the zipcodes package lists per ZIP.
    votes = collections.defaultdict(collections.Counter)
    for entry in zipcodes.list_all():
        for npa in entry["area_codes"] or ():
            votes[int(npa)][entry["state"]] += 1
    disagree = {
        npa: (state_codes()[npa_states()[npa]], counter.most_common(1)[0][0])
        for npa, counter in votes.items()
        if npa_states()[npa] >= 0
        and npa_countries()[npa] == US  # border ZIPs list Canadian area codes too
        and state_codes()[npa_states()[npa]] != counter.most_common(1)[0][0]
    }

    assert disagree == {}
    assert (npa_states() >= 0).sum() > 330
    assert state_codes()[npa_states()[416]] == "ON"  # Toronto: a province, not a state
    assert npa_countries()[416] == CANADA
    assert npa_states()[800] == -1 and npa_countries()[800] == US


@pytest.mark.parametrize(
    ("phone", "region"),
    [
        ("2127365000", "US"),
        ("7877221234", "PR"),
        ("6714771234", "GU"),
        ("4165551234", "CA"),
        ("6045551234", "CA"),
        ("8765551234", "JM"),
        ("2423221234", "BS"),
        ("8095551234", "DO"),
        ("8005550100", "US"),
    ],
)
def test_country_of_a_number_is_libphonenumbers_region(phone, region):
    phones = parse_phones(pd.Series([phone]))
    expected = {"CA": CANADA, "US": US, "PR": US, "GU": US}.get(region, OTHER_COUNTRY)

    assert phonenumbers.region_code_for_number(phonenumbers.parse("+1" + phone)) == region
    assert phones.country[0] == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(2_000_000_000, 9_999_999_999), min_size=1, max_size=50))
def test_countries_match_libphonenumber(numbers):
    phones = parse_phones(pd.Series([str(n) for n in numbers]))
    for i, national in enumerate(numbers):
        number = phonenumbers.PhoneNumber(country_code=1, national_number=national)
        if not phonenumbers.is_valid_number(number):
            continue
        region = phonenumbers.region_code_for_number(number)
        expected = {"US": US, "CA": CANADA, **dict.fromkeys(TERRITORIES, US)}.get(
            region, OTHER_COUNTRY
        )
        assert phones.country[i] == expected, national


def test_non_geographic_numbers_only_in_area_codes_without_a_place():
    # parse_phones tests the non-geographic patterns only where the area code names no place.
    numbers = np.arange(200, 1000)[:, None] * 10**7 + np.arange(200, 1000)[None, :] * 10**4
    for line in (0, 5555, 9999):
        text = pa.array((numbers.ravel() + line).astype(str))
        hits = pc.match_substring_regex(text, _patterns().non_geographic).to_numpy(False)
        npas = np.unique(numbers.ravel()[hits] // 10**7)
        assert (npa_states()[npas] < 0).all(), npas[npa_states()[npas] >= 0]


def test_canadian_provinces_have_zones():
    assert set(province_zones()) >= {"ON", "QC", "BC", "AB", "MB", "SK", "NS", "NB", "NL"}
    assert "America/St_Johns" in province_zones()["NL"]
    assert "America/Vancouver" in province_zones()["BC"]


def test_zip_table_and_state_zones():
    table = zip_table()

    assert table["10001"] == ("America/New_York", "NY")
    assert table["96813"] == ("Pacific/Honolulu", "HI")
    assert table["00501"][1] == "NY"
    assert all(zone is None or "/" in zone for zone, _ in table.values())
    assert state_zones()["FL"] == ("America/New_York", "America/Chicago")  # most ZIPs first
    # The Navajo Nation keeps daylight saving time, the rest of Arizona does not.
    assert set(state_zones()["AZ"]) == {"America/Phoenix", "America/Denver"}
    assert state_zones()["HI"] == ("Pacific/Honolulu",)


def test_every_navajo_zip_of_the_table_is_judged_in_both_arizona_zones():
    # The zipcodes package puts Navajo Nation ZIPs in Denver; each may reach Phoenix-time land.
    navajo = {
        code for code, (zone, state) in zip_table().items() if (zone, state) == (DENVER, "AZ")
    }

    assert len(navajo) >= 25
    assert all(zip_zone_set(code) == {DENVER, PHOENIX} for code in navajo)


@pytest.mark.parametrize(
    ("postal_code", "zones"),
    [
        ("86045", {DENVER, PHOENIX}),  # Tuba City (Navajo) and Moenkopi (Hopi)
        ("86039", {DENVER, PHOENIX}),  # Kykotsmovi (Hopi), bordering Navajo chapters
        ("86515", {DENVER, PHOENIX}),  # Window Rock
        ("86047", {DENVER, PHOENIX}),  # Winslow: Dilkon and other Navajo chapters
        ("85001", {PHOENIX}),  # Phoenix
        ("84536", {DENVER}),  # Monument Valley, Utah: Navajo, but Utah keeps DST too
        ("87313", {DENVER}),  # Crownpoint, New Mexico
    ],
)
def test_tribal_land_zips(postal_code, zones):
    assert zip_zone_set(postal_code) == zones


def test_zone_overrides_are_well_formed():
    # Tribal land in Arizona, and places a 49 CFR part 71 rule moved (West Wendover, Nevada).
    for code, zones in zone_overrides().items():
        assert code in zip_table() and zip_table()[code][1] in {"AZ", "NV"}
        assert zones <= available_timezones()


MESSY_PHONES = [
    "(212) 736-5000", "212.736.5000", "+1-212-736-5000", "12127365000", "2127365000",
    "+1 (212) 736-5000", "212/736/5000", "\t212 736 5000 ", "212-736-5000 x123",
    "212-736-5000 ext. 12", "2127365000#12", "+12127365000;ext=1", "1-800-FLOWERS",
    "212-SHOPNOW", "+44 20 7946 0958", "+52 55 1234 5678", "011 44 20 7946 0958",
    "+2 212 736 5000", "212-111-5000", "212-011-5000", "212-911-5000", "411-555-1234",
    "911", "212-555-0100", "212-555-1234", "555-1234", "(555) 555-5555", "800-555-0100",
    "(876) 555-1234", "(876) 927-1234", "(416) 555-0199", "(604) 681-1234", "(787) 555-1234",
    "(671) 555-1234", "(900) 555-1234", "(500) 555-1234", "(600) 555-1234", "(246) 521-0012",
    "(246) 521-1012", "(658) 295-0000", "(658) 296-0000", "0212736500", "1212736500",
    "112127365000", "++12127365000", "+1+2127365000", "1.21274E+10", "", " ", "n/a",
    "２１２７３６５０００", "212 736 50000", "21273650", "(212)) 736-5000", "+1 212 736 5000 1",
]  # fmt: skip


def _phonenumbers_reading(cell: object) -> phonenumbers.PhoneNumber | None:
    """The per-cell reading with `phonenumbers`: separators dropped, an optional leading 1
    or +1, ten digits that make a valid +1 number."""
    import re

    text = re.sub(r"[ \t().\-/]", "", cell) if isinstance(cell, str) else ""
    text = re.sub(r"^\+?1(?=[0-9]{10}$)", "", text)
    if not re.fullmatch(r"[0-9]{10}", text):  # ASCII digits: full-width ones are no number
        return None
    number = phonenumbers.parse("+1" + text)
    return number if phonenumbers.is_valid_number(number) else None


_PLACED_TYPES = (phonenumbers.PhoneNumberType.FIXED_LINE,
                 phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)  # fmt: skip


def test_the_exchange_cache_reads_messy_cells_as_phonenumbers_does():
    rng = np.random.default_rng(9)
    randoms = [f"{n:010d}" for n in rng.integers(2_000_000_000, 10_000_000_000, 3000)]
    cells = [*MESSY_PHONES, *randoms, *(f"+1 {r}" for r in randoms[:300])]
    phones = parse_phones(pd.Series(cells, dtype="str"))
    for i, cell in enumerate(cells):
        number = _phonenumbers_reading(cell)
        assert phones.valid[i] == (number is not None), cell
        assert phones.national[i] == (number.national_number if number else 0), cell
        if number is not None:
            placed = phonenumbers.number_type(number) in _PLACED_TYPES
            assert (phones.zone_set[i] > 0) == (placed and phones.country[i] != OTHER_COUNTRY)


def _regex_reading(cell: str) -> int | None:
    """Ten ASCII digits after dropping separators and an optional 1 or +1, else None."""
    import re

    found = re.fullmatch(r"(?:\+?1)?([0-9]{10})", re.sub(r"[ \t().\-/]", "", cell))
    return int(found.group(1)) if found else None


def test_cells_of_every_length_read_as_the_regex_does():
    """Cells up to the byte window and past it (the general pass), with separators, padding,
    "+", letters and multi-byte characters anywhere, and their neighbours of any length."""
    from compliance._phones import _WINDOW, _read_numbers

    rng = np.random.default_rng(14)
    pieces = np.array(list("0123456789" * 6 + " \t().-/+1" * 2 + "x#é２"))
    cells = []
    for length in range(0, _WINDOW + 8):
        for _ in range(300):
            cells.append("".join(rng.choice(pieces, length)))
            digits = "".join(rng.choice(list("0123456789"), 10))
            prefix = rng.choice(["", "1", "+1", "+ 1", "1-", "(1)", "2", "+"])
            cuts = sorted(rng.choice(11, rng.integers(0, 5)))
            spaced = "".join(
                rng.choice(list(" \t().-/")) * int(rng.integers(1, 3)) + digits[a:b]
                for a, b in zip([0, *cuts], [*cuts, 10], strict=True)
            )
            cells.append(prefix + spaced + " " * int(rng.integers(0, 4)))
    text = pa.array([*cells, None], pa.large_string())
    shaped, kept, numbers = _read_numbers(text)
    wanted = [_regex_reading(cell) for cell in cells]
    assert any(
        len(cell.encode()) > _WINDOW and found for cell, found in zip(cells, wanted, strict=True)
    )
    assert sum(found is not None for found in wanted) > 1000
    for i, (cell, found) in enumerate(zip(cells, wanted, strict=True)):
        assert shaped[i] == (found is not None), cell
        assert numbers[i] == (found or 0), cell
        if found is not None:
            assert bytes(kept[i, -10:]).decode() == f"{found:010d}", cell
    assert not shaped[-1] and numbers[-1] == 0


def test_the_exchange_cache_agrees_with_the_patterns_on_every_number():
    """The cached flags (one judgement per exchange) equal the patterns run on each number,
    also for numbers of one exchange that differ only in their last digits."""
    from compliance._phones import _GEOGRAPHIC, _VALID, _exchange_flags, _judged

    rng = np.random.default_rng(10)
    exchanges = rng.integers(200_000_0, 1_000_000_0, 400)  # NPA-NXX-X
    numbers = (exchanges[:, None] * 1000 + rng.integers(0, 1000, (400, 6))).ravel()
    numbers = np.concatenate([numbers, [2465210012, 2465211012, 6582950000, 6582960000]])
    text = pa.array([f"{n:010d}" for n in numbers], pa.string())
    valid, geographic = _judged(text, np.ones(len(numbers), dtype=bool))
    flags = _exchange_flags(numbers)
    assert np.array_equal(flags & _VALID > 0, valid)
    assert np.array_equal(flags & _GEOGRAPHIC > 0, geographic & valid)
    assert valid.any() and (~valid).any() and (valid & ~geographic).any()


@pytest.mark.parametrize(
    ("pattern", "free"),
    [
        (r"^(?:1\d{4}|2[0-4]\d\d)$", 2),
        (r"^(?:(?:1|2)\d{3})$", 3),
        (r"^[2-9]\d{2}[0-9]{4}$", 6),
        (r"^(?:12[3-5]\d\d|3\d*)$", 0),  # an open repeat: no digit is trusted free
        (r"^12345$", 0),
    ],
)
def test_the_free_trailing_digits_of_a_pattern(pattern, free):
    import importlib

    from compliance._phones import _free_tail

    parser, sre = (importlib.import_module(f"re._{name}") for name in ("parser", "constants"))
    assert _free_tail(list(parser.parse(pattern)), sre)[0] == free


def test_without_the_exchange_cache_every_number_is_read_alike(monkeypatch):
    from compliance import _phones

    rng = np.random.default_rng(12)
    randoms = [f"{n:010d}" for n in rng.integers(2_000_000_000, 10_000_000_000, 2000)]
    cells = pd.Series([*MESSY_PHONES, *randoms], dtype="str")
    cached = parse_phones(cells)
    monkeypatch.setattr(_phones, "_decisive_digits", lambda: 10)  # patterns deeper than 7
    direct = parse_phones(cells)
    for name in ("valid", "country", "zone_set", "zone_origin", "npa_state", "national"):
        assert np.array_equal(getattr(cached, name), getattr(direct, name)), name
    assert cached.e164.equals(direct.e164)


def test_loaded_tables_say_of_every_zip_what_its_own_key_says():
    """`load_tables` resolves every ZIP ahead of the contacts (a flow loads them while it
    talks to the platform): each ZIP's entry says exactly what the ZIP's own key says."""
    from compliance import load_tables
    from compliance._inputs import zip_codes
    from compliance._places import _zip_said, postal, said

    load_tables()
    table = _zip_said()
    codes = zip_codes().to_pylist()
    assert len(table) == len(codes) > 40_000
    assert [said(int(i)) for i in table] == [postal("Z:" + code) for code in codes]


_NUMBERING_RACE = """
import threading, time
from compliance import _places
from compliance._inputs import zip_codes

class Slow(list):  # appends that let other threads run first: the race's window, wide
    def append(self, item):
        time.sleep(0.0001)
        super().append(item)

_places._SAID_LIST = Slow()
codes = zip_codes().to_pylist()
threads = [
    threading.Thread(target=lambda part=part: [_places.postal_id("Z:" + c) for c in part])
    for part in (codes[0::2], codes[1::2], codes[::-1])
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(60)
said, numbers = _places._SAID_LIST, _places._SAID
assert len(set(said)) == len(said), "a thing said numbered twice"
assert all(numbers[thing] == n for n, thing in enumerate(said)), "a number taken twice"
assert all(said[_places.postal_id("Z:" + c)] == _places.postal("Z:" + c) for c in codes)
print("numbered", len(said))
"""


def test_threads_meeting_new_postal_codes_at_once_number_each_thing_said_once():
    """What postal codes say is numbered once per process; the reference tables load in a
    thread beside evaluations, so two threads meeting new things at once must not take the
    same number (a ZIP would then read as another's zones and place). In a fresh process:
    the numbering is the process's own."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _NUMBERING_RACE], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("numbered ")
