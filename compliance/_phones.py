"""Phone numbers, vectorised: NANP normalisation, validity, country, zones and area-code place.

Everything comes from libphonenumber's data (the `phonenumbers` package), read once: the
number-type patterns of the +1 regions give validity and whether a number is geographic (run
as one RE2 regex over the whole column), the time-zone prefix table gives the zones of each
NPA-NXX, and the region and geocoder give the country and state or province of each area code.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from numbers import Real
from zoneinfo import available_timezones

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata, tzdata

from ._zones import CANADIAN_PROVINCES, normalise_state, state_codes

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


@cache
def _patterns() -> _Patterns:
    any_type: set[str] = set()
    non_geographic: set[str] = set()
    split_mobile: set[str] = set()
    split_fixed: set[str] = set()
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[_NANP]:
        metadata = PhoneMetadata.metadata_for_region(region)
        for kind in (*_NON_GEOGRAPHIC_TYPES, "fixed_line", "mobile"):
            desc = getattr(metadata, kind)
            if desc is not None and desc.national_number_pattern:
                any_type.add(desc.national_number_pattern)
                if kind in _NON_GEOGRAPHIC_TYPES:
                    non_geographic.add(desc.national_number_pattern)
        mobile = metadata.mobile.national_number_pattern
        fixed = metadata.fixed_line.national_number_pattern
        if mobile != fixed:
            split_mobile.add(mobile)
            split_fixed.add(fixed)
    return _Patterns(
        *(_alternation(group) for group in (any_type, non_geographic, split_mobile, split_fixed))
    )


@cache
def _prefix_zone_sets() -> tuple[np.ndarray, tuple[frozenset[str], ...]]:
    """NPA-NXX (as an int) -> zone-set id, and the zone sets; id 0 means "no information".

    Built from libphonenumber's longest-prefix table: a key covers every NPA-NXX it prefixes,
    longer keys override shorter ones. Zone lists equal to the whole +1 list say nothing.
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
            leading = PhoneMetadata.metadata_for_region(region).leading_digits
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
    return ";".join(places)


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
    """Canadian province -> every zone libphonenumber gives any of its area codes' exchanges.

    Example:
        >>> sorted(province_zones()["SK"])
        ['America/Regina', 'America/Winnipeg']
    """
    prefixes, sets = _prefix_zone_sets()
    zones: dict[str, set[str]] = {}
    text = resources.files("compliance").joinpath(NPA_PLACES_FILE).read_text("utf-8")
    for npa, country, places in list(csv.reader(io.StringIO(text)))[1:]:
        if country == "CA" and places:
            ids = np.unique(prefixes[int(npa) * 1000 : (int(npa) + 1) * 1000])
            for province in places.split(";"):  # an area code of several provinces serves each
                zones.setdefault(province, set()).update(*(sets[i] for i in ids))
    return {province: frozenset(found) for province, found in zones.items()}


def _scalar_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Real) and not isinstance(value, bool | np.bool_):
        number = float(value)
        # Numbers typed as floats (a column with gaps) must not gain a ".0".
        return str(int(number)) if number.is_integer() and number > 0 else None
    return None


def _as_text(values: pd.Series) -> pa.Array:
    if isinstance(values.dtype, pd.StringDtype):
        text = pa.array(values.array)
        # A column built by concatenating frames is Arrow-chunked: one contiguous array here.
        return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    if pd.api.types.is_bool_dtype(values.dtype):
        return pa.nulls(len(values), pa.string())
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        # Positive whole numbers of at most 15 digits (E.164's limit); NaN compares False.
        whole = (numbers > 0) & (numbers < 1e15) & (np.floor(numbers) == numbers)
        integers = pa.array(np.where(whole, numbers, 0).astype(np.int64), mask=~whole)
        return pc.cast(integers, pa.string())
    return pa.array([_scalar_text(value) for value in values.to_numpy(dtype=object)], pa.string())


