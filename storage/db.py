"""The engine and sessions, from a `DATABASE_URL`."""

from __future__ import annotations

import fcntl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Insert, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///couplet.sqlite3"

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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


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
            # One connection: SQLite has one writer at a time anyway, and transactions that
            # take turns for the connection never meet "database is locked" (a transaction
            # that read, then wants to write after another's commit, would fail at once).
            options |= {"pool_size": 1, "max_overflow": 0}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
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
    the process (None for PostgreSQL). Raises AlreadyRunning if another process holds it."""
    parsed = async_database_url(str(url) if isinstance(url, str) else url.render_as_string())
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, ":memory:"):
        return None
    handle = Path(f"{parsed.database}.lock").open("w")  # noqa: SIM115 (held until exit)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise AlreadyRunning(str(parsed.database)) from None
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
