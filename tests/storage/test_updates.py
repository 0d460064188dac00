"""Webhook idempotency marks on both real databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from storage import updates
from storage.db import Database
from tests.storage.factories import T0


async def marked(database: Database) -> list[int]:
    async with database.engine.connect() as connection:
        result = await connection.execute(
            text("SELECT update_id FROM processed_updates ORDER BY update_id")
        )
        return [row[0] for row in result]


async def test_an_update_is_processed_once_it_is_marked_and_a_second_mark_changes_nothing(
    database: Database,
) -> None:
    assert not await updates.was_processed(database=database, update_id=41)
    await updates.mark_processed(database=database, update_id=41, now=T0)
    await updates.mark_processed(database=database, update_id=41, now=T0 + timedelta(hours=1))
    assert await updates.was_processed(database=database, update_id=41)
    assert not await updates.was_processed(database=database, update_id=42)
    assert await marked(database) == [41]


async def test_marks_older_than_two_days_are_forgotten_now_and_then(database: Database) -> None:
    await updates.mark_processed(database=database, update_id=7, now=T0)
    await updates.mark_processed(database=database, update_id=8, now=T0 + timedelta(days=1))
    later = T0 + updates.KEEP + timedelta(minutes=1)
    await updates.mark_processed(database=database, update_id=9, now=later)  # not a 500th
    assert await marked(database) == [7, 8, 9]
    await updates.mark_processed(database=database, update_id=updates.FORGET_EVERY, now=later)
    assert await marked(database) == [8, 9, updates.FORGET_EVERY]
