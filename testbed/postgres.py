"""A throwaway PostgreSQL server for the tests: initdb in a temp dir, a free port, torn down.

`initdb` refuses to run as root, so as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "couplet"


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise PostgresMissing(f"{name} not found (install PostgreSQL 15)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    port: int
    directory: Path

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._run(
            [_binary("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name]
        )
        return self.url(name)

    def start(self) -> None:
        """Starts the server (again, after `stop`: same data directory, same port)."""
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = str(self.directory / "log")
        _as_unprivileged(
            [_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start"]
        )

    def stop(self, *, mode: str = "fast") -> None:
        """Stops the server; `start` brings it back with its data. "fast" is an operator's
        stop (connections are cut, everything committed is kept); "immediate" is a crash,
        and with this server's `synchronous_commit=off` it may lose the last commits."""
        _as_unprivileged([_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def _run(self, command: list[str]) -> None:
        _as_unprivileged(command)


def _as_unprivileged(command: list[str], **kwargs: object) -> None:
    user = "postgres" if os.geteuid() == 0 else None
    subprocess.run(command, check=True, capture_output=True, user=user, **kwargs)  # type: ignore[call-overload]


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Starts a private PostgreSQL server for the duration of the block."""
    directory = Path(tempfile.mkdtemp(prefix="couplet-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = PostgresServer(port=_free_port(), directory=directory)
    initdb = [_binary("initdb"), "-D", str(server.data), "-U", SUPERUSER, "--auth=trust"]
    _as_unprivileged([*initdb, "-E", "UTF8", "--no-sync"])
    server.start()
    try:
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            server.stop(mode="immediate")
        shutil.rmtree(directory, ignore_errors=True)
