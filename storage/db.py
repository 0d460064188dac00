"""The engine and sessions, from a `DATABASE_URL`.

Most of the bot works through async ORM sessions (`Database.transaction`). The dispatcher's
wave works through `Database.run`: plain synchronous SQLAlchemy Core functions, run on
PostgreSQL through the async connection (`run_sync`), and on a SQLite file directly on a
second, synchronous connection in the event loop's thread. A SQLite statement takes
microseconds; the async driver's thread hop and the layers around it cost ten to fifty
times that, which a wave of thousands of nudges would pay for every group of eight.

Two connections to one SQLite file are safe because every transaction on either starts
with `BEGIN IMMEDIATE` (it takes the write lock first, so none can fail half-way on a stale
snapshot). The synchronous side never waits for the lock inside SQLite, which would block
the event loop the other side needs to finish: it tries, and if the file is busy it sleeps
asynchronously and tries again.

`DriverStatement` goes one step further for the few statements a wave runs per nudge: the
same Core statement, compiled once, run on the driver's cursor.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import stat
import time
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from sqlalchemy import Connection, Executable, Insert, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///couplet.sqlite3"
BUSY_GIVE_UP_SECONDS = 10.0  # the synchronous SQLite side waits this long for the lock
PRIVATE_FILE = 0o600  # the SQLite file holds what couples wrote: the bot's user only

T = TypeVar("T")

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
    recipe for emitting BEGIN): with two connections to one file, a transaction that read
    and then writes could otherwise fail on a snapshot the other one made stale."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_immediate_on_driver(connection: Connection) -> None:
    """The same, said straight to pysqlite: the wave begins thousands of transactions, and
    SQLAlchemy's execution path costs ten times the statement."""
    connection.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]


