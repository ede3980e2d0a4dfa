"""`python -m compliance.rules`: the rules in force for a place and a date, for review."""

import subprocess
import sys
from datetime import date

import pytest

from compliance.rules import describe, main


def test_lists_country_and_state_rules_with_citations():
    text = describe("tx", date(2026, 11, 29))

    assert text.splitlines()[0] == "Calling rules for TX on Sunday 2026-11-29"
    assert "US-FED" in text and "47 CFR 64.1200(c)(1)" in text
    assert "12:00-21:00" in text and "Tex. Bus. & Com. Code 301.051" in text


def test_a_province_gets_the_crtc_rules_not_the_us_window():
    text = describe("British Columbia", date(2026, 8, 3))

    assert "CAN-CRTC" in text and "US-FED" not in text
    assert "2026-08-03 IS CLOSED under this rule" in text  # British Columbia Day


def test_rules_not_yet_in_force_are_listed_apart():
    before, after = describe("PA", date(2026, 10, 1)), describe("PA", date(2026, 11, 1))

    assert before.index("PA-SB992") > before.index("Not yet in force on this date:")
    assert "Not yet in force" not in after
    assert "UNVERIFIED, BLOCKED" in after


def test_closed_days_of_the_year_are_shown():
    text = describe("UT", date(2026, 6, 15))

    assert "06-15" in text and "2026-06-15 IS CLOSED under this rule" in text


def test_unknown_place_is_a_clear_error():
    with pytest.raises(ValueError, match="'Atlantis' is not a US state"):
        describe("Atlantis", date(2026, 1, 1))
    with pytest.raises(SystemExit):
        main(["Atlantis"])


def test_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "compliance.rules", "CA", "--date", "2026-11-30"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "CA-ADAD" in done.stdout and "America/Los_Angeles" in done.stdout
