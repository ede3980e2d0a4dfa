"""The shipped table of what +1 numbers are by their leading digits, as runs of prefixes.

Whether a +1 national number is valid, and geographic, depends only on its first few digits
(`_phones._decisive_digits`: seven with today's patterns). Judging a new exchange through the
patterns costs about a microsecond, and a fresh process meets hundreds of thousands of them
in its first million numbers (half a second). All ten million seven-digit prefixes judged at
once fall into about 2,000 runs of equal answers: `python -m compliance.refresh_data` writes
them to `data/number_prefixes.csv`, with a digest of the patterns they come from, and a
process fills its table from the file when the installed patterns have that digest (else it
judges each exchange as it comes, as before).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np

PREFIX_KINDS_FILE = "data/number_prefixes.csv"
_HEADER = (
    "Whether a +1 national number is valid and geographic, by its leading digits, derived by",
    "`python -m compliance.refresh_data` from libphonenumber's number-type patterns of the",
    "+1 regions (the phonenumbers package): every prefix judged as `_phones._judged` judges a",
    "number, the digits after the prefix being free in every pattern. A row starts a run: it",
    "and the prefixes up to the next row's are alike. The engine uses the file only while the",
    "installed patterns have the digest below; otherwise it judges each exchange as it comes.",
)
_META = re.compile(r"^# (digits|patterns|phonenumbers): (\S+)$")
COLUMNS = ("first_prefix", "valid", "geographic")


def patterns_digest(patterns: Iterable[str]) -> str:
    """A short digest of the patterns a table was judged by.

    Example:
        >>> patterns_digest(["^1$", "^2$"]) == patterns_digest(["^1$", "^2$"])
        True
        >>> patterns_digest(["^1$", "^2$"]) == patterns_digest(["^1$", "^3$"])
        False
    """
    return hashlib.sha256("\n".join(patterns).encode()).hexdigest()[:20]


def runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first index of each run of equal values, and the run's value.

    Example:
        >>> starts, values = runs(np.array([0, 0, 6, 6, 2], dtype=np.uint8))
        >>> starts.tolist(), values.tolist()
        ([0, 2, 4], [0, 6, 2])
    """
    starts = np.concatenate([[0], np.flatnonzero(flags[1:] != flags[:-1]) + 1])
    return starts.astype(np.int64), flags[starts]


def fill(table: np.ndarray, starts: np.ndarray, values: np.ndarray) -> None:
    """Write each run's value over its prefixes (no temporary of the table's size).

    Example:
        >>> table = np.zeros(5, dtype=np.uint8)
        >>> fill(table, np.array([0, 2, 4]), np.array([0, 6, 2], dtype=np.uint8))
        >>> table.tolist()
        [0, 0, 6, 6, 2]
    """
    ends = [*starts[1:].tolist(), len(table)]
    for start, end, value in zip(starts.tolist(), ends, values.tolist(), strict=True):
        table[start:end] = value


def write_text(
    starts: np.ndarray, valid: np.ndarray, geographic: np.ndarray, meta: dict[str, str]
) -> str:
    """The file's text: the header, the metadata lines, the column names and one row a run."""
    lines = [f"# {line}" for line in _HEADER]
    lines += [f"# {key}: {value}" for key, value in meta.items()]
    lines.append(",".join(COLUMNS))
    lines += [
        f"{start},{int(v)},{int(g)}"
        for start, v, g in zip(starts.tolist(), valid.tolist(), geographic.tolist(), strict=True)
    ]
    return "\n".join(lines) + "\n"


def read_text(text: str, name: str = PREFIX_KINDS_FILE) -> tuple[dict[str, str], np.ndarray]:
    """The metadata and the rows (first prefix, valid, geographic) of the file's text.

    Raises:
        ValueError: the file is damaged: rows not integers, not starting at 0, or not
            increasing.
    """
    meta: dict[str, str] = {}
    rows: list[list[str]] = []
    for line in text.splitlines():
        found = _META.match(line)
        if found:
            meta[found.group(1)] = found.group(2)
        elif line and not line.startswith("#") and line != ",".join(COLUMNS):
            rows.append(line.split(","))
    try:
        table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    except ValueError as error:
        raise ValueError(f"{name}: a row is not three integers ({error})") from None
    starts = table[:, 0]
    if not len(starts) or starts[0] != 0 or (np.diff(starts) <= 0).any():
        raise ValueError(f"{name}: the runs must start at prefix 0 and increase")
    return meta, table
