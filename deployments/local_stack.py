"""Start the whole system on loopback as child processes, and stop every one of them.

Used by `make demo` and the benchmarks: a Prefect server (SQLite, UI on), the simulator, the
dashboard and the deployments' `serve` process, each logging to its own file under the run
directory, each waited for on its health endpoint. `connect_to_simulator` and
`provision_pair` then configure Prefect for that stack.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .postgres import Cluster

HOST = "127.0.0.1"
SIMULATOR = ("-m", "simulator")
DASHBOARD_TOKEN_BLOCK = "dashboard-token"
PORT_FIELDS = (
    "prefect_port",
    "simulator_port",
    "admin_api_port",
    "issuer_port",
    "dashboard_port",
    "runner_port",
)


class StackError(RuntimeError):
    """A service did not start; the message names it and its log file."""


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: held open together, so none is handed out twice."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def new_webhook_secret() -> str:
    """A fresh Standard Webhooks secret shared by the simulator and the dashboard."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log_path: Path


@dataclass
class LocalStack:
    """Child processes on loopback; use as a context manager so they are always stopped."""

    run_dir: Path
    services: list[Service] = field(default_factory=list)
    webhook_secret: str = field(default_factory=new_webhook_secret)
    # The dashboard's login: any user name, this as the password (or a Bearer token).
    dashboard_token: str = field(default_factory=secrets.token_urlsafe, repr=False)
    prefect_port: int = 0
    simulator_port: int = 0
    admin_api_port: int = 0
    issuer_port: int = 0
    dashboard_port: int = 0
    runner_port: int = 0

    def __post_init__(self) -> None:
        # Ports left at 0 get distinct free ones.
        names = [n for n in PORT_FIELDS if getattr(self, n) == 0]
        for name, port in zip(names, free_ports(len(names)), strict=True):
            setattr(self, name, port)

    @property
    def prefect_api_url(self) -> str:
        return f"http://{HOST}:{self.prefect_port}/api"

    @property
    def prefect_ui_url(self) -> str:
        return f"http://{HOST}:{self.prefect_port}"

    @property
    def simulator_url(self) -> str:
        return f"http://{HOST}:{self.simulator_port}"

    @property
    def admin_api_url(self) -> str:
        """The NICE CXone stand-in's API (what tenant discovery answers)."""
        return f"http://{HOST}:{self.admin_api_port}"

    @property
    def issuer_url(self) -> str:
        """The NICE CXone stand-in's OpenID issuer."""
        return f"http://{HOST}:{self.issuer_port}"

    @property
    def dashboard_url(self) -> str:
        return f"http://{HOST}:{self.dashboard_port}"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment every child (and this process's Prefect calls) should use."""
        return {
            **os.environ,
            "PREFECT_API_URL": self.prefect_api_url,
            "PREFECT_HOME": str(self.run_dir / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "CXONE_WEBHOOK_SECRET": self.webhook_secret,
            **extra,
        }

    def __enter__(self) -> LocalStack:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(
        self,
        name: str,
        args: list[str],
        health_url: str | None = None,
        timeout: float = 90.0,
        ready_line: str | None = None,
        program: list[str] | None = None,
        **env: str,
    ) -> Service:
        """Start `python args...` (or `program + args`), log to `<run_dir>/<name>.log`, and
        wait until it is ready: `health_url` answers 200, or its log shows `ready_line`."""
        log_path = self.run_dir / f"{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - the child writes to it for its lifetime
        process = subprocess.Popen(
            [*(program or [sys.executable]), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env(**env),
            start_new_session=True,  # stop() signals the whole group, children included
        )
        log.close()
        service = Service(name, process, log_path)
        self.services.append(service)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise StackError(f"{name} exited with {process.returncode}; see {log_path}")
            if ready_line is not None:
                if ready_line in log_path.read_text(errors="replace"):
                    return service
            else:
                try:
                    if httpx.get(health_url, timeout=2).status_code == 200:
                        return service
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise StackError(f"{name} not healthy after {timeout:.0f}s; see {log_path}")
            time.sleep(0.25)

    def start_prefect_server(self, database_url: str | None = None) -> Service:
        """Prefect's server, on SQLite under the run directory or on `database_url`."""
        database = {"PREFECT_API_DATABASE_CONNECTION_URL": database_url} if database_url else {}
        return self.start(
            "prefect-server",
            ["-m", "prefect", "server", "start", "--host", HOST, "--port", str(self.prefect_port)],
            f"{self.prefect_api_url}/health",
            timeout=180,
            **database,
        )

    def start_postgres(self, port: int | None = None) -> Cluster:
        """A PostgreSQL cluster under the run directory, on 127.0.0.1; returns it."""
        cluster = Cluster(self.run_dir / "postgres", port or free_port())
        cluster.initialise()
        self.start(
            "postgres",
            [],
            program=cluster.server_command(),
            ready_line="database system is ready to accept connections",
            timeout=60,
        )
        cluster.create_database()
        return cluster

    def start_simulator(self, *args: str) -> Service:
        return self.start(
            "simulator",
            [*SIMULATOR, *self._simulator_ports(), *args],
            f"{self.simulator_url}/_sim/config",
        )

    def _simulator_ports(self) -> list[str]:
        return [
            *("--host", HOST, "--port", str(self.simulator_port)),
            *("--admin-port", str(self.admin_api_port), "--issuer-port", str(self.issuer_port)),
        ]

    @property
    def dashboard_auth(self) -> dict[str, str]:
        """The header that lets a client read the dashboard."""
        return {"Authorization": f"Bearer {self.dashboard_token}"}

    def start_dashboard(self, credentials_block: str = "cxone", **env: str) -> Service:
        """The dashboard, once its token is saved in the `dashboard-token` Secret block (the
        Prefect server must be up)."""
        save_dashboard_token(self.prefect_api_url, self.dashboard_token)
        return self.start(
            "dashboard",
            ["-m", "dashboard", "--host", HOST, "--port", str(self.dashboard_port)],
            f"{self.dashboard_url}/livez",
            CXONE_CREDENTIALS_BLOCK=credentials_block,
            CXONE_DASHBOARD_TOKEN_BLOCK=DASHBOARD_TOKEN_BLOCK,
            **env,
        )

    def start_serve(self, *args: str) -> Service:
        """Serve the deployments; healthy once its runner's webserver answers."""
        return self.start(
            "serve",
            ["-m", "deployments.serve", *args],
            f"http://{HOST}:{self.runner_port}/health",
            timeout=120,
            PREFECT_RUNNER_SERVER_ENABLE="true",
            PREFECT_RUNNER_SERVER_HOST=HOST,
            PREFECT_RUNNER_SERVER_PORT=str(self.runner_port),
        )

    def start_responder(self) -> Service:
        """The low-success responder as its own long-lived service (the production shape)."""
        return self.start(
            "responder", ["-m", "deployments.responder"], ready_line="Listening for", timeout=120
        )

    def start_worker(
        self,
        name: str = "worker",
        pool: str = "cxone-process",
        limit: int | None = None,
        **env: str,
    ) -> Service:
        """A process worker on `pool` (create the pool first) running at most `limit` flow runs
        at once; `env` reaches its flow runs."""
        command = ["-m", "prefect", "worker", "start", "--pool", pool, "--name", name]
        return self.start(
            name,
            command + (["--limit", str(limit)] if limit else []),
            ready_line="started!",
            timeout=120,
            **env,
        )

    def stop_service(self, service: Service) -> None:
        """Stop one service: SIGTERM to it alone first, so that a server or a runner ends its
        own children (flow runs it serves are cancelled, not left Running); then to its whole
        process group; SIGKILL if it lingers."""
        self.services.remove(service)
        for signal_to, target, wait in (
            (os.kill, signal.SIGTERM, 10),
            (os.killpg, signal.SIGTERM, 5),
            (os.killpg, signal.SIGKILL, None),
        ):
            if service.process.poll() is not None:
                break
            try:
                signal_to(service.process.pid, target)
                service.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                break
        with contextlib.suppress(ProcessLookupError):  # children that outlived their leader
            os.killpg(service.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop every service, newest first."""
        while self.services:
            self.stop_service(self.services[-1])


def save_dashboard_token(prefect_api_url: str, token: str) -> None:
    """Save `token` as the dashboard's `Secret` block on that Prefect server."""
    from prefect.blocks.system import Secret
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_api_url}):
        asyncio.run(Secret(value=token).asave(DASHBOARD_TOKEN_BLOCK, overwrite=True))


async def connect_to_simulator(stack: LocalStack) -> dict:
    """Register the block types, save the `cxone` credentials for the stack's simulator and
    subscribe its dashboard to the metrics webhook; returns the webhook."""
    # Imported here: starting processes must not wait for the flows' imports.
    from blocks import CXoneCredentials, register_block_types
    from flows.webhooks import register_metrics_webhook

    await register_block_types()
    await CXoneCredentials(
        client_id="sim-client",
        client_secret="sim-secret",
        base_url=stack.simulator_url,
        requests_per_minute=1200,  # the local simulator sets no limit of its own
    ).asave("cxone", overwrite=True)
    return await register_metrics_webhook(f"{stack.dashboard_url}/webhooks/cxone")


async def provision_pair(
    contact_list_id: str, name: str, credentials_block: str = "cxone"
) -> tuple[dict, dict]:
    """Provision a primary campaign and its paused backup, and save their FailoverPair."""
    from blocks import FailoverPair, pair_block_name
    from flows.provision import provision_campaign

    options = {"credentials_block": credentials_block}
    primary = await provision_campaign(name, contact_list_id, **options)
    backup = await provision_campaign(
        f"{name} backup", contact_list_id, initial_status="paused", **options
    )
    await FailoverPair(
        primary_campaign_id=primary["id"], backup_campaign_id=backup["id"], **options
    ).asave(pair_block_name(primary["id"]), overwrite=True)
    return primary, backup


def stand_in_access_key(issuer: str, requests_per_minute: int = 1200):
    """A `CXoneAccessKey` for the simulator's NICE CXone stand-in at `issuer` (its default
    access key and app); the local stand-in sets no rate limit of its own."""
    from blocks import CXoneAccessKey

    return CXoneAccessKey(
        access_key_id="sim-access-key",
        access_key_secret="sim-access-secret",
        client_id="sim-app",
        client_secret="sim-app-secret",
        issuer=issuer,
        requests_per_minute=requests_per_minute,
    )


async def connect_to_stand_in(stack: LocalStack, name: str = "demo") -> str:
    """Register the block types and save a `CXoneAccessKey` for the stack's NICE CXone
    stand-in; returns its reference, `cxone-access-key/<name>`. (NICE has no metrics
    webhook: the dashboard polls the pairs instead.)"""
    from blocks import register_block_types

    await register_block_types()
    await stand_in_access_key(stack.issuer_url).asave(name, overwrite=True)
    return f"cxone-access-key/{name}"
