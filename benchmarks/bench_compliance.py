"""Benchmark of `compliance.evaluate` on 1,000,000 contacts against a per-row implementation.

Run: `.venv/bin/python -m benchmarks.bench_compliance [rows]`. Prints the measured numbers
next to the targets of the compliance issue (2-core machine): at most 2.0 s for 1,000,000
rows (median of 3 warm runs), peak memory under 1.5 GB, at least 25x the per-row version,
which runs on a 20,000-row sample in the same process and must agree with `evaluate`.
"""

from __future__ import annotations

import gc
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import phonenumbers
import zipcodes
from phonenumbers import timezone as phone_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

import compliance
from compliance._holidays import closed_days
from compliance._inputs import attempt_count, is_set, is_true
from compliance._phones import _geocoded_state
from compliance._rules import enforced_rules, federal_rule
from compliance._zones import (
    CONTIGUOUS_US_ZONES,
    normalise_state,
    normalise_zip,
    state_zones,
    zip_table,
)

ROWS = 1_000_000
SAMPLE = 20_000
AT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # a Tuesday: 09:30 ET, 08:30 CT, 06:30 PT
TARGET_SECONDS = 2.0
TARGET_PEAK_GB = 1.5
TARGET_SPEEDUP = 25.0
WHOLE_CONTINENT = set(TIMEZONE_DATA["1"])  # what libphonenumber says when it knows nothing


def make_contacts(rows: int, seed: int = 7) -> pd.DataFrame:
    """Realistic contacts: real ZIPs and their area codes, many exchanges, 10% damaged cells."""
    rng = np.random.default_rng(seed)
    zips = [(code, entry) for code, entry in zip_table().items() if entry[0]]
    area_codes = {
        entry["zip_code"]: entry["area_codes"]
        for entry in zipcodes.list_all()
        if entry["area_codes"]
    }
    zips = [(code, entry) for code, entry in zips if code in area_codes]
    picked = rng.integers(0, len(zips), rows)
    zip_codes = np.array([zips[i][0] for i in picked], dtype=object)
    states = np.array([zips[i][1][1] for i in picked], dtype=object)
    npas = np.array([rng.choice(area_codes[code]) for code in zip_codes], dtype=object)
    movers = rng.random(rows) < 0.1  # kept an out-of-state number
    npas[movers] = rng.choice(npas, movers.sum())
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
    return pd.DataFrame(
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


def per_row_reason(row: dict, at: datetime, policy: compliance.CallingPolicy) -> str:
    """The straightforward version: parse, look up zones, check every window, one row."""
    try:
        number = phonenumbers.parse(str(row["phone"]), "US")
        valid = number.country_code == 1 and phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        return "invalid_phone"
    if is_true(row["dnc"]):
        return "dnc"
    if row["consent_revoked_at"] is not None and is_set(row["consent_revoked_at"]):
        return "consent_revoked"
    if not is_true(row["consent_call"]):
        return "no_consent"
    zones = set(phone_timezone.time_zones_for_number(number)) - {"Etc/Unknown"}
    if zones >= WHOLE_CONTINENT:
        zones = set()
    zip_code = normalise_zip(row["postal_code"]) if row["postal_code"] is not None else None
    zip_zone, zip_state = zip_table().get(zip_code or "", (None, None))
    declared = normalise_state(row["state"])
    if zones:
        zones |= {zip_zone} if zip_zone else set()
    else:
        zones = {zip_zone} if zip_zone else set(state_zones().get(declared or "", ()))
    states = [
        s for s in (declared, zip_state, _geocoded_state(number.national_number // 10**7)) if s
    ]
    rules = [federal_rule(policy)]
    for state in dict.fromkeys(states):
        rules += enforced_rules(policy.enforced_confidence).get(state, ())
    caps = [r.max_attempts_24h for r in rules if r.max_attempts_24h is not None]
    if attempt_count(row["attempts_24h"]) >= min([policy.max_attempts_24h, *caps]) or (
        attempt_count(row["attempts_7d"]) >= policy.max_attempts_7d
    ):
        return "frequency_cap"
    if not zones:
        if policy.block_unknown_timezone:
            return "unknown_timezone"
        zones = set(CONTIGUOUS_US_ZONES)
    closed = outside = False
    for zone in zones:
        for rule in rules:
            local = at.astimezone(ZoneInfo(rule.clock_zone or zone))
            if rule.effective is not None and local.date() < rule.effective:
                continue
            window = rule.week[local.weekday()]
            if window is None or (
                rule.holidays and local.date() in closed_days(rule.state, rule.holidays, local.year)
            ):
                closed = True
            elif not window[0] <= local.hour * 60 + local.minute < window[1]:
                outside = True
    return "state_restricted_day" if closed else "outside_calling_hours" if outside else "ok"


def _reset_peak_rss() -> bool:
    """Restart the kernel's peak-RSS counter (Linux), so the peak covers `evaluate` only."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


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


def main(rows: int = ROWS) -> None:
    print(f"building {rows:,} contacts ...", flush=True)
    contacts = make_contacts(rows)
    policy = compliance.CallingPolicy()
    gc.collect()
    process_peak_gb = _peak_rss_gb()
    peak_scope = "evaluate runs, input included" if _reset_peak_rss() else "whole process"

    started = time.perf_counter()
    result = compliance.evaluate(contacts, AT, policy)
    cold = time.perf_counter() - started
    times = []
    for _ in range(3):
        del result  # each run starts from the same state, as one flow run would
        gc.collect()
        started = time.perf_counter()
        result = compliance.evaluate(contacts, AT, policy)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    peak_gb = _peak_rss_gb()

    sample = contacts.sample(SAMPLE, random_state=1)
    records = sample.astype(object).where(sample.notna(), None).to_dict("records")
    started = time.perf_counter()
    slow = [per_row_reason(row, AT, policy) for row in records]
    per_row_seconds = time.perf_counter() - started
    agree = float(np.mean(np.array(slow) == result.loc[sample.index, "reason"].to_numpy()))
    speedup = (per_row_seconds / SAMPLE) / (median / rows)

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    scale = rows / ROWS
    print(f"rows                       {rows:,}")
    print(f"evaluate, first call       {cold:.2f} s (loads ZIP, phone and rule tables)")
    print(f"evaluate, runs             {', '.join(f'{t:.2f}' for t in times)} s")
    print(
        f"evaluate, median of 3      {median:.2f} s   target <= {TARGET_SECONDS * scale:.2f} s"
        f"   {verdict(median <= TARGET_SECONDS * scale)}"
    )
    print(
        f"peak RSS ({peak_scope})  {peak_gb:.2f} GB  target <  {TARGET_PEAK_GB:.2f} GB"
        f"   {verdict(peak_gb < TARGET_PEAK_GB)}"
    )
    print(f"peak RSS while building the input  {process_peak_gb:.2f} GB (not part of the target)")
    print(f"per-row, {SAMPLE:,} rows        {per_row_seconds:.2f} s")
    print(
        f"speed-up per row           {speedup:.0f}x      target >= {TARGET_SPEEDUP:.0f}x"
        f"      {verdict(speedup >= TARGET_SPEEDUP)}"
    )
    print(f"reason agreement (sample)  {agree:.4%}")
    print("reasons:", result["reason"].value_counts().to_dict())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)
