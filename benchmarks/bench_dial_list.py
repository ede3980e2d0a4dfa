"""Day lists of 1,000,000 and 5,000,000 contacts through `sync_dial_list`, upload included.

Generates realistic contacts (`bench_compliance.make_contacts`: real ZIPs and area codes,
damaged cells, Canadian and Jamaican numbers, the columns the export gives, and a last
attempt for some) into Parquet files, chunk by chunk. With `--people` every contact also has
a `person_id` shared with a row half the file away, so the person tally (the first pass) runs
(reported without a target, as `bench_compliance` reports its person variant).

Starts a Prefect server and the simulator (its NICE CXone stand-in takes the uploads). Each
run is a child process that runs the whole flow for a day list: evaluation into the segment
files, the calling list replaced through upload jobs of at most 500,000 records, and the DNC
group. The child reports its wall time, the time spent evaluating and uploading (its task
runs' durations) and its peak resident memory (VmHWM). Counts are checked exactly: read =
rows = dialable + suppressed, and (1M) the calling list holds exactly the dialable ids.

    python -m benchmarks.bench_dial_list [--sizes 1000000 5000000] [--runs 3] [--people]
        [--no-dnc-group]

`--no-dnc-group` leaves the DNC group out (its ~21 s of rate-limited calls), for iterating
on the evaluation; the figures it prints say so.

Targets: the evaluation (read the file, evaluate, write the segment files: the
`write-dial-files` task) at most 2.5 s per million contacts at every size (issue 22; upload
and DNC calls excluded, the platform's rate limit bounds them); 1M peak RSS at most 600 MB;
5M peak within 10% of the 1M figure (dial-list issue).
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
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks import _report

# The next Tuesday after today in New York: a working day, in the future (a list for a day
# already begun starts no window before the run's own instant), the same kind of day each run.
_TODAY = dt.datetime.now(ZoneInfo("America/New_York")).date()
DAY = _TODAY + dt.timedelta(days=(1 - _TODAY.weekday()) % 7 or 7)
TARGET_1M_MB = 600
TARGET_FLAT = 0.10
TARGET_EVALUATE_PER_MILLION_S = 2.5
CREDENTIALS = "cxone-access-key/bench"
GENERATE_ROWS = 500_000
# The client's pacing (the block's requests_per_minute; 600 by default): the DNC numbers go
# 100 to a request, so their time is set by the tenant's rate limit, not by this machine.
DNC_RATE = 3000
UPLOAD_TIMEOUT_S = 60.0


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


def child(
    source: str, output_dir: str, calling_list: str, day_text: str, options: str = "{}"
) -> None:
    """One run, in its own process (PREFECT_API_URL set): the whole flow; prints JSON."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    from flows.dial_list import sync_dial_list

    day = dt.date.fromisoformat(day_text)

    async def run() -> tuple[dict, dict[str, float]]:
        given = {"dnc_group": f"{calling_list} DNC", **json.loads(options)}
        summary = await sync_dial_list(
            source, calling_list, CREDENTIALS, for_day=day, output_dir=output_dir, **given
        )
        # Time spent evaluating and uploading: the durations of the run's task runs by task.
        durations: dict[str, float] = {}
        async with get_client() as client:
            name = f"sync {calling_list} for {day.isoformat()}"  # the flow's run name
            runs = FlowRunFilter(name=FlowRunFilterName(any_=[name]))
            for task_run in await client.read_task_runs(flow_run_filter=runs, limit=200):
                task = task_run.name.rsplit("-", 1)[0]
                spent = task_run.total_run_time.total_seconds()
                durations[task] = durations.get(task, 0.0) + spent
        return summary, durations

    start = time.perf_counter()
    summary, durations = asyncio.run(run())
    elapsed = time.perf_counter() - start
    rows = pq.ParquetFile(source).metadata.num_rows
    print(
        json.dumps(
            {
                "rows": rows,
                "dialable": summary["dialable"],
                "suppressed": summary["suppressed"],
                "parts": len(summary["job_ids"]),
                "evaluate_s": durations.get("write-dial-files", 0.0),
                "upload_s": durations.get("upload-part", 0.0),
                "dnc_s": durations.get("add-dnc-numbers", 0.0),
                "dnc_added": summary["dnc_added"],
                "total_s": elapsed,
                "peak_mb": peak_rss_mb(),
                "calling_list_id": summary["calling_list_id"],
                "dialable_path": summary["dialable_parquet_path"],
                "exact": summary["read"] == rows == summary["dialable"] + summary["suppressed"]
                and summary["uploaded"] == summary["dialable"],
            }
        )
    )


