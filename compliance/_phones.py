"""Phone numbers, vectorised: NANP normalisation, validity, country, zones and area-code place.

Everything comes from libphonenumber's data (the `phonenumbers` package), read once: the
number-type patterns of the +1 regions give validity and whether a number is geographic (run
as one RE2 regex over the whole column), the time-zone prefix table gives the zones of each
NPA-NXX, and the region and geocoder give the country and state or province of each area code.
"""

from __future__ import annotations

import csv
import importlib
import io
import re
from dataclasses import astuple, dataclass
from functools import cache
from importlib import resources
from numbers import Integral, Real
from typing import Any, cast
from zoneinfo import available_timezones

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata, PhoneNumberDesc, tzdata

from ._arrow import eight_digits, last_bytes, string_buffers
from ._inputs import blank_text
from ._prefixes import PREFIX_KINDS_FILE, fill, patterns_digest, read_text, runs, write_text
from ._zones import (
    AREA_CODE_ZONES_FILE,
    CANADIAN_PROVINCES,
    EXCHANGE_ZONES_FILE,
    data_rows,
    normalise_state,
    state_codes,
)

_NANP = 1
# Number types that libphonenumber does not tie to a place (phonenumberutil.number_type checks
# them before fixed line). Mobile-only numbers are not geographic for +1 either.
_NON_GEOGRAPHIC_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
_PREFIX_DIGITS = 6  # NPA-NXX: the deepest NANP key of the time-zone data
_TERRITORIES = frozenset({"PR", "GU", "VI", "AS", "MP"})  # +1 regions that are US jurisdictions
_GEOCODER_NAMES = {"Washington State": "WA", "Washington D.C.": "DC"}
# Country of a number, as stored per area code: the US (states and territories), Canada, or
# another +1 country (Jamaica, the Bahamas ...), which the engine refuses as unsupported.
NO_COUNTRY, US, CANADA, OTHER_COUNTRY = 0, 1, 2, 3
_COUNTRY_CODES = {"": NO_COUNTRY, "US": US, "CA": CANADA}

# Separators of the common written forms: (212) 736-5000, 212.736.5000, +1-212-736-5000.
_SEPARATOR_BYTES = np.zeros(256, dtype=bool)
_SEPARATOR_BYTES[list(b" \t().-/")] = True
_DIGIT_BYTES = np.zeros(256, dtype=bool)
_DIGIT_BYTES[list(b"0123456789")] = True


def _alternation(patterns: set[str]) -> str:
    return "^(?:" + "|".join(f"(?:{pattern})" for pattern in sorted(patterns)) + ")$"


@dataclass(frozen=True)
class _Patterns:
    """Anchored regexes over 10-digit national numbers, from the +1 regions' metadata."""

    any_type: str  # valid: matches some number type
    non_geographic: str  # toll-free, premium, personal, VoIP...
    # Regions whose mobile and fixed-line patterns differ: a number matching only the
    # mobile one is MOBILE, which libphonenumber does not tie to a place for +1.
    split_mobile: str
    split_fixed: str


def _metadata(region: str) -> PhoneMetadata:
    """A +1 region's metadata (typed optional: there is none for a region it does not know)."""
    return cast(PhoneMetadata, PhoneMetadata.metadata_for_region(region))


def _mobile_and_fixed(metadata: PhoneMetadata) -> tuple[str, str]:
    """A +1 region's mobile and fixed-line patterns (typed optional; every +1 region has both)."""
    mobile = cast(PhoneNumberDesc, metadata.mobile).national_number_pattern
    fixed = cast(PhoneNumberDesc, metadata.fixed_line).national_number_pattern
    return cast(str, mobile), cast(str, fixed)


@cache
def _patterns() -> _Patterns:
    any_type: set[str] = set()
    non_geographic: set[str] = set()
    split_mobile: set[str] = set()
    split_fixed: set[str] = set()
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[_NANP]:
        metadata = _metadata(region)
        for kind in (*_NON_GEOGRAPHIC_TYPES, "fixed_line", "mobile"):
            desc = getattr(metadata, kind)
            if desc is not None and desc.national_number_pattern:
                any_type.add(desc.national_number_pattern)
                if kind in _NON_GEOGRAPHIC_TYPES:
                    non_geographic.add(desc.national_number_pattern)
        mobile, fixed = _mobile_and_fixed(metadata)
        if mobile != fixed:
            split_mobile.add(mobile)
            split_fixed.add(fixed)
    return _Patterns(
        *(_alternation(group) for group in (any_type, non_geographic, split_mobile, split_fixed))
    )


