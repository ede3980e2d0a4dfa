"""Run every benchmark and write the benchmark page (a table and the plots).

    python -m benchmarks [--size small|full] [--out DIR] [--only NAME,...] [--reuse]

Each benchmark runs as its own process (`python -m benchmarks.bench_<name> ... --json PATH`),
one after another (they measure time and memory: never two at once), its output kept in
`DIR/logs/<name>.log` and its figures in `DIR/json/<name>.json`. Then `DIR/BENCHMARKS.md`,
`DIR/fleet.png` and `DIR/storm.png` are written (see `benchmarks.page`).

`small` checks that everything runs, in a few minutes (its numbers are not the targets'
sizes); `full` runs each at the size its target names (an hour or more). `--reuse` keeps a
benchmark's JSON from an earlier run in DIR instead of running it again.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.page import Result, write_page

# name -> (arguments at size small, arguments at size full); run in this order.
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "compliance": (["100000"], []),
    "reach": (["--rows", "1000"], []),
    "export": (["--contacts", "2000"], []),
    "export_flow": (["--contacts", "20000"], []),
    "dashboard": (["--deliveries", "200", "--seconds", "2"], []),
    "poll": (["--pairs", "100", "--seconds", "90", "--intervals", "60"], []),
    "failover": (["--runs", "3", "--path", "production"], []),
    "storm": (["--pairs", "10", "--runs", "1"], ["--pairs", "50", "--runs", "3"]),
    "fleet": (["--sizes", "50,100"], []),
    "dial_list": (["--sizes", "100000", "--runs", "1"], []),
    "registry": (["--numbers", "1000000", "--contacts", "100000", "--runs", "1"], []),
    "ledger": (
        ["--attempts", "100000", "--contacts", "100000", "--records", "2000", "--runs", "1"],
        [],
    ),
}


def run_one(name: str, size: str, out: Path, reuse: bool) -> Result:
    """Run one benchmark (or reuse its JSON); a crash or a missing JSON is a result too."""
    path = out / "json" / f"{name}.json"
    if reuse and path.exists():
        print(f"{name}: reusing {path}", flush=True)
        return Result.of(name, json.loads(path.read_text()))
    path.unlink(missing_ok=True)
    small, full = BENCHMARKS[name]
    command = [sys.executable, "-m", f"benchmarks.bench_{name}"]
    command += [*(small if size == "small" else full), "--json", str(path)]
    log = out / "logs" / f"{name}.log"
    print(f"{name}: {' '.join(command[2:])} (load {os.getloadavg()[0]:.1f}) ...", flush=True)
    started = time.monotonic()
    with open(log, "wb") as output:
        code = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT).returncode
    seconds = time.monotonic() - started
    print(f"{name}: exit {code} after {seconds:.0f} s; log {log}", flush=True)
    if not path.exists():
        return Result(name, error=f"exit {code}, no figures; see logs/{name}.log", seconds=seconds)
    return Result.of(name, json.loads(path.read_text()), seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", choices=["small", "full"], default="small")
    parser.add_argument("--out", type=Path, default=Path("benchmark-results"))
    parser.add_argument("--only", help="comma-separated names, e.g. storm,fleet")
    parser.add_argument("--reuse", action="store_true", help="keep figures already in --out")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; known: {', '.join(BENCHMARKS)}")
    for folder in ("json", "logs"):
        (args.out / folder).mkdir(parents=True, exist_ok=True)
    results = [run_one(name, args.size, args.out, args.reuse) for name in names]
    page = write_page(results, args.out, args.size)
    print(page.read_text())
    missed = [r for r in results if r.error or any(f["passed"] is False for f in r.figures)]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
