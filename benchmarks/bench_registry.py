"""A national-size Do-Not-Call registry snapshot: 250 million numbers, built and probed by a
1M-contact dial-list sync within the dial-list memory target.

Writes a synthetic snapshot (one text file per area code, one number a line, as a registry
download gives them, and a `manifest.json` dated today), builds its index (`build_index`:
one bitmap per area code), probes it with random numbers in-process (rate), then runs
`sync_dial_list` of 1,000,000 contacts with `registry=` in a child process (as
`bench_dial_list` does) and reports the child's peak memory against the target.

    python -m benchmarks.bench_registry [--numbers 250000000] [--contacts 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks import _report

TARGET_MB = 600


def write_snapshot(folder: Path, numbers: int, seed: int = 3) -> tuple[float, float]:
    """`numbers` numbers over the area codes of the contacts; returns (seconds, GB written)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    area_codes = rng.choice(np.arange(201, 990), 320, replace=False)
    each = numbers // len(area_codes)
    start, size = time.perf_counter(), 0
    for npa in area_codes:
        rest = rng.choice(8_000_000, each, replace=False) + 2_000_000  # exchanges 200-999
        text = pc.cast(pa.array(int(npa) * 10_000_000 + rest), pa.string())
        data = ("\n".join(text.to_pylist()) + "\n").encode()
        (folder / f"{npa}.txt").write_bytes(data)
        size += len(data)
    (folder / "manifest.json").write_text(
        json.dumps({"downloaded_at": dt.date.today().isoformat(), "source": "Synthetic registry"})
    )
    return time.perf_counter() - start, size / 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=250_000_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    from benchmarks.bench_dial_list import generate, measure, save_credentials, spread
    from deployments.local_stack import LocalStack
    from dial_lists import RegistrySnapshot, build_index

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "registry"
        seconds, gigabytes = write_snapshot(folder, args.numbers)
        print(f"snapshot of {args.numbers:,} numbers written in {seconds:.0f} s "
              f"({gigabytes:.1f} GB of text)", flush=True)  # fmt: skip
        start = time.perf_counter()
        held = build_index(folder)
        built = time.perf_counter() - start
        bitmaps = (folder / "registry.bits").stat().st_size / 1e6
        print(f"index built in {built:.0f} s ({held / built:,.0f} numbers a second), "
              f"{bitmaps:,.0f} MB of bitmaps", flush=True)  # fmt: skip
        snapshot = RegistrySnapshot.open(folder, dt.date.today())
        probe = np.random.default_rng(9).integers(2_000_000_000, 9_999_999_999, 1_000_000)
        rates = []
        for _ in range(args.runs):
            start = time.perf_counter()
            hits = int(snapshot.contains(probe).sum())
            rates.append(len(probe) / (time.perf_counter() - start))
        print(f"probe: {spread(rates, 'numbers/s', 0)} ({hits:,} of 1,000,000 random on it)")
        source = Path(work) / "contacts.parquet"
        generate(args.contacts, source, people=False)
        with LocalStack(Path(work) / "stack") as stack:
            stack.start_prefect_server()
            stack.start_simulator()
            save_credentials(stack)
            runs = [
                measure(stack, source, Path(work) / "out", f"registry-{n}",
                        {"registry": str(folder)})
                for n in range(args.runs)
            ]  # fmt: skip
    peaks = [run["peak_mb"] for run in runs]
    hit = statistics.median(peaks) <= TARGET_MB
    print(f"sync of {args.contacts:,} with the registry: peak {spread(peaks, 'MB', 0)}, "
          f"evaluation {spread([r['evaluate_s'] for r in runs], 's')}, "
          f"{runs[0]['dialable']:,} dialable   target <= {TARGET_MB} MB   "
          f"{'PASS' if hit else 'MISS'}")  # fmt: skip
    _report.write(args.json, [
        _report.figure(f"sync of {args.contacts:,} with the registry: peak RSS",
                       spread(peaks, "MB", 0), f"<= {TARGET_MB} MB", hit),
        _report.figure("probe", spread(rates, "numbers/s", 0)),
    ])  # fmt: skip
    return 0 if hit else 1


if __name__ == "__main__":
    raise SystemExit(main())
