"""Phone numbers, vectorised: NANP normalisation, validity, zones and area-code state.

Everything comes from libphonenumber's data (the `phonenumbers` package), read once: the
number-type patterns of the +1 regions give validity and whether a number is geographic (run
as one RE2 regex over the whole column), the time-zone prefix table gives the zones of each
NPA-NXX, and the geocoder gives the state of each area code.
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
from phonenumbers import PhoneMetadata, geocoder, tzdata

from ._zones import normalise_state, state_codes

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
# Separators of the common written forms: (212) 736-5000, 212.736.5000, +1-212-736-5000.
_SEPARATOR_BYTES = np.zeros(256, dtype=bool)
_SEPARATOR_BYTES[list(b" \t().-/")] = True
_SHAPE = r"^(?:\+?1)?\d{10}$"


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


def _geocoded_state(npa: int) -> str | None:
    number = phonenumbers.PhoneNumber(country_code=_NANP, national_number=npa * 10**7 + 2_000_000)
    region = phonenumbers.region_code_for_number(number)
    if region in _TERRITORIES:
        return region
    if region != "US":
        return None
    description = geocoder.description_for_valid_number(number, "en")
    suffix = re.search(r", ([A-Z]{2})$", description)
    if suffix:
        return suffix.group(1)
    return _GEOCODER_NAMES.get(description) or normalise_state(description)


NPA_STATES_FILE = "data/npa_states.csv"


def npa_states_from_package() -> dict[int, str]:
    """Area code -> state or territory, from libphonenumber's geocoder.

    The geocoder's data for +1 takes ~100 MB once loaded, so `python -m
    compliance.refresh_data` ships this table as a CSV and `npa_states` reads that instead.
    """
    found = {npa: _geocoded_state(npa) for npa in range(200, 1000)}
    return {npa: state for npa, state in found.items() if state}


@cache
def npa_states() -> np.ndarray:
    """Area code (0-999) -> index into `state_codes()`, -1 when not a US jurisdiction.

    Example:
        >>> state_codes()[npa_states()[305]]
        'FL'
    """
    codes = {code: index for index, code in enumerate(state_codes())}
    table = np.full(1000, -1, dtype=np.int16)
    text = resources.files("compliance").joinpath(NPA_STATES_FILE).read_text("utf-8")
    for npa, state in list(csv.reader(io.StringIO(text)))[1:]:
        table[int(npa)] = codes.get(state, -1)
    return table


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
    zone_set: np.ndarray  # int16 id into zone_sets(); 0 when the number gives no zone
    npa_state: np.ndarray  # int16 index into state_codes(); -1 when none
    e164: pa.Array  # "+1NPANXXXXXX", null when invalid


def _without_separators(text: pa.Array) -> pa.Array:
    """The strings with separator bytes removed, on the raw Arrow buffers (one numpy pass)."""
    text = pa.concat_arrays([text.cast(pa.large_string())])  # offset 0, one chunk
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[: n + 1]
    data = np.frombuffer(text.buffers()[2] or b"", dtype=np.uint8)[: offsets[-1]]
    keep = ~_SEPARATOR_BYTES[data]
    kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    return pa.LargeStringArray.from_buffers(
        n,
        pa.py_buffer(kept_before[offsets]),
        pa.py_buffer(data[keep]),
        text.buffers()[0],
    )


def _last_ten_digits(cleaned: pa.Array, shaped: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The national numbers of well-shaped cells as 10-character strings (else null) and ints."""
    n = len(cleaned)
    ends = np.frombuffer(cleaned.buffers()[1], dtype=np.int64)[1 : n + 1]
    data = np.frombuffer(cleaned.buffers()[2] or b"", dtype=np.uint8)
    digits = np.full((n, 10), ord("0"), dtype=np.uint8)
    digits[shaped] = data[ends[shaped][:, None] - np.arange(10, 0, -1)]
    numbers = (digits - ord("0")).astype(np.int64) @ 10 ** np.arange(9, -1, -1, dtype=np.int64)
    strings = pa.LargeStringArray.from_buffers(
        n,
        pa.py_buffer(np.arange(0, 10 * n + 1, 10, dtype=np.int64)),
        pa.py_buffer(digits),
        pa.array(shaped).buffers()[1],
    )
    return strings, numbers


def parse_phones(values: pd.Series) -> Phones:
    """Normalise any common US format and look up validity, zones and area-code state.

    A number is valid when, after dropping separators and an optional leading 1 or +1, its
    10 digits match a number type of a +1 region (as `phonenumbers.is_valid_number`).
    Letters, extensions and other country codes make it invalid.

    Example:
        >>> phones = parse_phones(pd.Series(["(850) 434-1234", "+1-800-555-0100", "hello"]))
        >>> [sorted(zone_sets()[i]) for i in phones.zone_set], phones.valid.tolist()
        ([['America/Chicago'], [], []], [True, True, False])
    """
    patterns = _patterns()
    cleaned = _without_separators(_as_text(values))
    shaped = pc.fill_null(pc.match_substring_regex(cleaned, _SHAPE), False).to_numpy(
        zero_copy_only=False
    )
    national, digits = _last_ten_digits(cleaned, shaped)

    def matches(pattern: str) -> np.ndarray:
        return pc.fill_null(pc.match_substring_regex(national, pattern), False).to_numpy(
            zero_copy_only=False
        )

    valid = matches(patterns.any_type)
    mobile_only = matches(patterns.split_mobile) & ~matches(patterns.split_fixed)
    geographic = valid & ~matches(patterns.non_geographic) & ~mobile_only
    digits = np.where(valid, digits, 0)
    prefix_table, _ = _prefix_zone_sets()
    zone_set = np.where(geographic, prefix_table[digits // 10 ** (10 - _PREFIX_DIGITS)], 0)
    return Phones(
        valid=valid,
        zone_set=zone_set.astype(np.int16),
        npa_state=npa_states()[digits // 10**7],
        e164=pc.utf8_replace_slice(pc.if_else(valid, national, None), 0, 0, "+1"),
    )
