"""The wave's statements on SQLite: the look-ups it makes per group and per claim use
indexes, and one group's writes are one transaction."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from storage import claiming, outcomes
from storage.db import Database, Session
from tests.storage.factories import T0, a_couple

CLAIM = {"limit": 10, "lease": timedelta(minutes=2), "catch_up": timedelta(hours=3)}


class Statements:
    """Every statement the engine sends to the driver while watched, with its parameters."""

    def __init__(self, database: Database) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.engine = database.engine.sync_engine

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._capture)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._capture)

    def _capture(self, _conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        self.seen.append((sql, parameters))

    def one(self, *fragments: str) -> tuple[str, Any]:
        """The first statement that contains every fragment."""
        return next(
            (sql, parameters)
            for sql, parameters in self.seen
            if all(fragment in sql for fragment in fragments)
        )


@pytest.fixture
async def sqlite_file(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "couplet.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    yield database
    await database.dispose()


async def query_plan(session: Session, sql: str, parameters: Any) -> str:
    """SQLite's plan for one statement, as the driver got it."""
    connection = await session.connection()
    rows = (await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)).all()
    return " / ".join(str(row[-1]) for row in rows)


async def test_the_waves_lookups_use_indexes_on_sqlite(sqlite_file: Database) -> None:
    """Both were table walks once: every claimed row for each group marked `sending`, and
    all stored choices of every pair for each claim. The claim's look-up of the rows it
    inserted must not become one."""
    async with sqlite_file.transaction() as session:  # a group of eight, as a wave marks
        for first in (1, 3, 5, 7):
            await a_couple(session, first, first + 1, now=T0)
    with Statements(sqlite_file) as statements:
        claimed = await claiming.claim_due_nudges(sqlite_file, now=T0 + timedelta(hours=1), **CLAIM)
        assert len(claimed) == 8
        async with sqlite_file.transaction() as session:
            assert await outcomes.mark_sending(session=session, nudges=claimed) == claimed
    async with sqlite_file.transaction() as session:
        mark = await query_plan(session, *statements.one("UPDATE deliveries", "RETURNING"))
        choices = await query_plan(session, *statements.one("FROM pair_days", "local_date IN"))
        inserted = await query_plan(session, *statements.one("FROM deliveries", "claim_token = ?"))
    assert "PRIMARY KEY" in mark and "SCAN" not in mark, mark
    assert "INDEX" in choices and "SCAN" not in choices, choices
    assert "(user_id=? AND local_date=?)" in inserted and "SCAN" not in inserted, inserted


async def test_a_groups_writes_are_one_transaction(database: Database) -> None:
    """What the finished sends came to and the next nudges marked `sending` commit together:
    a `sending` row is never left without the outcomes recorded before it, nor the reverse."""
    async with database.transaction() as session:
        await a_couple(session, now=T0)
    claimed = await claiming.claim_due_nudges(database, now=T0 + timedelta(hours=1), **CLAIM)
    first, second = sorted(claimed, key=lambda nudge: nudge.user_id)
    recorded = await outcomes.record_and_mark_sending(
        database, finished=outcomes.Finished(), starting=[first], now=T0
    )
    assert recorded.may_send == [first]
    with Statements(database) as statements:
        recorded = await outcomes.record_and_mark_sending(
            database,
            finished=outcomes.Finished(sent=[(first, 101)]),
            starting=[second],
            now=T0,
        )
    assert recorded.may_send == [second]
    if database.is_sqlite:  # one BEGIN (the commit is the driver's, not a statement)
        assert [sql for sql, _ in statements.seen if sql.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    async with database.transaction() as session:
        rows = (
            await session.exec(text("SELECT user_id, status, message_id FROM deliveries"))
        ).all()
    assert sorted(tuple(row) for row in rows) == [(1, "sent", 101), (2, "sending", None)]
