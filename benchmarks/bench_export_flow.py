"""Export 200,000 contacts through `export_segmented_contacts`: wall time and peak memory.

The simulator runs in its own process (no rate limit); the flow runs in this process under a
temporary Prefect server. Peak memory is this process's maximum resident set size.

    python -m benchmarks.bench_export_flow [--contacts 200000]

Target: peak memory under 600 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

from benchmarks import _report

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect.testing.utilities import prefect_test_harness

from blocks import CXoneCredentials
from deployments.local_stack import LocalStack
from flows.export import export_segmented_contacts

TARGET_MB = 600
AT = dt.datetime(2026, 11, 30, 19, 0, tzinfo=dt.UTC)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    _report.add_json_flag(parser)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as out,
        LocalStack(Path(out) / "logs") as stack,
        prefect_test_harness(server_startup_timeout=120),
    ):
        stack.start_simulator("--list", f"CL-BIG={args.contacts}")
        CXoneCredentials(
            client_id="sim-client",
            client_secret="sim-secret",
            base_url=stack.simulator_url,
            requests_per_minute=600_000,  # the local simulator has no limit to respect
        ).save("bench", overwrite=True)
        before = peak_mb()
        start = time.perf_counter()
        summary = asyncio.run(
            export_segmented_contacts(
                "CL-BIG", output_dir=str(Path(out) / "exports"), credentials_block="bench", at=AT
            )
        )
        elapsed = time.perf_counter() - start
    peak = peak_mb()
    print(f"contacts fetched       {summary['fetched']:,} of {args.contacts:,} in the list")
    print(f"dialable / suppressed  {summary['dialable']:,} / {summary['suppressed']:,}")
    rate = summary["fetched"] / elapsed
    print(f"wall time              {elapsed:.1f} s ({rate:,.0f} contacts/s)")
    print(f"peak RSS before flow   {before:.0f} MB (Python, Prefect, pandas loaded)")
    print(f"peak RSS               {peak:.0f} MB   target < {TARGET_MB} MB   ", end="")
    print("PASS" if peak < TARGET_MB else "MISS")
    _report.write(args.json, [
        _report.figure(f"{args.contacts:,} contacts: peak RSS", f"{peak:.0f} MB",
                       f"< {TARGET_MB} MB", peak < TARGET_MB),
    ])  # fmt: skip
    return 0 if peak < TARGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
