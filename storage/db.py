"""The engine and sessions, from a `DATABASE_URL`.

Everything, the dispatcher's wave included, works through async sessions on one engine
(`Database.transaction`). On a SQLite file every transaction starts with `BEGIN IMMEDIATE`:
it takes the write lock first, so a transaction that read and then writes never fails
half-way on a stale snapshot.

`Session` is the session type, named here so that `bot/` can speak of it without
importing SQLAlchemy or SQLModel.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, Insert, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///couplet.sqlite3"
PRIVATE_FILE = 0o600  # the SQLite file holds what couples wrote: the bot's user only

# The session type, for the layers above storage (see the module docstring).
Session = AsyncSession

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


class DatabaseUrlError(ValueError):
    """The URL is not one Couplet can use; the message says why, without the password."""


def async_database_url(raw: str) -> URL:
    """`raw` as a URL with the async driver Couplet uses (aiosqlite or asyncpg)."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as error:
        raise DatabaseUrlError("it is not a database URL") from error
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise DatabaseUrlError(
            f"'{url.drivername}' is not supported; use sqlite:///file.sqlite3 or postgresql://…"
        )
    if driver.startswith("sqlite") and not url.database:
        raise DatabaseUrlError("a SQLite URL needs a file name, like sqlite:///couplet.sqlite3")
    if driver.startswith("postgresql") and not url.database:
        raise DatabaseUrlError("a PostgreSQL URL needs a database name")
    return url.set(drivername=driver)


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()
        # SQLAlchemy emits BEGIN itself (below); the driver must not start transactions.
        dbapi_connection.isolation_level = None

    return on_connect


def _begin_immediate(connection: Connection) -> None:
    """Every SQLite transaction takes the write lock first (the SQLAlchemy SQLite docs'
    recipe for emitting BEGIN): a transaction that read and then writes could otherwise
    fail on a snapshot another connection to the file (a migration, a script) made stale."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names (None for PostgreSQL or an in-memory database)."""
    parsed = async_database_url(str(url) if isinstance(url, str) else url.render_as_string())
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_private_file(path: Path) -> None:
    """Creates `path`, empty and readable by this user only, unless it exists.

    Created before SQLite opens it, the database file is private whatever the umask, and so
    are its -wal and -shm files: SQLite gives those the main file's permissions. An existing
    file is left as it is (`loose_sqlite_files` finds one that is too open). A missing
    directory is left for SQLite to report when it connects."""
    with suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def loose_sqlite_files(url: str | URL) -> list[Path]:
    """The database's files (main, -wal, -shm) that other users of the machine may read."""
    path = sqlite_file(url)
    if path is None:
        return []
    loose = []
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if stat.S_IMODE(file.stat().st_mode) & 0o077:
                loose.append(file)
        except FileNotFoundError:
            continue
    return loose


class Database:
    """One engine and its session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.url = async_database_url(
            str(url) if isinstance(url, str) else url.render_as_string(hide_password=False)
        )
        self.is_sqlite = self.url.drivername.startswith("sqlite")
        # hide_parameters: SQL errors must never carry answer texts into the logs.
        options: dict[str, Any] = {"echo": echo, "hide_parameters": True}

        if not self.is_sqlite:
            options |= {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}
        elif self.url.database not in (None, "", ":memory:"):
            create_private_file(Path(self.url.database))
            # One connection: SQLite has one writer at a time anyway, and transactions that
            # take turns for the connection never meet "database is locked" (a transaction
            # that read, then wants to write after another's commit, would fail at once).
            options |= {"pool_size": 1, "max_overflow": 0}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(5000))
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


class AlreadyRunning(Exception):
    """Another process serves this SQLite file."""


def lock_sqlite_file(url: str | URL) -> TextIO | None:
    """SQLite serves one process: holds an exclusive lock on `<file>.lock` for the life of
    the process (None for PostgreSQL). Raises AlreadyRunning if another process holds it.

    The lock file is private too (0600): another user who could open it could hold a lock
    on it and keep the bot from starting."""
    path = sqlite_file(url)
    if path is None:
        return None
    descriptor = os.open(f"{path}.lock", os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    handle = os.fdopen(descriptor, "w")
    with suppress(PermissionError):  # another user's file: the lock below still decides
        os.fchmod(descriptor, PRIVATE_FILE)  # one an older version made 0644
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise AlreadyRunning(str(path)) from None
    return handle


def insert_ignoring_conflicts(
    dialect: AsyncSession | str, model: type[SQLModel], unique: list[str]
) -> Insert:
    """INSERT … ON CONFLICT (unique) DO NOTHING, in the dialect named (or the session's)."""
    if not isinstance(dialect, str):
        dialect = dialect.get_bind().dialect.name
    table: Any = model.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=unique)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=unique)
