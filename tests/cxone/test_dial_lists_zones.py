"""The platform's names of the time zones a NANP number or ZIP code can be in."""

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
