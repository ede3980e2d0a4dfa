"""A private PostgreSQL cluster for the Prefect server of a local production-shaped stack.

Debian's PostgreSQL (the `postgresql` package) provides the binaries; the cluster's files live
in the stack's own directory, it listens on 127.0.0.1 only, and its one role has a generated
password kept in a 0600 file. PostgreSQL refuses to run as root, so under root the server
runs as the `postgres` system user.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROLE = "prefect"
DATABASE = "prefect"
EXISTS = f"SELECT 1 FROM pg_database WHERE datname='{DATABASE}'"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def binaries() -> Path:
    """The directory of `initdb` and `postgres` (Debian puts them outside PATH).

    Raises:
        PostgresMissing: no PostgreSQL server is installed; the message says how to get one.
    """
    found = shutil.which("pg_config")
    if found:
        bindir = Path(
            subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout.strip()
        )
        if (bindir / "initdb").exists():
            return bindir
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise PostgresMissing(
            "PostgreSQL is not installed: `make postgres` installs Debian's package "
            "(apt-get install postgresql)"
        )
    return Path(candidates[-1]).parent


def _as_owner() -> list[str]:
    """Run as the `postgres` user when this process is root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass(frozen=True)
class Cluster:
    """A cluster under `directory`: its data, its socket directory and its password file."""

    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def password_file(self) -> Path:
        return self.directory / "password"

    def url(self) -> str:
        """The SQLAlchemy URL Prefect's `PREFECT_API_DATABASE_CONNECTION_URL` takes."""
        password = self.password_file.read_text().strip()
        return f"postgresql+asyncpg://{ROLE}:{password}@127.0.0.1:{self.port}/{DATABASE}"

    def initialise(self) -> None:
        """Create the cluster and its password once; a second call changes nothing."""
        if (self.data / "PG_VERSION").exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            shutil.chown(self.password_file, "postgres", "postgres")
        subprocess.run(
            [
                *_as_owner(),
                str(binaries() / "initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                ROLE,
                "--pwfile",
                str(self.password_file),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
            ],
            check=True,
            capture_output=True,
        )

    def server_command(self) -> list[str]:
        """The command that runs the server in the foreground (the stack supervises it)."""
        return [
            *_as_owner(),
            str(binaries() / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.directory),
            "-c",
            "listen_addresses=127.0.0.1",
        ]

    def ready_command(self) -> list[str]:
        """`pg_isready` for this cluster: exits 0 once the server accepts connections."""
        return [str(binaries() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"]

    def create_database(self) -> None:
        """Create Prefect's database unless it exists."""
        env = {**os.environ, "PGPASSWORD": self.password_file.read_text().strip()}
        psql = [str(binaries() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", ROLE]
        exists = subprocess.run(
            [
                *psql,
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname='{DATABASE}'",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        if exists.stdout.strip() != "1":
            subprocess.run(
                [*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DATABASE}"],
                env=env,
                check=True,
                capture_output=True,
            )
