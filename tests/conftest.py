"""Shared fixtures: real databases (a SQLite file, and a PostgreSQL server we start)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.db import Database
from storage.migrate import upgrade_to_head
from testbed.postgres import PostgresMissing, PostgresServer, running_postgres

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class FrozenClock:
    """A clock the test moves by hand; aware UTC, like the real one."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run. Missing in CI is a failure, not a skip."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresMissing as missing:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {missing}")
        pytest.skip(str(missing))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks `postgresql` every test that needs the server (`make test-fast` leaves them out)."""
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head for the whole run: each test gets a copy (running
    every migration costs a test about half a second)."""
    path = tmp_path_factory.mktemp("template") / "couplet.sqlite3"

    async def migrate() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade_to_head(database)
        finally:
            await database.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each supported kind (for tests of the migrations)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'couplet.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each supported kind, with no data. The SQLite one is a copy of
    `migrated_sqlite` (already at head); the bot's start-up migrates the PostgreSQL one."""
    if request.param == "sqlite":
        path = tmp_path / "couplet.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        path.chmod(0o600)
        return f"sqlite+aiosqlite:///{path}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database (SQLite and PostgreSQL), disposed after the test."""
    db = Database(database_url)
    await upgrade_to_head(db)
    yield db
    await db.dispose()
