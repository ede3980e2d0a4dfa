"""Benchmark of `compliance.evaluate` and `evaluate_day` on 1,000,000 contacts.

Run: `.venv/bin/python -m benchmarks.bench_compliance [rows]`. Prints the measured numbers
next to the targets (2-core machine): `evaluate` at most 0.5 s for 1,000,000 rows (median of
3 warm runs; issue 22, after 0.6 s in issue 18), the engine's memory at most 600 MB, at least
25x the per-row version, which runs on a 20,000-row sample in the same process and must agree
with it.

Memory is reported in two parts: the process before the runs (the interpreter, the libraries
and the input frame, with freed memory handed back first), and the engine's peak above that
during the warm runs (its working memory and its result). The target is on the second; the
sum is the process's peak.
The timed input has the columns the export gives; the same contacts with a `person_id` (two
numbers per person) are timed as well and reported (no target), and so is `evaluate_day`.

The per-row version shares nothing with the engine but the public data files: it parses
numbers with `phonenumbers`, finds states with `zipcodes` and libphonenumber's geocoder, closed
days with `holidays`, and reads `data/state_rules.csv` and the zone tables (`zip_zones.csv`,
`zone_overrides.csv`, `area_code_zones.csv`, `exchange_zones.csv`) with its own code. A
mistake in the engine's private modules shows up as disagreement.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import ctypes.util
import gc
import math
import multiprocessing
import re
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import zipcodes
from dateutil.easter import easter
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

import compliance
from benchmarks import _report

ROWS = 1_000_000
SAMPLE = 20_000
AT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # a Tuesday: 09:30 ET, 08:30 CT, 06:30 PT
DAY = date(2026, 12, 1)
TARGET_SECONDS = 0.5
TARGET_ENGINE_MB = 600
TARGET_SPEEDUP = 25.0
WHOLE_CONTINENT = set(TIMEZONE_DATA["1"])  # what libphonenumber says when it knows nothing
TERRITORIES = {"PR", "GU", "VI", "AS", "MP"}


def _zip_entries() -> list[tuple[str, str, list[str]]]:
    return [
        (e["zip_code"], e["state"], e["area_codes"])
        for e in zipcodes.list_all()
        if e["timezone"] and e["area_codes"]
    ]


def make_contacts(rows: int, seed: int = 7, people: bool = False) -> pd.DataFrame:
    """Realistic contacts: real ZIPs and their area codes, many exchanges, 10% damaged cells,
    1% Canadian and 0.2% Jamaican numbers; with `people`, a `person_id` of two rows each.

    The ZIP table is read in a child process: its ~140 MB would otherwise stay in this one
    and count against the engine's memory target."""
    rng = np.random.default_rng(seed)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        entries = pool.submit(_zip_entries).result()
    picked = rng.integers(0, len(entries), rows)
    zip_codes = np.array([entries[i][0] for i in picked], dtype=object)
    states = np.array([entries[i][1] for i in picked], dtype=object)
    npas = np.array([rng.choice(entries[i][2]) for i in picked], dtype=object)
    movers = rng.random(rows) < 0.1  # kept an out-of-state number
    npas[movers] = rng.choice(npas, movers.sum())
    foreign = rng.random(rows)
    npas[foreign < 0.01] = rng.choice(
        np.array(["416", "604", "514", "403"]), (foreign < 0.01).sum()
    )
    npas[(foreign >= 0.01) & (foreign < 0.012)] = "876"  # Jamaica
    nxx = rng.integers(200, 1000, rows)
    line = rng.integers(0, 10000, rows)
    style = rng.integers(0, 5, rows)
    formats = (
        "({}) {:03d}-{:04d}",
        "{}.{:03d}.{:04d}",
        "+1-{}-{:03d}-{:04d}",
        "1{}{:03d}{:04d}",
        "{}{:03d}{:04d}",
    )
    phones = np.array(
        [formats[s].format(a, b, c) for s, a, b, c in zip(style, npas, nxx, line, strict=True)],
        dtype=object,
    )
    damaged = rng.random(rows) < 0.1
    kind = rng.integers(0, 5, rows)
    phones[damaged & (kind == 0)] = None
    phones[damaged & (kind == 1)] = "n/a"
    phones[damaged & (kind == 2)] = "555-1234"
    zip_codes[damaged & (kind == 3)] = None
    zip_codes[damaged & (kind == 4)] = "ABCDE"
    states[rng.random(rows) < 0.2] = None
    consent = rng.choice(
        np.array([True, False, None, "yes"], dtype=object), rows, p=[0.85, 0.04, 0.06, 0.05]
    )
    revoked = np.where(rng.random(rows) < 0.02, "2026-10-01T12:00:00Z", None)
    attempts_24h = rng.choice(np.array([0, 0, 0, 1, None, "x"], dtype=object), rows)
    frame = pd.DataFrame(
        {
            "contact_id": [f"c{i:07d}" for i in range(rows)],
            "phone": pd.array(phones, dtype="str"),
            "postal_code": pd.array(zip_codes, dtype="str"),
            "state": pd.array(states, dtype="str"),
            "consent_call": consent,
            "consent_revoked_at": pd.array(revoked, dtype="str"),
            "dnc": rng.random(rows) < 0.03,
            "attempts_24h": attempts_24h,
            "attempts_7d": rng.integers(0, 5, rows),
        }
    )
    if people:  # two numbers per person
        frame["person_id"] = pd.array([f"p{p}" for p in np.arange(rows) // 2], dtype="str")
    return frame


# --- The per-row version: its own reading of the rules files and of the upstream packages ---


def _data_file(name: str) -> list[dict[str, str]]:
    text = resources.files("compliance").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def _hours(text: str) -> tuple[int, int] | None:
    if text == "closed":
        return None
    start, end = (int(h) * 60 + int(m) for h, m in re.findall(r"(\d\d):(\d\d)", text))
    return start, end


def _nth(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _utah(year: int) -> set[date]:
    def moved(day: date) -> date:
        return day + timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))

    june = date(year, 6, 19)
    juneteenth = june - timedelta(june.weekday()) if june.weekday() < 5 else moved(june)
    if june.weekday() == 5:
        juneteenth = june + timedelta(2)
    may_end = date(year, 5, 31)
    return {
        *(moved(date(year, m, d)) for m, d in ((1, 1), (7, 4), (7, 24), (11, 11), (12, 25))),
        _nth(year, 1, 0, 3),
        _nth(year, 2, 0, 3),
        easter(year) - timedelta(2),
        easter(year),
        may_end - timedelta((may_end.weekday()) % 7),
        _nth(year, 9, 0, 1),
        _nth(year, 10, 0, 2),
        _nth(year, 11, 3, 4),
        juneteenth,
    }


_NAMED: dict[str, Callable[[int], date]] = {
    "good_friday": lambda y: easter(y) - timedelta(2),
    "mardi_gras": lambda y: easter(y) - timedelta(47),
    "flag_day": lambda y: date(y, 6, 14),
    "ri_independence_day": lambda y: date(y, 5, 4),
    "rosa_parks_day": lambda y: date(y, 12, 1),
    "election_day": lambda y: _nth(y, 11, 0, 1) + timedelta(1),
    "day_after_thanksgiving": lambda y: _nth(y, 11, 3, 4) + timedelta(1),
}


@cache
def _closed_dates(state: str, calendars: tuple[str, ...], year: int) -> frozenset[date]:
    years = range(year - 1, year + 2)
    found: set[date] = set()
    for name in calendars:
        if name == "state":
            found |= set(holidays.country_holidays("US", subdiv=state, years=years))
        elif name == "province":
            found |= set(holidays.country_holidays("CA", subdiv=state, years=years))
        elif name == "utah":
            found |= set().union(*(_utah(y) for y in years))
        elif name in _NAMED:
            found |= {_NAMED[name](y) for y in years}
        elif re.fullmatch(r"\d\d-\d\d", name):
            found |= {date(y, int(name[:2]), int(name[3:])) for y in years}
    return frozenset(found)


def _closed(state: str, calendars: list[str], day: date) -> bool:
    return day in _closed_dates(state, tuple(calendars), day.year)


@cache
def _rules() -> dict[str, list[dict]]:
    levels = compliance.CallingPolicy().enforced_confidence
    by_place: dict[str, list[dict]] = {}
    for row in _data_file("state_rules.csv"):
        hours_on = row["confidence"] in levels
        days_on = bool(row["holidays"]) and row["holiday_confidence"] in levels
        if hours_on or days_on:
            by_place.setdefault(row["state"], []).append(
                {
                    "week": [_hours(row[k]) if hours_on else (0, 1440) for k in ("mon_fri",) * 5]
                    + [_hours(row[k]) if hours_on else (0, 1440) for k in ("sat", "sun")],
                    "holidays": row["holidays"].split(";") if days_on and row["holidays"] else [],
                    "zone": row["clock_zone"] or None,
                    "cap": int(row["max_attempts_24h"])
                    if hours_on and row["max_attempts_24h"]
                    else None,
                    "effective": date.fromisoformat(row["effective_date"])
                    if row["effective_date"]
                    else None,
                    "state": row["state"],
                }
            )
    return by_place


@cache
def _zone_table(name: str) -> dict[str, set[str]]:
    """A shipped zone table (`zip_zones.csv`, `zone_overrides.csv`, `area_code_zones.csv`,
    `exchange_zones.csv`): its first column -> the zones of its second."""
    rows = (list(row.values()) for row in _data_file(name))
    return {values[0]: set(values[1].split(";")) for values in rows}


@cache
def _zip_entry(code: str) -> tuple[set[str], str | None]:
    found = zipcodes.matching(code) if re.fullmatch(r"\d{5}", code) else []
    if not found:
        return set(), None
    zones = _zone_table("zone_overrides.csv").get(code) or _zone_table("zip_zones.csv").get(code)
    return set(zones or ()), found[0]["state"]


@cache
def _state_zones(state: str) -> set[str]:
    zones: set[str] = set()
    for entry in zipcodes.filter_by(state=state):
        zones |= _zip_entry(entry["zip_code"])[0]
    return zones


def _number_zones(number: phonenumbers.PhoneNumber) -> set[str]:
    """The exchange's zones if verified, else every zone of its area code; none for a number
    libphonenumber ties to no place (toll-free, non-geographic)."""
    if set(phone_timezone.time_zones_for_number(number)) >= WHOLE_CONTINENT:
        return set()
    npa, nxx = number.national_number // 10**7, number.national_number // 10**4 % 1000
    exchange = _zone_table("exchange_zones.csv").get(f"{npa}-{nxx:03d}")
    return set(exchange or _zone_table("area_code_zones.csv").get(str(npa), ()))


_NAMES = {
    **holidays.CA.subdivisions_aliases,
    **holidays.US.subdivisions_aliases,
    "Washington State": "WA",
    "Washington D.C.": "DC",
}


def _npa_place(number: phonenumbers.PhoneNumber) -> str | None:
    return _area_place(number.national_number // 10**7, phonenumbers.region_code_for_number(number))


@cache
def _area_place(npa: int, region: str) -> str | None:
    if region in TERRITORIES:
        return region
    area = phonenumbers.PhoneNumber(country_code=1, national_number=npa * 10**7 + 2_000_000)
    description = geocoder.description_for_valid_number(area, "en")
    suffix = re.search(r", ([A-Z]{2})$", description)
    return suffix.group(1) if suffix else _NAMES.get(description)


def _parsed(phone: object) -> phonenumbers.PhoneNumber | None:
    """A valid +1 number from a text cell in a common format; None otherwise."""
    text = re.sub(r"[ \t().\-/]", "", phone) if isinstance(phone, str) else ""
    text = re.sub(r"^\+?1(?=\d{10}$)", "", text)
    try:
        number = phonenumbers.parse("+1" + text) if re.fullmatch(r"\d{10}", text) else None
    except phonenumbers.NumberParseException:
        return None
    return number if number is not None and phonenumbers.is_valid_number(number) else None


Blocks = tuple[dict[int, str], dict[str, str]]


def _blocks(contacts: pd.DataFrame) -> Blocks:
    """Numbers and persons DNC or revoked on some row (DNC wins), read the per-row way."""
    numbers: dict[int, str] = {}
    persons: dict[str, str] = {}
    dnc = contacts["dnc"].astype(bool)
    flagged = contacts[dnc | contacts["consent_revoked_at"].notna()]
    people = flagged["person_id"] if "person_id" in flagged else [None] * len(flagged)
    for phone, person, is_dnc in zip(flagged["phone"], people, dnc[flagged.index], strict=True):
        reason = "dnc" if is_dnc else "consent_revoked"
        number = _parsed(phone)
        for table, key in ((numbers, number and number.national_number), (persons, person)):
            if key and table.get(key) != "dnc":
                table[key] = reason
    return numbers, persons


def per_row_reason(row: dict, at: datetime, blocks: Blocks = ({}, {})) -> str:
    """The straightforward version: parse, look up zones, check every window, one row.

    `blocks`: the list's DNC and revoked numbers and persons (`_blocks`).
    """
    number = _parsed(row["phone"])
    if number is None:
        return "invalid_phone"
    region = phonenumbers.region_code_for_number(number)
    country = "US" if region in {"US", *TERRITORIES} else region
    if country not in ("US", "CA"):
        return "unsupported_country"
    by_number = blocks[0].get(number.national_number)
    by_person = blocks[1].get(row.get("person_id"))
    if row["dnc"] not in (False, None) or "dnc" in (by_number, by_person):
        return "dnc"
    if row["consent_revoked_at"] is not None or "consent_revoked" in (by_number, by_person):
        return "consent_revoked"
    consent = row["consent_call"]
    if not (
        consent is True
        or (isinstance(consent, str) and consent.strip().lower() in {"yes", "true", "t", "y", "1"})
    ):
        return "no_consent"
    zones = _number_zones(number)
    zip_zones, zip_state = (
        _zip_entry(str(row["postal_code"])) if row["postal_code"] else (set(), None)
    )
    declared = row["state"]
    zones |= zip_zones
    if declared and (declared != zip_state or not zip_zones):  # a ZIP of the state says where
        zones |= _state_zones(declared)
    places = [p for p in dict.fromkeys((declared, zip_state, _npa_place(number))) if p]
    countries = {country} | {"CA" if p in holidays.CA.subdivisions else "US" for p in places}
    rules = (
        [
            {
                "week": [(480, 1260)] * 7,
                "holidays": [],
                "zone": None,
                "cap": None,
                "effective": None,
                "state": "US",
            }
        ]
        if "US" in countries
        else []
    )
    if "CA" in countries:
        rules += _rules().get("CAN", [])
    for place in places:
        rules += _rules().get(place, [])
    attempts = row["attempts_24h"]
    count = (
        0.0 if attempts is None else (float(attempts) if isinstance(attempts, int) else math.inf)
    )
    caps = [
        r["cap"]
        for r in rules
        if r["cap"] is not None
        and (r["effective"] is None or r["effective"] <= (at + timedelta(hours=14)).date())
    ]
    person = row["_person_24h"]
    if count >= 1 or person >= min(caps, default=math.inf) or row["attempts_7d"] >= 3:
        return "frequency_cap"
    if not zones:
        return "unknown_timezone"
    closed = outside = False
    for zone in zones:
        for rule in rules:
            local = at.astimezone(ZoneInfo(rule["zone"] or zone))
            if rule["effective"] is not None and local.date() < rule["effective"]:
                continue
            window = rule["week"][local.weekday()]
            if window is None or (
                rule["holidays"] and _closed(rule["state"], rule["holidays"], local.date())
            ):
                closed = True
            elif not window[0] <= local.hour * 60 + local.minute < window[1]:
                outside = True
    return "state_restricted_day" if closed else "outside_calling_hours" if outside else "ok"


def _person_totals(contacts: pd.DataFrame) -> pd.Series:
    """Each row's person's 24-hour attempts, read the per-row way (odd cells: infinite)."""

    def count(value: object) -> float:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return 0.0
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else math.inf

    counts = contacts["attempts_24h"].map(count)
    if "person_id" not in contacts:
        return counts
    return counts.groupby(contacts["person_id"]).transform("sum")


# --- Measurement ---


def _reset_peak_rss() -> bool:
    """Restart the kernel's peak-RSS counter (Linux), so the peak covers the timed runs only."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def _status_gb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def _settled_rss_gb() -> float | None:
    """Resident memory now, after freed memory (Arrow's pool, malloc's arenas) is handed back:
    what the process holds before a run, the input included. None where unknown."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = getattr(ctypes.CDLL(ctypes.util.find_library("c") or None), "malloc_trim", None)
    if trim is not None:
        trim(0)
    return _status_gb("VmRSS")


def _peak_rss_gb() -> float:
    """Peak resident memory: VmHWM since the last reset, else the process lifetime peak."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


@dataclass(frozen=True)
class Timed:
    """A cold run and three warm ones: their seconds and memory.

    `before_gb`: the process's resident memory before the warm runs (input included, freed
    memory handed back); `peak_gb`: its peak during them; None where the kernel does not say
    (then `peak_gb` is the process's lifetime peak).
    """

    cold: float
    times: list[float]
    before_gb: float | None
    peak_gb: float

    @property
    def engine_gb(self) -> float | None:
        """The engine's peak above what the process held before the run."""
        return None if self.before_gb is None else self.peak_gb - self.before_gb


def _timed(run: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, Timed]:
    """A cold run, then three warm runs, each from the same state, as one flow run would be."""
    started = time.perf_counter()
    result = run()
    cold = time.perf_counter() - started
    del result
    before = _settled_rss_gb()
    if not _reset_peak_rss():
        before = None
    times = []
    for _ in range(3):
        gc.collect()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
        if len(times) < 3:
            del result
    return result, Timed(cold, times, before, _peak_rss_gb())


def _print_memory(name: str, timed: Timed, target: bool = True) -> None:
    """The process before the runs (input included), the engine's peak above it, the sum."""
    if timed.before_gb is None or timed.engine_gb is None:
        print(f"{name}, peak RSS (whole process, input included)  {timed.peak_gb:.2f} GB")
        return
    held = f"{timed.engine_gb * 1024:.0f} MB"
    if target:
        ok = timed.engine_gb * 1024 <= TARGET_ENGINE_MB
        held += f"   target <= {TARGET_ENGINE_MB} MB   {'PASS' if ok else 'MISS'}"
    print(f"{name}, process before the runs   {timed.before_gb * 1024:.0f} MB (input included)")
    print(f"{name}, engine's peak above it    {held}")
    print(f"{name}, process peak              {timed.peak_gb * 1024:.0f} MB")


def main(rows: int = ROWS, json_path: Path | None = None) -> None:
    print(f"building {rows:,} contacts ...", flush=True)
    contacts = make_contacts(rows)
    gc.collect()
    input_gb = _peak_rss_gb()

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    scale = rows / ROWS
    result, timed = _timed(lambda: compliance.evaluate(contacts, AT))
    median = statistics.median(timed.times)
    print(f"rows                       {rows:,}")
    print(f"evaluate, first call       {timed.cold:.2f} s (loads ZIP, phone and rule tables)")
    print(f"evaluate, runs             {', '.join(f'{t:.2f}' for t in timed.times)} s")
    print(
        f"evaluate, median of 3      {median:.2f} s   target <= {TARGET_SECONDS * scale:.2f} s"
        f"   {verdict(median <= TARGET_SECONDS * scale)}"
    )
    _print_memory("evaluate", timed)
    day_result, day = _timed(lambda: compliance.evaluate_day(contacts, DAY))
    del day_result
    print(
        f"evaluate_day, median of 3  {statistics.median(day.times):.2f} s of "
        f"{', '.join(f'{t:.2f}' for t in day.times)} s (first {day.cold:.2f} s; no target)"
    )
    _print_memory("evaluate_day", day, target=False)
    print(f"peak RSS while building the input  {input_gb:.2f} GB (not part of the target)")
    people = contacts.assign(person_id=make_contacts(rows, people=True)["person_id"])
    people_result, with_people = _timed(lambda: compliance.evaluate(people, AT))
    print(
        f"evaluate with person_id    {statistics.median(with_people.times):.2f} s median of "
        f"{', '.join(f'{t:.2f}' for t in with_people.times)} s (no target; caps per person)"
    )

    per_row_seconds = 0.0
    for name, frame, judged in (("", contacts, result), (", person_id", people, people_result)):
        sample = frame.sample(SAMPLE, random_state=1)
        sample = sample.assign(_person_24h=_person_totals(frame).loc[sample.index])
        records = sample.astype(object).where(sample.notna(), None).to_dict("records")
        _rules(), _state_zones("TX"), _npa_place(phonenumbers.parse("+12125550100"))  # warm
        blocks = _blocks(frame)  # the whole list's, as `_person_24h`: not timed
        started = time.perf_counter()
        slow = [per_row_reason(row, AT, blocks) for row in records]
        per_row_seconds = per_row_seconds or time.perf_counter() - started
        agree = float(np.mean(np.array(slow) == judged.loc[sample.index, "reason"].to_numpy()))
        print(f"reason agreement (sample{name})  {agree:.4%}")
    speedup = (per_row_seconds / SAMPLE) / (median / rows)
    print(f"per-row, {SAMPLE:,} rows        {per_row_seconds:.2f} s")
    print(
        f"speed-up per row           {speedup:.0f}x      target >= {TARGET_SPEEDUP:.0f}x"
        f"      {verdict(speedup >= TARGET_SPEEDUP)}"
    )
    print("reasons:", result["reason"].value_counts().to_dict())
    engine = timed.engine_gb
    engine_mb = "unmeasured" if engine is None else f"{engine * 1024:.0f} MB"
    engine_ok = None if engine is None else engine * 1024 <= TARGET_ENGINE_MB
    _report.write(json_path, [
        _report.figure(f"evaluate {rows:,}: median", f"{median:.2f} s",
                       f"<= {TARGET_SECONDS * scale:.2f} s", median <= TARGET_SECONDS * scale),
        _report.figure("evaluate: the engine's peak above the input", engine_mb,
                       f"<= {TARGET_ENGINE_MB} MB", engine_ok),
        _report.figure("speed-up per row", f"{speedup:.0f}x", f">= {TARGET_SPEEDUP:.0f}x",
                       speedup >= TARGET_SPEEDUP),
    ])  # fmt: skip


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("rows", type=int, nargs="?", default=ROWS)
    _report.add_json_flag(arguments)
    parsed = arguments.parse_args()
    main(parsed.rows, parsed.json)
