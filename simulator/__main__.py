"""`python -m simulator`: serve a local CXone on 127.0.0.1 for the demo and manual tests.

One process serves the described API on `--port` (default 8765) and the NICE CXone stand-in
beside it: its API on `--admin-port` and its issuer on `--issuer-port` (default: the next
two ports, 8766 and 8767 for the default `--port`; 0 picks free ports). All three read one
clock: the system's, or with `--fake-clock` a `FakeClock` that starts at the current time and
stands still until moved (`POST /_sim/clock/advance`, or a dialer's `dial-until`, which needs
it). The banner prints every credential and URL.
"""

from __future__ import annotations

import argparse

import uvicorn

from .admin import AdminConfig, AdminUrls, create_admin_apps, serve_admin_in_thread
from .app import create_app
from .clock import Clock, FakeClock, SystemClock, iso
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
    parser.add_argument(
        "--rate-limit-per-minute",
        type=float,
        default=None,
        help="at most N requests in any trailing 60 s, bursts allowed, on both the described "
        "API and the stand-in (default: off)",
    )
    parser.add_argument("--latency-ms", type=float, default=0, help="added to every /api/ call")
    parser.add_argument("--token-ttl", type=float, default=3600, help="token lifetime, seconds")
    parser.add_argument(
        "--admin-port", type=int, default=None, help="stand-in API port (default: --port + 1)"
    )
    parser.add_argument(
        "--issuer-port", type=int, default=None, help="stand-in issuer port (default: --port + 2)"
    )
    parser.add_argument(
        "--fake-clock",
        action="store_true",
        help="a clock that starts now and moves only when told to (POST /_sim/clock/advance, "
        "dial-until); default: the system clock",
    )
    args = parser.parse_args(argv)
    # Port 0 (any free port) for the described API means free ports for the stand-in too.
    if args.admin_port is None:
        args.admin_port = args.port + 1 if args.port else 0
    if args.issuer_port is None:
        args.issuer_port = args.port + 2 if args.port else 0
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = SimulatorConfig(
        seed=args.seed,
        contact_lists=dict(args.lists) if args.lists else {"CL-DEMO": 500},
        rate_limit_per_second=args.rate_limit,
        rate_limit_burst=args.burst,
        rate_limit_per_minute=args.rate_limit_per_minute,
        latency_ms=args.latency_ms,
        token_ttl_seconds=args.token_ttl,
    )
    clock: Clock = FakeClock() if args.fake_clock else SystemClock()
    app = create_app(config, clock)
    admin = create_admin_apps(AdminConfig(rate_limit_per_minute=args.rate_limit_per_minute), clock)
    quiet_injected_drops()
    with serve_admin_in_thread(admin, args.host, args.admin_port, args.issuer_port) as urls:
        print(f"CXone simulator on http://{args.host}:{args.port}")
        print(f"  client_id={config.client_id} client_secret={config.client_secret}")
        print(f"  contact lists: {', '.join(f'{k}={v}' for k, v in config.contact_lists.items())}")
        if config.webhook_secret == DEV_WEBHOOK_SECRET:
            print(f"  webhooks signed with the dev secret {DEV_WEBHOOK_SECRET}")
        else:
            print("  webhooks signed with CXONE_WEBHOOK_SECRET")
        print(f"  control API: http://{args.host}:{args.port}/_sim/config")
        if isinstance(clock, FakeClock):
            print(f"  fake clock at {iso(clock.now())}: moved by /_sim/clock/advance, dial-until")
        print(
            f"  Reassigned Numbers Database stand-in: http://{args.host}:{args.port}/api/rnd/v1"
            f" (api key {config.rnd_api_key})"
        )
        _print_admin_banner(admin.state.config, urls)
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")


def _print_admin_banner(config: AdminConfig, urls: AdminUrls) -> None:
    print(f"NICE CXone stand-in: issuer {urls.issuer}, API {urls.api}")
    print(f"  access key id={config.access_key_id} secret={config.access_key_secret}")
    print(f"  app client_id={config.client_id} client_secret={config.client_secret}")
    print(f"  tenantId={config.tenant_id}")
    print(f"  control API: {urls.api}/_sim/admin/config", flush=True)


if __name__ == "__main__":
    main()
