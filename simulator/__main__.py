"""`python -m simulator`: serve a local CXone on 127.0.0.1 for the demo and manual tests."""

from __future__ import annotations

import argparse

import uvicorn

from .app import create_app
from .config import DEV_WEBHOOK_SECRET, SimulatorConfig
from .server import quiet_injected_drops


def _list_size(text: str) -> tuple[str, int]:
    list_id, sep, count = text.partition("=")
    if not sep or not list_id or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected LIST_ID=COUNT, got {text!r}")
    return list_id, int(count)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="An in-memory stand-in for the CXone outbound API (see SPEC.md).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=42, help="contact generator seed")
    parser.add_argument(
        "--list",
        dest="lists",
        action="append",
        type=_list_size,
        metavar="LIST_ID=COUNT",
        help="seed a contact list (repeatable; default CL-DEMO=500)",
    )
    parser.add_argument(
        "--rate-limit", type=float, default=None, help="requests per second (default: off)"
    )
    parser.add_argument("--burst", type=float, default=None, help="bucket size (default: rate)")
    parser.add_argument("--latency-ms", type=float, default=0, help="added to every /api/ call")
    parser.add_argument("--token-ttl", type=float, default=3600, help="token lifetime, seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = SimulatorConfig(
        seed=args.seed,
        contact_lists=dict(args.lists) if args.lists else {"CL-DEMO": 500},
        rate_limit_per_second=args.rate_limit,
        rate_limit_burst=args.burst,
        latency_ms=args.latency_ms,
        token_ttl_seconds=args.token_ttl,
    )
    app = create_app(config)
    print(f"CXone simulator on http://{args.host}:{args.port}")
    print(f"  client_id={config.client_id} client_secret={config.client_secret}")
    print(f"  contact lists: {', '.join(f'{k}={v}' for k, v in config.contact_lists.items())}")
    if config.webhook_secret == DEV_WEBHOOK_SECRET:
        print(f"  webhooks signed with the dev secret {DEV_WEBHOOK_SECRET}")
    else:
        print("  webhooks signed with CXONE_WEBHOOK_SECRET")
    print(f"  control API: http://{args.host}:{args.port}/_sim/config", flush=True)
    quiet_injected_drops()
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
