"""Upgrading never unpairs anyone: on SQLite a migration that rebuilds a table (Alembic's
batch mode copies it, then drops the old one) must not fire the foreign keys that point at
it, which would clear every `users.pair_id` and delete the pair's days and deliveries."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from storage.db import Database
from storage.migrate import upgrade_to, upgrade_to_head

# The last revision released before the second edition's migrations.
BEFORE = "0009"
CREATED = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


async def test_a_paired_couple_is_still_paired_with_its_days_after_upgrading(
    empty_database_url: str,
) -> None:
    database = Database(empty_database_url)
    try:
        await upgrade_to(database, BEFORE)
        async with database.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO pairs (id, user_a_id, user_b_id, created_at, seed, long_distance)"
                    " VALUES (1, 7, 8, :at, 0, false)"
                ),
                {"at": CREATED},
            )
            for user_id, name in ((7, "Kim"), (8, "Alex")):
                await connection.execute(
                    text(
                        "INSERT INTO users (id, first_name, onboarding_step, created_at,"
                        " follow_ups, weekdays, spark, welcome_back, pair_id)"
                        " VALUES (:id, :name, 'done', :at, true, 127, false, false, 1)"
                    ),
                    {"id": user_id, "name": name, "at": CREATED},
                )
            await connection.execute(
                text(
                    "INSERT INTO pair_days (pair_id, local_date, nudge_id)"
                    " VALUES (1, :day, 'care-009')"
                ),
                {"day": date(2026, 11, 2)},
            )
        await upgrade_to_head(database)
        async with database.engine.connect() as connection:
            pair_ids = await connection.execute(text("SELECT pair_id FROM users ORDER BY id"))
            assert pair_ids.scalars().all() == [1, 1]
            days = await connection.execute(text("SELECT count(*) FROM pair_days"))
            assert days.scalar_one() == 1
    finally:
        await database.dispose()
