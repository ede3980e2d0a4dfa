"""Phone parsing agrees with libphonenumber; area-code states and ZIP zones are right."""

import collections

import numpy as np
import pandas as pd
import phonenumbers
import pytest
import zipcodes
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as phone_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

from compliance._phones import npa_states, parse_phones, zone_sets
from compliance._zones import state_codes, state_zones, zip_table

WHOLE_CONTINENT = set(TIMEZONE_DATA["1"])


def _library_view(national: int) -> tuple[bool, set[str]]:
    number = phonenumbers.PhoneNumber(country_code=1, national_number=national)
    if not phonenumbers.is_valid_number(number):
        return False, set()
    zones = set(phone_timezone.time_zones_for_number(number)) - {"Etc/Unknown"}
    return True, set() if zones >= WHOLE_CONTINENT else zones


def _assert_agrees(numbers: list[int]) -> None:
    phones = parse_phones(pd.Series([str(n) for n in numbers], dtype="str"))
    for i, national in enumerate(numbers):
        valid, zones = _library_view(national)
        assert phones.valid[i] == valid, national
        assert set(zone_sets()[phones.zone_set[i]]) == zones, national


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(2_000_000_000, 9_999_999_999), min_size=1, max_size=50))
def test_validity_and_zones_match_libphonenumber(numbers):
    _assert_agrees(numbers)


def test_every_exchange_with_its_own_zone_matches_libphonenumber():
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
        and state_codes()[npa_states()[npa]] != counter.most_common(1)[0][0]
    }

    assert disagree == {}
    assert (npa_states() >= 0).sum() > 330
    assert npa_states()[416] == -1  # Toronto is not a US state
    assert npa_states()[800] == -1


def test_zip_table_and_state_zones():
    table = zip_table()

    assert table["10001"] == ("America/New_York", "NY")
    assert table["96813"] == ("Pacific/Honolulu", "HI")
    assert table["00501"][1] == "NY"
    assert all(zone is None or "/" in zone for zone, _ in table.values())
    assert state_zones()["FL"] == {"America/New_York", "America/Chicago"}
    # The Navajo Nation keeps daylight saving time, the rest of Arizona does not.
    assert state_zones()["AZ"] == {"America/Phoenix", "America/Denver"}
    assert state_zones()["HI"] == {"Pacific/Honolulu"}
