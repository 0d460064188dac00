"""`Database.run`: the dispatcher's synchronous units of work beside the async ORM sessions.

On a SQLite file they run on a second connection in the event loop's thread; both sides
take the write lock first (`BEGIN IMMEDIATE`), so they take turns instead of failing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, bindparam, event, select, text, update

from storage import deliveries
from storage.db import Database, DriverStatement, insert_ignoring_conflicts
from storage.migrate import upgrade_to_head
from storage.models import Delivery, DeliveryStatus, User
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


class LockAttempts:
    """Sees `Database.run` try to take the SQLite write lock: every `BEGIN IMMEDIATE` on its
    synchronous connection, as SQLite traces it (refused tries included), so a test waits
    until a try was refused instead of sleeping and hoping one was made. Within one `run`,
    a second try means the first was refused. Watch before that connection opens."""

    def __init__(self, database: Database) -> None:
        self.tries = 0
        self.refused = asyncio.Event()
        engine = database._sync_engine  # the connection `run` uses on a SQLite file
        assert engine is not None
        event.listen(engine, "connect", self._trace)

    def _trace(self, dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.set_trace_callback(self._statement)

    def _statement(self, sql: str) -> None:
        if sql == "BEGIN IMMEDIATE":
            self.tries += 1
            if self.tries >= 2:
                self.refused.set()

    async def until_refused_or_done(self, unit: asyncio.Task[Any]) -> None:
        refused = asyncio.create_task(self.refused.wait())
        await asyncio.wait({refused, unit}, return_when=asyncio.FIRST_COMPLETED)
        refused.cancel()


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'couplet.sqlite3'}")
    await upgrade_to_head(database)
    async with database.transaction() as session:
        await a_couple(session, now=T0)
    yield database
    await database.dispose()


@pytest.fixture
def lock_attempts(sqlite_file: Database) -> LockAttempts:
    return LockAttempts(sqlite_file)


async def test_a_unit_of_work_waits_while_a_session_holds_the_sqlite_file(
    sqlite_file: Database, lock_attempts: LockAttempts
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
    await lock_attempts.until_refused_or_done(unit)
    assert not unit.done()  # refused, and waiting (asynchronously: this test goes on meanwhile)
    assert lock_attempts.refused.is_set()
    release_session.set()
    await asyncio.wait_for(asyncio.gather(holder, unit), timeout=5)
    assert await sqlite_file.run(name_of(1)) == "Robin"  # it ran after the session


async def test_a_session_that_read_before_a_unit_of_work_committed_can_still_write(
    sqlite_file: Database, lock_attempts: LockAttempts
) -> None:
    """With deferred transactions this failed with 'database is locked' at once: the
    session's snapshot went stale when the other connection committed."""
    read_done = asyncio.Event()
    unit_tried = asyncio.Event()

    async def read_then_write() -> None:
        async with sqlite_file.transaction() as session:
            (name,) = (await session.exec(text("SELECT first_name FROM users WHERE id = 2"))).one()
            read_done.set()
            await unit_tried.wait()
            await session.exec(
                text("UPDATE users SET first_name = :name WHERE id = 2"),
                params={"name": name + "!"},
            )

    session = asyncio.create_task(read_then_write())
    await read_done.wait()
    unit = asyncio.create_task(sqlite_file.run(rename(1, "Robin")))
    await lock_attempts.until_refused_or_done(unit)  # it committed, or tried and must wait
    unit_tried.set()
    await asyncio.wait_for(asyncio.gather(session, unit), timeout=5)
    assert await sqlite_file.run(name_of(1)) == "Robin"
    assert await sqlite_file.run(name_of(2)) == "Sam!"


def query_plan(connection: Connection, sql: str, parameters: Any) -> str:
    """SQLite's plan for one statement, as the driver gets it."""
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
    return " / ".join(str(row[-1]) for row in rows)


