"""Lenient readers for the optional contact columns, judged once per distinct value.

Nothing here raises on odd cells: nulls, NaN, empty strings, unhashable objects and
unexpected types all read as the value that blocks (consent) or that states nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import numpy as np
import pandas as pd

from ._zones import normalise_state, normalise_zip, state_codes, zip_table

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
# Cells of a revocation column that say "not revoked" (export artefacts of missing values).
_BLANK = frozenset({"", "none", "null", "nan", "nat", "false"})


def _distinct(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): judge their text instead
        codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=True)
    return codes, list(uniques)


def _broadcast(codes: np.ndarray, judged: list[object], missing: object, dtype) -> np.ndarray:
    table = np.array([*judged, missing], dtype=dtype)
    return table[codes]  # code -1 (null) picks `missing`, the last entry


def per_distinct(
    values: pd.Series | None, n: int, judge: Callable[[object], object], missing: object, dtype
) -> np.ndarray:
    """Judge each distinct cell once and broadcast back; nulls and absent columns get `missing`.

    Example:
        >>> per_distinct(pd.Series(["a", None, "a"]), 3, str.upper, "", object).tolist()
        ['A', '', 'A']
    """
    if values is None:
        return np.full(n, missing, dtype=dtype)
    codes, uniques = _distinct(values)
    return _broadcast(codes, [judge(value) for value in uniques], missing, dtype)


def is_true(value: object) -> bool:
    """True for True, 1 and "true"/"t"/"yes"/"y"/"1" in any case; False otherwise."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, Real):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE


def is_set(value: object) -> bool:
    """Whether a revocation cell records a revocation (any timestamp or non-blank text)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        return value.strip().lower() not in _BLANK
    return True


def attempt_count(value: object) -> float:
    """A non-negative attempt count; anything unreadable counts as 0."""
    if isinstance(value, bool | np.bool_):
        return 0.0
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return 0.0
    if not isinstance(value, Real):
        return 0.0
    number = float(value)
    return number if math.isfinite(number) and number > 0 else 0.0


def state_index(value: object) -> int:
    """Index of the cell's state in `state_codes()`, -1 when not a known state."""
    code = normalise_state(value)
    return state_codes().index(code) if code else -1


def zip_places(
    values: pd.Series | None, n: int, zone_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: index of the ZIP's zone in `zone_names` and of its state in `state_codes()`.

    Unknown or unreadable ZIP codes (and an absent column) give -1 for both.
    """
    if values is None:
        return np.full(n, -1, dtype=np.int16), np.full(n, -1, dtype=np.int16)
    states = {code: index for index, code in enumerate(state_codes())}
    zones = {zone: index for index, zone in enumerate(zone_names)}
    table = zip_table()
    codes, uniques = _distinct(values)
    # Most cells are already clean 5-digit strings: look them up before normalising.
    entries = [
        (table.get(value) if isinstance(value, str) else None)
        or table.get(normalise_zip(value) or "", (None, None))
        for value in uniques
    ]
    zone = _broadcast(codes, [zones.get(zone, -1) for zone, _ in entries], -1, np.int16)
    state = _broadcast(codes, [states.get(state, -1) for _, state in entries], -1, np.int16)
    return zone, state
