"""Lenient readers for the optional contact columns, judged once per distinct value.

Nothing here raises on odd cells, and every odd cell fails closed: only a clear true is
consent, any DNC value that is not clearly false is DNC, any revocation that is not clearly
empty is a revocation, and an attempt count that is not a clear count is over every cap.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from numbers import Real
from typing import Any, cast, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._arrow import eight_digits, last_bytes, string_buffers
from ._zones import canadian_fsa, normalise_state, normalise_zip, state_codes, zip_table

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})
# Text that means "no value": blanks and the export artefacts of missing values.
_BLANK = frozenset({"", "none", "null", "nan", "nat", "<na>"})
# The latest offset in use (UTC-12): a naive time read there is the latest instant it can be.
_LATEST_READING = pd.Timedelta(hours=12)
# pandas-stubs type NaT's value as np.int64; it is a Python int (the int64 minimum).
_NAT_NS = cast(int, pd.NaT.value)
# Object columns with at most this many distinct objects are numbered by identity.
_FEW_OBJECTS = 1 << 14
# What pandas infers for an object column whose equal cells the judges read alike (Python's
# and numpy's scalars of one kind: tested); any other mix is split by type.
_ONE_KIND = frozenset({"string", "integer", "floating", "boolean", "datetime", "date", "empty"})


def _distinct(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else ""
    if kind == "b":  # a flag column: its two values, no hashing
        return values.to_numpy().view(np.int8), [False, True]
    if kind in ("i", "u") and len(values):  # whole numbers in a short range: offsets, no hashing
        numbers = values.to_numpy()
        low, high = int(numbers.min()), int(numbers.max())
        if high - low < 1 << 16:
            return (numbers - low).astype(np.int64), list(range(low, high + 1))
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        # Arrow text: its own dictionary encoding (pandas' factorize wraps it, slower).
        text = pa.array(values.array)
        encoded = pc.dictionary_encode(
            text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
        )
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, encoded.dictionary.to_pylist()
    if values.dtype == object:
        return _distinct_objects(values.to_numpy())
    return _distinct_values(values)


def _distinct_values(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): judge their text instead
        codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=True)
    return codes, uniques.tolist()  # one conversion, not an iteration over Arrow scalars


def _identities(cells: np.ndarray) -> np.ndarray:
    """The identity (CPython's `id`: the address) of each cell's object, read from the
    array's buffer of object pointers, without touching the objects."""
    cells = np.ascontiguousarray(cells)
    if not len(cells):
        return np.zeros(0, dtype=np.intp)
    pointers = ctypes.cast(cells.ctypes.data, ctypes.POINTER(ctypes.c_ssize_t))
    return np.ctypeslib.as_array(pointers, shape=(len(cells),)).copy()  # while `cells` lives


def _is_missing(value: object) -> bool:
    """What `pd.factorize` numbers -1: None, NaN, NaT, pd.NA."""
    found: object = pd.isna(cast(Any, value))  # a list cell gives an array: not missing
    return isinstance(found, bool | np.bool_) and bool(found)


def _distinct_objects(cells: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """Codes per cell (-1 for missing) and the distinct cells of an object column, each cell
    described by its own value: a flag or a `Decimal` is never described by a number of
    another type it equals (True == 1 == Decimal(1), and `attempt_count(True)` is over every
    cap while `attempt_count(1)` is 1).

    Most object columns are a few shared objects (True, small integers, repeated text): they
    are told apart by identity, without hashing a value per cell (several times quicker).
    Equal objects of one type are then judged once per object, alike.
    """
    found = _by_identity(cells, _identities(cells))
    if found is not None:
        return found
    try:
        codes, uniques = pd.factorize(pd.Series(cells, copy=False), use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): judge their text instead
        return _distinct_values(pd.Series(cells, copy=False).astype(str))
    if pd.api.types.infer_dtype(cells, skipna=True) in _ONE_KIND:
        return codes, uniques.tolist()  # equal cells are of one kind, judged alike: no split
    return _types_apart(cells, codes, uniques.tolist())


def _types_apart(
    cells: np.ndarray, codes: np.ndarray, uniques: list[object]
) -> tuple[np.ndarray, list[object]]:
    """Codes numbered by value, split where a cell's type differs from its distinct value's
    (pandas numbers equal values as one: True, 1, 1.0 and Decimal(1)); each such (value,
    type) becomes a distinct value of its own, described by its first cell."""
    types = np.frompyfunc(type, 1, 1)(cells)
    distinct_types = np.array([type(value) for value in uniques] + [None], dtype=object)
    apart = np.flatnonzero((types != distinct_types[codes]) & (codes >= 0))
    if not len(apart):
        return codes, uniques
    type_codes, kinds = pd.factorize(types[apart])
    keys = codes[apart] * len(kinds) + type_codes
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    codes = codes.copy()
    codes[apart] = len(uniques) + inverse
    return codes, [*uniques, *cells[apart[first]].tolist()]


def _by_identity(
    cells: np.ndarray, identities: np.ndarray
) -> tuple[np.ndarray, list[object]] | None:
    """`_distinct_objects` by identity; None when the cells are many objects (text read cell
    by cell: already seen in the first cells) or one is unhashable (judged by its text)."""
    if len(pd.unique(identities[: _FEW_OBJECTS // 4])) >= _FEW_OBJECTS // 16:
        return None
    codes, distinct = pd.factorize(identities)
    if len(distinct) > _FEW_OBJECTS:
        return None
    # Codes count up in order of first appearance: the running maximum grows there.
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    objects = cells[first].tolist()
    try:
        for value in objects:
            hash(value)
    except TypeError:
        return None
    missing = np.array([_is_missing(value) for value in objects], dtype=bool)
    if missing.any():
        codes = np.where(missing[codes], -1, codes)
    return codes, objects


def _broadcast(
    codes: np.ndarray, judged: Sequence[object], missing: object, dtype: npt.DTypeLike
) -> np.ndarray:
    table = np.array([*judged, missing], dtype=dtype)
    # numpy's stubs give Any for fancy indexing when the dtypes are not known.
    return cast(np.ndarray, table[codes])  # code -1 (null) picks `missing`, the last entry


def per_distinct(
    values: pd.Series | None,
    n: int,
    judge: Callable[[object], object],
    missing: object,
    dtype: npt.DTypeLike,
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


def group_codes(values: pd.Series | None, n: int) -> np.ndarray | None:
    """Dense codes of a grouping column (person, subject); -1 for blank cells; None if absent.

    Example:
        >>> group_codes(pd.Series(["p1", None, "p1", " "]), 4).tolist()
        [0, -1, 0, -1]
    """
    if values is None:
        return None
    return _groups(values)[0]


def _groups(values: pd.Series) -> tuple[npt.NDArray[np.int64], pd.Index]:
    """Dense codes (-1 for blank cells) and the distinct values they index."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells: group by their text
        codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=True)
    try:  # text ids (the usual case): one vectorised pass
        blank = blank_text(pa.array(uniques, pa.large_string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        blank = np.array([_is_blank(value) for value in uniques.tolist()], dtype=bool)
    return np.where(np.append(blank, True)[codes], -1, codes).astype(np.int64), uniques


@overload
def group_keys(values: pd.Series) -> np.ndarray: ...
@overload
def group_keys(values: pd.Series | None) -> np.ndarray | None: ...
def group_keys(values: pd.Series | None) -> np.ndarray | None:
    """A key of each grouping cell that is the same in every frame; 0 for blank cells.

    The key is a 64-bit hash of the cell's text (never 0), so rows of one person in different
    chunks of a list meet; None when the column is absent.

    Example:
        >>> keys = group_keys(pd.Series(["p1", None, "p1", "p2"]))
        >>> keys[0] == keys[2] != keys[3], keys[1]
        (np.True_, np.uint64(0))
    """
    if values is None:
        return None
    codes, uniques = _groups(values)
    hashes = pd.util.hash_array(np.array([str(value) for value in uniques], dtype=object))
    hashes[hashes == 0] = 1  # 0 means blank
    return np.append(hashes, np.uint64(0))[codes]  # code -1 (blank) picks the 0


def blank_text(text: pa.Array) -> np.ndarray:
    """Whether each text cell means "no value" (blank or an export artefact); null is not.

    Example:
        >>> blank_text(pa.array(["", " NaN ", "p1", None])).tolist()
        [True, True, False, False]
    """
    found = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(text)), pa.array(sorted(_BLANK)))
    return cast(np.ndarray, pc.fill_null(found, False).to_numpy(zero_copy_only=False))


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _BLANK
    return isinstance(value, float) and math.isnan(value)


def is_true(value: object) -> bool:
    """Consent: True for True, 1 and "true"/"t"/"yes"/"y"/"1" in any case; False otherwise."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, Real):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE


def is_dnc(value: object) -> bool:
    """DNC unless clearly false: False, 0, "false"/"f"/"no"/"n"/"0"/"off", or blank.

    Example:
        >>> [is_dnc(v) for v in (False, "No", "", "DNC", "yes ", 2, "[True]")]
        [False, False, False, True, True, True, True]
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, Real):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        return text not in _FALSE and text not in _BLANK
    return True


def is_revoked(value: object) -> bool:
    """A revocation unless clearly empty: any timestamp, number, flag, object or non-blank text.

    Example:
        >>> [is_revoked(v) for v in ("", " null ", "2026-01-01", 1700000000, True, False, {})]
        [False, False, True, True, True, True, True]
    """
    return not _is_blank(value)


def attempt_count(value: object) -> float:
    """A whole, non-negative attempt count; blank is 0, anything else odd is infinite.

    Example:
        >>> [attempt_count(v) for v in (2, "3.0", " ", -1, float("inf"), 0.5, "x", True)]
        [2.0, 3.0, 0.0, inf, inf, inf, inf, inf]
    """
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _BLANK:
            return 0.0
        try:
            value = float(text)
        except ValueError:
            return math.inf
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        return math.inf
    number = float(value)
    return number if math.isfinite(number) and number >= 0 and number.is_integer() else math.inf


def instant_ns(value: object) -> int:
    """A time cell as UTC nanoseconds; a naive one is read at UTC-12, its latest instant.

    Unreadable cells give the int64 minimum (NaT).

    Example:
        >>> instant_ns("2026-11-30T10:00:00Z") == pd.Timestamp("2026-11-30T10:00Z").value
        True
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, str | datetime | np.datetime64):
        return _NAT_NS
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return _NAT_NS
    if cast(object, stamp) is pd.NaT:  # pandas-stubs: never NaT; it is for "NaT", "" and such
        return _NAT_NS
    stamp = stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC") + _LATEST_READING
    return stamp.as_unit("ns").value


def state_index(value: object) -> int:
    """Index of the cell's state or province in `state_codes()`, -1 when not a known one."""
    code = normalise_state(value)
    return state_codes().index(code) if code else -1


def postal_key(value: object) -> str | None:
    """What identifies a postal code cell: "Z:" and a known ZIP code, or "F:" and a Canadian
    forward sortation area (the first three characters, which say the province and the zones).

    Example:
        >>> postal_key("10001-1234"), postal_key("m5v 3l9"), postal_key("ABCDE")
        ('Z:10001', 'F:M5V', None)
    """
    table = zip_table()
    # Most cells are already clean 5-digit strings: look them up before normalising.
    code = value if isinstance(value, str) and value in table else normalise_zip(value)
    if code in table:
        return f"Z:{code}"
    fsa = canadian_fsa(value)
    return f"F:{fsa}" if fsa else None


@dataclass(frozen=True)
class PostalCells:
    """What a postal code column says, row by row (`postal_cells`).

    Attributes:
        zip_row: Index into `zip_codes()` of a cell that is a clean known 5-digit ZIP; -1 for
            other cells.
        row: Id into `keys` of what another cell says (`postal_key`); -1 for a clean ZIP
            cell and for unknown or unreadable codes.
        keys: The `postal_key` of each id.
    """

    zip_row: np.ndarray
    row: np.ndarray
    keys: list[str]


def postal_places(values: pd.Series | None, n: int) -> tuple[np.ndarray, list[str]]:
    """Per row: an id of what its postal code says, and per id the `postal_key`.

    Unknown or unreadable codes (and an absent column) give -1.
    """
    cells = postal_cells(values, n)
    clean = cells.zip_row >= 0
    present = np.flatnonzero(np.bincount(cells.zip_row[clean], minlength=len(zip_codes())))
    renumber = np.zeros(len(zip_codes()), dtype=np.int32)
    renumber[present] = np.arange(len(present), dtype=np.int32)
    keys = ["Z:" + code for code in zip_codes().take(pa.array(present)).to_pylist()]
    known = {key: i for i, key in enumerate(keys)}
    recode = np.array([known.setdefault(key, len(known)) for key in cells.keys] + [-1])
    ids = np.where(clean, renumber[np.maximum(cells.zip_row, 0)], recode[cells.row])
    return ids.astype(np.int32), list(known)


def postal_cells(values: pd.Series | None, n: int) -> PostalCells:
    """Read a postal code column: clean 5-digit ZIPs from the text's bytes at once (most
    cells), the other cells (ZIP+4, Canadian codes, damaged cells) one distinct cell at a
    time. Unknown or unreadable codes (and an absent column) give -1 in both."""
    if values is None:
        return PostalCells(np.full(n, -1, np.int64), np.full(n, -1, np.int32), [])
    zip_row = _clean_zips(values) if isinstance(values.dtype, pd.StringDtype) else None
    if zip_row is None:
        return PostalCells(np.full(n, -1, np.int64), *_postal_places(values))
    row = np.full(n, -1, dtype=np.int32)
    rest = np.flatnonzero(zip_row < 0)
    if not len(rest):
        return PostalCells(zip_row, row, [])
    row[rest], keys = _postal_places(values.iloc[rest])
    return PostalCells(zip_row, row, keys)


def _clean_zips(values: pd.Series) -> np.ndarray:
    """Per row of a text column: the index into `zip_codes()` of a cell that is exactly a
    known 5-digit ZIP, else -1 (read from Arrow's buffers: no string per cell)."""
    text = pa.array(values.array, pa.large_string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    offsets, data = string_buffers(text)
    five = np.diff(offsets) == 5
    if text.null_count:
        five &= text.is_valid().to_numpy(zero_copy_only=False)
    # Each cell's last eight bytes as a word: the ZIP's five digits are its last five bytes.
    digits = last_bytes(offsets, data, 8) - np.uint8(ord("0"))
    five &= (digits <= 9).view("<u8")[:, 0] >> np.uint64(24) == np.uint64(0x0101010101)
    number = eight_digits(digits.view("<u8")[:, 0] & np.uint64(0xFFFFFFFFFF000000))
    return np.where(five, zip_by_number()[np.where(five, number, 0)], -1)


@cache
def zip_codes() -> pa.Array:
    """The known ZIP codes, sorted, as text (indexes of `PostalCells.zip_row`)."""
    return pa.array(sorted(zip_table()), pa.large_string())


@cache
def zip_by_number() -> np.ndarray:
    """The 5-digit number of a ZIP -> its index in `zip_codes()`; -1 for no known ZIP."""
    table = np.full(100_000, -1, dtype=np.int64)
    for index, code in enumerate(zip_codes().to_pylist()):
        if len(code) == 5 and code.isascii() and code.isdigit():
            table[int(code)] = index
    return table


def _postal_places(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """`postal_places` one distinct cell at a time."""
    codes, uniques = _distinct(values)
    keys: dict[str, int] = {}
    table = zip_table()  # most cells are clean 5-digit ZIPs: no call for those
    judged = [
        "Z:" + value if type(value) is str and value in table else postal_key(value)
        for value in uniques
    ]
    ids = [-1 if key is None else keys.setdefault(key, len(keys)) for key in judged]
    return _broadcast(codes, ids, -1, np.int32), list(keys)
