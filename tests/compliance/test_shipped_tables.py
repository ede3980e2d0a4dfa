"""The shipped lookup tables agree with the packages they are built from."""

from compliance._phones import npa_states, npa_states_from_package
from compliance._zones import state_codes, zip_table, zip_table_from_package


def test_zip_table_matches_the_zipcodes_package():
    # If this fails after upgrading `zipcodes`, run `python -m compliance.refresh_data`.
    assert zip_table() == zip_table_from_package()


def test_area_code_states_match_the_geocoder():
    # If this fails after upgrading `phonenumbers`, run `python -m compliance.refresh_data`.
    shipped = {npa: state_codes()[i] for npa, i in enumerate(npa_states()) if i >= 0}
    assert shipped == npa_states_from_package()
    assert shipped[305] == "FL" and shipped[405] == "OK" and shipped[203] == "CT"
