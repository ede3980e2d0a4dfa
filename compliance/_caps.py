"""Frequency caps: the campaign's per contact, the states' per person and subject.

FL, MD and OK count calls to one person on one subject "regardless of the number used". With
a `person_id` column a person's attempts are summed over all their rows (numbers); with a
`subject` column only rows of the same subject are summed, and a row without a subject
counts towards every subject of its person (it may be any of them). Rows without a person
count alone, as do all rows when the column is absent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY_NS = 24 * 3600 * 1_000_000_000
WEEK_NS = 7 * DAY_NS
NAT = np.iinfo(np.int64).min


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


def latest_per_person(instants: np.ndarray, person: np.ndarray | None) -> np.ndarray:
    """Per row: the latest instant (ns) among its person's rows; NaT stays NaT alone."""
    if person is None or not (person >= 0).any():
        return instants
    has = (person >= 0) & (instants != NAT)
    latest = np.full(int(person.max()) + 1, NAT, dtype=np.int64)
    np.maximum.at(latest, person[has], instants[has])
    return np.where(person >= 0, np.maximum(latest[np.maximum(person, 0)], instants), instants)


@dataclass(frozen=True)
class Caps:
    """Which rows are capped, and from when the cap lifts (ns; NaT when not known)."""

    capped: np.ndarray
    lifts_at: np.ndarray


def judge_caps(
    row_24h: np.ndarray,
    row_7d: np.ndarray,
    person_24h: np.ndarray,
    policy_24h: int,
    policy_7d: int,
    state_24h: np.ndarray,
    last_attempt: np.ndarray | None,
) -> Caps:
    """Apply the campaign's caps to the row's counts and the states' to the person's.

    The cap lifts when the count can drop below it: 24 h after the last attempt for a
    24-hour cap, 7 days after it for the 7-day cap (conservative: earlier attempts in the
    window are older, so the count is below the cap by then at the latest).

    Example:
        >>> caps = judge_caps(np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([1.0, 3.0]),
        ...                   2, 3, np.array([9.0, 3.0]), np.array([0, 60_000_000_000]))
        >>> caps.capped.tolist(), int(caps.lifts_at[1] // DAY_NS), caps.lifts_at[0] == NAT
        ([False, True], 1, np.True_)
    """
    over_24h = (row_24h >= policy_24h) | (person_24h >= state_24h)
    over_7d = row_7d >= policy_7d
    capped = over_24h | over_7d
    if last_attempt is None:
        return Caps(capped, np.full(len(capped), NAT, dtype=np.int64))
    known = capped & (last_attempt != NAT)
    lifts = np.where(over_7d, last_attempt + WEEK_NS, last_attempt + DAY_NS)
    return Caps(capped, np.where(known, lifts, NAT))
