"""`python -m dashboard`: serve the dashboard with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn

from .settings import CREDENTIALS_ENV, POLL_ENV, SECRET_ENV


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
            "15, 0 disables), and Prefect's own PREFECT_API_URL."
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


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    uvicorn.run("dashboard.app:app", host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