def _is_busy(error: OperationalError | sqlite3.OperationalError) -> bool:
    original = error.orig if isinstance(error, OperationalError) else error
    return isinstance(original, sqlite3.OperationalError) and (
        getattr(original, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
        or "database is locked" in str(original)
    )


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
        # The synchronous connection for `run` (a SQLite file only; see the module docstring).
        self._sync_engine: Engine | None = None
        self._sync_connection: Connection | None = None
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(5000))
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
            if self.url.database not in (None, "", ":memory:"):
                self._sync_engine = create_engine(
                    self.url.set(drivername="sqlite+pysqlite"),
                    hide_parameters=True,
                    echo=echo,
                    pool_size=1,
                    max_overflow=0,
                )
                event.listen(self._sync_engine, "connect", _sqlite_pragmas(0))
                event.listen(self._sync_engine, "begin", _begin_immediate_on_driver)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    async def run(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in one transaction: committed if it returns, rolled back if
        it raises. `work` is synchronous Core code with no effects outside the database:
        on SQLite it may run again from the start when the file was busy."""
        if self._sync_engine is None:
            async with self.engine.begin() as connection:
                return await connection.run_sync(work)
        if self._sync_connection is None:  # kept: a checkout per transaction costs more
            self._sync_connection = self._sync_engine.connect()  # than the statements
        connection = self._sync_connection
        give_up = time.monotonic() + BUSY_GIVE_UP_SECONDS
        pause = 0.001
        while True:
            try:
                with connection.begin():
                    return work(connection)
            except (OperationalError, sqlite3.OperationalError) as error:
                if not _is_busy(error) or time.monotonic() > give_up:
                    raise
            await asyncio.sleep(pause)  # the other connection is mid-transaction: let it end
            pause = min(pause * 2, 0.05)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._sync_connection is not None:
            self._sync_connection.close()
            self._sync_connection = None
        if self._sync_engine is not None:
            self._sync_engine.dispose()


_REQUIRED = object()


def _conversion_key(value: datetime | date) -> Hashable:
    """Aware datetimes compare equal across zones, and within one zone across a DST fold,
    yet convert differently: the zone and the fold belong to the key."""
    if isinstance(value, datetime):
        return (value, value.tzinfo, value.fold)
    return value


@dataclass(frozen=True, slots=True)
class _DriverSql:
    sql: str
    # Each positional parameter: its name, the column type's bind processor, and the
    # (converted) value the statement itself gives it, or _REQUIRED when the caller must.
    parameters: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]

    def positional(
        self, given: Mapping[str, Any], converted: dict[Hashable, Any] | None = None
    ) -> list[Any]:
        """The values in the driver's order. `converted` remembers the conversions of dates
        and datetimes across the rows of one executemany, which mostly share them."""
        values = []
        for name, process, bound_value in self.parameters:
            if name in given:
                value = given[name]
                if process is None or value is None:
                    values.append(value)
                elif converted is not None and isinstance(value, date):
                    key = (name, _conversion_key(value))
                    if key not in converted:
                        converted[key] = process(value)
                    values.append(converted[key])
                else:
                    values.append(process(value))
            elif bound_value is _REQUIRED:
                raise KeyError(f"no value for the parameter {name!r}")
            else:
                values.append(bound_value)
        return values


class DriverStatement:
    """A Core statement run on the driver's own cursor, for the few statements a dispatch
    wave runs thousands of times.

    It is compiled once per dialect (from `statement`, or from `statement(dialect name)`
    where the SQL differs, like INSERT … ON CONFLICT), and its parameters go through the
    columns' own bind processors, so a datetime is stored exactly as SQLAlchemy stores it.
    What is skipped is SQLAlchemy's work around each execution and each row, which on
    SQLite costs several times the statement. Rows come back as the driver's plain tuples:
    only for statements whose results need no conversion (ids). It runs in the
    connection's transaction, without SQLAlchemy's events or echo.

    `column_keys`: for an INSERT, the columns given (each its own parameter, by name).
    """

    def __init__(
        self,
        statement: Executable | Callable[[str], Executable],
        *,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: dict[tuple[str, bool], _DriverSql] = {}

    def compiled(self, dialect: Dialect, *, many: bool = False) -> _DriverSql:
        """The SQL the driver gets, and how its parameters are filled (`many`: for
        executemany, so no implicit RETURNING of a new row's id)."""
        found = self._compiled.get((dialect.name, many))
        if found is None:
            statement = (
                self.statement
                if isinstance(self.statement, Executable)
                else self.statement(dialect.name)
            )
            options: dict[str, Any] = {"dialect": dialect, "for_executemany": many}
            if self.column_keys is not None:
                options["column_keys"] = self.column_keys
            compiled: Any = statement.compile(**options)  # type: ignore[attr-defined]
            if compiled.positiontup is None:
                raise ValueError(f"{dialect.name}'s driver does not take positional parameters")
            parameters = []
            for name in compiled.positiontup:
                bind = compiled.binds[name]
                if bind.expanding:
                    raise ValueError("expanding parameters are not supported; give a list")
                # The dialect's own type (SQLite's DATETIME formats the text it stores).
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if self.column_keys is not None and name not in self.column_keys:
                    # A column default SQLAlchemy would fill in as it executes: not here.
                    raise ValueError(f"give {name!r} too: its default is SQLAlchemy's to fill")
                if bind.required or self.column_keys is not None:
                    bound_value = _REQUIRED
                else:
                    bound_value = bind.value if process is None else process(bind.value)
                parameters.append((name, process, bound_value))
            found = _DriverSql(compiled.string, tuple(parameters))
            self._compiled[(dialect.name, many)] = found
        return found

    def execute(self, connection: Connection, parameters: Mapping[str, Any]) -> list[Any]:
        """Runs once; the rows it returns (RETURNING), or [] when it returns none."""
        driver_sql = self.compiled(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(driver_sql.sql, driver_sql.positional(parameters))
            return cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()

    def execute_many(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        """Runs once per parameter set (the driver's executemany), returning nothing."""
        driver_sql = self.compiled(connection.dialect, many=True)
        converted: dict[Hashable, Any] = {}
        values = [driver_sql.positional(row, converted) for row in rows]
        if not values:
            return
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(driver_sql.sql, values)
        finally:
            cursor.close()


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
