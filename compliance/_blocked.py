"""Numbers and persons that are do-not-call or revoked on some row of a list, for every row.

The law protects a number and a person, not a row: a number that is DNC on one row is DNC on
every row that carries it, in whatever format it is written, and likewise for a `person_id`.
One hop only: a row's own DNC or revocation blocks its number and its person; the rows it
blocks that way block nothing further.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from ._inputs import group_keys, is_dnc, is_revoked, per_distinct
from ._phones import national_numbers
from ._policy import REASONS

# What blocks a key, as the index of its reason: the lower wins (DNC before revocation).
DNC = REASONS.index("dnc")
REVOKED = REASONS.index("consent_revoked")
CLEAR = np.iinfo(np.int8).max  # nothing blocks the row or key
# Keys held before they are merged: bounds the builder's memory on top of the blocked keys.
_MERGE_KEYS = 1_000_000
_FILTER_BITS = 22


def own_blocks(contacts: pd.DataFrame) -> np.ndarray:
    """Per row: DNC or REVOKED when the row's own cells say so (DNC first), else CLEAR.

    Example:
        >>> frame = pd.DataFrame({"dnc": [True, False, "yes"], "consent_revoked_at": [
        ...     None, "2026-01-01", "2026-01-01"]})
        >>> own_blocks(frame).tolist() == [DNC, REVOKED, DNC]
        True
    """
    n = len(contacts)
    dnc = per_distinct(contacts.get("dnc"), n, is_dnc, False, bool)
    revoked = per_distinct(contacts.get("consent_revoked_at"), n, is_revoked, False, bool)
    return np.where(dnc, DNC, np.where(revoked, REVOKED, CLEAR)).astype(np.int8)


def group_blocks(codes: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Per row: what blocks its group (dense codes, -1 for none) on any of the group's rows.

    Example:
        >>> group_blocks(np.array([0, 0, 1, -1]), np.array([CLEAR, DNC, CLEAR, DNC])).tolist()
        [2, 2, 127, 127]
    """
    if not len(codes):
        return np.full(0, CLEAR, dtype=np.int8)
    table = np.full(int(codes.max()) + 1, CLEAR, dtype=np.int8)
    chosen = (codes >= 0) & (own != CLEAR)
    np.minimum.at(table, codes[chosen], own[chosen])
    return np.where(codes >= 0, np.append(table, CLEAR)[codes], CLEAR).astype(np.int8)


