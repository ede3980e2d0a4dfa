"""`evaluate` and `evaluate_day`: may each contact be dialled (now, or today), and if not, why.

Both judge per distinct combination of candidate locations and broadcast back to the rows.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa

from ._blocked import CLEAR, DNC, REVOKED, Blocked, group_blocks, number_blocks, own_blocks
from ._caps import (
    NAT,
    Caps,
    PersonAttempts,
    judge_caps,
    latest_per_person,
    person_totals,
    row_attempts,
)
from ._inputs import (
    attempt_count,
    group_codes,
    group_keys,
    is_true,
    per_distinct,
    postal_cells,
    state_index,
)
from ._phones import OTHER_COUNTRY, Phones, concat_phones, parse_phones, zone_sets
from ._places import Numbered, candidates_for, said, said_count, said_rows
from ._policy import REASONS, CallingPolicy
from ._rules import Rule
from ._windows import CallingGrid, Status, calling_grid
from ._zones import state_codes

REQUIRED = ("contact_id", "phone")
OPTIONAL = (
    "postal_code",
    "state",
    "consent_call",
    "consent_revoked_at",
    "dnc",
    "attempts_24h",
    "attempts_7d",
    "person_id",
    "subject",
    "last_attempt_at",
)
_LABELS = pa.array([*REASONS, "ok"], pa.large_string())
_OK = len(REASONS)
_INVALID = REASONS.index("invalid_phone")
_CAPPED = REASONS.index("frequency_cap")
_UNKNOWN_ZONE = REASONS.index("unknown_timezone")
_RESTRICTED_DAY = REASONS.index("state_restricted_day")
_OUTSIDE_HOURS = REASONS.index("outside_calling_hours")
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
_MINUTE_NS = 60_000_000_000
# Per set of the first seven reasons (a bit each): the first one, `_OK` for none.
_FIRST_REASON = np.array(
    [_OK] + [(flags & -flags).bit_length() - 1 for flags in range(1, 1 << (_UNKNOWN_ZONE + 1))]
)
_AT = -2  # a grid minute that stands for the instant of `evaluate`'s call (not on the grid)
# Integer keys below this many are factorised through a table (a byte and a word each).
_DIRECT_KEYS = 1 << 24
_DIRECT_PER_ROW = 4  # ... and at most this many per row: the table's zeroing is per key
# Why a row is DNC or revoked when its own cells do not say so (ids 0-3 of `detail`).
_FROM_OTHER_ROWS = (
    "the number is do-not-call on another row",
    "the person is do-not-call on another row",
    "consent for the number was revoked on another row",
    "the person revoked consent on another row",
)
# The share of the phone column read on the second thread (it does little else): the other
# columns take this thread about half of what all the phones take (phones ~0.17 s, the rest
# ~0.1 s of CPU at 1M). Measured on the benchmark's 1M frame: 0.6-0.8 alike, 0.9 slower by
# 0.07 s (the median of five calls each).
_PHONES_ON_THE_SIDE = 0.7
# The earliest local midnight anywhere (UTC+14): caps take effect then, the conservative side.
_EARLIEST_OFFSET = timedelta(hours=14)
_Key = TypeVar("_Key", bound=Hashable)


def _column(contacts: pd.DataFrame, name: str) -> pd.Series | None:
    return contacts[name] if name in contacts.columns else None


def _check_contacts(contacts: object) -> None:
    if not isinstance(contacts, pd.DataFrame):
        raise TypeError("contacts must be a pandas DataFrame")
    missing = [name for name in REQUIRED if name not in contacts.columns]
    if missing:
        raise ValueError(f"contacts is missing required columns: {', '.join(missing)}")
    duplicated = sorted({name for name in contacts.columns[contacts.columns.duplicated()]})
    if set(duplicated) & {*REQUIRED, *OPTIONAL}:
        raise ValueError(f"contacts has duplicated columns: {', '.join(duplicated)}")


def _first_appearance(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes per row and the distinct keys in order of first appearance (`pd.factorize`) of
    non-negative integer keys below `space`.

    A small space is indexed directly, without hashing: a table of what is present, then the
    first row of each present key orders them.
    """
    if space > min(_DIRECT_KEYS, _DIRECT_PER_ROW * len(key)):  # hashing is cheaper
        codes, keys = pd.factorize(key)
        return codes, np.asarray(keys)
    present = np.zeros(space, dtype=bool)
    present[key] = True
    keys = np.flatnonzero(present)
    sorted_code = np.empty(space, dtype=np.intp)  # read only where written: pages untouched
    sorted_code[keys] = np.arange(len(keys))
    codes = sorted_code[key]
    first = np.full(len(keys), len(key))
    np.minimum.at(first, codes, np.arange(len(key)))
    order = np.argsort(first)
    rank = np.empty(len(keys), dtype=np.intp)
    rank[order] = np.arange(len(keys))
    return rank[codes], keys[order]


