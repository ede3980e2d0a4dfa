"""Day lists of 1,000,000 and 5,000,000 contacts through the dial-list file engine.

Generates realistic contacts (`bench_compliance.make_contacts`: real ZIPs and area codes,
damaged cells, Canadian and Jamaican numbers, the columns the export gives, and a last
attempt for some) into Parquet files, chunk by chunk. With `--people` every contact also has
a `person_id` shared with a row half the file away, so the person tally (the first pass) runs
and must join them: reported without a target, as `bench_compliance` reports its person
variant. Each run
is a child process that does what the dial-list sync does with files: `build_dial_files` for
a day list (both passes: the person tally and the evaluation), then `upload_parts` over the
dialable file. The child reports its wall time and peak resident memory (VmHWM), and the
counts are checked exactly: read = rows = dialable + suppressed = the files' rows, and the
parts hold every dialable row once.

    python -m benchmarks.bench_dial_files [--sizes 1000000 5000000] [--runs 3] [--people]

Targets (dial-list issue): 1M peak RSS at most 600 MB; 5M peak within 10% of the 1M figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DAY = dt.date(2026, 12, 1)
TARGET_1M_MB = 600
TARGET_FLAT = 0.10
GENERATE_ROWS = 500_000


def generate(rows: int, path: Path, people: bool) -> None:
    """Write `rows` contacts to a Parquet file, `GENERATE_ROWS` at a time."""
    from benchmarks.bench_compliance import make_contacts  # its ZIP table loads in a child

    writer = None
    for start in range(0, rows, GENERATE_ROWS):
        n = min(GENERATE_ROWS, rows - start)
        frame = make_contacts(n, seed=start + 1)
        index = np.arange(start, start + n)
        frame["contact_id"] = [f"c{i:08d}" for i in index]
        # Mixed cells as a CSV export gives them: text, so one type per column.
        for name in ("consent_call", "attempts_24h"):
            frame[name] = [None if v is None else str(v) for v in frame[name]]
        if people:
            frame["person_id"] = [f"p{i % (rows // 2)}" for i in index]  # i and i + rows/2
        rng = np.random.default_rng(start)
        last = np.where(rng.random(n) < 0.3, "2026-11-30T15:00:00Z", None)
        frame["last_attempt_at"] = last
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=100_000)
    writer.close()


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(source: str, output_dir: str) -> None:
    """One run, in its own process: the engine, then the upload parts; prints JSON."""
    from dial_lists import build_dial_files, upload_parts

    start = time.perf_counter()
    run = build_dial_files(source, output_dir, for_day=DAY)
    evaluated = time.perf_counter() - start
    parts = records = 0
    for part in upload_parts(run.dialable_parquet_path):
        parts += 1
        records += part.records
    elapsed = time.perf_counter() - start
    rows = pq.ParquetFile(source).metadata.num_rows
    written = [
        pq.ParquetFile(path).metadata.num_rows
        for path in (run.dialable_parquet_path, run.suppressed_parquet_path)
    ]
    exact = (
        run.read == rows == run.dialable + run.suppressed
        and written == [run.dialable, run.suppressed]
        and records == run.dialable
        and sum(run.by_reason.values()) == rows
    )
    print(
        json.dumps(
            {
                "rows": rows,
                "dialable": run.dialable,
                "suppressed": run.suppressed,
                "parts": parts,
                "evaluate_s": evaluated,
                "total_s": elapsed,
                "peak_mb": peak_rss_mb(),
                "exact": exact,
            }
        )
    )


def measure(source: Path, output_dir: Path) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_dial_files",
            "--child",
            str(source),
            str(output_dir),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def spread(values: list[float], unit: str, digits: int = 0) -> str:
    return (
        f"median {statistics.median(values):,.{digits}f} {unit} "
        f"(min {min(values):,.{digits}f}, max {max(values):,.{digits}f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--people", action="store_true", help="add a person_id (no target)")
    parser.add_argument(
        "--child", nargs=2, metavar=("SOURCE", "OUTPUT_DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    peaks: dict[int, float] = {}
    ok = True
    with tempfile.TemporaryDirectory() as work:
        for size in args.sizes:
            source = Path(work) / f"contacts-{size}.parquet"
            start = time.perf_counter()
            generate(size, source, args.people)
            print(f"{size:,} contacts generated in {time.perf_counter() - start:.0f} s", flush=True)
            runs = [measure(source, Path(work) / "out") for _ in range(args.runs)]
            first = runs[0]
            print(f"  dialable / suppressed  {first['dialable']:,} / {first['suppressed']:,}, "
                  f"{first['parts']} upload part(s)")  # fmt: skip
            print(f"  engine wall time       {spread([r['evaluate_s'] for r in runs], 's', 1)}")
            print(f"  with upload parts      {spread([r['total_s'] for r in runs], 's', 1)}")
            print(f"  peak RSS               {spread([r['peak_mb'] for r in runs], 'MB')}")
            exact = all(r["exact"] for r in runs)
            print(f"  exact counts           {'PASS' if exact else 'MISS'}", flush=True)
            ok &= exact
            peaks[size] = statistics.median(r["peak_mb"] for r in runs)
            source.unlink()
    if 1_000_000 in peaks and not args.people:
        hit = peaks[1_000_000] <= TARGET_1M_MB
        ok &= hit
        print(f"1M peak RSS {peaks[1_000_000]:.0f} MB   target <= {TARGET_1M_MB} MB   "
              f"{'PASS' if hit else 'MISS'}")  # fmt: skip
        for size in sorted(set(peaks) - {1_000_000}):
            growth = peaks[size] / peaks[1_000_000] - 1
            flat = abs(growth) <= TARGET_FLAT
            ok &= flat
            print(f"{size / 1e6:g}M peak RSS {peaks[size]:.0f} MB: {growth:+.1%} of 1M   "
                  f"target within {TARGET_FLAT:.0%}   {'PASS' if flat else 'MISS'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