@dataclass(frozen=True)
class Phones:
    """Per-row results of `parse_phones`."""

    valid: np.ndarray  # bool
    country: np.ndarray  # int8: US, CANADA, OTHER_COUNTRY; NO_COUNTRY when invalid
    zone_set: np.ndarray  # int16 id into zone_sets(); 0 when the number gives no zone
    npa_state: np.ndarray  # int16 index into state_codes() of the area code's place; -1: none
    e164: pa.Array  # "+1NPANXXXXXX", null when invalid


def _buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (int64, n + 1) and bytes of a string array, read in place where possible."""
    if text.offset:  # a slice: copy into an array of its own
        text = pa.concat_arrays([text])
    wide = pa.types.is_large_string(text.type)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[: len(text) + 1].astype(np.int64, copy=False)
    return offsets, np.frombuffer(text.buffers()[2] or b"", dtype=np.uint8)[: offsets[-1]]


def _without_separators(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets, bytes and validity of the strings with separator bytes removed (numpy only)."""
    offsets, data = _buffers(text)
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
    return present & (
        ((lengths == 10) & (others == 0))
        | ((lengths == 11) & (others == 0) & (head == ord("1")))
        | ((lengths == 12) & (others == 1) & (head == ord("+")) & (second == ord("1")))
    )


@cache
def _split_npas() -> np.ndarray:
    """Area code -> whether its region's mobile and fixed-line patterns differ."""
    split = np.zeros(1000, dtype=bool)
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[_NANP]:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata.mobile.national_number_pattern == metadata.fixed_line.national_number_pattern:
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


def parse_phones(values: pd.Series) -> Phones:
    """Normalise any common format and look up validity, country, zones and area-code place.

    A number is valid when, after dropping separators and an optional leading 1 or +1, its
    10 digits match a number type of a +1 region (as `phonenumbers.is_valid_number`).
    Letters, extensions and other country codes make it invalid.

    Example:
        >>> phones = parse_phones(pd.Series(["(850) 434-1234", "+1-800-555-0100", "hello"]))
        >>> [sorted(zone_sets()[i]) for i in phones.zone_set], phones.valid.tolist()
        ([['America/Chicago'], [], []], [True, True, False])
    """
    patterns = _patterns()
    offsets, data, present = _without_separators(_as_text(values))
    shaped = _well_shaped(offsets, data, present)
    digits, numbers = _last_ten_digits(offsets, data, shaped)
    national = _strings(digits, shaped)

    def matches(pattern: str, rows: np.ndarray) -> np.ndarray:
        """Whether the chosen rows' national numbers match (False for the other rows)."""
        found = np.zeros(len(rows), dtype=bool)
        if rows.any():
            chosen = national.filter(pa.array(rows)) if rows.mean() < 0.5 else national
            hits = pc.fill_null(pc.match_substring_regex(chosen, pattern), False)
            found[rows] = hits.to_numpy(zero_copy_only=False)[rows if chosen is national else ...]
        return found

    valid = matches(patterns.any_type, shaped)
    npa = np.where(valid, numbers // 10**7, 0)
    # Non-geographic numbers live only in area codes that name no place (a test checks it),
    # and mobile and fixed patterns differ only in some regions: test just those rows.
    non_geographic = matches(patterns.non_geographic, valid & (npa_states()[npa] < 0))
    split = valid & _split_npas()[npa]
    mobile_only = matches(patterns.split_mobile, split) & ~matches(patterns.split_fixed, split)
    geographic = valid & ~non_geographic & ~mobile_only
    numbers = np.where(valid, numbers, 0)
    prefix_table, _ = _prefix_zone_sets()
    zone_set = np.where(geographic, prefix_table[numbers // 10 ** (10 - _PREFIX_DIGITS)], 0)
    e164 = np.empty((len(valid), 12), dtype=np.uint8)
    e164[:, :2] = np.frombuffer(b"+1", dtype=np.uint8)
    e164[:, 2:] = digits
    return Phones(
        valid=valid,
        country=_countries(valid, numbers // 10**7),
        zone_set=zone_set.astype(np.int16),
        npa_state=npa_states()[numbers // 10**7],
        e164=_strings(e164, valid),
    )
