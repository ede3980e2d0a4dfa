"""Frequency caps: the campaign's per contact, the states' per person and subject.

FL, MD and OK count calls to one person on one subject "regardless of the number used". With
a `person_id` column a person's attempts are summed over all their rows (numbers); with a
`subject` column only rows of the same subject are summed, and a row without a subject
counts towards every subject of its person (it may be any of them). Rows without a person
count alone, as do all rows when the column is absent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, cast

import numpy as np
import pandas as pd

from ._inputs import attempt_count, group_keys, instant_ns, per_distinct

DAY_NS = 24 * 3600 * 1_000_000_000
WEEK_NS = 7 * DAY_NS
NAT = np.iinfo(np.int64).min


def _group_sum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per row: the sum of `values` over its group (groups >= 0)."""
    return cast(np.ndarray, np.bincount(groups, weights=values)[groups])


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


def row_attempts(contacts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """Each row's own attempts in the last 24 hours, and its last attempt (ns; None: no column).

    Example:
        >>> counts, last = row_attempts(pd.DataFrame({"attempts_24h": ["2", None, "x"]}))
        >>> counts.tolist(), last
        ([2.0, 0.0, inf], None)
    """
    n = len(contacts)
    counts = per_distinct(contacts.get("attempts_24h"), n, attempt_count, 0.0, float)
    last = contacts.get("last_attempt_at")
    return counts, None if last is None else per_distinct(last, n, instant_ns, NAT, np.int64)


def _pair_keys(person: np.ndarray, subject: np.ndarray) -> np.ndarray:
    """One key per (person, subject) from their two keys (wrapping 64-bit arithmetic)."""
    with np.errstate(over="ignore"):
        return cast(np.ndarray, person * np.uint64(0x9E3779B97F4A7C15) ^ subject)


# Rows held before they are merged into the table: bounds the tally's memory on top of it.
_MERGE_ROWS = 1_000_000


class _KeyTable:
    """Per distinct key: sums of some values and the latest of some instants.

    Rows are added chunk by chunk and merged now and then, so the table holds one entry per
    key plus at most `_MERGE_ROWS` (or the table's size) rows waiting to be merged.
    """

    def __init__(self, sums: int, latest: int):
        self.keys = np.zeros(0, np.uint64)
        # Float sums: `np.bincount` with weights gives float64 (its stubs say intp).
        self.sums: list[np.ndarray] = [np.zeros(0) for _ in range(sums)]
        self.latest: list[np.ndarray] = [np.zeros(0, np.int64) for _ in range(latest)]
        self._pending: list[tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]] = []

    def add(self, keys: np.ndarray, sums: list[np.ndarray], latest: list[np.ndarray]) -> None:
        self._pending.append((keys, sums, latest))
        if sum(len(part[0]) for part in self._pending) > max(_MERGE_ROWS, len(self.keys)):
            self.merge()

    def merge(self) -> None:
        parts = [(self.keys, self.sums, self.latest), *self._pending]
        keys, inverse = np.unique(np.concatenate([part[0] for part in parts]), return_inverse=True)
        self.sums = [
            np.bincount(
                inverse, weights=np.concatenate([part[1][i] for part in parts]), minlength=len(keys)
            )
            for i in range(len(self.sums))
        ]
        latest = []
        for i in range(len(self.latest)):
            latest.append(np.full(len(keys), NAT, dtype=np.int64))
            np.maximum.at(latest[i], inverse, np.concatenate([part[2][i] for part in parts]))
        self.keys, self.latest, self._pending = keys, latest, []

    def lookup(self, wanted: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per wanted key: its sums (0 when absent) and latest instants (NaT when absent)."""
        at = np.minimum(np.searchsorted(self.keys, wanted), max(len(self.keys) - 1, 0))
        found = self.keys[at] == wanted if len(self.keys) else np.zeros(len(wanted), bool)
        return (
            [np.where(found, values[at] if len(values) else 0.0, 0.0) for values in self.sums],
            [np.where(found, values[at] if len(values) else NAT, NAT) for values in self.latest],
        )


@dataclass(frozen=True)
class PersonAttempts:
    """A whole list's attempts per person, for evaluating the list one chunk at a time.

    `evaluate` sums a person's attempts over the rows of the frame it is given, so a person
    whose numbers fall into different chunks would be under-counted. `PersonAttempts.tally`
    reads the list once (only `COLUMNS` are needed); passed to each chunk's evaluation as
    `people=`, it makes the state caps count every row of the person, exactly as one
    evaluation of the whole list would (`person_totals` and `latest_per_person`).

    Persons and subjects are keyed by a 64-bit hash of their text, and only persons with
    attempts or a last attempt are kept: a few words each. Two ids with the same hash would
    count as one person, which only adds attempts (a stricter cap, a later lift).

    Example:
        >>> chunks = [pd.DataFrame({"person_id": ["p1", "p2"], "attempts_24h": [2, 0]}),
        ...           pd.DataFrame({"person_id": ["p1"], "attempts_24h": [1]})]
        >>> people = PersonAttempts.tally(chunks)
        >>> people.totals(chunks[1], np.array([1.0]), None)[0].tolist()
        [3.0]
    """

    COLUMNS: ClassVar[tuple[str, ...]] = ("person_id", "subject", "attempts_24h", "last_attempt_at")
    persons: _KeyTable  # sums: all the person's rows, their rows without a subject; latest
    pairs: _KeyTable  # (person, subject): sums of the pair's rows

    @classmethod
    def tally(cls, frames: Iterable[pd.DataFrame]) -> PersonAttempts:
        """Total the attempts of every person over `frames`, the chunks of one list.

        Args:
            frames: Chunks holding (some of) `COLUMNS`, the same ones in every chunk.

        Returns:
            The totals to pass to `evaluate` or `evaluate_day` as `people=`.
        """
        persons, pairs = _KeyTable(sums=2, latest=1), _KeyTable(sums=1, latest=0)
        for frame in frames:
            person = group_keys(frame.get("person_id"))
            if person is None:
                continue
            counts, last = row_attempts(frame)
            last = np.full(len(frame), NAT) if last is None else last
            subject = group_keys(frame.get("subject"))
            own = np.zeros(len(frame), bool) if subject is None else subject != 0
            # A person without attempts or a last attempt adds nothing: an absent key reads 0.
            kept = (person != 0) & ((counts > 0) | (last != NAT))
            persons.add(
                person[kept], [counts[kept], np.where(own, 0.0, counts)[kept]], [last[kept]]
            )
            if subject is not None:
                paired = kept & own & (counts > 0)
                pairs.add(_pair_keys(person[paired], subject[paired]), [counts[paired]], [])
        persons.merge()
        pairs.merge()
        return cls(persons, pairs)

    def totals(
        self, contacts: pd.DataFrame, counts: np.ndarray, last: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Per row of one chunk: its person's attempts and latest attempt over the whole list.

        Args:
            contacts: The chunk.
            counts: Each row's own attempts in the last 24 hours (see `row_attempts`).
            last: Each row's own last attempt (ns), None without the column.

        Returns:
            What `person_totals` and `latest_per_person` give for the rows of the whole list.
        """
        person = group_keys(contacts.get("person_id"))
        if person is None:
            return counts, last
        has = person != 0
        (everyone, no_subject), (latest,) = self.persons.lookup(person)
        totals = np.where(has, everyone, counts)
        subject = group_keys(contacts.get("subject"))
        if subject is not None:
            (same,), _ = self.pairs.lookup(_pair_keys(person, subject))
            totals = np.where(has & (subject != 0), same + no_subject, totals)
        if last is None:
            return totals, None
        return totals, np.where(has, np.maximum(latest, last), last)
