"""`evaluate`: may each contact be dialled at a given instant, and if not, why and when."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from ._inputs import attempt_count, is_set, is_true, per_distinct, state_index, zip_places
from ._phones import parse_phones, zone_sets
from ._policy import REASONS, CallingPolicy
from ._rules import Rule, enforced_rules, federal_rule
from ._windows import CallingGrid, Status
from ._zones import CONTIGUOUS_US_ZONES, state_codes, state_zones, zip_zones

REQUIRED = ("contact_id", "phone")
OPTIONAL = (
    "postal_code",
    "state",
    "consent_call",
    "consent_revoked_at",
    "dnc",
    "attempts_24h",
    "attempts_7d",
)
_LABELS = pa.array([*REASONS, "ok"], pa.large_string())
_OK = len(REASONS)
_UNKNOWN_ZONE = -1  # a time status beyond Status: no zone to judge the window in
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
# The earliest local midnight anywhere (UTC+14): caps take effect then, the conservative side.
_EARLIEST_OFFSET = timedelta(hours=14)


def _column(contacts: pd.DataFrame, name: str) -> pd.Series | None:
    return contacts[name] if name in contacts.columns else None


def _check(contacts: object, at: object) -> None:
    if not isinstance(contacts, pd.DataFrame):
        raise TypeError("contacts must be a pandas DataFrame")
    missing = [name for name in REQUIRED if name not in contacts.columns]
    if missing:
        raise ValueError(f"contacts is missing required columns: {', '.join(missing)}")
    duplicated = sorted({name for name in contacts.columns[contacts.columns.duplicated()]})
    if set(duplicated) & {*REQUIRED, *OPTIONAL}:
        raise ValueError(f"contacts has duplicated columns: {', '.join(duplicated)}")
    if not isinstance(at, datetime):
        raise TypeError("at must be a datetime")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be timezone-aware (a naive datetime has no instant)")


class _Places:
    """Zones, states and rules of distinct input combinations, judged once each."""

    def __init__(self, policy: CallingPolicy, at: pd.Timestamp, zip_zones: tuple[str, ...]):
        self.policy = policy
        self.grid = CallingGrid(at.floor("min"))
        self.cap_date = (at + _EARLIEST_OFFSET).date()
        self.zip_zones = zip_zones
        self.federal = federal_rule(policy)
        self.by_state = enforced_rules(policy.enforced_confidence)

    def zones(self, phone_set: int, zip_zone: int, fallback_state: int) -> frozenset[str]:
        """The number's zones plus the ZIP's; without either, the declared state's zones."""
        zones = zone_sets()[phone_set] | (
            {self.zip_zones[zip_zone]} if zip_zone >= 0 else frozenset()
        )
        if not zones and fallback_state >= 0:
            zones = state_zones().get(state_codes()[fallback_state], frozenset())
        if not zones and not self.policy.block_unknown_timezone:
            zones = CONTIGUOUS_US_ZONES
        return zones

    def states(self, *indexes: int) -> tuple[str, ...]:
        """Applicable states without repeats, in the order given."""
        return tuple(dict.fromkeys(state_codes()[index] for index in indexes if index >= 0))

    def rules(self, states: tuple[str, ...]) -> tuple[Rule, ...]:
        return (self.federal, *(rule for state in states for rule in self.by_state.get(state, ())))

    def cap_24h(self, rules: tuple[Rule, ...]) -> int:
        caps = [
            rule.max_attempts_24h
            for rule in rules
            if rule.max_attempts_24h is not None
            and (rule.effective is None or rule.effective <= self.cap_date)
        ]
        return min([self.policy.max_attempts_24h, *caps])

    def judge(self, zones: frozenset[str], rules: tuple[Rule, ...]) -> tuple[int, int]:
        """(time status, index of the first allowed grid minute or -1)."""
        return self.grid.judge(zones, rules) if zones else (_UNKNOWN_ZONE, -1)


def _distinct_rows(parts: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, list[tuple]]:
    """Codes per row and the distinct tuples of small non-negative-or--1 integer columns."""
    key = np.zeros(len(parts[0]), dtype=np.int64)
    for part, size in zip(parts, sizes, strict=True):
        key = key * (size + 1) + (part.astype(np.int64) + 1)  # +1: -1 means "none"
    codes, keys = pd.factorize(key)
    columns = []
    for size in reversed(sizes):
        keys, column = np.divmod(keys, size + 1)
        columns.append((column - 1).tolist())
    return codes, list(zip(*reversed(columns), strict=True))


def _ids(values: list) -> tuple[np.ndarray, list]:
    """Id of each value among the distinct values (in order of first appearance)."""
    ids: dict = {}
    return np.array([ids.setdefault(value, len(ids)) for value in values], dtype=np.int64), list(
        ids
    )


def _joined(groups: list, order) -> pa.Array:
    return pa.array([";".join(order(group)) for group in groups], pa.large_string())


def _text(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype=_TEXT)