def sql_of(connection: Connection, run: Callable[[], object]) -> tuple[str, Any]:
    """The one statement `run` executes through SQLAlchemy, as the driver got it."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        seen.append((sql, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    ((sql, parameters),) = seen
    return sql, parameters


async def test_the_waves_lookups_use_indexes_on_sqlite(sqlite_file: Database) -> None:
    """Both were table walks once: every claimed row for each group marked `sending`, and
    all stored choices of every pair for each claim. The claim's look-up of the rows it
    inserted must not become one."""

    async with sqlite_file.transaction() as session:  # a group of eight, as a wave marks
        for first in (3, 5, 7):
            await a_couple(session, first, first + 1, now=T0)

    def plans(connection: Connection) -> tuple[str, str, str]:
        claimed = deliveries.claim_due(
            connection,
            now=T0 + timedelta(hours=1),
            limit=10,
            lease=timedelta(minutes=2),
            catch_up=timedelta(hours=3),
        )
        assert len(claimed) == 8
        driver_sql = deliveries._mark_sending(8).compiled(connection.dialect)
        given = {f"sending_{n}": nudge.delivery_id for n, nudge in enumerate(claimed)}
        mark = query_plan(
            connection, driver_sql.sql, tuple(driver_sql.positional(given | {"sending_token": 1}))
        )
        wanted = {(1, claimed[0].local_date), (2, claimed[0].local_date)}
        choices = query_plan(
            connection, *sql_of(connection, lambda: deliveries._stored_choices(connection, wanted))
        )
        new_rows = {
            "new_users": [nudge.user_id for nudge in claimed],
            "new_dates": [claimed[0].local_date],
            "new_token": 1,
        }
        inserted = query_plan(
            connection,
            *sql_of(connection, lambda: connection.execute(deliveries._INSERTED_NOW, new_rows)),
        )
        return mark, choices, inserted

    mark, choices, inserted = await sqlite_file.run(plans)
    assert "PRIMARY KEY" in mark and "SCAN" not in mark, mark
    assert "INDEX" in choices and "SCAN" not in choices, choices
    assert "(user_id=? AND local_date=?)" in inserted and "SCAN" not in inserted, inserted


# --------------------------------------------------------------------------- DriverStatement

DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
NEW_YORK = ZoneInfo("America/New_York")
# 01:30 on 2026-11-01 happens twice in New York: fold 0 is EDT (05:30 UTC), fold 1 EST.
FIRST_HALF_PAST_ONE = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
SECOND_HALF_PAST_ONE = FIRST_HALF_PAST_ONE.replace(fold=1)
COLUMNS = ("user_id", "local_date", "nudge_id", "due_at", "status", "lease_until", "attempts")
INSERT_DELIVERY = DriverStatement(
    lambda dialect: insert_ignoring_conflicts(dialect, Delivery, ["user_id", "local_date"]),
    column_keys=COLUMNS,
)


def a_delivery(user_id: int, day: int, due_at: datetime, **more: object) -> dict[str, object]:
    return {
        "user_id": user_id,
        "local_date": date(2026, 11, day),
        "nudge_id": "appreciation-001",
        "due_at": due_at,
        "status": DeliveryStatus.CLAIMED,
        "lease_until": None,
        "attempts": 0,
    } | more


def stored(connection: Connection) -> list[tuple[Any, ...]]:
    """The rows as the database holds them: the driver's own values, no SQLAlchemy types."""
    return [
        tuple(row)
        for row in connection.exec_driver_sql(
            "SELECT local_date, due_at, status, lease_until, attempts FROM deliveries "
            "ORDER BY user_id, local_date"
        )
    ]


async def test_a_driver_statement_stores_exactly_what_sqlalchemy_stores(
    database: Database,
) -> None:
    """SQLite keeps datetimes as text: a different spelling would compare wrongly against
    SQLAlchemy's. Equal instants in other zones, and both sides of a DST fold (equal as
    Python datetimes, yet an hour apart), must each be stored as their own UTC instant."""
    async with database.transaction() as session:
        await a_couple(session, now=T0)
    rows = [
        a_delivery(1, 1, FIRST_HALF_PAST_ONE),
        a_delivery(1, 2, SECOND_HALF_PAST_ONE, lease_until=T0),
        a_delivery(1, 3, T0.astimezone(ZoneInfo("Asia/Kathmandu"))),
        a_delivery(1, 4, T0, status=DeliveryStatus.SENT, attempts=2),
    ]

    def by_core(connection: Connection) -> list[tuple[Any, ...]]:
        connection.execute(DELIVERIES.insert(), rows)
        return stored(connection)

    def by_driver(connection: Connection) -> list[tuple[Any, ...]]:
        connection.execute(DELIVERIES.delete())
        INSERT_DELIVERY.execute_many(connection, rows)
        INSERT_DELIVERY.execute_many(connection, rows[:1])  # a conflict: nothing inserted
        return stored(connection)

    assert FIRST_HALF_PAST_ONE == SECOND_HALF_PAST_ONE  # what makes the fold a trap
    core = await database.run(by_core)
    assert await database.run(by_driver) == core
    async with database.transaction() as session:
        read = (await session.exec(select(DELIVERIES.c.due_at).order_by("local_date"))).all()
    assert [due for (due,) in read] == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
        T0,
        T0,
    ]


async def test_a_driver_statement_returns_rows_and_refuses_what_it_cannot_fill(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await a_couple(session, now=T0)
    mark_sent = DriverStatement(
        update(DELIVERIES)
        .where(DELIVERIES.c.user_id == bindparam("who"))
        .values(status=DeliveryStatus.SENT)
        .returning(DELIVERIES.c.local_date.isnot(None), DELIVERIES.c.attempts)
    )

    def work(connection: Connection) -> list[Any]:
        INSERT_DELIVERY.execute_many(connection, [a_delivery(1, 1, T0), a_delivery(2, 1, T0)])
        with pytest.raises(KeyError, match="who"):
            mark_sent.execute(connection, {})
        return [tuple(row) for row in mark_sent.execute(connection, {"who": 2})]

    assert await database.run(work) == [(True, 0)]
    without_attempts = DriverStatement(
        lambda dialect: insert_ignoring_conflicts(dialect, Delivery, ["user_id", "local_date"]),
        column_keys=[name for name in COLUMNS if name != "attempts"],
    )
    with pytest.raises(ValueError, match="attempts"):  # SQLAlchemy would fill its default
        await database.run(lambda connection: without_attempts.execute_many(connection, []))