def measure(
    stack, source: Path, output_dir: Path, calling_list: str, options: dict | None = None
) -> dict:
    """One run in a child process; `options` are more arguments of `sync_dial_list`."""
    command = [sys.executable, "-m", "benchmarks.bench_dial_list", "--child"]
    result = subprocess.run(
        [
            *command,
            str(source),
            str(output_dir),
            calling_list,
            DAY.isoformat(),
            json.dumps(options or {}),
        ],
        env=stack.env(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:  # the child's own words, not only its exit status
        raise RuntimeError(f"the run of {calling_list} failed:\n{result.stderr[-4000:]}")
    (output_dir / f"{calling_list}.log").write_text(result.stderr)  # the run's Prefect log
    return json.loads(result.stdout.strip().splitlines()[-1])


def list_holds_exactly(stack, run: dict) -> bool:
    """The stand-in's calling list holds each dialable id once, and nothing else."""
    import httpx

    url = f"{stack.admin_api_url}/_sim/admin/lists/{run['calling_list_id']}"
    listed = httpx.get(url, timeout=600).json()
    held = [record["ExternalId"] for record in listed["records"]]
    dialable = pq.read_table(run["dialable_path"], columns=["contact_id"])["contact_id"]
    return len(held) == len(set(held)) and set(held) == set(dialable.to_pylist())


def spread(values: list[float], unit: str, digits: int = 1) -> str:
    """The median and the range of three (or more) runs, as the benchmark tables give them."""
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
        "--no-dnc-group", action="store_true", help="no DNC group (the evaluation, faster)"
    )
    parser.add_argument(
        "--output", type=Path, help="keep the segment files and each run's log here"
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    from deployments.local_stack import LocalStack

    peaks: dict[int, float] = {}
    figures: list[dict] = []
    ok = True
    with tempfile.TemporaryDirectory() as work, LocalStack(Path(work) / "stack") as stack:
        args.output = args.output or Path(work) / "out"
        args.output.mkdir(parents=True, exist_ok=True)
        print("starting the Prefect server and the simulator ...", flush=True)
        stack.start_prefect_server()
        stack.start_simulator()
        save_credentials(stack)
        for size in args.sizes:
            source = Path(work) / f"contacts-{size}.parquet"
            start = time.perf_counter()
            generate(size, source, args.people)
            print(f"{size:,} contacts generated in {time.perf_counter() - start:.0f} s", flush=True)
            runs = []
            for number in range(args.runs):
                options = {"dnc_group": None} if args.no_dnc_group else None
                run = measure(stack, source, args.output, f"bench-{size}-{number}", options)
                run["exact"] &= size > 1_000_000 or list_holds_exactly(stack, run)
                runs.append(run)
            first = runs[0]
            print(f"  dialable / suppressed  {first['dialable']:,} / {first['suppressed']:,}, "
                  f"{first['parts']} upload job(s)")  # fmt: skip
            print(f"  flow wall time         {spread([r['total_s'] for r in runs], 's', 1)}")
            print(f"    evaluating           {spread([r['evaluate_s'] for r in runs], 's', 1)}")
            per_million = [r["evaluate_s"] / (size / 1e6) for r in runs]
            fast = statistics.median(per_million) <= TARGET_EVALUATE_PER_MILLION_S
            ok &= fast
            print(f"  EVALUATION PER MILLION {spread(per_million, 's', 2)}   target <= "
                  f"{TARGET_EVALUATE_PER_MILLION_S} s   {'PASS' if fast else 'MISS'}")  # fmt: skip
            print(f"    uploading            {spread([r['upload_s'] for r in runs], 's', 1)}")
            dnc = spread([r["dnc_s"] for r in runs], "s", 1)
            if args.no_dnc_group:
                print("    DNC numbers          not sent (--no-dnc-group)")
            else:
                print(f"    DNC numbers          {dnc} for {first['dnc_added']:,} numbers "
                      f"({DNC_RATE} requests/min of 100 each)")  # fmt: skip
            print(f"  peak RSS               {spread([r['peak_mb'] for r in runs], 'MB', 0)}")
            exact = all(r["exact"] for r in runs)
            what = "counts" + (" and the list's ids" if size <= 1_000_000 else "")
            print(f"  exact {what:<17} {'PASS' if exact else 'MISS'}", flush=True)
            ok &= exact
            peaks[size] = statistics.median(r["peak_mb"] for r in runs)
            figures.append(_report.figure(f"{size:,}: exact", str(exact), "True", exact))
            figures.append(_report.figure(
                f"{size:,}: evaluation per million (median)",
                f"{statistics.median(per_million):.2f} s",
                f"<= {TARGET_EVALUATE_PER_MILLION_S} s", fast,
            ))  # fmt: skip
            source.unlink()
    if 1_000_000 in peaks and not args.people:
        hit = peaks[1_000_000] <= TARGET_1M_MB
        ok &= hit
        print(f"1M peak RSS {peaks[1_000_000]:.0f} MB   target <= {TARGET_1M_MB} MB   "
              f"{'PASS' if hit else 'MISS'}")  # fmt: skip
        figures.append(_report.figure("1M: peak RSS", f"{peaks[1_000_000]:.0f} MB",
                                      f"<= {TARGET_1M_MB} MB", hit))  # fmt: skip
        for size in sorted(set(peaks) - {1_000_000}):
            growth = peaks[size] / peaks[1_000_000] - 1
            flat = abs(growth) <= TARGET_FLAT
            ok &= flat
            print(f"{size / 1e6:g}M peak RSS {peaks[size]:.0f} MB: {growth:+.1%} of 1M   "
                  f"target within {TARGET_FLAT:.0%}   {'PASS' if flat else 'MISS'}")  # fmt: skip
            figures.append(_report.figure(f"{size / 1e6:g}M: peak RSS against 1M",
                                          f"{growth:+.1%}", f"within {TARGET_FLAT:.0%}",
                                          flat))  # fmt: skip
    for size in sorted(peaks) if 1_000_000 not in peaks or args.people else []:
        figures.append(_report.figure(f"{size:,}: peak RSS", f"{peaks[size]:.0f} MB"))
    _report.write(args.json, figures)
    return 0 if ok else 1


def save_credentials(stack) -> None:
    """The NICE credentials block the runs use, for the stack's stand-in."""
    import asyncio

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments.local_stack import stand_in_access_key

    with temporary_settings({PREFECT_API_URL: stack.prefect_api_url}):
        block = stand_in_access_key(stack.issuer_url, DNC_RATE)
        # The stand-in takes a 500,000-record part in a few seconds, but on a loaded 2-core
        # machine beyond the default 10 s deadline: the upload is not what is measured here.
        block.timeout_seconds = UPLOAD_TIMEOUT_S
        asyncio.run(block.asave(CREDENTIALS.split("/")[1], overwrite=True))


if __name__ == "__main__":
    raise SystemExit(main())