def evaluate(
    contacts: pd.DataFrame, at: datetime, policy: CallingPolicy | None = None
) -> pd.DataFrame:
    """Decide for every contact whether it may be dialled at `at`, and if not, why and when.

    Args:
        contacts: Required columns `contact_id`, `phone`; optional `postal_code`, `state`,
            `consent_call`, `consent_revoked_at`, `dnc`, `attempts_24h`, `attempts_7d`
            (an absent column means unknown). Odd cells never raise: missing consent is
            `no_consent`; any non-blank revocation is `consent_revoked`, whatever its date;
            unknown DNC or attempts do not block.
        at: The instant of the call; must be timezone-aware.
        policy: Calling window, caps and enforced state rules; defaults to `CallingPolicy()`.

    Returns:
        The same rows (same index and order) with added columns `dialable`, `reason` (the
        first of `REASONS` that applies, else "ok"), `time_zones` (";"-joined candidate
        zones), `next_callable_at` (UTC; `at` itself when dialable, the first minute within
        8 days that the window and day rules allow, NaT when another reason blocks),
        `phone_e164` and `states` (applicable states, the declared one first).

    Raises:
        ValueError: A required column is missing or `at` is naive.

    Example:
        >>> from datetime import datetime, timezone
        >>> contacts = pd.DataFrame({"contact_id": ["c1"], "phone": ["(212) 736-5000"],
        ...                          "consent_call": [True]})
        >>> row = evaluate(contacts, datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)).iloc[0]
        >>> row.dialable, row.reason, row.time_zones
        (np.True_, 'ok', 'America/New_York')
    """
    _check(contacts, at)
    policy = policy or CallingPolicy()
    at_utc = pd.Timestamp(at).tz_convert("UTC")
    n = len(contacts)

    phones = parse_phones(contacts["phone"])
    zip_zone_names = zip_zones()
    zip_zone, zip_state = zip_places(_column(contacts, "postal_code"), n, zip_zone_names)
    state = per_distinct(_column(contacts, "state"), n, state_index, -1, np.int16)

    # Place and time are judged per distinct combination, then broadcast back to the rows.
    places = _Places(policy, at_utc, zip_zone_names)
    n_states = len(state_codes())
    fallback = np.where((phones.zone_set == 0) & (zip_zone < 0), state, -1)
    zone_codes, zone_keys = _distinct_rows(
        [phones.zone_set, zip_zone, fallback], [len(zone_sets()), len(zip_zone_names), n_states]
    )
    zone_ids, zone_list = _ids([places.zones(*key) for key in zone_keys])
    zone_row = zone_ids[zone_codes]
    # The declared state first: the suppression report files a contact under it.
    state_row, state_keys = _distinct_rows([state, zip_state, phones.npa_state], [n_states] * 3)
    state_lists = [places.states(*key) for key in state_keys]
    rule_ids, rule_list = _ids([places.rules(states) for states in state_lists])
    rule_row = rule_ids[state_row]
    time_codes, time_keys = _distinct_rows([zone_row, rule_row], [len(zone_list), len(rule_list)])
    judged = np.array([places.judge(zone_list[z], rule_list[r]) for z, r in time_keys])
    status, first = judged[time_codes].T if len(judged) else np.zeros((2, 0), dtype=np.int64)
    cap_24h = np.array([places.cap_24h(rules) for rules in rule_list])[rule_row]

    attempts_24h = per_distinct(_column(contacts, "attempts_24h"), n, attempt_count, 0.0, float)
    attempts_7d = per_distinct(_column(contacts, "attempts_7d"), n, attempt_count, 0.0, float)
    reason = np.select(
        [
            ~phones.valid,
            per_distinct(_column(contacts, "dnc"), n, is_true, False, bool),
            per_distinct(_column(contacts, "consent_revoked_at"), n, is_set, False, bool),
            ~per_distinct(_column(contacts, "consent_call"), n, is_true, False, bool),
            (attempts_24h >= cap_24h) | (attempts_7d >= policy.max_attempts_7d),
            status == _UNKNOWN_ZONE,
            status == Status.RESTRICTED_DAY,
            status == Status.OUTSIDE_HOURS,
        ],
        range(len(REASONS)),
        default=_OK,
    )

    # Only the window and day rules have a "later": other reasons give NaT.
    grid_start = places.grid.start.value
    timed = (reason >= REASONS.index("state_restricted_day")) & (first >= 0)
    next_ns = np.where(timed, grid_start + first * 60_000_000_000, np.iinfo(np.int64).min)
    next_ns[reason == _OK] = at_utc.as_unit("ns").value
    next_at = pd.DatetimeIndex(next_ns.view("datetime64[ns]")).tz_localize("UTC")

    return contacts.assign(
        dialable=reason == _OK,
        reason=_text(_LABELS.take(pa.array(reason))),
        time_zones=_text(_joined(zone_list, sorted).take(pa.array(zone_row))),
        next_callable_at=next_at.array,
        phone_e164=_text(phones.e164),
        states=_text(_joined(state_lists, tuple).take(pa.array(state_row))),
    )
