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

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._run(
            [_binary("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name]
        )
        return self.url(name)

    def _run(self, command: list[str]) -> None:
        _as_unprivileged(command)


def _as_unprivileged(command: list[str], **kwargs: object) -> None:
    user = "postgres" if os.geteuid() == 0 else None
    subprocess.run(command, check=True, capture_output=True, user=user, **kwargs)  # type: ignore[call-overload]


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Starts a private PostgreSQL server for the duration of the block."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    directory = Path(tempfile.mkdtemp(prefix="couplet-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    port = _free_port()
    _as_unprivileged(
        [initdb, "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync"]
    )
    options = (
        f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _as_unprivileged(
        [pg_ctl, "-D", str(data), "-o", options, "-l", str(directory / "log"), "-w", "start"]
    )
    try:
        yield PostgresServer(port=port, directory=directory)
    finally:
        _as_unprivileged([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(directory, ignore_errors=True)
