"""The shipped lookup tables agree with the packages they are built from."""

from compliance._phones import CANADA, US, npa_countries, npa_places_from_package, npa_states
from compliance._zones import state_codes, zip_table, zip_table_from_package


def test_zip_table_matches_the_zipcodes_package():
    # If this fails after upgrading `zipcodes`, run `python -m compliance.refresh_data`.
    assert zip_table() == zip_table_from_package()


def test_area_code_places_match_the_geocoder():
    # If this fails after upgrading `phonenumbers`, run `python -m compliance.refresh_data`.
    derived = npa_places_from_package()
    shipped = {npa: state_codes()[i] for npa, i in enumerate(npa_states()) if i >= 0}
    assert shipped == {
        npa: place for npa, (_, place) in derived.items() if place and ";" not in place
    }
    assert shipped[305] == "FL" and shipped[405] == "OK" and shipped[604] == "BC"
    countries = {US: "US", CANADA: "CA"}
    assert {
        npa: countries.get(int(code), "other") for npa, code in enumerate(npa_countries()) if code
    } == {
        npa: country if country in ("US", "CA") else "other"
        for npa, (country, _) in derived.items()
    }


def test_number_prefixes_match_the_patterns():
    # If this fails after upgrading `phonenumbers`, run `python -m compliance.refresh_data`
    # (until then the engine ignores the file and judges each exchange as it comes).
    from importlib import resources

    from compliance._phones import prefix_kinds_text

    shipped = resources.files("compliance").joinpath("data/number_prefixes.csv").read_text()
    assert shipped == prefix_kinds_text()