def _distinct_rows(
    parts: list[np.ndarray], sizes: list[int]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes per row and the columns of the distinct tuples (in order of first appearance) of
    small non-negative-or--1 integer columns."""
    key = np.zeros(len(parts[0]), dtype=np.int64)
    for part, size in zip(parts, sizes, strict=True):
        key *= size + 1
        key += part
        key += 1  # -1 means "none"
    codes, keys = _first_appearance(key, math.prod(size + 1 for size in sizes))
    columns = []
    for size in reversed(sizes):
        keys, column = np.divmod(keys, size + 1)
        columns.append(column - 1)
    return codes, columns[::-1]


def _tuples(columns: list[np.ndarray], rows: np.ndarray | slice) -> list[tuple[int, ...]]:
    """The chosen rows of integer columns as tuples of Python integers."""
    return list(zip(*(column[rows].tolist() for column in columns), strict=True))


def _numbered(numbers: np.ndarray, values: Numbered[_Key]) -> tuple[np.ndarray, list[_Key]]:
    """Ids (in order of first appearance) of numbers of `values`, and the values of the ids."""
    ids, distinct = pd.factorize(numbers)
    return ids, [values[number] for number in distinct.tolist()]


def _text(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    return cast(pd.api.extensions.ExtensionArray, pd.array(values, dtype=_TEXT))


def _utc(ns: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").array


@dataclass
class _Contacts:
    """Everything about the rows that does not depend on the time judged."""

    phones: Phones
    reason: np.ndarray  # the first non-time reason per row, else _OK
    caps: Caps
    zone_row: np.ndarray  # id into zone_list
    zone_list: list[frozenset[str]]
    local_row: np.ndarray  # id into local_list
    local_list: list[str | None]  # the contact's primary local zone
    rule_row: np.ndarray  # id into rule_list
    rule_list: list[tuple[Rule, ...]]
    place_lists: list[tuple[str, ...]]
    place_row: np.ndarray  # id into place_lists
    time_row: np.ndarray  # id into time_keys
    time_keys: list[tuple[int, int]]  # (zone id, rule id)
    detail_row: np.ndarray  # id into detail_list; -1: nothing to add
    detail_list: list[str | None]  # the last entry None, for -1

    def time_combination(self, index: int) -> tuple[frozenset[str], tuple[Rule, ...]]:
        zone_id, rule_id = self.time_keys[index]
        return self.zone_list[zone_id], self.rule_list[rule_id]

    def output(
        self,
        contacts: pd.DataFrame,
        reason: np.ndarray,
        **columns: pd.api.extensions.ExtensionArray,
    ) -> pd.DataFrame:
        # Few distinct zone and place lists: categoricals, without a string per row.
        zones = [";".join(sorted(zones)) for zones in self.zone_list]
        places = [";".join(group) for group in self.place_lists]
        return contacts.assign(
            dialable=reason == _OK,
            reason=_text(_LABELS.take(pa.array(reason))),
            detail=_categorical(self.detail_row, self.detail_list),
            time_zones=_categorical(self.zone_row, zones),
            phone_e164=_text(self.phones.e164),
            states=_categorical(self.place_row, places),
            local_zone=_categorical(self.local_row, self.local_list),
            **columns,
        )


def _cap_limits(rule_list: list[tuple[Rule, ...]], cap_date: date) -> np.ndarray:
    """Per rule combination: the strictest state cap in force on `cap_date` (inf if none)."""
    limits = []
    for rules in rule_list:
        caps = [
            rule.max_attempts_24h
            for rule in rules
            if rule.max_attempts_24h is not None
            and (rule.effective is None or rule.effective <= cap_date)
        ]
        limits.append(min(caps, default=np.inf))
    return np.array(limits, dtype=float)


def _blocks(
    contacts: pd.DataFrame,
    phones: Phones,
    own: np.ndarray,
    person: np.ndarray | None,
    blocked: Blocked | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: what blocks it by its number and by its person (or CLEAR), given what blocks
    it by its own cells (`own_blocks`).

    `person`: dense person codes of the frame (`group_codes`), when already computed.
    """
    persons = _column(contacts, "person_id")
    if blocked is None:  # the frame is the whole list: its own rows block
        numbers = number_blocks(phones.national, own)
        if person is None and persons is not None:
            person = group_codes(persons, len(contacts))
        people = np.full(len(own), CLEAR, np.int8) if person is None else group_blocks(person, own)
        return numbers, people
    keys = group_keys(persons) if len(blocked.persons) else None  # hashing ids takes time
    people = np.full(len(own), CLEAR, np.int8) if keys is None else blocked.of_persons(keys)
    return blocked.of_numbers(phones.national), people


def _details(
    reason: np.ndarray, phones: Phones, own: np.ndarray, number: np.ndarray
) -> tuple[np.ndarray, list[str | None]]:
    """Per row: an id into the returned texts of why, beyond the reason; -1 for nothing."""
    detail = np.full(len(reason), -1, dtype=np.int16)
    other_dnc = (reason == DNC) & (own != DNC)
    detail[other_dnc] = np.where(number[other_dnc] == DNC, 0, 1)
    other_revoked = (reason == REVOKED) & (own != REVOKED)
    detail[other_revoked] = np.where(number[other_revoked] == REVOKED, 2, 3)
    invalid = reason == _INVALID
    detail[invalid] = len(_FROM_OTHER_ROWS) + phones.problem[invalid]
    return detail, [*_FROM_OTHER_ROWS, *phones.problems, None]


def _read(
    contacts: pd.DataFrame,
    policy: CallingPolicy,
    cap_date: date,
    people: PersonAttempts | None,
    blocked: Blocked | None,
) -> _Contacts:
    n = len(contacts)
    # The phone column is the longest to read, and mostly numpy and Arrow work that releases
    # the GIL: a second thread reads most of it while this one reads the other columns and
    # then the rest of the phones.
    column = contacts["phone"]
    # A text column splits anywhere; other columns are read whole (equal numbers of different
    # types, 7 and 7.0, are one distinct cell, described by its first appearance).
    text = isinstance(column.dtype, pd.StringDtype)
    cut = int(len(column) * _PHONES_ON_THE_SIDE) if text else len(column)
    with ThreadPoolExecutor(1) as pool:
        reading = pool.submit(parse_phones, column.iloc[:cut])
        postal = postal_cells(_column(contacts, "postal_code"), n)
        declared = per_distinct(_column(contacts, "state"), n, state_index, -1, np.int16)
        consent = per_distinct(_column(contacts, "consent_call"), n, is_true, False, bool)
        row_24h, last = row_attempts(contacts)
        row_7d = per_distinct(_column(contacts, "attempts_7d"), n, attempt_count, 0.0, float)
        own = own_blocks(contacts)
        phones = concat_phones(reading.result(), parse_phones(column.iloc[cut:]))
        del reading  # the halves: only their concatenation is needed from here
    candidates = candidates_for(policy)
    # Postal codes are many (42,000 ZIPs) but say few things: judge what they say, not them.
    said_row = said_rows(postal)
    n_places, n_said = len(state_codes()), said_count()

    zone_codes, (phone_set, country, code, place) = _distinct_rows(
        [phones.zone_set, phones.country, said_row, declared],
        [len(zone_sets()), OTHER_COUNTRY + 1, n_said, n_places],
    )
    # Keys that stay the same as postal codes add what they say (`n_said` grows).
    zone_key = ((phone_set * (OTHER_COUNTRY + 1) + country) * (n_places + 1) + place + 1) << 32
    zone_columns = [phone_set, country, code, place]
    zone_found = candidates.zone_table.rows(
        zone_key + code + 1,
        lambda new: [candidates.zone_ids(*key) for key in _tuples(zone_columns, new)],
    )
    zone_ids, zone_list = _numbered(zone_found[:, 0], candidates.candidate_zones)
    zone_row = zone_ids[zone_codes]
    local_ids, local_list = _numbered(zone_found[:, 1], candidates.local_zones)

    # Places need only the postal code's place, not its zones: fewer combinations.
    code_place = np.array([said(i).place for i in range(n_said)] + [-1], dtype=np.int64)
    place_sizes = [n_places, n_places, n_places, OTHER_COUNTRY + 1]
    place_codes, place_columns = _distinct_rows(
        [declared, code_place[said_row], phones.npa_state, phones.country], place_sizes
    )
    place_key = np.zeros(len(place_columns[0]), dtype=np.int64)
    for part, size in zip(place_columns, place_sizes, strict=True):
        place_key = place_key * (size + 1) + part + 1
    place_found = candidates.place_table.rows(
        place_key,
        lambda new: [candidates.place_ids(*key) for key in _tuples(place_columns, new)],
    )
    rule_ids, rule_list = _numbered(place_found[:, 1], candidates.rule_lists)
    place_ids, place_numbers = pd.factorize(place_found[:, 0])
    rule_row = rule_ids[place_codes]
    time_row, time_columns = _distinct_rows([zone_row, rule_row], [len(zone_list), len(rule_list)])
    time_keys = _tuples(time_columns, slice(None))

    person = None
    if people is None:
        person = group_codes(_column(contacts, "person_id"), n)
        subject = group_codes(_column(contacts, "subject"), n) if person is not None else None
        person_24h = person_totals(row_24h, person, subject)
        latest = None if last is None else latest_per_person(last, person)
    else:  # `contacts` is a chunk: the person's rows elsewhere in the list count too
        person_24h, latest = people.totals(contacts, row_24h, last)
    caps = judge_caps(
        row_24h,
        row_7d,
        person_24h,
        policy.max_attempts_24h,
        policy.max_attempts_7d,
        _cap_limits(rule_list, cap_date)[rule_row],
        latest,
    )
    zone_known = np.array([bool(zones) for zones in zone_list], dtype=bool)[zone_row]
    number, person_block = _blocks(contacts, phones, own, person, blocked)
    block = np.minimum(own, np.minimum(number, person_block))  # DNC before a revocation
    # The first reason that applies: a bit per reason, then the lowest bit set (a table).
    applies = [~phones.valid, phones.country == OTHER_COUNTRY, block == DNC, block == REVOKED]
    applies += [~consent, caps.capped, ~zone_known]
    flags = np.zeros(n, dtype=np.uint8)
    for bit, rows in enumerate(applies):
        flags |= rows.view(np.uint8) << np.uint8(bit)
    reason = _FIRST_REASON[flags]
    detail_row, detail_list = _details(reason, phones, own, number)
    return _Contacts(
        phones=phones,
        reason=reason,
        caps=caps,
        zone_row=zone_row,
        zone_list=zone_list,
        local_row=local_ids[zone_codes],
        local_list=local_list,
        rule_row=rule_row,
        rule_list=rule_list,
        place_lists=[candidates.place_codes(number) for number in place_numbers.tolist()],
        place_row=place_ids[place_codes],
        time_row=time_row,
        time_keys=cast("list[tuple[int, int]]", time_keys),  # of two columns: pairs
        detail_row=detail_row,
        detail_list=detail_list,
    )


def _after_caps(
    data: _Contacts, grid: CallingGrid, reason: np.ndarray, earliest: int = 0
) -> np.ndarray:
    """Grid minute from which capped rows are callable again (-1: unknown or beyond the grid).

    Never before the grid minute `earliest`.
    """
    minute = np.full(len(reason), -1, dtype=np.int64)
    zone_known = np.array([bool(zones) for zones in data.zone_list], dtype=bool)
    rows = np.flatnonzero(
        (reason == _CAPPED) & (data.caps.lifts_at != NAT) & zone_known[data.zone_row]
    )
    time_row = data.time_row[rows]
    asked = np.zeros(len(data.time_keys), dtype=bool)
    asked[time_row] = True  # the combinations of capped rows, in a dense numbering
    which = (np.cumsum(asked) - 1)[time_row]
    chosen = [data.time_combination(i) for i in np.flatnonzero(asked).tolist()]
    wanted = np.maximum(grid.minute_of(data.caps.lifts_at[rows]), earliest)
    minute[rows] = grid.first_allowed(chosen, which, wanted)
    return minute


def _grid_ns(grid: CallingGrid, minute: np.ndarray, at: int = NAT) -> np.ndarray:
    """UTC nanoseconds of grid minutes; NaT for -1, `at` for `_AT`."""
    ns = np.where(minute >= 0, grid.start.value + minute * _MINUTE_NS, NAT)
    return np.where(minute == _AT, at, ns) if at != NAT else ns


def _categorical(codes: np.ndarray, texts: Sequence[str | None]) -> pd.Categorical[str]:
    """Text per row as a categorical: codes into `texts`, None standing for a missing value."""
    categories: dict[str, int] = {}
    recode = np.array(
        [-1 if text is None else categories.setdefault(text, len(categories)) for text in texts]
    )
    return pd.Categorical.from_codes(
        recode[codes] if len(recode) else codes,
        # pandas-stubs want an Index; pandas takes any list-like (a list: no Index built here).
        categories=cast("pd.Index[str]", list(categories)),
        validate=False,  # codes of texts, or -1: no pass over them to check
    )


def _local_text(
    grid: CallingGrid,
    minute: np.ndarray,
    zone_ids: np.ndarray,
    zones: list[str | None],
    at: int = NAT,
) -> pd.Categorical[str]:
    """ISO-8601 text with offset of each row's grid minute (`_AT`: the instant `at`) in its
    row's zone; missing for -1 or no zone.

    Few distinct values: a categorical, built without writing a string per row.
    """
    width = len(zones) + 1
    space = (int(minute.max(initial=0)) + 3) * width  # minutes from _AT (-2) on
    codes, pairs = _first_appearance((minute + 2) * width + zone_ids, space)
    texts = []
    for pair in pairs.tolist():
        at_minute, zone = pair // width - 2, zones[pair % width]
        if at_minute >= 0:
            stamp = grid.start.value + at_minute * _MINUTE_NS
        else:
            stamp = at if at_minute == _AT else NAT
        texts.append(_iso_local(stamp, zone) if stamp != NAT and zone is not None else None)
    return _categorical(codes, texts)


@lru_cache(maxsize=1 << 16)  # the chunks of a list share their few instants and zones
def _iso_local(stamp: int, zone: str) -> str:
    return pd.Timestamp(stamp, tz="UTC").tz_convert(zone).isoformat()


def _instant(value: object, name: str) -> pd.Timestamp:
    """A timezone-aware datetime as a UTC timestamp."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (a naive datetime has no instant)")
    return pd.Timestamp(value).tz_convert("UTC")


def evaluate(
    contacts: pd.DataFrame,
    at: datetime,
    policy: CallingPolicy | None = None,
    *,
    people: PersonAttempts | None = None,
    blocked: Blocked | None = None,
) -> pd.DataFrame:
    """Decide for every contact whether it may be dialled at `at`, and if not, why and when.

    Args:
        contacts: Required columns `contact_id`, `phone`; optional `postal_code` (US ZIP or
            Canadian postal code), `state` (state or province), `consent_call`,
            `consent_revoked_at`, `dnc`, `attempts_24h`, `attempts_7d`, `person_id`,
            `subject`, `last_attempt_at` (an absent column means unknown). Odd cells never
            raise and fail closed: only a clear true is consent; a DNC value that is not
            clearly false, and a revocation that is not clearly empty, block; an attempt count
            that is not a whole non-negative number is over every cap; a phone cell that is
            not text (a number, even a whole one: spreadsheets round long numbers) is invalid.
            A number (in any format) or a non-blank `person_id` that is DNC or revoked on any
            row is so on every row that carries it (one hop: the rows it blocks block
            nothing further).
        at: The instant of the call; must be timezone-aware.
        policy: Calling window, caps and enforced rules; defaults to `CallingPolicy()`.
        people: When `contacts` is one chunk of a longer list: the list's attempts per
            person (`PersonAttempts.tally`), so the person-level caps count the person's rows
            in every chunk. None: the persons' rows are all in `contacts`.
        blocked: When `contacts` is one chunk of a longer list: the list's DNC and revoked
            numbers and persons (`Blocked.tally`), so a number or person blocked on a row of
            another chunk is blocked here too. None: `contacts` is the whole list.

    Returns:
        The same rows (same index and order) with added columns `dialable`, `reason` (the
        first of `REASONS` that applies, else "ok"), `detail` (why, where there is more to
        say: what is wrong with an invalid phone cell, or that the DNC or revocation comes
        from another row of the number or person; missing otherwise), `time_zones`
        (";"-joined candidate zones), `phone_e164`, `states` (applicable states and
        provinces, the declared one first), `next_callable_at` (UTC: `at` itself when
        dialable; for window and day rules and for a frequency cap with `last_attempt_at`,
        the first minute within 8 days that every rule allows; NaT when time cannot cure the
        reason), `local_zone` (the contact's primary zone: the number's, else the postal
        code's, else the declared place's first) and `next_callable_local` (that instant as
        ISO-8601 text in `local_zone`). `detail`, `time_zones`, `states`, `local_zone` and
        `next_callable_local` are categoricals: few distinct values, no string per row.

    Raises:
        TypeError: `contacts` is not a DataFrame or `at` not a datetime.
        ValueError: A required column is missing or duplicated, or `at` is naive.

    Example:
        >>> from datetime import datetime, timezone
        >>> contacts = pd.DataFrame({"contact_id": ["c1"], "phone": ["(212) 736-5000"],
        ...                          "consent_call": [True]})
        >>> row = evaluate(contacts, datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)).iloc[0]
        >>> row.dialable, row.reason, row.time_zones, row.next_callable_local
        (np.True_, 'ok', 'America/New_York', '2026-11-30T10:00:00-05:00')
    """
    _check_contacts(contacts)
    at_utc = _instant(at, "at")
    policy = policy or CallingPolicy()
    data = _read(contacts, policy, (at_utc + _EARLIEST_OFFSET).date(), people, blocked)
    grid = calling_grid(at_utc.floor("min"))

    judged = np.array(
        [grid.judge(*data.time_combination(i)) for i in range(len(data.time_keys))],
        dtype=np.int64,
    ).reshape(-1, 2)
    # Per column (contiguous), not per row: the columns are what is read next.
    status, first = np.ascontiguousarray(judged.T)[:, data.time_row]
    reason = data.reason.copy()
    open_rows = reason == _OK
    reason[open_rows & (status == Status.RESTRICTED_DAY)] = _RESTRICTED_DAY
    reason[open_rows & (status == Status.OUTSIDE_HOURS)] = _OUTSIDE_HOURS

    # Window and day rules, and caps that lift, have a "later": other reasons give NaT.
    timed = (reason == _RESTRICTED_DAY) | (reason == _OUTSIDE_HOURS)
    minute = np.where(timed, first, -1)
    minute = np.where(reason == _CAPPED, _after_caps(data, grid, reason), minute)
    minute[reason == _OK] = _AT
    at_ns = at_utc.as_unit("ns").value
    return data.output(
        contacts,
        reason,
        next_callable_at=_utc(_grid_ns(grid, minute, at_ns)),
        next_callable_local=_local_text(grid, minute, data.local_row, data.local_list, at_ns),
    )


def _day_bounds(day: object, zone: object) -> tuple[pd.Timestamp, int]:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError("day must be a datetime.date (a calendar date, not a datetime)")
    try:
        tz = ZoneInfo(zone) if isinstance(zone, str) else None
    except (ZoneInfoNotFoundError, ValueError):
        tz = None
    if tz is None:
        raise ValueError(f"zone must be an IANA time zone name, not {zone!r}")
    start, end = (
        pd.Timestamp(datetime.combine(day + timedelta(days=offset), time(), tz)).tz_convert("UTC")
        for offset in (0, 1)
    )
    return start, int((end - start) // pd.Timedelta(minutes=1))


def evaluate_day(
    contacts: pd.DataFrame,
    day: date,
    zone: str = "America/New_York",
    policy: CallingPolicy | None = None,
    *,
    people: PersonAttempts | None = None,
    blocked: Blocked | None = None,
    not_before: datetime | None = None,
) -> pd.DataFrame:
    """Decide who may be called on a campaign day, and when: a day list made before the day.

    The day is [day 00:00, next day 00:00) in the campaign's zone `zone`, or its part from
    `not_before` on. A contact is dialable when every candidate zone and every applicable
    rule leave at least one legal minute inside it (the same intersection as `evaluate`).

    Args:
        contacts: The columns `evaluate` takes.
        day: A calendar date in `zone`.
        zone: The campaign's IANA time zone.
        policy: As for `evaluate`.
        people: As for `evaluate`.
        blocked: As for `evaluate`.
        not_before: The instant the list is made or uploaded (timezone-aware): each window
            starts at it or later (rounded up to the minute), and a contact with no legal
            minute left in the day is `outside_calling_hours` (`state_restricted_day` when a
            rule closes its day). Before the day's start it changes nothing; after the day's
            end nobody is dialable. None: the whole day.

    Returns:
        The rows with `evaluate`'s columns (`next_callable_at` is `callable_from` for a
        dialable row, else the first legal minute after the day for window and day reasons,
        or when a frequency cap lifts) plus `callable_from` and `callable_until` (UTC, the
        first contiguous legal interval of the day at or after `not_before`; NaT when not
        dialable) and `callable_from_local`, `callable_until_local` (ISO-8601 text in
        `local_zone`).

    Raises:
        TypeError: `contacts` is not a DataFrame, `day` not a date or `not_before` not a
            datetime.
        ValueError: A required column is missing or duplicated, `zone` is not an IANA zone,
            or `not_before` is naive.

    Example:
        Honolulu on a New York day: the evening before (00:00-02:00 in New York) is the
        day's first legal interval; from 05:30 New York time on, it is Honolulu's morning.

        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> contacts = pd.DataFrame({"contact_id": ["c1"], "phone": ["(808) 586-1234"],
        ...                          "consent_call": [True]})
        >>> row = evaluate_day(contacts, date(2026, 11, 30)).iloc[0]
        >>> row.callable_from_local, row.callable_until_local
        ('2026-11-29T19:00:00-10:00', '2026-11-29T21:00:00-10:00')
        >>> morning = datetime(2026, 11, 30, 5, 30, tzinfo=ZoneInfo("America/New_York"))
        >>> row = evaluate_day(contacts, date(2026, 11, 30), not_before=morning).iloc[0]
        >>> row.callable_from_local, row.callable_until_local
        ('2026-11-30T08:00:00-10:00', '2026-11-30T19:00:00-10:00')
    """
    _check_contacts(contacts)
    start, day_minutes = _day_bounds(day, zone)
    policy = policy or CallingPolicy()
    grid = calling_grid(start.floor("min"))
    earliest = later = 0
    if not_before is not None:  # the grid minute it falls in, rounded up, within the day
        wanted = int(grid.minute_of(_instant(not_before, "not_before").value))
        earliest = min(max(wanted, 0), day_minutes)
        later = max(wanted, 0)  # nothing after the day is sooner than not_before either
    data = _read(contacts, policy, day, people, blocked)

    windows = [
        grid.judge_day(*data.time_combination(i), day_minutes, earliest, later)
        for i in range(len(data.time_keys))
    ]
    table = np.array(
        [(w.first, w.until, w.closed, w.next_after) for w in windows], dtype=np.int64
    ).reshape(-1, 4)
    first, until, closed, after = np.ascontiguousarray(table.T)[:, data.time_row]
    reason = data.reason.copy()
    shut = (reason == _OK) & (first < 0)
    reason[shut] = np.where(closed[shut] == 1, _RESTRICTED_DAY, _OUTSIDE_HOURS)

    dialable = reason == _OK
    from_minute = np.where(dialable, first, -1)
    until_minute = np.where(dialable, until, -1)
    timed = (reason == _RESTRICTED_DAY) | (reason == _OUTSIDE_HOURS)
    minute = np.where(timed, after, -1)
    minute = np.where(reason == _CAPPED, _after_caps(data, grid, reason, earliest), minute)
    next_minute = np.where(dialable, from_minute, minute)
    local_row, local_names = data.local_row, data.local_list
    return data.output(
        contacts,
        reason,
        next_callable_at=_utc(_grid_ns(grid, next_minute)),
        next_callable_local=_local_text(grid, next_minute, local_row, local_names),
        callable_from=_utc(_grid_ns(grid, from_minute)),
        callable_until=_utc(_grid_ns(grid, until_minute)),
        callable_from_local=_local_text(grid, from_minute, local_row, local_names),
        callable_until_local=_local_text(grid, until_minute, local_row, local_names),
    )