@cache
def library_zone_sets() -> tuple[np.ndarray, tuple[frozenset[str], ...]]:
    """libphonenumber's view: NPA-NXX (as an int) -> zone-set id, and the zone sets (id 0: none).

    Built from libphonenumber's longest-prefix table: a key covers every NPA-NXX it prefixes,
    longer keys override shorter ones. Zone lists equal to the whole +1 list say nothing. The
    engine does not use it (a general-purpose table is wrong at the edges): the derivation of
    `data/area_code_zones.csv` counts it as one source of an area code's zones.
    """
    data = tzdata.TIMEZONE_DATA
    continent = frozenset(data[str(_NANP)])
    known = available_timezones()
    keys = sorted((key for key in data if key.startswith("1") and len(key) > 1), key=len)
    if len(keys[-1]) > 1 + _PREFIX_DIGITS:
        raise RuntimeError("phonenumbers' zone data is deeper than NPA-NXX; widen _PREFIX_DIGITS")
    ids: dict[frozenset[str], int] = {frozenset(): 0}
    table = np.zeros(10**_PREFIX_DIGITS, dtype=np.int16)
    for key in keys:
        zones = frozenset(data[key])
        zones = frozenset() if zones >= continent else zones & known
        digits = key[1:]
        width = 10 ** (_PREFIX_DIGITS - len(digits))
        start = int(digits) * width
        table[start : start + width] = ids.setdefault(zones, len(ids))
    return table, tuple(sorted(ids, key=ids.__getitem__))


# Where a number's zones come from (`Phones.zone_origin`).
NO_ORIGIN, AREA_CODE, EXCHANGE = 0, 1, 2


@cache
def _prefix_zone_sets() -> tuple[np.ndarray, tuple[frozenset[str], ...], np.ndarray]:
    """NPA-NXX (as an int) -> zone-set id, the zone sets (id 0: none), and the origin per NPA-NXX.

    From the shipped tables: every zone of the area code (`data/area_code_zones.csv`), except
    for the verified exchanges of `data/exchange_zones.csv`, which keep their place's zone.
    """
    ids: dict[frozenset[str], int] = {frozenset(): 0}
    table = np.zeros(10**_PREFIX_DIGITS, dtype=np.int16)
    origin = np.zeros(10**_PREFIX_DIGITS, dtype=np.int8)
    for npa, zones, _ in data_rows(AREA_CODE_ZONES_FILE):
        start = int(npa) * 1000
        table[start : start + 1000] = ids.setdefault(frozenset(zones.split(";")), len(ids))
        origin[start : start + 1000] = AREA_CODE
    for exchange, zones, *_ in data_rows(EXCHANGE_ZONES_FILE):
        npa, nxx = exchange.split("-")
        table[int(npa) * 1000 + int(nxx)] = ids.setdefault(frozenset(zones.split(";")), len(ids))
        origin[int(npa) * 1000 + int(nxx)] = EXCHANGE
    return table, tuple(sorted(ids, key=ids.__getitem__)), origin


def zone_sets() -> tuple[frozenset[str], ...]:
    """The zone sets that `Phones.zone_set` ids point into (id 0: the empty set)."""
    return _prefix_zone_sets()[1]


def _region_pattern(region: str) -> str:
    metadata = PhoneMetadata.metadata_for_region(region)
    patterns = {
        desc.national_number_pattern
        for kind in (*_NON_GEOGRAPHIC_TYPES, "fixed_line", "mobile")
        if (desc := getattr(metadata, kind)) is not None and desc.national_number_pattern
    }
    return _alternation(patterns)


