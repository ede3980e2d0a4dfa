"""Candidate locations of a contact: its zones, its places and the rules they bring in.

A contact can be where its number, its postal code or its declared state or province says.
Every candidate counts: a call must be legal in each zone any of them allows, under each rule
any of them brings in (47 CFR 64.1200(c)(1) measures the called party's local time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Generic, TypeVar, cast

import numpy as np
import pyarrow as pa

from ._inputs import PostalCells, zip_by_number, zip_codes
from ._phones import CANADA, NO_COUNTRY, US, province_zones, zone_sets
from ._policy import CallingPolicy
from ._rules import CANADA_WIDE, Rule, enforced_rules, federal_rule
from ._zones import (
    CANADIAN_PROVINCES,
    canadian_places,
    canadian_province,
    fsa_zone_set,
    state_codes,
    state_zones,
    us_zones,
    zip_table,
    zip_zone_set,
)

_Value = TypeVar("_Value")


@cache
def place_zones(place: int) -> tuple[str, ...]:
    """Zones of a place (index into `state_codes()`), the most common first; () if unknown.

    Example:
        >>> place_zones(state_codes().index("TX"))
        ('America/Chicago', 'America/Denver')
    """
    if place < 0:
        return ()
    code = state_codes()[place]
    if code in CANADIAN_PROVINCES:
        return tuple(sorted(province_zones().get(code, ())))
    return state_zones().get(code, ())


def place_country(place: int) -> int:
    """US or CANADA for a place index; NO_COUNTRY for -1."""
    if place < 0:
        return NO_COUNTRY
    return CANADA if place in canadian_places() else US


@cache
def canada_zones() -> frozenset[str]:
    """Every zone of a Canadian province or territory."""
    return frozenset().union(*province_zones().values())


@dataclass(frozen=True)
class Postal:
    """What a postal code says: zones, place (index into `state_codes()`) and country, and
    whether the zones come from the code itself ("ZIP", "postal code") or, for a Canadian
    code whose FSA is not listed, from its whole province ("province")."""

    zones: tuple[str, ...]
    place: int
    country: int
    origin: str = ""


@cache
def postal(key: str | None) -> Postal:
    """Resolve a key of `postal_places` ("Z:" ZIP or "F:" Canadian FSA); None gives nothing.

    A Canadian FSA has the zones of its row in `data/fsa_zones.csv`, else every zone of its
    province.

    Example:
        >>> postal("Z:86045").zones, state_codes()[postal("Z:86045").place]
        (('America/Denver', 'America/Phoenix'), 'AZ')
        >>> postal("F:M5V").zones, state_codes()[postal("F:M5V").place]
        (('America/Toronto',), 'ON')
    """
    if key is None:
        return Postal((), -1, NO_COUNTRY)
    kind, code = key.split(":", 1)
    if kind == "Z":
        place = state_codes().index(zip_table()[code][1])
        return Postal(tuple(sorted(zip_zone_set(code))), place, place_country(place), "ZIP")
    place = state_codes().index(canadian_province(code))
    zones = fsa_zone_set(code)
    if zones is None:
        return Postal(place_zones(place), place, CANADA, "province")
    return Postal(tuple(sorted(zones)), place, CANADA, "postal code")


_SAID: dict[Postal, int] = {}  # each distinct thing a postal code says, numbered once
_SAID_LIST: list[Postal] = []
_SAID_LOCK = threading.Lock()  # numbering is read-then-append: one thread at a time


@cache
def postal_id(key: str) -> int:
    """A number for what the postal code key says (equal for keys that say the same thing:
    42,000 ZIPs say a few hundred things), stable in the process; `said(id)` gives it back.

    Example:
        >>> postal_id("Z:10001") == postal_id("Z:10018"), said(postal_id("Z:10001")).origin
        (True, 'ZIP')
    """
    found = postal(key)
    number = _SAID.get(found)
    if number is None:
        with _SAID_LOCK:  # two threads meeting new things must not take the same number
            number = _SAID.get(found)
            if number is None:
                _SAID_LIST.append(found)  # first: a reader that finds the number finds it
                number = _SAID[found] = len(_SAID_LIST) - 1
    return number


@cache
def _zip_said() -> np.ndarray:
    """Per index of `zip_codes()`: its `postal_id`, -2 until a cell of it is read."""
    return np.full(len(zip_codes()), -2, dtype=np.int64)


def said_rows(cells: PostalCells) -> np.ndarray:
    """Per row: the `postal_id` of what its postal code says, -1 for nothing.

    Each ZIP is resolved once per process (a list read in chunks meets the same ZIPs again);
    threads may resolve one at once: they write the same id.
    """
    table = _zip_said()
    clean = cells.zip_row >= 0
    found = table[cells.zip_row[clean]]
    new = np.unique(cells.zip_row[clean][found == -2])
    if len(new):
        _resolve_zips(new)
        found = table[cells.zip_row[clean]]
    others = np.array([*(postal_id(key) for key in cells.keys), -1], dtype=np.int64)
    said_row: np.ndarray = others[cells.row]
    said_row[clean] = found
    return said_row


def _resolve_zips(indexes: np.ndarray) -> None:
    """Write the `postal_id` of the ZIPs at `indexes` of `zip_codes()` into `_zip_said()`."""
    _zip_said()[indexes] = _zip_ids(zip_codes().take(pa.array(indexes)).to_pylist())


_ZIP_SAYS: dict[tuple[frozenset[str], str], int] = {}  # (zones, state) -> postal_id


def _zip_ids(codes: list[str]) -> list[int]:
    """`postal_id` of each ZIP ("Z:" key), resolved once per thing said: a whole list's
    42,000 ZIPs in a fresh process took 0.4-0.9 s one by one."""
    places = zip_table()
    ids = []
    for code in codes:
        says = (zip_zone_set(code), places[code][1])  # what `postal` reads of a ZIP
        found = _ZIP_SAYS.get(says)
        if found is None:
            found = _ZIP_SAYS.setdefault(says, postal_id("Z:" + code))
        ids.append(found)
    return ids


def said(index: int) -> Postal:
    """What a postal code says, from its `postal_id`; -1 gives nothing."""
    return _SAID_LIST[index] if index >= 0 else postal(None)


def said_count() -> int:
    """How many distinct things postal codes have said so far (ids are below it)."""
    return len(_SAID_LIST)


def _rule_id(rule: Rule) -> str:
    return rule.rule_id


class Numbered(Generic[_Value]):
    """Distinct values numbered as they come (0, 1, ...), for the life of the process.

    Threads may number at once: a lock keeps one number per value.
    """

    def __init__(self) -> None:
        self._ids: dict[_Value, int] = {}
        self._values: list[_Value] = []
        self._lock = threading.Lock()

    def id(self, value: _Value) -> int:
        """The value's number (a new one the first time it is seen)."""
        found = self._ids.get(value)
        if found is None:
            with self._lock:
                found = self._ids.setdefault(value, len(self._values))
                if found == len(self._values):
                    self._values.append(value)
        return found

    def __getitem__(self, number: int) -> _Value:
        return self._values[number]


