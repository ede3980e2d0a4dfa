"""Serve every deployment from this one process: `python -m deployments.serve --help`.

The same schedules and triggers as `deployments/prefect.yaml`, without a work pool: handy on a
laptop and in the demo. Needs a Prefect server (`prefect server start`) for schedules and
triggers to fire. Unless `--no-responder`, it also runs the failover in this process as soon as
a low-success event arrives (see `deployments/responder.py`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os

# Pick up triggered runs within a second rather than ten: failover latency depends on it.
os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "1")

import asyncio

from prefect import aserve

from .automations import ensure_automations
from .definitions import build_deployments
from .responder import respond_to_low_success


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contact-list", required=True, help="contact list to export daily")
    parser.add_argument("--credentials-block", default="cxone")
    parser.add_argument("--output-dir", default="exports", help="the export's directory")
    parser.add_argument("--dial-list-output-dir", default="dial-lists")
    parser.add_argument("--outcomes-output-dir", default="outcomes")
    parser.add_argument("--monitor-seconds", type=float, default=60.0)
    parser.add_argument("--dial-list-source", default="contacts.parquet", help="daily CRM file")
    parser.add_argument("--calling-list", default="Daily dial list")
    parser.add_argument("--dial-list-credentials", default="cxone-access-key/prod")
    parser.add_argument("--dnc-group", help="the DNC group opt-outs and revocations go to")
    parser.add_argument(
        "--revocation-lists",
        nargs="+",
        metavar="LIST",
        help="the lists a revocation leaves (calling list names; contact list ids on the "
        "described API); default: --calling-list",
    )
    parser.add_argument(
        "--no-responder",
        action="store_true",
        help="leave low-success events to the deployment trigger alone (slower)",
    )
    args = parser.parse_args(argv)
    deployments = build_deployments(
        args.contact_list,
        credentials_block=args.credentials_block,
        output_dir=args.output_dir,
        monitor_interval=dt.timedelta(seconds=args.monitor_seconds),
        dial_list_source=args.dial_list_source,
        calling_list=args.calling_list,
        dial_list_credentials=args.dial_list_credentials,
        dnc_group=args.dnc_group,
        revocation_lists=args.revocation_lists,
        dial_list_output_dir=args.dial_list_output_dir,
        outcomes_output_dir=args.outcomes_output_dir,
    )

    async def run() -> None:
        await ensure_automations()
        responder = None if args.no_responder else asyncio.create_task(respond_to_low_success())
        try:
            # On SIGTERM the runner stops gracefully: the runs it serves are cancelled, not
            # left Running, and this returns.
            await aserve(*deployments, limit=8)
        finally:
            if responder is not None:  # it finishes the failovers it started, then stops
                responder.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await responder

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops serving
        asyncio.run(run())


if __name__ == "__main__":
    main()