def _region_samples() -> dict[int, tuple[str, int]]:
    """Area code -> (region, a valid national number), as `region_code_for_number` decides.

    Regions with leading digits are told apart by those alone; the US and Canada (tried in
    libphonenumber's order, US first) by which one's patterns an exchange of the code matches.
    """
    found: dict[int, tuple[str, int]] = {}
    for npa in range(200, 1000):
        for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[_NANP]:
            leading = _metadata(region).leading_digits
            if leading and re.match(leading, f"{npa}2000000"):
                found[npa] = (region, npa * 10**7 + 2_000_000)
                break
    numbers = np.arange(200, 1000)[:, None] * 10**7 + np.arange(200, 1000)[None, :] * 10**4
    text = pc.cast(pa.array(numbers.ravel()), pa.string())
    for region in ("CA", "US"):  # US last: it wins where both match (toll-free)
        hits = pc.match_substring_regex(text, _region_pattern(region)).to_numpy(False)
        for number in numbers.ravel()[hits]:
            npa = int(number // 10**7)
            if npa not in found or found[npa][0] in ("CA", "US"):
                found[npa] = (region, int(number))
    return found


def _geocoded_place(number: phonenumbers.PhoneNumber, region: str) -> str:
    """The state or province of an area code; ";"-joined where it serves several (902)."""
    # Imported here: its data takes ~100 MB, needed only to refresh the shipped table.
    from phonenumbers import geocoder

    description = geocoder.description_for_valid_number(number, "en")
    suffix = re.search(r", ([A-Z]{2})$", description)
    if suffix:
        return suffix.group(1)
    places = [_GEOCODER_NAMES.get(name) or normalise_state(name) for name in description.split("/")]
    # A Canadian code for a US number (or the reverse) would be a geocoder oddity: drop it.
    if not all(places) or any((p in CANADIAN_PROVINCES) != (region == "CA") for p in places):
        return ""
    return ";".join(cast(list[str], places))  # all(places): no None left


def npa_places_from_package() -> dict[int, tuple[str, str]]:
    """Area code -> (country, state or province), from libphonenumber's region and geocoder.

    The country is "US" (territories included), "CA", or the region code of another +1
    country. The place is empty where the area code names none (toll-free), ";"-joined where
    it names several (902: Nova Scotia and Prince Edward Island). The geocoder's data for +1
    takes ~100 MB once loaded, so `python -m compliance.refresh_data` ships this table as a
    CSV and `npa_states` and `npa_countries` read that instead.
    """
    found: dict[int, tuple[str, str]] = {}
    for npa, (region, national) in sorted(_region_samples().items()):
        if region in _TERRITORIES:
            found[npa] = ("US", region)
        elif region in ("US", "CA"):
            number = phonenumbers.PhoneNumber(country_code=_NANP, national_number=national)
            found[npa] = (region, _geocoded_place(number, region))
        else:
            found[npa] = (region, "")
    return found


NPA_PLACES_FILE = "data/npa_states.csv"


@cache
def _npa_tables() -> tuple[np.ndarray, np.ndarray]:
    codes = {code: index for index, code in enumerate(state_codes())}
    places = np.full(1000, -1, dtype=np.int16)
    countries = np.full(1000, NO_COUNTRY, dtype=np.int8)
    text = resources.files("compliance").joinpath(NPA_PLACES_FILE).read_text("utf-8")
    for npa, country, place in list(csv.reader(io.StringIO(text)))[1:]:
        places[int(npa)] = codes.get(place, -1)  # -1 too for an area code of several places
        countries[int(npa)] = _COUNTRY_CODES.get(country, OTHER_COUNTRY)
    return places, countries


def npa_states() -> np.ndarray:
    """Area code (0-999) -> index into `state_codes()` of its state or province, -1 when none.

    Example:
        >>> [state_codes()[npa_states()[npa]] for npa in (305, 416)]
        ['FL', 'ON']
    """
    return _npa_tables()[0]


def npa_countries() -> np.ndarray:
    """Area code (0-999) -> US, CANADA, OTHER_COUNTRY or NO_COUNTRY (unassigned).

    Example:
        >>> [int(npa_countries()[npa]) for npa in (212, 604, 876)] == [US, CANADA, OTHER_COUNTRY]
        True
    """
    return _npa_tables()[1]


@cache
def province_zones() -> dict[str, frozenset[str]]:
    """Canadian province -> every zone of its area codes (`data/area_code_zones.csv`).

    Example:
        >>> sorted(province_zones()["SK"])  # Lloydminster: Alberta's; Creighton: Manitoba's
        ['America/Edmonton', 'America/Regina', 'America/Winnipeg']
    """
    zones: dict[str, set[str]] = {}
    text = resources.files("compliance").joinpath(NPA_PLACES_FILE).read_text("utf-8")
    provinces = {
        int(npa): found.split(";")
        for npa, country, found in list(csv.reader(io.StringIO(text)))[1:]
        if country == "CA" and found
    }
    for npa, spanned, _ in data_rows(AREA_CODE_ZONES_FILE):
        for province in provinces.get(int(npa), ()):  # an area code of several serves each
            zones.setdefault(province, set()).update(spanned.split(";"))
    return {province: frozenset(found) for province, found in zones.items()}


# Why a phone cell is not a valid number (`Phones.problem`); a non-text cell's text follows.
NO_NUMBER = "no number"
SCIENTIFIC = "scientific notation: the digits were lost"
NOT_VALID = "not a valid +1 number"
_NOT_TEXT = "not text: {} {} cell (spreadsheets round long numbers; store phones as text)"
# A number written by a spreadsheet in scientific notation: "1.21274E+10".
_SCIENTIFIC_TEXT = r"^\s*[+-]?\d*[.,]?\d+\s*[eE]\s*[+-]?\d+\s*$"


def not_text(kind: str) -> str:
    """The detail of a phone cell that is not text, for its type name.

    Example:
        >>> not_text("int")
        'not text: an int cell (spreadsheets round long numbers; store phones as text)'
    """
    return _NOT_TEXT.format("an" if kind[:1] in tuple("aeiou") else "a", kind)


def _kind(value: object) -> str:
    """The type of a cell as the user knows it: numpy scalars by their Python names."""
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, Integral):
        return "int"
    if isinstance(value, Real):
        return "float"
    return type(value).__name__


@dataclass(frozen=True)
class _Cells:
    """A phone column read as text: only text cells count, whatever else a cell holds."""

    text: pa.Array  # the text cells; null for missing and non-text cells
    kind: np.ndarray | None  # per row: id into `kinds` of a non-text cell, else -1; None: none
    kinds: tuple[str, ...]  # type names of the non-text cells