def _merged(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys of the parts, each with the strongest (lowest) reason given it."""
    keys = np.concatenate([part[0] for part in parts])
    reasons = np.concatenate([part[1] for part in parts])
    order = np.lexsort((reasons, keys))
    keys, reasons = keys[order], reasons[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first], reasons[first]


class _Keys:
    """Blocked keys of one kind, added chunk by chunk and merged now and then."""

    def __init__(self, dtype: type) -> None:
        self.keys: np.ndarray = np.zeros(0, dtype=dtype)
        self.reasons = np.zeros(0, dtype=np.int8)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._held = 0

    def add(self, keys: np.ndarray, reasons: np.ndarray) -> None:
        chosen = (keys != 0) & (reasons != CLEAR)  # key 0: no number, no person
        self._pending.append((keys[chosen].astype(self.keys.dtype), reasons[chosen]))
        self._held += int(chosen.sum())
        if self._held > max(_MERGE_KEYS, len(self.keys)):
            self.merge()

    def merge(self) -> tuple[np.ndarray, np.ndarray]:
        if self._pending:
            self.keys, self.reasons = _merged([(self.keys, self.reasons), *self._pending])
            self._pending, self._held = [], 0
        return self.keys, self.reasons


def _lookup(keys: np.ndarray, reasons: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Per wanted key: its reason, CLEAR when it is not blocked.

    Most keys are not blocked: a table of the blocked keys' low bits (32-64 slots per key, at
    most 4 MB) rules them out with one gather, and only the few left are searched.
    """
    found = np.full(len(wanted), CLEAR, dtype=np.int8)
    if not len(keys) or not len(wanted):
        return found
    mask = (1 << min(len(keys).bit_length() + 5, _FILTER_BITS)) - 1
    slots = np.zeros(mask + 1, dtype=bool)
    slots[(keys & mask).astype(np.intp)] = True
    maybe = np.flatnonzero(slots[(wanted & mask).astype(np.intp)])
    at = np.minimum(np.searchsorted(keys, wanted[maybe]), len(keys) - 1)
    hit = keys[at] == wanted[maybe]
    found[maybe[hit]] = reasons[at[hit]]
    return found


def number_blocks(numbers: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Per row: what blocks its number (`national_numbers`; 0: none) on any row of the frame.

    Example:
        >>> number_blocks(np.array([5, 5, 0]), np.array([REVOKED, CLEAR, DNC])).tolist()
        [3, 3, 127]
    """
    blocked = _Keys(np.int64)
    blocked.add(numbers, own)
    return _lookup(*blocked.merge(), numbers)


class BlockedBuilder:
    """Collects a list's blocked numbers and persons chunk by chunk (`Blocked.builder()`)."""

    def __init__(self) -> None:
        self._numbers = _Keys(np.int64)
        self._persons = _Keys(np.uint64)

    def add(self, frame: pd.DataFrame, numbers: np.ndarray | None = None) -> None:
        """Add one chunk of the list.

        Args:
            frame: The chunk, with some of `Blocked.COLUMNS`.
            numbers: `national_numbers(frame["phone"])` when already computed; else only the
                chunk's DNC and revoked rows are parsed.
        """
        own = own_blocks(frame)
        rows = np.flatnonzero(own != CLEAR)
        if not len(rows):
            return
        if "phone" in frame.columns:
            found = (
                national_numbers(frame["phone"].iloc[rows]) if numbers is None else numbers[rows]
            )
            self._numbers.add(found, own[rows])
        if "person_id" in frame.columns:
            self._persons.add(group_keys(frame["person_id"].iloc[rows]), own[rows])

    def build(self) -> Blocked:
        """The blocked keys of every chunk added."""
        return Blocked(*self._numbers.merge(), *self._persons.merge())


@dataclass(frozen=True)
class Blocked:
    """A whole list's DNC and revoked numbers and persons, for evaluating it one chunk at a time.

    `evaluate` spreads a number's or a person's DNC or revocation over the rows of the frame
    it is given, so a number whose rows fall into different chunks would be missed.
    `Blocked.tally` reads the list once (only `COLUMNS` are needed); passed to each chunk's
    evaluation as `blocked=`, it blocks every row of the number or person, exactly as one
    evaluation of the whole list would.

    Only blocked keys are kept, as sorted arrays: numbers as their ten digits (int64),
    persons as the 64-bit hash of their id (`group_keys`), each with its reason (the index in
    `REASONS` of "dnc" or "consent_revoked"; DNC wins). Two ids with the same hash would
    block each other, which only suppresses more.

    Example:
        >>> chunks = [pd.DataFrame({"phone": ["(212) 736-5803"], "dnc": [True]}),
        ...           pd.DataFrame({"phone": ["+12127365803", "2127365804"], "dnc": [False] * 2})]
        >>> blocked = Blocked.tally(chunks)
        >>> blocked.numbers.tolist(), [REASONS[r] for r in blocked.number_reasons]
        ([2127365803], ['dnc'])
    """

    COLUMNS: ClassVar[tuple[str, ...]] = ("phone", "dnc", "consent_revoked_at", "person_id")
    numbers: np.ndarray  # sorted int64 national numbers
    number_reasons: np.ndarray  # int8 index into REASONS, per number
    persons: np.ndarray  # sorted uint64 person keys
    person_reasons: np.ndarray  # int8 index into REASONS, per person

    @staticmethod
    def builder() -> BlockedBuilder:
        """An empty builder: `add` each chunk, then `build`."""
        return BlockedBuilder()

    @classmethod
    def tally(cls, frames: Iterable[pd.DataFrame]) -> Blocked:
        """Collect the blocked numbers and persons of `frames`, the chunks of one list.

        Args:
            frames: Chunks holding (some of) `COLUMNS`, the same ones in every chunk.

        Returns:
            The keys to pass to `evaluate` or `evaluate_day` as `blocked=`.
        """
        builder = cls.builder()
        for frame in frames:
            builder.add(frame)
        return builder.build()

    def of_numbers(self, numbers: np.ndarray) -> np.ndarray:
        """Per row: the reason blocking its number (`national_numbers`), CLEAR when none."""
        return _lookup(self.numbers, self.number_reasons, numbers)

    def of_persons(self, keys: np.ndarray) -> np.ndarray:
        """Per row: the reason blocking its person (`group_keys`), CLEAR when none."""
        return _lookup(self.persons, self.person_reasons, keys)
