"""Suppression report, the 8-day horizon, documentation examples, and import isolation."""

import doctest
import importlib
import pkgutil
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

import compliance
from compliance._rules import Rule
from compliance._windows import GRID_MINUTES, CallingGrid, Status


def test_suppression_report_counts_by_reason_and_state():
    contacts = pd.DataFrame(
        {
            "contact_id": list("abcdef"),
            # Two Miami numbers: a number DNC on one row would be DNC on every row of it.
            "phone": ["2127365000", "3055771235", "bad", "3055771234", "8005550100", "2127365000"],
            "consent_call": [True, None, True, True, True, True],
            "dnc": [False, False, False, True, False, False],
            "state": [None, None, "TX", None, None, "NJ"],
        }
    )
    evaluated = compliance.evaluate(contacts, pd.Timestamp("2026-11-30T18:00Z"))

    report = compliance.suppression_report(evaluated)

    assert report == [
        {"reason": "invalid_phone", "state": "ALL", "contacts": 1},
        {"reason": "dnc", "state": "ALL", "contacts": 1},
        {"reason": "no_consent", "state": "ALL", "contacts": 1},
        {"reason": "unknown_timezone", "state": "ALL", "contacts": 1},
        {"reason": "invalid_phone", "state": "TX", "contacts": 1},
        {"reason": "dnc", "state": "FL", "contacts": 1},
        {"reason": "no_consent", "state": "FL", "contacts": 1},
        {"reason": "unknown_timezone", "state": "unknown", "contacts": 1},
    ]
    assert (
        sum(row["contacts"] for row in report if row["state"] == "ALL")
        == (~evaluated["dialable"]).sum()
    )


def test_suppression_report_of_an_all_dialable_frame_is_empty():
    contacts = pd.DataFrame({"contact_id": ["a"], "phone": ["2127365000"], "consent_call": [1]})
    evaluated = compliance.evaluate(contacts, pd.Timestamp("2026-11-30T18:00Z"))

    assert compliance.suppression_report(evaluated) == []


def test_no_allowed_minute_within_eight_days_gives_none():
    grid = CallingGrid(pd.Timestamp("2026-11-30T18:00Z"))
    closed_week = Rule("CLOSED", "XX", week=(None,) * 7)
    not_yet = Rule("LATER", "XX", week=(None,) * 7, effective=date(2027, 1, 1))

    assert grid.judge(frozenset({"America/New_York"}), (closed_week,)) == (
        Status.RESTRICTED_DAY,
        -1,
    )
    assert grid.judge(frozenset({"America/New_York"}), (not_yet,)) == (Status.OK, 0)
    assert GRID_MINUTES == 8 * 24 * 60


@pytest.mark.parametrize(
    "module",
    sorted(f"compliance.{info.name}" for info in pkgutil.iter_modules(compliance.__path__)),
)
def test_documentation_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))

    assert result.attempted > 0
    assert result.failed == 0


def test_compliance_imports_neither_prefect_nor_the_api_client():
    code = (
        "import sys, compliance, pandas as pd;"
        "compliance.evaluate(pd.DataFrame({'contact_id': ['a'], 'phone': ['2127365000']}),"
        " pd.Timestamp('2026-11-30T18:00Z'));"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'prefect', 'cxone'}];"
        "assert not bad, bad"
    )

    subprocess.run([sys.executable, "-c", code], check=True)
