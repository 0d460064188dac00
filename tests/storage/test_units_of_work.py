"""`Database.run`: the dispatcher's synchronous units of work beside the async ORM sessions.

On a SQLite file they run on a second connection in the event loop's thread; both sides
take the write lock first (`BEGIN IMMEDIATE`), so they take turns instead of failing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, select, text, update

from storage import deliveries
from storage.db import Database
from storage.migrate import upgrade_to_head
from storage.models import User
from tests.storage.factories import T0, a_couple

USERS = User.__table__  # type: ignore[attr-defined]


def rename(user_id: int, name: str) -> Callable[[Connection], None]:
    def work(connection: Connection) -> None:
        connection.execute(update(USERS).where(USERS.c.id == user_id).values(first_name=name))

    return work


def name_of(user_id: int) -> Callable[[Connection], str]:
    def work(connection: Connection) -> str:
        query = select(USERS.c.first_name).where(USERS.c.id == user_id)
        return str(connection.execute(query).scalar_one())

    return work


async def test_a_unit_of_work_commits_its_changes_and_a_failing_one_changes_nothing(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await a_couple(session, now=T0)
    await database.run(rename(1, "Robin"))

    def rename_then_fail(connection: Connection) -> None:
        rename(2, "Kai")(connection)
        raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        await database.run(rename_then_fail)
    async with database.transaction() as session:
        names = dict((await session.exec(text("SELECT id, first_name FROM users"))).all())
    assert names == {1: "Robin", 2: "Sam"}


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'couplet.sqlite3'}")
    await upgrade_to_head(database)
    async with database.transaction() as session:
        await a_couple(session, now=T0)
    yield database
    await database.dispose()


async def test_a_unit_of_work_waits_while_a_session_holds_the_sqlite_file(
    sqlite_file: Database,
) -> None:
    session_began = asyncio.Event()
    release_session = asyncio.Event()

    async def long_session() -> None:
        async with sqlite_file.transaction() as session:
            await session.exec(text("SELECT 1"))  # BEGIN IMMEDIATE: it holds the write lock
            session_began.set()
            await release_session.wait()  # ... across awaits, as a handler's transaction may
            await session.exec(text("UPDATE users SET first_name = 'Sam' WHERE id = 1"))

    holder = asyncio.create_task(long_session())
    await session_began.wait()
    unit = asyncio.create_task(sqlite_file.run(rename(1, "Robin")))
    await asyncio.sleep(0.05)
    assert not unit.done()  # waiting (asynchronously: this test goes on meanwhile)
    release_session.set()
    await asyncio.wait_for(asyncio.gather(holder, unit), timeout=5)
    assert await sqlite_file.run(name_of(1)) == "Robin"  # it ran after the session


async def test_a_session_that_read_before_a_unit_of_work_committed_can_still_write(
    sqlite_file: Database,
) -> None:
    """With deferred transactions this failed with 'database is locked' at once: the
    session's snapshot went stale when the other connection committed."""
    read_done = asyncio.Event()
    unit_done = asyncio.Event()

    async def read_then_write() -> None:
        async with sqlite_file.transaction() as session:
            (name,) = (await session.exec(text("SELECT first_name FROM users WHERE id = 2"))).one()
            read_done.set()
            await unit_done.wait()
            await session.exec(
                text("UPDATE users SET first_name = :name WHERE id = 2"),
                params={"name": name + "!"},
            )

    session = asyncio.create_task(read_then_write())
    await read_done.wait()
    unit = asyncio.create_task(sqlite_file.run(rename(1, "Robin")))
    await asyncio.sleep(0.05)
    unit_done.set()
    await asyncio.wait_for(asyncio.gather(session, unit), timeout=5)
    assert await sqlite_file.run(name_of(1)) == "Robin"
    assert await sqlite_file.run(name_of(2)) == "Sam!"


def query_plan(connection: Connection, run: Callable[[], object]) -> str:
    """SQLite's plan for the one statement `run` executes (as the driver got it)."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        seen.append((sql, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    ((sql, parameters),) = seen
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
    return " / ".join(str(row[-1]) for row in rows)


async def test_the_waves_lookups_use_indexes_on_sqlite(sqlite_file: Database) -> None:
    """Both were table walks once: every claimed row for each group marked `sending`, and
    all stored choices of every pair for each claim."""

    async with sqlite_file.transaction() as session:  # a group of eight, as a wave marks
        for first in (3, 5, 7):
            await a_couple(session, first, first + 1, now=T0)

    def plans(connection: Connection) -> tuple[str, str]:
        claimed = deliveries.claim_due(
            connection,
            now=T0 + timedelta(hours=1),
            limit=10,
            lease=timedelta(minutes=2),
            catch_up=timedelta(hours=3),
        )
        assert len(claimed) == 8
        mark = query_plan(connection, lambda: deliveries.mark_sending(connection, nudges=claimed))
        wanted = {(1, claimed[0].local_date), (2, claimed[0].local_date)}
        choices = query_plan(connection, lambda: deliveries._stored_choices(connection, wanted))
        return mark, choices

    mark, choices = await sqlite_file.run(plans)
    assert "PRIMARY KEY" in mark and "SCAN" not in mark, mark
    assert "INDEX" in choices and "SCAN" not in choices, choices
