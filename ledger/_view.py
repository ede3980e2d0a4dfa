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
        >>> adjusted, why = view.adjust(frame, np.array([2125550101, 2125550102]))
        >>> adjusted["attempts_24h"].tolist(), adjusted["consent_revoked_at"].iloc[1]
        (['2', '0'], '2026-12-05T15:30:00Z')
        >>> print(*why, sep="\\n")
        2 call(s) to this number in the last 24 hours, per the attempts ledger
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

    def adjust(self, frame: pd.DataFrame, numbers: np.ndarray) -> tuple[pd.DataFrame, list[str]]:
        """The chunk as the ledger knows it, and a detail per row ("" when the ledger changed
        nothing that suppresses it).

        Args:
            frame: Contacts, with whatever attempt and consent columns the file has.
            numbers: Each row's ten-digit number (0 when it has none).

        Returns:
            A copy with `attempts_24h`, `attempts_7d` (the larger of the file's and the
            ledger's), `last_attempt_at` (the later), `dnc` ("true" for an opt-out on a call)
            and `consent_revoked_at` (the revocation's time); and the details.
        """
        n = len(frame)
        at = _lookup(self.numbers, numbers)
        called = at >= 0
        out = _lookup(self.opted_out, numbers)
        if not called.any() and not (out >= 0).any():
            return frame, [""] * n
        adjusted = frame.copy()
        details = np.full(n, "", dtype=object)
        for column, counts in (("attempts_24h", self.day), ("attempts_7d", self.week)):
            ledger = np.where(called, counts[np.maximum(at, 0)], 0).astype(float)
            file_counts, odd = _counts(frame.get(column), n)
            larger = called & ~odd & (ledger > np.nan_to_num(file_counts, nan=0.0))
            if larger.any() or column not in frame:
                cells = _cells(frame, column)
                cells[larger] = [str(int(v)) for v in ledger[larger]]
                adjusted[column] = cells
            if column == "attempts_24h":
                details[larger] = [
                    f"{int(v)} call(s) to this number in the last 24 hours, per the attempts ledger"
                    for v in ledger[larger]
                ]
        last = np.where(called, self.last[np.maximum(at, 0)], NAT)
        filed = frame.get("last_attempt_at")
        file_last = (
            pd.to_datetime(filed, utc=True, errors="coerce").to_numpy(dtype="datetime64[ns]")
            .astype(np.int64)
            if filed is not None
            else np.full(n, NAT, dtype=np.int64)
        )  # fmt: skip
        later = called & (last > file_last)
        if later.any() or filed is None:
            cells = _cells(frame, "last_attempt_at")
            cells[later] = [_iso(v) for v in last[later]]
            adjusted["last_attempt_at"] = cells
        held = out >= 0
        if held.any():
            kinds, since = self.kinds[out[held]], self.since[out[held]]
            dnc, revoked = _cells(adjusted, "dnc"), _cells(adjusted, "consent_revoked_at")
            rows = np.flatnonzero(held)
            for row, kind, moment in zip(rows, kinds, since, strict=True):
                if kind == REVOKED:
                    revoked[row] = _iso(moment)
                    details[row] = f"consent revoked, per the attempts ledger, at {_iso(moment)}"
                else:
                    dnc[row] = "true"
                    details[row] = (
                        f"opted out on a call, per the attempts ledger, at {_iso(moment)}"
                    )
            adjusted["dnc"] = dnc
            adjusted["consent_revoked_at"] = revoked
        return adjusted, details.tolist()


def _iso(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


EMPTY = LedgerView(
    0,
    *(np.zeros(0, dtype=t) for t in (np.int64, np.int32, np.int32, np.int64, np.int64)),
    np.zeros(0, dtype=np.int8),
    np.zeros(0, dtype=np.int64),
)
