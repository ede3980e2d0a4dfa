"""What outside registries say of a chunk's contacts: a DNC registry snapshot and the
Reassigned Numbers Database, applied after the rules.

- **`dnc_registry`**: the number is on the snapshot (`RegistrySnapshot`); a contact's express
  consent exempts it only when the policy says so (`consent_exempts`, off by default).
  It outranks the reasons that come after consent (`no_consent` included), not DNC or a
  revocation (those reach the DNC group).
- **`reassigned`**: the RND answered `yes` for the number and the contact's consent date
  (`consent_at`): the number changed hands since, and the consent reaches a stranger. With
  `no_data_blocks`, a `no_data` answer blocks too. Only contacts with consent are asked.

`Reassigned` holds the answers keyed by (number, consent date) as sorted arrays, with the
evidence the safe harbor needs (47 CFR 64.1200(m)): when each was queried, and its answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._registry import RegistrySnapshot

YES, NO, NO_DATA = 1, 2, 3
ANSWERS = {YES: "yes", NO: "no", NO_DATA: "no_data"}
_EPOCH = dt.date(1970, 1, 1)
# Reasons the registry outranks (they come after consent in the engine's order), and those
# the reassigned-numbers answer outranks (the contact has consent).
_AFTER_DNC = ("ok", "no_consent", "frequency_cap", "unknown_timezone", "state_restricted_day",
              "outside_calling_hours")  # fmt: skip
_WITH_CONSENT = tuple(reason for reason in _AFTER_DNC if reason != "no_consent")


def pair_keys(numbers: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One key per (ten-digit number, consent date as days since 1970); 0 when either is missing.

    Example:
        >>> pair_keys(np.array([2125550101, 0]), np.array([20000, 20000])).tolist()
        [212555010120000, 0]
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    return np.where((numbers > 0) & (days > 0), numbers * 100_000 + days, 0)


def consent_days(cells: pa.Array | pa.ChunkedArray | None, rows: int) -> np.ndarray:
    """Each `consent_at` cell as days since 1970 (0 when blank or not a date).

    Example:
        >>> consent_days(pa.array(["2025-01-02", "2025-01-02T10:00:00Z", "", None, "soon"]), 5)
        array([20090, 20090,     0,     0,     0])
    """
    if cells is None:
        return np.zeros(rows, dtype=np.int64)
    text = pd.Series(cells.to_pandas(), dtype="string").str.slice(0, 10)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    days = (dates - pd.Timestamp("1970-01-01")).dt.days
    return days.fillna(0).to_numpy(dtype=np.int64)


@dataclass(frozen=True)
class Reassigned:
    """The RND's answers for (number, consent date) pairs, sorted by `pair_keys`.

    Attributes:
        keys: The pairs' keys.
        answers: `YES`, `NO` or `NO_DATA` for each.
        queried_at: When each answer was obtained (UTC, ISO-8601 text).
        no_data_blocks: Whether `no_data` suppresses.
    """

    keys: np.ndarray
    answers: np.ndarray
    queried_at: np.ndarray
    no_data_blocks: bool = False

    @classmethod
    def of(
        cls, answers: dict[tuple[int, dt.date], tuple[int, str]], no_data_blocks: bool = False
    ) -> Reassigned:
        """From {(number, consent date): (answer code, queried at ISO)}.

        Example:
            >>> r = Reassigned.of({(2125550101, dt.date(2025, 1, 2)): (YES, "2026-12-07T10:30Z")})
            >>> r.lookup(np.array([2125550101]), np.array([20090]))[0].tolist()
            [1]
        """
        items = sorted(
            (int(pair_keys(np.array([n]), np.array([(d - _EPOCH).days]))[0]), code, at)
            for (n, d), (code, at) in answers.items()
        )
        return cls(
            np.array([i[0] for i in items], dtype=np.int64),
            np.array([i[1] for i in items], dtype=np.int8),
            np.array([i[2] for i in items], dtype=object),
            no_data_blocks,
        )

    def lookup(self, numbers: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each row's answer code (0: not asked) and when it was queried ("")."""
        keys = pair_keys(numbers, days)
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int8), np.full(len(keys), "", dtype=object)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found = (self.keys[at] == keys) & (keys > 0)
        return (
            np.where(found, self.answers[at], 0).astype(np.int8),
            np.where(found, self.queried_at[at], ""),
        )


@dataclass(frozen=True)
class Outside:
    """The outside registries a list is checked against (either may be absent)."""

    registry: RegistrySnapshot | None = None
    consent_exempts: bool = False
    reassigned: Reassigned | None = None

    def judge(
        self, reason: pa.Array, numbers: np.ndarray, days: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
        """Which rows the registries suppress, and why.

        Returns:
            The rows on the registry, the rows reassigned, a detail per registry row and a
            detail per reassigned row (in row order).
        """
        rows = len(numbers)
        listed = np.zeros(rows, dtype=bool)
        listed_details: list[str] = []
        if self.registry is not None:
            after_dnc = pc.is_in(reason, pa.array(_AFTER_DNC)).to_numpy(zero_copy_only=False)
            exempt = np.zeros(rows, dtype=bool)
            if self.consent_exempts:
                exempt = pc.is_in(reason, pa.array(_WITH_CONSENT)).to_numpy(zero_copy_only=False)
            listed = after_dnc & ~exempt & self.registry.contains(numbers)
            told = (
                f"on the {self.registry.source} (snapshot of "
                f"{self.registry.downloaded_at.isoformat()})"
            )
            listed_details = [told] * int(listed.sum())
        moved = np.zeros(rows, dtype=bool)
        moved_details: list[str] = []
        if self.reassigned is not None:
            with_consent = pc.is_in(reason, pa.array(_WITH_CONSENT)).to_numpy(zero_copy_only=False)
            answers, queried = self.reassigned.lookup(numbers, days)
            blocking = (answers == YES) | ((answers == NO_DATA) & self.reassigned.no_data_blocks)
            moved = with_consent & ~listed & blocking
            for row in np.flatnonzero(moved):
                consent = _EPOCH + dt.timedelta(days=int(days[row]))
                moved_details.append(
                    f"Reassigned Numbers Database: {ANSWERS[int(answers[row])]} for consent of "
                    f"{consent.isoformat()} (queried {queried[row]})"
                )
        return listed, moved, listed_details, moved_details