def _contiguous(text: pa.Array | pa.ChunkedArray) -> pa.Array:
    # A column built by concatenating frames is Arrow-chunked: one contiguous array here.
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _read_cells(values: pd.Series) -> _Cells:
    """The text of each cell; numbers, flags and other objects are never read as digits.

    A float column of 1.21274E+10 holds 12127400000, whose digits are not the customer's:
    reading it as a phone number would dial a stranger.
    """
    n = len(values)
    if isinstance(values.dtype, pd.StringDtype):
        return _Cells(_contiguous(pa.array(values.array)), None, ())
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        kind = {"b": "bool", "i": "int", "u": "int", "f": "float"}.get(values.dtype.kind, "number")
        missing = values.isna().to_numpy(dtype=bool)
        return _Cells(pa.nulls(n, pa.large_string()), np.where(missing, -1, 0), (kind,))
    cells = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) in ("string", "empty"):
        return _Cells(pa.array(cells, pa.large_string(), from_pandas=True), None, ())
    try:  # judge each distinct cell once
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        distinct = uniques.tolist()
    except TypeError:  # unhashable cells (lists, dicts): each on its own
        codes, distinct = np.arange(n), list(cells)
        codes[pd.isna(pd.Series(cells, dtype=object)).to_numpy()] = -1
    texts = [value if isinstance(value, str) else None for value in distinct]
    kind_ids: dict[str, int] = {}
    kinds = [
        -1 if text is not None else kind_ids.setdefault(_kind(value), len(kind_ids))
        for value, text in zip(distinct, texts, strict=True)
    ]
    rows = np.where(codes < 0, len(texts), codes)  # a missing cell picks the appended null
    text = pa.array([*texts, None], pa.large_string()).take(pa.array(rows))
    return _Cells(text, np.array([*kinds, -1], dtype=np.int64)[rows], tuple(kind_ids))


@dataclass(frozen=True)
class Phones:
    """Per-row results of `parse_phones`."""

    valid: np.ndarray  # bool
    country: np.ndarray  # int8: US, CANADA, OTHER_COUNTRY; NO_COUNTRY when invalid
    zone_set: np.ndarray  # int16 id into zone_sets(); 0 when the number gives no zone
    zone_origin: np.ndarray  # int8 NO_ORIGIN, AREA_CODE or EXCHANGE: where zone_set comes from
    npa_state: np.ndarray  # int16 index into state_codes() of the area code's place; -1: none
    e164: pa.Array  # "+1NPANXXXXXX", null when invalid
    national: np.ndarray  # int64: the ten digits as an integer, 0 when invalid
    problem: np.ndarray  # int16 id into `problems` of why an invalid row is invalid; -1: valid
    problems: tuple[str, ...]  # NO_NUMBER, SCIENTIFIC, NOT_VALID, then `not_text` of each type


def concat_phones(first: Phones, second: Phones) -> Phones:
    """The results of two consecutive parts of a column as one (what `parse_phones` of the
    whole column gives).

    Example:
        >>> a, b = parse_phones(pd.Series(["2127365000", 7.5])), parse_phones(pd.Series([True]))
        >>> both = concat_phones(a, b)
        >>> [both.problems[i] if i >= 0 else "valid" for i in both.problem]  # doctest: +ELLIPSIS
        ['valid', 'not text: a float cell ...', 'not text: a bool cell ...']
    """
    problems = (*first.problems, *(p for p in second.problems if p not in first.problems))
    recode = np.array([problems.index(p) for p in second.problems], dtype=np.int16)
    second_problem = np.where(second.problem >= 0, recode[np.maximum(second.problem, 0)], -1)
    arrays = {
        name: np.concatenate([getattr(first, name), getattr(second, name)])
        for name in ("valid", "country", "zone_set", "zone_origin", "npa_state", "national")
    }
    return Phones(
        **arrays,
        e164=pa.concat_arrays([first.e164, second.e164]),
        problem=np.concatenate([first.problem, second_problem.astype(np.int16)]),
        problems=problems,
    )


