"""`python -m dashboard`: serve the dashboard with uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import sys

import uvicorn
from pydantic import ValidationError

from .access import AccessNotConfigured, resolve_access
from .settings import (
    AUTH_ENV,
    CREDENTIALS_ENV,
    METRICS_EVENT_ENV,
    POLL_ENV,
    SECRET_ENV,
    TOKEN_BLOCK_ENV,
    DashboardSettings,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description=(
            "Serve the CXone campaign dashboard: POST /webhooks/cxone, "
            "GET /dashboard/health?campaign_id=, GET / (page), GET /api/campaigns."
        ),
        epilog=(
            f"Environment: {SECRET_ENV} (whsec_ secret shared with CXone, at least 24 bytes; "
            f"required for webhooks), {CREDENTIALS_ENV} (credentials block for reads of "
            f"campaigns no FailoverPair names; default 'cxone'), {POLL_ENV} (how often pairs "
            "on platforms without metrics webhooks, such as NICE CXone, are polled; default "
            f"15, 0 disables), {METRICS_EVENT_ENV} (the least seconds between two "
            "cxone.campaign.metrics.updated of one polled campaign; default 60, 0: one a "
            f"reading), {TOKEN_BLOCK_ENV} (the Prefect Secret block holding the token "
            "every route but the signed webhooks and /livez needs, as a Bearer token or the "
            f"Basic auth password with any user; default 'dashboard-token'), {AUTH_ENV}="
            "localhost (no credentials, loopback clients only), and Prefect's own "
            "PREFECT_API_URL."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8780, help="port to bind (default %(default)s)")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level (default %(default)s)",
    )
    return parser.parse_args(argv)


def check_access() -> None:
    """Exit with one clear line when the dashboard could not start: bad settings, or neither
    a token nor localhost mode (the app's lifespan would refuse with a traceback)."""
    try:
        asyncio.run(resolve_access(DashboardSettings.from_env()))
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        sys.exit(f"python -m dashboard: bad settings: {problems}")
    except AccessNotConfigured as exc:
        sys.exit(f"python -m dashboard: {exc}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    check_access()
    uvicorn.run("dashboard.app:app", host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