class KeyTable:
    """Integer keys to rows of integers, looked up many keys at once (sorted arrays), each
    row computed once for the life of the process.

    Threads may add at once: a lock keeps one row per key.
    """

    def __init__(self, width: int) -> None:
        self._known = (np.zeros(0, dtype=np.int64), np.zeros((0, width), dtype=np.int64))
        self._lock = threading.Lock()

    @staticmethod
    def _find(known: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = np.minimum(np.searchsorted(known, keys), max(len(known) - 1, 0))
        found = known[at] == keys if len(known) else np.zeros(len(keys), dtype=bool)
        return at, found

    def rows(
        self, keys: np.ndarray, compute: Callable[[np.ndarray], list[tuple[int, ...]]]
    ) -> np.ndarray:
        """The row of each key; `compute` gives the rows of the keys at some positions (an
        index array into `keys`) that are not known yet."""
        known, values = self._known
        at, found = self._find(known, keys)
        if not found.all():
            with self._lock:
                known, values = self._known
                _, found = self._find(known, keys)
                new = np.flatnonzero(~found)
                new = new[np.unique(keys[new], return_index=True)[1]]  # once per key
                merged = np.concatenate([known, keys[new]])
                order = np.argsort(merged, kind="stable")
                added = np.array(compute(new), dtype=np.int64).reshape(len(new), -1)
                self._known = known, values = merged[order], np.concatenate([values, added])[order]
            at, _ = self._find(known, keys)
        return cast(np.ndarray, values[at])


class Candidates:
    """Zones and rules of distinct combinations of a contact's candidate locations.

    Each answer is kept: `candidates_for` shares one instance per policy between
    evaluations (the chunks of a list meet the same combinations again).
    """

    def __init__(self, policy: CallingPolicy):
        self.policy = policy
        self.us_federal = federal_rule(policy)
        self.by_place = enforced_rules(policy.enforced_confidence)
        self._zones: dict[tuple[int, int, Postal | None, int], frozenset[str]] = {}
        self._local: dict[tuple[int, Postal | None, int], str | None] = {}
        self._rules: dict[tuple[tuple[int, ...], int], tuple[Rule, ...]] = {}
        self._places: dict[tuple[int, int, int], tuple[int, ...]] = {}
        # The answers numbered, by keys of small integers (cheap to hash, unlike rules and
        # postal codes): an evaluation looks up its few thousand combinations in a dict.
        self.candidate_zones: Numbered[frozenset[str]] = Numbered()
        self.local_zones: Numbered[str | None] = Numbered()
        self.place_lists: Numbered[tuple[int, ...]] = Numbered()
        self.rule_lists: Numbered[tuple[Rule, ...]] = Numbered()
        self.zone_table = KeyTable(2)  # zone_key -> (candidate_zones, local_zones) numbers
        self.place_table = KeyTable(2)  # place_key -> (place_lists, rule_lists) numbers
        self._place_codes: dict[int, tuple[str, ...]] = {}

    def place_codes(self, number: int) -> tuple[str, ...]:
        """The state and province codes of the places numbered `number` in `place_lists`."""
        found = self._place_codes.get(number)
        if found is None:
            found = tuple(state_codes()[place] for place in self.place_lists[number])
            self._place_codes[number] = found
        return found

    def zone_ids(
        self, phone_set: int, phone_country: int, code: int, declared: int
    ) -> tuple[int, int]:
        """Numbers in `candidate_zones` and `local_zones` of `zones` and `local_zone` for a
        postal code's `postal_id` (-1: none)."""
        postal_code = said(code)
        zones = self.zones(phone_set, phone_country, postal_code, declared)
        local = self.local_zone(phone_set, postal_code, declared)
        return self.candidate_zones.id(zones), self.local_zones.id(local)

    def place_ids(
        self, declared: int, code_place: int, npa_place: int, phone_country: int
    ) -> tuple[int, int]:
        """Numbers in `place_lists` and `rule_lists` of `places` and their `rules`."""
        places = self.places(declared, code_place, npa_place)
        return self.place_lists.id(places), self.rule_lists.id(self.rules(places, phone_country))

    def zones(
        self, phone_set: int, phone_country: int, code: Postal | None, declared: int
    ) -> frozenset[str]:
        """Candidate zones: the number's, the postal code's and the declared place's.

        A declared state or province adds its zones only when the postal code is not of that
        same place: a ZIP says where in its state the contact is (a Dallas ZIP with state TX
        is not in El Paso's zone), while a declared state that contradicts the ZIP is another
        candidate location. Without any zone, a policy that does not block unknown zones
        judges the contact in every zone of its countries (all US zones, Alaska, Hawaii and
        territories included).
        """
        key = (phone_set, phone_country, code, declared)
        found = self._zones.get(key)
        if found is None:
            found = self._zones.setdefault(key, self._new_zones(*key))
        return found

    def _new_zones(
        self, phone_set: int, phone_country: int, code: Postal | None, declared: int
    ) -> frozenset[str]:
        code = code or postal(None)
        stated = place_zones(declared) if declared != code.place or not code.zones else ()
        zones = frozenset((*zone_sets()[phone_set], *code.zones, *stated))
        if not zones and not self.policy.block_unknown_timezone:
            countries = {phone_country, code.country, place_country(declared)}
            zones = (us_zones() if US in countries else frozenset()) | (
                canada_zones() if CANADA in countries else frozenset()
            )
        return zones

    def local_zone(self, phone_set: int, code: Postal | None, declared: int) -> str | None:
        """The primary local zone: the number's, else the postal code's, else the declared
        place's most common one (first in sorted order where a set has no order)."""
        key = (phone_set, code, declared)
        if key not in self._local:
            number = sorted(zone_sets()[phone_set])
            found = next(
                iter((*number, *(code.zones if code else ()), *place_zones(declared))), None
            )
            self._local[key] = found
        return self._local[key]

    def places(self, declared: int, code_place: int, npa_place: int) -> tuple[int, ...]:
        """Applicable places without repeats: declared first (the report files under it)."""
        key = (declared, code_place, npa_place)
        found = self._places.get(key)
        if found is None:
            found = tuple(dict.fromkeys(place for place in key if place >= 0))
            self._places[key] = found
        return found

    def rules(self, places: tuple[int, ...], phone_country: int) -> tuple[Rule, ...]:
        """The country rules of every country present and every place's own rules, in rule id
        order: the order of the places does not change what is allowed, so contacts whose
        places differ only in order share one combination to judge."""
        key = (places, phone_country)
        found = self._rules.get(key)
        if found is None:
            found = self._rules.setdefault(key, self._new_rules(places, phone_country))
        return found

    def _new_rules(self, places: tuple[int, ...], phone_country: int) -> tuple[Rule, ...]:
        countries = {phone_country, *(place_country(place) for place in places)}
        rules: list[Rule] = []
        if US in countries:
            rules.append(self.us_federal)
        if CANADA in countries:
            rules += self.by_place.get(CANADA_WIDE, ())
        for place in places:
            rules += self.by_place.get(state_codes()[place], ())
        return tuple(sorted(rules, key=_rule_id))


@lru_cache(maxsize=8)
def candidates_for(policy: CallingPolicy) -> Candidates:
    """The `Candidates` of a policy, shared by the evaluations under it (a few policies kept).

    Example:
        >>> candidates_for(CallingPolicy()) is candidates_for(CallingPolicy())
        True
    """
    return Candidates(policy)


def load_tables(policy: CallingPolicy | None = None) -> None:
    """Load the reference tables a process's first evaluation would otherwise load: the ZIP
    codes' places and zones, each state's zones, what each ZIP says, and the candidates of
    `policy` (the default policy when None).

    Each is loaded once per process and does not depend on the contacts. A flow calls this in
    a thread while it talks to the platform, so that its evaluation does not wait for the
    tables (0.3-0.5 s of a fresh process's first evaluation, measured on a 1M list).
    Evaluations may run beside it: they write the same values.

    Example:
        >>> load_tables()
        >>> int(_zip_said().min()) >= 0  # every ZIP resolved
        True
    """
    zip_by_number()
    state_zones()
    candidates_for(policy or CallingPolicy())
    pending = np.flatnonzero(_zip_said() == -2)
    if len(pending):
        _resolve_zips(pending)
