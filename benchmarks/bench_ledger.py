"""The attempts ledger at scale: 10M attempts kept and counted, a 1M-contact sync that reads
them, and outcomes read back from the NICE stand-in at the platform's rate limit.

1. **Build**: 10,000,000 attempts over the last 7 days, to the numbers of a 1M-contact file
   (each of them called 10 times on average), kept through `Ledger.add_attempts` in an
   embedded SQLite ledger. Reports the rate, the file's size.
2. **View**: `Ledger.view(at)` (the database counts per number): time and peak memory.
3. **Sync**: `sync_dial_list` of the 1M contacts (day list, upload and DNC group included, in
   a child process like `bench_dial_list`) with that ledger as its default: peak memory
   against the dial-list target (1M <= 600 MB) and how many contacts the ledger capped.
4. **Collect**: a skill of 20,000 records dialled for a day by the stand-in, read back with
   `call_attempts` into a ledger at the access key's default 600 requests a minute, paced
   10 a second (`requests_per_second`; 100 attempts a request): attempts a second, which
   that pace sets (600 a minute alone would let the first 600 requests go at once).

    python -m benchmarks.bench_ledger [--attempts 10000000] [--contacts 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from benchmarks import _report

TARGET_MB = 600
BATCH = 50_000


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def numbers_of(source: Path) -> np.ndarray:
    import pandas as pd

    import compliance

    phones = pq.read_table(source, columns=["phone"]).column("phone").to_pandas()
    numbers = compliance.national_numbers(pd.Series(phones, dtype="string"))
    return np.unique(numbers[numbers > 0])


async def build(path: Path, numbers: np.ndarray, attempts: int, at: dt.datetime) -> float:
    from ledger import AttemptRow, open_ledger

    rng = np.random.default_rng(7)
    start = time.perf_counter()
    async with open_ledger(path) as ledger:
        for first in range(0, attempts, BATCH):
            n = min(BATCH, attempts - first)
            called = rng.choice(numbers, n)
            ago = rng.integers(60, 7 * 86_400, n)
            rows = [
                AttemptRow("4100", f"a{first + i}", int(number), at - dt.timedelta(seconds=int(s)),
                           "no_answer")
                for i, (number, s) in enumerate(zip(called, ago, strict=True))
            ]  # fmt: skip
            await ledger.add_attempts(rows)
    return time.perf_counter() - start


async def view(path: Path, at: dt.datetime) -> tuple[float, int]:
    from ledger import open_ledger

    start = time.perf_counter()
    async with open_ledger(path) as ledger:
        counted = await ledger.view(at)
    return time.perf_counter() - start, len(counted.numbers)


async def collect(records: int) -> tuple[int, float]:
    """A day of dialling `records` records by the stand-in, read back at 600 requests/min."""
    import httpx

    from cxone import AccessKeyConfig, AdminClient, CallingListColumns, CampaignSpec
    from ledger import AttemptRow, open_ledger
    from simulator import FakeClock, create_admin_apps, serve_admin_in_thread

    start_at = dt.datetime(2026, 12, 7, 13, tzinfo=dt.UTC)
    apps = create_admin_apps(clock=FakeClock(start_at))
    with serve_admin_in_thread(apps) as urls, tempfile.TemporaryDirectory() as work:
        config = AccessKeyConfig(
            access_key_id="sim-access-key", access_key_secret="sim-access-secret",
            client_id="sim-app", client_secret="sim-app-secret", issuer=urls.issuer,
            requests_per_minute=600, requests_per_second=10,  # paced as measured before
        )  # fmt: skip
        async with AdminClient(config) as client:
            spec = CampaignSpec(name="Bench", contact_list_id="Bench", initial_status="active")
            skill = (await client.create_campaign(spec, idempotency_key="bench")).id
            list_id = await client.find_or_create_calling_list("Bench", CallingListColumns())
            rows = "".join(
                f"c{i},212{5550000 + i:07d},,,Eastern Standard Time,2026-12-07 08:00:00,,\n"
                for i in range(records)
            )
            header = "contact_id,phone,state,postal_code,time_zone,call_request_time,first_name,"
            data = (header + "last_name\n" + rows).encode()
            job = await client.upload_calling_list(
                list_id, data, file_name="bench.csv", overwrite=True, skill_id=skill,
                time_zone="Eastern Standard Time",
            )  # fmt: skip
            while not (await client.get_upload_job(job)).finished:
                await asyncio.sleep(0.05)
            until = start_at + dt.timedelta(hours=8)
            with httpx.Client(base_url=urls.api, timeout=600) as control:
                control.post(
                    f"/_sim/admin/skills/{skill}/dial-until",
                    json={"until": until.isoformat(), "stepMinutes": 60,
                          "maxAttemptsPerRecord": 1},
                ).raise_for_status()  # fmt: skip
            began = time.perf_counter()
            read = 0
            async with open_ledger(Path(work) / "attempts.db") as ledger:
                async for page in client.call_attempts(skill, start_at, until):
                    read += len(page)
                    await ledger.add_attempts(
                        AttemptRow(a.campaign_id, a.attempt_id, int(a.number), a.attempted_at,
                                   a.result.value)
                        for a in page
                    )  # fmt: skip
            return read, time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    from benchmarks.bench_dial_list import DAY, generate, measure, save_credentials, spread
    from deployments.local_stack import LocalStack

    ok = True
    at = dt.datetime.combine(DAY, dt.time(10, 30), dt.UTC)  # before the day's first window
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "contacts.parquet"
        generate(args.contacts, source, people=False)
        numbers = numbers_of(source)
        ledger_path = Path(work) / "ledger" / "attempts.db"
        seconds = asyncio.run(build(ledger_path, numbers, args.attempts, at))
        size = ledger_path.stat().st_size / 2**20
        rate = args.attempts / seconds
        print(f"ledger of {args.attempts:,} attempts to {len(numbers):,} numbers built in "
              f"{seconds:.0f} s ({rate:,.0f} a second), {size:,.0f} MB")  # fmt: skip
        timings = [asyncio.run(view(ledger_path, at)) for _ in range(args.runs)]
        print(f"view (counts per number, 7 days): {spread([t for t, _ in timings], 's')}, "
              f"{timings[0][1]:,} numbers; this process's peak {peak_mb():.0f} MB")  # fmt: skip
        os.environ["CXONE_LEDGER_PATH"] = str(ledger_path)  # the children's default ledger
        with LocalStack(Path(work) / "stack") as stack:
            stack.start_prefect_server()
            stack.start_simulator()
            save_credentials(stack)
            runs = [
                measure(stack, source, Path(work) / "out", f"ledger-{n}") for n in range(args.runs)
            ]
        peaks = [r["peak_mb"] for r in runs]
        hit = statistics.median(peaks) <= TARGET_MB
        ok &= hit
        print(f"sync of {args.contacts:,} with the ledger: peak {spread(peaks, 'MB', 0)}, "
              f"evaluation {spread([r['evaluate_s'] for r in runs], 's')}, "
              f"{runs[0]['dialable']:,} dialable   target <= {TARGET_MB} MB   "
              f"{'PASS' if hit else 'MISS'}")  # fmt: skip
    rates = []
    for _ in range(args.runs):
        read, seconds = asyncio.run(collect(args.records))
        rates.append(read / seconds)
    print(f"collect: {read:,} attempts read back and kept at 600 requests/min: "
          f"{spread(rates, 'attempts/s', 0)} (the limit allows 1,000/s)")  # fmt: skip
    _report.write(args.json, [
        _report.figure(f"sync of {args.contacts:,} with the ledger: peak RSS",
                       spread(peaks, "MB", 0), f"<= {TARGET_MB} MB", hit),
        _report.figure("collect at 600 requests/min", spread(rates, "attempts/s", 0)),
    ])  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
