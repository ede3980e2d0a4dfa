"""The shipped prefix table: its runs, its file, and when the engine trusts it."""

import numpy as np
import pandas as pd
import pytest

from compliance import _phones
from compliance._prefixes import fill, patterns_digest, read_text, runs, write_text


@pytest.mark.parametrize(
    "values",
    [[0], [3, 3, 3], [0, 6, 6, 2, 2, 0], [1, 2, 3, 4], [7, 0, 7, 0, 0, 7]],
)
def test_runs_fill_back_to_the_table(values):
    flags = np.array(values, dtype=np.uint8)
    starts, kinds = runs(flags)
    assert starts[0] == 0 and (np.diff(starts) > 0).all()
    assert (kinds[1:] != kinds[:-1]).all()  # a run ends where the value changes
    table = np.full(len(flags), 99, dtype=np.uint8)
    fill(table, starts, kinds)
    assert table.tolist() == values


def test_the_file_text_reads_back():
    flags = np.array([0, 0, 6, 6, 2, 0], dtype=np.uint8)
    starts, kinds = runs(flags)
    meta = {"digits": "7", "patterns": "abc", "phonenumbers": "9.0.43"}
    text = write_text(starts, kinds & 2 > 0, kinds & 4 > 0, meta)
    found, rows = read_text(text)
    assert found == meta
    assert rows.tolist() == [[0, 0, 0], [2, 1, 1], [4, 1, 0], [5, 0, 0]]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("first_prefix,valid,geographic\n1,1,1\n", "start at prefix 0"),
        ("first_prefix,valid,geographic\n0,1,1\n5,0,0\n5,1,0\n", "increase"),
        ("first_prefix,valid,geographic\n0,1\n", "three integers"),
        ("first_prefix,valid,geographic\n0,yes,1\n", "three integers"),
        ("first_prefix,valid,geographic\n", "start at prefix 0"),
    ],
)
def test_a_damaged_file_is_refused_by_name(rows, problem):
    with pytest.raises(ValueError, match=problem) as raised:
        read_text("# digits: 7\n" + rows)
    assert "number_prefixes.csv" in str(raised.value)


def test_the_shipped_table_is_used_only_with_the_patterns_it_was_judged_by(monkeypatch):
    assert _phones.shipped_prefix_kinds() is not None  # the installed patterns: trusted
    meta = _phones.patterns_meta()
    # A `phonenumbers` release with other patterns:
    upgraded = {**meta, "patterns": patterns_digest(["^other$"])}
    monkeypatch.setattr(_phones, "patterns_meta", lambda: upgraded)
    assert _phones.shipped_prefix_kinds() is None
    _phones._exchange_table.cache_clear()
    try:
        assert not _phones._exchange_table().any()  # nothing known: judged as numbers come
        phones = _phones.parse_phones(pd.Series(["(850) 434-1234", "+1 800 555 0100"]))
        assert phones.valid.tolist() == [True, True]
        assert np.count_nonzero(_phones._exchange_table()) == 2
    finally:
        _phones._exchange_table.cache_clear()


def test_a_fresh_table_knows_every_prefix_from_the_file():
    _phones._exchange_table.cache_clear()
    try:
        table = _phones._exchange_table()
        assert (table & _phones._KNOWN).all()
        shipped = _phones.shipped_prefix_kinds()
        assert shipped is not None
        starts, flags = shipped
        assert table[starts].tolist() == (flags | _phones._KNOWN).tolist()
    finally:
        _phones._exchange_table.cache_clear()
