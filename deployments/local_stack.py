"""Start the whole system on loopback as child processes, and stop every one of them.

Used by `make demo` and the benchmarks: a Prefect server (SQLite, UI on), the simulator, the
dashboard and the deployments' `serve` process, each logging to its own file under the run
directory, each waited for until it is ready (a health endpoint, the responder's ready file,
a worker's heartbeat: see `deployments/readiness.py`; never a log line, whatever
PREFECT_LOGGING_LEVEL says). `connect_to_simulator` and `provision_pair` then configure
Prefect for that stack.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .postgres import Cluster
from .readiness import (
    Probe,
    command_succeeds,
    file_exists,
    http_ok,
    wait_ready,
    worker_heartbeat,
)
from .readiness import StackError as StackError  # callers catch it here, as before

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
# The server stamps a worker's heartbeat with its own clock: the same machine, but allow some.
CLOCK_SKEW = dt.timedelta(seconds=5)
# The Prefect server's connections to PostgreSQL. Its default pool keeps 5 and opens up to 10
# more per burst, closing each as it is handed back: a fleet run's 16 concurrent calls (and a
# storm's) then pay a new connection (PostgreSQL's process, SCRAM login, asyncpg's setup and a
# cold statement cache) on most calls. Measured at 16 concurrent block-document calls: the
# server's CPU per call 10-15% lower with 20 kept (docs/benchmarks.md). docs/production.md
# sets the same.
POSTGRES_POOL = {"PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_SIZE": "20"}


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


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def interrupt_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM (a `kill`, a CI job's timeout) interrupt this process as Ctrl-C does, so
    that the `with LocalStack(...)` block unwinds and stops its services. By default SIGTERM
    ends the process at once, and the services, each in its own session, keep running.

    Only where nothing else handles SIGTERM (the demo has its own handler) and in the main
    thread, where Python runs signal handlers. Returns what puts the handler back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None
    signal.signal(signal.SIGTERM, _interrupt)
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL)


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
    # Reaches every service (e.g. PREFECT_LOGGING_LEVEL=WARNING, as in production).
    service_env: dict[str, str] = field(default_factory=dict)
    # Puts back SIGTERM's handler as it was before the `with` block (`interrupt_on_sigterm`).
    _restore_sigterm: Callable[[], None] = field(
        default=lambda: None, init=False, repr=False, compare=False
    )

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
            **self.service_env,
            **extra,
        }

    def __enter__(self) -> LocalStack:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._restore_sigterm = interrupt_on_sigterm()
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.stop()
        finally:
            self._restore_sigterm()

    def start(
        self,
        name: str,
        args: list[str],
        ready: Probe,
        timeout: float = 90.0,
        program: list[str] | None = None,
        **env: str,
    ) -> Service:
        """Start `python args...` (or `program + args`), log to `<run_dir>/<name>.log`, and
        wait until `ready` says it is serving (a health endpoint, a ready file: never a log
        line, which a log level may hide).

        Raises:
            StackError: It exited, or was not ready within `timeout` seconds.
        """
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
        wait_ready(name, process, ready, log_path, timeout)
        return service

    def start_prefect_server(self, database_url: str | None = None) -> Service:
        """Prefect's server, on SQLite under the run directory or on `database_url`."""
        database = (
            {"PREFECT_API_DATABASE_CONNECTION_URL": database_url, **POSTGRES_POOL}
            if database_url
            else {}
        )
        return self.start(
            "prefect-server",
            # `prefect server start`, its startup objects frozen (see `prefect_server`).
            [
                "-m",
                "deployments.prefect_server",
                "server",
                "start",
                "--host",
                HOST,
                "--port",
                str(self.prefect_port),
            ],
            http_ok(f"{self.prefect_api_url}/health"),
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
            command_succeeds(cluster.ready_command()),
            program=cluster.server_command(),
            timeout=60,
        )
        cluster.create_database()
        return cluster

    def start_simulator(self, *args: str) -> Service:
        return self.start(
            "simulator",
            [*SIMULATOR, *self._simulator_ports(), *args],
            http_ok(f"{self.simulator_url}/_sim/config"),
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
            # /livez: the one unauthenticated answer, and it holds nothing but "ok".
            http_ok(f"{self.dashboard_url}/livez"),
            CXONE_CREDENTIALS_BLOCK=credentials_block,
            CXONE_DASHBOARD_TOKEN_BLOCK=DASHBOARD_TOKEN_BLOCK,
            **env,
        )

    def start_serve(self, *args: str) -> Service:
        """Serve the deployments; healthy once its runner's webserver answers."""
        return self.start(
            "serve",
            ["-m", "deployments.serve", *args],
            http_ok(f"http://{HOST}:{self.runner_port}/health"),
            timeout=120,
            PREFECT_RUNNER_SERVER_ENABLE="true",
            PREFECT_RUNNER_SERVER_HOST=HOST,
            PREFECT_RUNNER_SERVER_PORT=str(self.runner_port),
        )

    def start_responder(self) -> Service:
        """The low-success responder as its own long-lived service (the production shape);
        ready once it has subscribed to the events (it writes its ready file then)."""
        ready_file = self.run_dir / "responder.ready"
        ready_file.unlink(missing_ok=True)  # an earlier responder's
        return self.start(
            "responder",
            ["-m", "deployments.responder", "--ready-file", str(ready_file)],
            file_exists(ready_file),
            timeout=120,
        )

    def start_worker(
        self,
        name: str = "worker",
        pool: str = "cxone-process",
        limit: int | None = None,
        **env: str,
    ) -> Service:
        """A process worker on `pool` (create the pool first) running at most `limit` flow runs
        at once; `env` reaches its flow runs. Ready once the Prefect API has its heartbeat: the
        server knows it and hands it runs (its own healthcheck server answers 200 before it
        has even reached the server)."""
        command = ["-m", "prefect", "worker", "start", "--pool", pool, "--name", name]
        since = dt.datetime.now(dt.UTC) - CLOCK_SKEW
        return self.start(
            name,
            command + (["--limit", str(limit)] if limit else []),
            worker_heartbeat(self.prefect_api_url, pool, name, since),
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


def dashboard_login(stack: LocalStack, directory: Path) -> str:
    """How to log in to the stack's dashboard, for a terminal: the token goes to a private file
    (mode 0600) in `directory`, never to the screen, where logs and scrollback would keep it."""
    path = directory / "dashboard-token"
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(stack.dashboard_token + "\n")
    return (
        f"any user name, the password in {os.path.relpath(path)} "
        f"(also the Prefect Secret block {DASHBOARD_TOKEN_BLOCK!r})"
    )


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


async def outputs_under(directory: Path) -> dict[str, str]:
    """Point each deployment's relative `output_dir` at the same name under `directory`
    (`exports` -> `<directory>/exports`): a worker runs them in the directory `prefect deploy`
    ran in, the repository, which a local stack must leave clean. Runs already scheduled with
    the old directory are deleted (the server schedules the next ones with the new one). Call
    it before starting the workers. Returns deployment name -> output directory."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterStateType,
    )

    moved = {}
    async with get_client() as client:
        for deployment in await client.read_deployments():
            output_dir = deployment.parameters.get("output_dir")
            if not isinstance(output_dir, str) or Path(output_dir).is_absolute():
                continue
            parameters = {**deployment.parameters, "output_dir": str(directory / output_dir)}
            await client.update_deployment(deployment.id, DeploymentUpdate(parameters=parameters))
            moved[deployment.name] = parameters["output_dir"]
            scheduled = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(
                    state={"type": FlowRunFilterStateType(any_=["SCHEDULED"])}
                ),
            )
            for run in scheduled:
                if run.parameters.get("output_dir") != parameters["output_dir"]:
                    await client.delete_flow_run(run.id)
    return moved