def _without_separators(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets, bytes and validity of the strings with separator bytes removed (numpy only)."""
    offsets, data = string_buffers(text)
    separator = _SEPARATOR_BYTES[data]
    # Each offset moves back by the separators before it (a search, not a running sum: faster).
    kept_offsets = offsets - np.searchsorted(np.flatnonzero(separator), offsets)
    return kept_offsets, data[~separator], text.is_valid().to_numpy(zero_copy_only=False)


def _well_shaped(offsets: np.ndarray, data: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Ten digits, optionally after "1" or "+1" (what `^(?:\\+?1)?\\d{10}$` matches)."""
    lengths = np.diff(offsets)
    others = np.diff(np.searchsorted(np.flatnonzero(~_DIGIT_BYTES[data]), offsets))
    padded = np.append(data, np.zeros(2, dtype=np.uint8))  # the first two bytes of any string
    head, second = padded[offsets[:-1]], padded[offsets[:-1] + 1]
    shaped = present & (
        ((lengths == 10) & (others == 0))
        | ((lengths == 11) & (others == 0) & (head == ord("1")))
        | ((lengths == 12) & (others == 1) & (head == ord("+")) & (second == ord("1")))
    )
    return cast(np.ndarray, shaped)  # numpy's stubs: Any for comparisons of untyped dtypes


@cache
def _split_npas() -> np.ndarray:
    """Area code -> whether its region's mobile and fixed-line patterns differ."""
    split = np.zeros(1000, dtype=bool)
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[_NANP]:
        metadata = _metadata(region)
        mobile, fixed = _mobile_and_fixed(metadata)
        if mobile == fixed:
            continue
        leading = metadata.leading_digits or "$^"  # regions without leading digits never split
        split |= [bool(re.match(leading, f"{npa}2000000")) for npa in range(1000)]
    return split


def _last_ten_digits(
    offsets: np.ndarray, data: np.ndarray, shaped: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The last ten digits of well-shaped cells as bytes (n x 10, "0"s elsewhere) and ints."""
    padded = np.append(data, np.full(10, ord("0"), dtype=np.uint8))
    ends = np.where(shaped, offsets[1:], 10)  # unshaped rows read bytes they then overwrite
    digits = np.empty((len(ends), 10), dtype=np.uint8)
    numbers = np.zeros(len(ends), dtype=np.int64)
    for k in range(10):  # ten gathers of n bytes, not one index array ten times the size
        digits[:, k] = padded[ends - 10 + k]
        numbers = numbers * 10 + (digits[:, k].astype(np.int64) - ord("0"))
    digits[~shaped] = ord("0")
    return digits, np.where(shaped, numbers, 0)


# Most cells are read through a window of their last `_WINDOW` bytes, a row of a byte matrix
# each (every common format fits): a few passes over the matrix, none per separator. Longer
# cells take the general pass above.
_WINDOW = 16
_KEPT = 12  # the most bytes a well-shaped cell keeps: "+1" and ten digits
_BLOCK_ROWS = 1 << 16  # rows compacted at once: numpy's index arrays stay a few MB
# Separators from "(" on as bits: ( ) - . / are "(" + 0, 1, 5, 6, 7.
_PUNCTUATION_BITS = np.uint8(0b11100011)
# Multiplying eight bytes of 0 or 1 by this puts byte k's bit at bit 56 + k (no carries).
_PACK_BITS = np.uint64(0x0102040810204080)
_ONES = np.uint64(0x0101010101010101)


@cache
def _compaction() -> tuple[np.ndarray, np.ndarray]:
    """Per mask of kept bytes (bit k: column k of a window): the columns of its last `_KEPT`
    kept bytes, in order (0 where it keeps fewer), and how many bytes it keeps.

    The columns are native integers (6 MB), the type numpy gathers by: converting them per
    call costs more than the gather.
    """
    bits = (np.arange(1 << _WINDOW)[:, None] >> np.arange(_WINDOW)) & 1 == 1
    rank = np.cumsum(bits[:, ::-1], axis=1)[:, ::-1]  # kept bytes at or after each column
    columns = np.zeros((1 << _WINDOW, _KEPT), dtype=np.intp)
    masks, kept = np.nonzero(bits & (rank <= _KEPT))
    columns[masks, _KEPT - rank[masks, kept]] = kept
    return columns, bits.sum(axis=1).astype(np.uint8)


@cache
def _own_columns() -> np.ndarray:
    """Per cell length (up to `_WINDOW`): the mask of the window's columns that are the cell's
    (the last ones; earlier columns hold the cells before it)."""
    full = (1 << _WINDOW) - 1
    return np.array([full ^ ((1 << (_WINDOW - k)) - 1) for k in range(_WINDOW + 1)])


def _not_separators(window: np.ndarray) -> np.ndarray:
    """1 for each byte that is not a separator, 0 for one (arithmetic: a lookup in a table of
    256 is slower, numpy widening the bytes to index it)."""
    # numpy gives 0 for shifts by the width or more: bytes outside "(" to "/" are no punctuation.
    separator = (_PUNCTUATION_BITS >> (window - np.uint8(ord("(")))) & np.uint8(1)
    separator |= (window == ord(" ")).view(np.uint8)
    separator |= (window == ord("\t")).view(np.uint8)
    return cast(np.ndarray, separator ^ np.uint8(1))


def _short_cells(
    offsets: np.ndarray, data: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Well-shaped cells of at most `_WINDOW` bytes, each cell's kept bytes and number.

    Returns:
        Per row whether it is well shaped, its last `_KEPT` bytes without separators
        right-aligned in a row of `_WINDOW` (the ten digits in the last ten columns), and its
        ten digits as an integer (0 when not well shaped).
    """
    n, lengths = len(offsets) - 1, np.diff(offsets)
    window = last_bytes(offsets, data, _WINDOW)
    packed = (_not_separators(window).view("<u8") * _PACK_BITS) >> np.uint64(56)
    masks = (packed[:, 0] | (packed[:, 1] << np.uint64(8))).astype(np.intp)
    masks &= _own_columns()[np.minimum(lengths, _WINDOW)]
    columns, counts = _compaction()
    kept = np.empty_like(window)  # the first columns stay unset: only the last `_KEPT` count
    flat = window.reshape(-1)
    row_starts = np.arange(0, _BLOCK_ROWS * _WINDOW, _WINDOW)[:, None]
    for start in range(0, n, _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        at = columns[masks[rows]]
        at += row_starts[: len(at)] + start * _WINDOW
        kept[rows, _WINDOW - _KEPT :] = flat.take(at)
    digits = kept - np.uint8(ord("0"))
    ten = (digits <= 9).view(np.uint8).view("<u8")  # per 8 columns: 1 per digit byte
    count = counts[masks]
    head, second = kept[:, _WINDOW - _KEPT], kept[:, _WINDOW - _KEPT + 1]
    shaped = (
        present
        & (lengths <= _WINDOW)
        & (ten[:, 1] == _ONES)
        & (ten[:, 0] >> np.uint64(48) == 0x0101)
        & (
            (count == 10)
            | (((count == 11) | ((count == 12) & (head == ord("+")))) & (second == ord("1")))
        )
    )
    high = digits[:, _WINDOW - 10].astype(np.int64) * 10 + digits[:, _WINDOW - 9]
    numbers = np.where(shaped, high * 10**8 + eight_digits(digits.view("<u8")[:, 1]), 0)
    return cast(np.ndarray, shaped), kept, numbers


def _read_numbers(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: whether it is well shaped (`_well_shaped`), its kept bytes (`_short_cells`:
    the ten digits in the last ten columns) and its ten digits as an integer (0 if not)."""
    offsets, data = string_buffers(text)
    present = text.is_valid().to_numpy(zero_copy_only=False)
    shaped, kept, numbers = _short_cells(offsets, data, present)
    long = np.flatnonzero(present & (np.diff(offsets) > _WINDOW))
    if len(long):  # rare: the general pass, on those cells only
        long_offsets, long_data, long_present = _without_separators(text.take(pa.array(long)))
        long_shaped = _well_shaped(long_offsets, long_data, long_present)
        digits, long_numbers = _last_ten_digits(long_offsets, long_data, long_shaped)
        shaped[long], numbers[long] = long_shaped, long_numbers
        kept[long, _WINDOW - 10 :] = digits
    return shaped, kept, numbers


def _strings(characters: np.ndarray, present: np.ndarray) -> pa.Array:
    """Fixed-width strings (one row of `characters` each) as Arrow text, null where not present."""
    n, width = characters.shape
    return pa.LargeStringArray.from_buffers(
        n,
        pa.py_buffer(np.arange(0, width * n + 1, width, dtype=np.int64)),
        pa.py_buffer(np.ascontiguousarray(characters)),
        pa.array(present).buffers()[1],
    )


def _countries(valid: np.ndarray, npa: np.ndarray) -> np.ndarray:
    country = npa_countries()[npa]
    # A valid number of an area code the table lacks fails closed: refused as unsupported.
    return np.where(valid, np.where(country == NO_COUNTRY, OTHER_COUNTRY, country), NO_COUNTRY)


def _problems(cells: _Cells, valid: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Why each invalid row is invalid (ids into the returned texts); -1 for valid rows."""
    problem = np.full(len(valid), -1, dtype=np.int16)
    rows = np.flatnonzero(~valid)
    if len(rows):  # invalid rows are few: judge only them
        text = cells.text.take(pa.array(rows))
        missing = ~text.is_valid().to_numpy(zero_copy_only=False) | blank_text(text)
        scientific = pc.fill_null(pc.match_substring_regex(text, _SCIENTIFIC_TEXT), False)
        found = np.where(missing, 0, np.where(scientific.to_numpy(zero_copy_only=False), 1, 2))
        if cells.kind is not None:
            found = np.where(cells.kind[rows] >= 0, 3 + cells.kind[rows], found)
        problem[rows] = found
    return problem, (NO_NUMBER, SCIENTIFIC, NOT_VALID, *map(not_text, cells.kinds))


def _matches(national: pa.Array, pattern: str, rows: np.ndarray) -> np.ndarray:
    """Whether the chosen rows' national numbers match (False for the other rows)."""
    found = np.zeros(len(rows), dtype=bool)
    if rows.any():
        chosen = national.filter(pa.array(rows)) if rows.mean() < 0.5 else national
        hits = pc.fill_null(pc.match_substring_regex(chosen, pattern), False)
        found[rows] = hits.to_numpy(zero_copy_only=False)[rows if chosen is national else ...]
    return found


def _judged(national: pa.Array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid and geographic, per row, of national numbers (ten digits as text): the chosen
    rows through the +1 regions' patterns, False for the others."""
    patterns = _patterns()

    def matches(pattern: str, chosen: np.ndarray) -> np.ndarray:
        return _matches(national, pattern, chosen)

    numbers = np.zeros(len(rows), dtype=np.int64)
    valid = matches(patterns.any_type, rows)
    if valid.any():
        text = pc.cast(pc.fill_null(national, "0"), pa.int64()).to_numpy(zero_copy_only=False)
        numbers = np.where(valid, text, 0)
    npa = numbers // 10**7
    # Non-geographic numbers live only in area codes that name no place (a test checks it),
    # and mobile and fixed patterns differ only in some regions: test just those rows.
    non_geographic = matches(patterns.non_geographic, valid & (npa_states()[npa] < 0))
    split = valid & _split_npas()[npa]
    mobile_only = matches(patterns.split_mobile, split) & ~matches(patterns.split_fixed, split)
    return valid, valid & ~non_geographic & ~mobile_only


# What `_exchange_flags` knows of a number's leading digits: judged yet, valid, geographic.
_KNOWN, _VALID, _GEOGRAPHIC = 1, 2, 4
_MAX_CACHED_DIGITS = 7  # a table of 10**7 bytes


def _free_tail(items: list[tuple[Any, Any]], sre: Any) -> tuple[int, int | None]:
    """Of a parsed regex (`re._parser`): the fewest trailing characters that every match
    leaves to any digit, and the length when the whole of it is such digits (else None).

    Anything but literals, classes, groups, alternations and counted repeats gives (0, None):
    the caller then trusts no digit to be free. `sre`: the parser's opcodes (`re._constants`).
    """
    tail, whole = 0, 0
    for op, arg in reversed(items):
        part = _free_part(op, arg, sre)
        if part is None:  # an anchor: matches no character
            continue
        free, length = part
        if length is None:
            return tail + free, None
        tail, whole = tail + length, whole + length
    return tail, whole


def _free_part(op: Any, arg: Any, sre: Any) -> tuple[int, int | None] | None:
    if op is sre.AT:
        return None
    if op is sre.LITERAL:
        return 0, None
    if op is sre.IN:
        digits = set()
        for kind, value in arg:
            if kind is sre.LITERAL:
                digits.add(value)
            elif kind is sre.RANGE:
                digits.update(range(value[0], value[1] + 1))
            elif kind is sre.CATEGORY and value is sre.CATEGORY_DIGIT:
                digits.update(b"0123456789")
            else:
                return 0, None
        return (1, 1) if digits >= set(b"0123456789") else (0, None)
    if op is sre.SUBPATTERN:
        return _free_tail(arg[-1], sre)
    if op is sre.BRANCH:
        parts = [_free_tail(branch, sre) for branch in arg[1]]
        lengths = {length for _, length in parts}
        return min(free for free, _ in parts), lengths.pop() if len(lengths) == 1 else None
    if op is sre.MAX_REPEAT:
        low, high, body = arg
        free, length = _free_tail(body, sre)
        if length is not None:
            return length * low, length * low if low == high else None
        return (free if low >= 1 else 0), None
    return 0, None


@cache
def _decisive_digits() -> int:
    """How many leading digits of a national number decide whether it is valid and
    geographic: every +1 pattern leaves its last digits free (`\\d{4}`, `\\d{3}`).

    Read from the patterns themselves, so a `phonenumbers` upgrade that looks deeper makes
    the cache wider, or unused.

    Example:
        >>> _decisive_digits()
        7
    """
    patterns = _patterns()
    try:  # CPython's own regex parser: without it (or its opcodes), no digit is trusted free
        parser, sre = (importlib.import_module(f"re._{name}") for name in ("parser", "constants"))
        free = min(
            _free_tail(list(parser.parse(pattern)), sre)[0]
            for pattern in (
                patterns.any_type,
                patterns.non_geographic,
                patterns.split_mobile,
                patterns.split_fixed,
            )
        )
    except (ImportError, AttributeError):
        return 10
    return 10 - min(free, 10)


def _kind_flags(valid: np.ndarray, geographic: np.ndarray) -> np.ndarray:
    """`_VALID` and `_GEOGRAPHIC` flags (geographic only where valid)."""
    flags = np.where(valid, _VALID, 0) | np.where(valid & geographic, _GEOGRAPHIC, 0)
    return flags.astype(np.uint8)


def _kinds(numbers: np.ndarray) -> np.ndarray:
    """`_kind_flags` of national numbers (ten digits as ints), run through the patterns."""
    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), 10, "0")
    return _kind_flags(*_judged(text, np.ones(len(numbers), dtype=bool)))


def prefix_kinds_from_patterns() -> np.ndarray:
    """`_VALID` and `_GEOGRAPHIC` flags of every prefix of `_decisive_digits` digits, judged
    through the patterns (all ten million of them: about 2 s); what
    `python -m compliance.refresh_data` writes, as runs, to `data/number_prefixes.csv`.

    Raises:
        ValueError: the patterns look deeper than the cache (`_MAX_CACHED_DIGITS`).
    """
    digits = _decisive_digits()
    if digits > _MAX_CACHED_DIGITS:
        raise ValueError(f"the +1 patterns decide on {digits} digits: no prefix table")
    flags = np.empty(10**digits, dtype=np.uint8)
    width = 10 ** (10 - digits)  # each prefix's number ending in zeros: its endings are free
    for start in range(0, len(flags), 10**6):
        stop = min(start + 10**6, len(flags))
        flags[start:stop] = _kinds(np.arange(start, stop, dtype=np.int64) * width)
    return flags


def patterns_meta() -> dict[str, str]:
    """What the prefix table was judged by: digits, the patterns' digest, the package."""
    return {
        "digits": str(_decisive_digits()),
        "patterns": patterns_digest(astuple(_patterns())),
        "phonenumbers": phonenumbers.__version__,
    }


def prefix_kinds_text() -> str:
    """`data/number_prefixes.csv` as the installed patterns give it (see `compliance._prefixes`)."""
    starts, flags = runs(prefix_kinds_from_patterns())
    return write_text(starts, flags & _VALID > 0, flags & _GEOGRAPHIC > 0, patterns_meta())


def shipped_prefix_kinds() -> tuple[np.ndarray, np.ndarray] | None:
    """The shipped runs (first prefixes, `_VALID` and `_GEOGRAPHIC` flags) when they were judged
    by the installed patterns on as many digits; None otherwise, or without the file."""
    try:
        text = resources.files("compliance").joinpath(PREFIX_KINDS_FILE).read_text("utf-8")
    except FileNotFoundError:
        return None
    meta, rows = read_text(text)
    wanted = patterns_meta()
    if any(meta.get(key) != wanted[key] for key in ("digits", "patterns")):
        return None  # other patterns (a `phonenumbers` upgrade): judge as numbers come
    return rows[:, 0], _kind_flags(rows[:, 1] > 0, rows[:, 2] > 0)


@cache
def _exchange_table() -> np.ndarray:
    """Flags per leading digits (`_decisive_digits` of them); 0 until judged. Filled from the
    shipped runs at once when they fit the installed patterns."""
    table = np.zeros(10 ** _decisive_digits(), dtype=np.uint8)
    shipped = shipped_prefix_kinds()
    if shipped is not None:
        starts, flags = shipped
        fill(table, starts, flags | _KNOWN)
    return table


def _exchange_flags(numbers: np.ndarray) -> np.ndarray:
    """`_VALID` and `_GEOGRAPHIC` flags of well-shaped national numbers (ten digits as ints).

    Each exchange (the decisive leading digits: NPA-NXX and one more) is a table lookup: the
    table comes filled from the shipped runs when they were judged by the installed patterns;
    otherwise an exchange is run through the patterns once per process, the first time a
    number of it is seen. Threads may fill the table at once: they write the same flags.
    """
    table = _exchange_table()
    width = 10 ** (10 - _decisive_digits())
    prefix = numbers // width
    flags = table[prefix]
    unknown = flags == 0
    if unknown.any():
        # Judged as they come (no sort): a repeated new exchange is judged twice, alike.
        new = prefix[unknown]
        table[new] = _KNOWN | _kinds(numbers[unknown])
        flags[unknown] = table[prefix[unknown]]
    return cast(np.ndarray, flags)  # numpy's stubs: Any for a gather


def _kinds_of_shaped(
    shaped: np.ndarray, kept: np.ndarray, numbers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Valid and geographic, per row, of cells read by `_read_numbers`."""
    if _decisive_digits() <= _MAX_CACHED_DIGITS:  # what each exchange is, judged once
        flags = _exchange_flags(numbers) * shaped  # numbers not shaped are 0: no exchange
        return flags & _VALID > 0, flags & _GEOGRAPHIC > 0
    # The patterns look deeper than the cache: every number through them.
    digits = np.ascontiguousarray(kept[:, _WINDOW - 10 :])
    return _judged(_strings(digits, shaped), shaped)


def parse_phones(values: pd.Series) -> Phones:
    """Normalise any common format and look up validity, country, zones and area-code place.

    A number is valid when, after dropping separators and an optional leading 1 or +1, its
    10 digits match a number type of a +1 region (as `phonenumbers.is_valid_number`).
    Letters, extensions and other country codes make it invalid, and so does any cell that
    is not text (a number, a flag, an object; a numeric column): its digits may not be the
    ones written (a spreadsheet's 1.21274E+10 is 12127400000).

    Example:
        >>> phones = parse_phones(pd.Series(["(850) 434-1234", "+1-800-555-0100", "hello"]))
        >>> [sorted(zone_sets()[i]) for i in phones.zone_set], phones.valid.tolist()
        ([['America/Chicago'], [], []], [True, True, False])
        >>> [phones.problems[i] for i in parse_phones(pd.Series(["1.21274E+10", None])).problem]
        ['scientific notation: the digits were lost', 'no number']
    """
    cells = _read_cells(values)
    shaped, kept, numbers = _read_numbers(cells.text)
    valid, geographic = _kinds_of_shaped(shaped, kept, numbers)
    numbers = np.where(valid, numbers, 0)
    prefix_table, _, origins = _prefix_zone_sets()
    prefix = numbers // 10 ** (10 - _PREFIX_DIGITS)
    npa = prefix // 10 ** (_PREFIX_DIGITS - 3)
    zone_set = np.where(geographic, prefix_table[prefix], 0)
    zone_origin = np.where(geographic, origins[prefix], NO_ORIGIN)
    kept[:, _WINDOW - _KEPT : _WINDOW - 10] = np.frombuffer(b"+1", dtype=np.uint8)
    problem, problems = _problems(cells, valid)
    return Phones(
        valid=valid,
        country=_countries(valid, npa),
        zone_set=zone_set.astype(np.int16),
        zone_origin=zone_origin.astype(np.int8),
        npa_state=npa_states()[npa],
        e164=_strings(np.ascontiguousarray(kept[:, _WINDOW - _KEPT :]), valid),
        national=numbers,
        problem=problem,
        problems=problems,
    )


def national_numbers(phones: pd.Series) -> np.ndarray:
    """The number of each valid +1 phone cell as an integer (its ten digits), 0 when invalid.

    The same reading as the engine's: "(212) 736-5803" and "+12127365803" are one number,
    and a cell that is not text is no number.

    Args:
        phones: A phone column.

    Returns:
        int64 per row.

    Example:
        >>> national_numbers(pd.Series(["(212) 736-5803", "+12127365803", 2127365803, "x"]))
        array([2127365803, 2127365803,          0,          0])
    """
    # `parse_phones(phones).national` without the zones, places and texts it also builds:
    # a dial list's first pass reads every number, and needs only these.
    shaped, kept, numbers = _read_numbers(_read_cells(phones).text)
    valid, _ = _kinds_of_shaped(shaped, kept, numbers)
    found: np.ndarray = np.where(valid, numbers, 0)
    return found
