"""serve_in_thread and the `python -m simulator` command."""

from __future__ import annotations

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


def test_cli_serves_and_prints_credentials() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "simulator", "--port", str(port), "--list", "CL-X=20"]
    command += ["--admin-port", "0", "--issuer-port", "0"]  # the stand-in on free ports
    process = subprocess.Popen(
        command,
        cwd=PROJECT,  # so `-m simulator` finds this checkout
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        banner = [process.stdout.readline() for _ in range(2)]
        assert f"http://127.0.0.1:{port}" in banner[0]
        assert "client_id=sim-client" in banner[1] and "client_secret=sim-secret" in banner[1]
        config = wait_for_config(f"http://127.0.0.1:{port}", process)
        assert config["contact_lists"] == {"CL-X": 20}
    finally:
        process.terminate()
        process.wait(timeout=10)
