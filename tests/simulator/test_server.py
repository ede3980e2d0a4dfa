"""serve_in_thread and the `python -m simulator` command."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulator import create_app, serve_in_thread
from simulator.__main__ import parse_args

PROJECT = Path(__file__).resolve().parents[2]


def test_serve_in_thread_serves_then_stops() -> None:
    with serve_in_thread(create_app()) as url:
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/_sim/config").json()["max_page_size"] == 100
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sim/config", timeout=1)


def test_cli_arguments() -> None:
    args = parse_args(["--port", "9000", "--list", "A=5", "--list", "B=7", "--rate-limit", "4"])
    assert (args.host, args.port, args.rate_limit) == ("127.0.0.1", 9000, 4.0)
    assert args.lists == [("A", 5), ("B", 7)]
    assert (args.admin_port, args.issuer_port) == (9001, 9002)  # the stand-in's defaults
    assert not args.fake_clock  # the system clock unless asked
    assert parse_args(["--fake-clock"]).fake_clock
    free = parse_args(["--port", "0"])
    assert (free.admin_port, free.issuer_port) == (0, 0)
    chosen = parse_args(["--admin-port", "7001", "--issuer-port", "7002"])
    assert (chosen.port, chosen.admin_port, chosen.issuer_port) == (8765, 7001, 7002)
    with pytest.raises(SystemExit):
        parse_args(["--list", "no-count"])


def wait_for_config(url: str, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, "the simulator exited"
        try:
            return httpx.get(f"{url}/_sim/config", timeout=1).json()
        except httpx.ConnectError:
            time.sleep(0.05)
    raise AssertionError("the simulator did not start")


def free_ports(count: int) -> list[int]:
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def start_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", *args],
        cwd=PROJECT,  # so `-m simulator` finds this checkout
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_cli_serves_and_prints_credentials() -> None:
    (port,) = free_ports(1)
    # The stand-in on free ports.
    process = start_cli("--port", str(port), "--list", "CL-X=20", "--admin-port", "0",
                        "--issuer-port", "0")  # fmt: skip
    try:
        banner = [process.stdout.readline() for _ in range(2)]
        assert f"http://127.0.0.1:{port}" in banner[0]
        assert "client_id=sim-client" in banner[1] and "client_secret=sim-secret" in banner[1]
        config = wait_for_config(f"http://127.0.0.1:{port}", process)
        assert config["contact_lists"] == {"CL-X": 20}
        clock = httpx.get(f"http://127.0.0.1:{port}/_sim/clock").json()
        assert clock["adjustable"] is False  # the system clock: dial-until answers 409
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_fake_clock_starts_now_and_is_shared_with_the_stand_in() -> None:
    port, admin_port, issuer_port = free_ports(3)
    before = dt.datetime.now(dt.UTC)
    process = start_cli("--port", str(port), "--admin-port", str(admin_port),
                        "--issuer-port", str(issuer_port), "--fake-clock",
                        "--rate-limit-per-minute", "600")  # fmt: skip
    try:
        config = wait_for_config(f"http://127.0.0.1:{port}", process)
        stand_in_config = httpx.get(f"http://127.0.0.1:{admin_port}/_sim/admin/config").json()
        limits = [(c["rate_limit_per_minute"], c["rate_limit_per_second"])
                  for c in (config, stand_in_config)]  # fmt: skip
        assert limits == [(600, None), (600, None)]  # the window on both platforms
        described = f"http://127.0.0.1:{port}/_sim/clock"
        stand_in = f"http://127.0.0.1:{admin_port}/_sim/admin/clock"
        clock = httpx.get(described).json()
        started = dt.datetime.fromisoformat(clock["now"])
        assert clock["adjustable"] is True
        assert before - dt.timedelta(seconds=1) <= started <= dt.datetime.now(dt.UTC)
        httpx.post(f"{described}/advance", json={"seconds": 86_400}).raise_for_status()
        moved = dt.datetime.fromisoformat(httpx.get(stand_in).json()["now"])
        assert moved == started + dt.timedelta(days=1)  # one clock for both, standing still
    finally:
        process.terminate()
        process.wait(timeout=10)
