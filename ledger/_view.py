"""What the attempts ledger says about numbers, as arrays the dial-list engine can use.

A `LedgerView` holds, for every number called in the last seven days, its attempts in the
last 24 hours and 7 days and its last attempt, and every number that opted out or revoked
consent: sorted arrays, a few bytes per number. `adjust` makes a chunk of contacts say what
the ledger knows: the larger count wins, the later attempt wins, an opt-out is a DNC flag and
a revocation a revocation time. The contact file's own cells stay as they came in the output
files; only the evaluation sees the adjusted columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NAT = np.iinfo(np.int64).min
# Opt-out kinds: a "do not call" disposition on a call, or a revocation (any other channel).
OPTED_OUT, REVOKED = 1, 2


def _lookup(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index of each wanted key in the sorted `keys`, -1 when absent (or 0, no number)."""
    if not len(keys):
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where((keys[at] == wanted) & (wanted > 0), at, -1)


def _cells(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A writable copy of a column's cells as objects (None where the column is absent)."""
    if column not in frame:
        return np.full(len(frame), None, dtype=object)
    return np.array(frame[column].astype(object).to_numpy(), dtype=object, copy=True)


def _counts(cells: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The file's counts as numbers (NaN when blank or absent) and which cells are odd
    (not blank, not a number: the engine holds them over every cap, so they are kept)."""
    if cells is None:
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    text = cells.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
    return numbers, ~blank & np.isnan(numbers)


@dataclass(frozen=True)
class LedgerView:
    """The ledger at one instant.

    Attributes:
        at: The instant the counts are for (UTC nanoseconds).
        numbers: Numbers called in the last 7 days (ten digits as int64), sorted.
        day: Their attempts in the 24 hours before `at`.
        week: Their attempts in the 7 days before `at`.
        last: Their last attempt (UTC nanoseconds).
        opted_out: Numbers that opted out or revoked consent, sorted.
        kinds: `OPTED_OUT` or `REVOKED` for each (a revocation wins).
        since: When each opted out (UTC nanoseconds).

    Example:
        >>> view = LedgerView.of(
        ...     pd.Timestamp("2026-12-05T16:00Z"),
        ...     attempts=[(2125550101, "2026-12-05T14:00Z"), (2125550101, "2026-12-05T15:00Z")],
        ...     optouts=[(2125550102, "2026-12-05T15:30Z", REVOKED)])
        >>> frame = pd.DataFrame({"phone": ["(212) 555-0101", "212-555-0102"],
        ...                       "attempts_24h": ["1", "0"]})
        >>> adjusted, notes = view.adjust(frame, np.array([2125550101, 2125550102]))
        >>> adjusted["attempts_24h"].tolist(), adjusted["consent_revoked_at"].iloc[1]
        ([2.0, 0.0], '2026-12-05T15:30:00Z')
        >>> print(notes.detail(0), notes.detail(1), sep="\\n")
        2 call(s) to this number in the last 24 hours, per the ledger
        consent revoked, per the attempts ledger, at 2026-12-05T15:30:00Z
    """

    at: int
    numbers: np.ndarray
    day: np.ndarray
    week: np.ndarray
    last: np.ndarray
    opted_out: np.ndarray
    kinds: np.ndarray
    since: np.ndarray

    @classmethod
    def of(
        cls,
        at: pd.Timestamp,
        attempts: list[tuple[int, str]],
        optouts: list[tuple[int, str, int]] = (),  # type: ignore[assignment]
    ) -> LedgerView:
        """A view from plain (number, instant) attempts and (number, instant, kind) opt-outs."""
        at_ns = pd.Timestamp(at).tz_convert("UTC").value
        numbers = np.array([a[0] for a in attempts], dtype=np.int64)
        when = np.array([pd.Timestamp(a[1]).value for a in attempts], dtype=np.int64)
        return cls.from_arrays(
            at_ns,
            numbers,
            when,
            np.array([o[0] for o in optouts], dtype=np.int64),
            np.array([pd.Timestamp(o[1]).value for o in optouts], dtype=np.int64),
            np.array([o[2] for o in optouts], dtype=np.int8),
        )

    @classmethod
    def from_arrays(
        cls,
        at: int,
        numbers: np.ndarray,
        when: np.ndarray,
        optout_numbers: np.ndarray,
        optout_when: np.ndarray,
        optout_kinds: np.ndarray,
    ) -> LedgerView:
        """Aggregate raw attempts (number, instant ns) and opt-outs into a view at `at`."""
        day_ago, week_ago = at - 86_400 * 10**9, at - 7 * 86_400 * 10**9
        recent = (when > week_ago) & (when <= at)
        keys, inverse = np.unique(numbers[recent], return_inverse=True)
        in_day = (when[recent] > day_ago).astype(np.int64)
        day = np.bincount(inverse, weights=in_day, minlength=len(keys)).astype(np.int32)
        week = np.bincount(inverse, minlength=len(keys)).astype(np.int32)
        last = np.full(len(keys), NAT, dtype=np.int64)
        np.maximum.at(last, inverse, when[recent])
        return cls.from_counts(at, keys, day, week, last, optout_numbers, optout_when, optout_kinds)

    @classmethod
    def from_counts(
        cls,
        at: int,
        numbers: np.ndarray,
        day: np.ndarray,
        week: np.ndarray,
        last: np.ndarray,
        optout_numbers: np.ndarray,
        optout_when: np.ndarray,
        optout_kinds: np.ndarray,
    ) -> LedgerView:
        """A view from per-number counts (sorted by number) and raw opt-outs."""
        # One entry per opted-out number: a revocation wins over an opt-out, then the earliest.
        order = np.lexsort((optout_when, -optout_kinds.astype(np.int64), optout_numbers))
        sorted_numbers = optout_numbers[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = sorted_numbers[1:] != sorted_numbers[:-1]
        chosen = order[first]
        return cls(
            at, numbers.astype(np.int64), day.astype(np.int32), week.astype(np.int32),
            last.astype(np.int64), optout_numbers[chosen], optout_kinds[chosen].astype(np.int8),
            optout_when[chosen],
        )  # fmt: skip

    @property
    def size(self) -> int:
        """Numbers the view holds (called, or opted out)."""
        return len(self.numbers) + len(self.opted_out)

    def adjust(self, frame: pd.DataFrame, numbers: np.ndarray) -> tuple[pd.DataFrame, Notes]:
        """The chunk as the ledger knows it, and what the ledger says of each row.

        Args:
            frame: Contacts, with whatever attempt and consent columns the file has.
            numbers: Each row's ten-digit number (0 when it has none).

        Returns:
            A copy with `attempts_24h`, `attempts_7d` (numbers: the larger of the file's and
            the ledger's; a cell that is no count stays over every cap), `last_attempt_at`
            (the later), `dnc` ("true" for an opt-out on a call) and `consent_revoked_at`
            (the revocation's time); and the `Notes` the details are made from.
        """
        n = len(frame)
        at = _lookup(self.numbers, numbers)
        called = at >= 0
        out = _lookup(self.opted_out, numbers)
        held = out >= 0
        notes = Notes(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int8), np.full(n, NAT))
        if not called.any() and not held.any():
            return frame, notes
        adjusted = frame.copy()
        slot = np.maximum(at, 0)
        for column, counts in (("attempts_24h", self.day), ("attempts_7d", self.week)):
            ledger = np.where(called, counts[slot], 0).astype(float)
            file_counts, odd = _counts(frame.get(column), n)
            base = np.nan_to_num(file_counts, nan=0.0)
            larger = called & ~odd & (ledger > base)
            # Numbers, not text: few distinct values for the engine, and no string per row.
            adjusted[column] = np.where(odd, np.inf, np.where(larger, ledger, file_counts))
            if column == "attempts_24h":
                notes.calls[larger] = ledger[larger].astype(np.int64)
        last = np.where(called, self.last[slot], NAT)
        filed = frame.get("last_attempt_at")
        file_last = (
            pd.to_datetime(filed, utc=True, errors="coerce", format="ISO8601")
            .to_numpy(dtype="datetime64[ns]").astype(np.int64)
            if filed is not None
            else np.full(n, NAT, dtype=np.int64)
        )  # fmt: skip
        later = called & (last > file_last)
        if later.any():
            cells = _cells(frame, "last_attempt_at")
            cells[later] = _isos(last[later])
            adjusted["last_attempt_at"] = cells
        if held.any():
            kinds, since = self.kinds[out[held]], self.since[out[held]]
            notes.kind[held], notes.at[held] = kinds, since
            dnc, revoked = _cells(adjusted, "dnc"), _cells(adjusted, "consent_revoked_at")
            rows = np.flatnonzero(held)
            dnc[rows[kinds == OPTED_OUT]] = "true"
            revoked[rows[kinds == REVOKED]] = _isos(since[kinds == REVOKED])
            adjusted["dnc"] = dnc
            adjusted["consent_revoked_at"] = revoked
        return adjusted, notes


@dataclass(frozen=True)
class Notes:
    """What the ledger says of each row of a chunk: its calls in 24 hours (0: none it knew
    more of than the file) and its opt-out (kind, instant)."""

    calls: np.ndarray
    kind: np.ndarray
    at: np.ndarray

    def detail(self, row: int) -> str:
        """The row's detail, "" when the ledger changed nothing about it.

        Example:
            >>> Notes(np.array([2, 0]), np.array([0, REVOKED]), np.array([NAT, 0])).detail(1)
            'consent revoked, per the attempts ledger, at 1970-01-01T00:00:00Z'
        """
        if self.kind[row] == REVOKED:
            return f"consent revoked, per the attempts ledger, at {_iso(self.at[row])}"
        if self.kind[row] == OPTED_OUT:
            return f"opted out on a call, per the attempts ledger, at {_iso(self.at[row])}"
        if self.calls[row]:
            return f"{self.calls[row]} call(s) to this number in the last 24 hours, per the ledger"
        return ""

    def rows(self) -> np.ndarray:
        """Which rows the ledger has something to say of."""
        return (self.calls > 0) | (self.kind > 0)


def _isos(ns: np.ndarray) -> list[str]:
    """Instants (ns) as ISO-8601 UTC text, one string per distinct instant."""
    unique, inverse = np.unique(ns, return_inverse=True)
    texts = pd.DatetimeIndex(unique.view("datetime64[ns]")).strftime("%Y-%m-%dT%H:%M:%SZ")
    return list(np.asarray(texts, dtype=object)[inverse])


def _iso(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


EMPTY = LedgerView(
    at=0,
    numbers=np.zeros(0, dtype=np.int64),
    day=np.zeros(0, dtype=np.int32),
    week=np.zeros(0, dtype=np.int32),
    last=np.zeros(0, dtype=np.int64),
    opted_out=np.zeros(0, dtype=np.int64),
    kinds=np.zeros(0, dtype=np.int8),
    since=np.zeros(0, dtype=np.int64),
)
