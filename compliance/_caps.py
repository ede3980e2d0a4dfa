"""Frequency caps: the campaign's per contact, the states' per person and subject.

FL, MD and OK count calls to one person on one subject "regardless of the number used". With
a `person_id` column a person's attempts are summed over all their rows (numbers); with a
`subject` column only rows of the same subject are summed, and a row without a subject
counts towards every subject of its person (it may be any of them). Rows without a person
count alone, as do all rows when the column is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _group_sum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per row: the sum of `values` over its group (groups >= 0)."""
    return np.bincount(groups, weights=values)[groups]


def person_totals(
    counts: np.ndarray, person: np.ndarray | None, subject: np.ndarray | None
) -> np.ndarray:
    """Attempts per row summed over the row's person and subject (see the module docstring).

    Example:
        >>> counts = np.array([1.0, 2.0, 1.0, 5.0])
        >>> person_totals(counts, np.array([0, 0, 0, -1]), np.array([0, 1, -1, 0])).tolist()
        [2.0, 3.0, 4.0, 5.0]
    """
    if person is None:
        return counts
    has = person >= 0
    totals = counts.copy()
    if not has.any():
        return totals
    everyone = _group_sum(counts[has], person[has])
    if subject is None:
        totals[has] = everyone
        return totals
    own = subject[has] >= 0
    pairs = pd.factorize(person[has] * (int(subject.max()) + 2) + subject[has] + 1)[0]
    persons = person[has]
    unknown_subject = np.bincount(
        persons, weights=np.where(own, 0.0, counts[has]), minlength=int(persons.max()) + 1
    )[persons]
    same_subject = _group_sum(np.where(own, counts[has], 0.0), pairs)
    totals[has] = np.where(own, same_subject + unknown_subject, everyone)
    return totals


def judge_caps(
    row_24h: np.ndarray,
    row_7d: np.ndarray,
    person_24h: np.ndarray,
    policy_24h: int,
    policy_7d: int,
    state_24h: np.ndarray,
) -> np.ndarray:
    """Which rows are capped: the campaign's caps on the row's counts, the states' on the person's.

    Example:
        >>> judge_caps(np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([1.0, 3.0]),
        ...            2, 3, np.array([9.0, 3.0])).tolist()
        [False, True]
    """
    return (row_24h >= policy_24h) | (person_24h >= state_24h) | (row_7d >= policy_7d)
