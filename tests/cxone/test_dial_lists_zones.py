"""The platform's names of the time zones a NANP number or ZIP code can be in."""

import re
from pathlib import Path

import pytest

from cxone import time_zone_name


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        ("America/New_York", "Eastern Standard Time"),
        ("America/Indiana/Indianapolis", "Eastern Standard Time"),
        ("America/Chicago", "Central Standard Time"),
        ("America/Regina", "Canada Central Standard Time"),  # no summer time
        ("America/Denver", "Mountain Standard Time"),
        ("America/Phoenix", "US Mountain Standard Time"),  # no summer time
        ("America/Los_Angeles", "Pacific Standard Time"),
        ("America/Anchorage", "Alaskan Standard Time"),
        ("America/Adak", "Aleutian Standard Time"),
        ("Pacific/Honolulu", "Hawaiian Standard Time"),
        ("America/Puerto_Rico", "SA Western Standard Time"),
        ("America/Halifax", "Atlantic Standard Time"),
        ("America/St_Johns", "Newfoundland Standard Time"),
        ("Pacific/Guam", "West Pacific Standard Time"),
        ("Pacific/Pago_Pago", "UTC-11"),
        ("America/Atikokan", "SA Pacific Standard Time"),  # EST all year
        ("America/Whitehorse", "US Mountain Standard Time"),  # UTC-7 all year since 2020
        ("Pacific/Palau", "Tokyo Standard Time"),
        ("Pacific/Majuro", "UTC+12"),
    ],
)
def test_each_zone_has_the_platform_name_of_its_offset_and_summer_time(zone, name):
    assert time_zone_name(zone) == name


@pytest.mark.parametrize(
    ("zone", "message"),
    [("Europe/Paris", "no CXone time zone name is known for 'Europe/Paris'"),
     ("Eastern", "'Eastern' is not an IANA time zone")],
)  # fmt: skip
def test_a_zone_without_a_platform_name_is_named_in_the_error(zone, message):
    with pytest.raises(ValueError, match=message):
        time_zone_name(zone)


DATA = Path(__file__).parents[2] / "compliance" / "data"
ZONE = re.compile(r"\b(?:America|Pacific|Atlantic|Asia)/[A-Za-z_-]+(?:/[A-Za-z_-]+)?")


def test_every_zone_the_location_tables_give_has_a_platform_name():
    # A contact placed in a zone the platform cannot name would fail the whole upload.
    zones = {zone for path in DATA.glob("*.csv") for zone in ZONE.findall(path.read_text())}
    assert {"America/Atikokan", "America/Blanc-Sablon", "Pacific/Majuro"} <= zones
    unnamed = []
    for zone in sorted(zones):
        try:
            time_zone_name(zone)
        except ValueError:
            unnamed.append(zone)
    assert unnamed == []
