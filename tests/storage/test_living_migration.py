"""Migration 0011 on both databases: `pairs.long_distance` becomes where the pair lives
(true -> long-distance, false -> together), and downgrading maps it back."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from storage.db import Database
from storage.migrate import _config, upgrade_to, upgrade_to_head

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


async def test_long_distance_becomes_living_and_comes_back_on_downgrade(
    empty_database_url: str,
) -> None:
    database = Database(empty_database_url)
    try:
        await upgrade_to(database, "0009")
        async with database.engine.begin() as connection:
            for pair_id, apart in ((1, True), (2, False)):
                await connection.execute(
                    text(
                        "INSERT INTO pairs (id, created_at, seed, long_distance, topics) "
                        "VALUES (:id, :now, 0, :apart, 'care')"
                    ),
                    {"id": pair_id, "now": NOW, "apart": apart},
                )

        await upgrade_to_head(database)
        async with database.engine.begin() as connection:
            rows = await connection.execute(text("SELECT id, living FROM pairs ORDER BY id"))
            assert [tuple(row) for row in rows] == [(1, "long-distance"), (2, "together")]
            await connection.execute(
                text(
                    "INSERT INTO pairs (id, created_at, seed, topics) VALUES (3, :now, 0, 'care')"
                ),
                {"now": NOW},
            )
            await connection.execute(text("UPDATE pairs SET living = 'nearby' WHERE id = 2"))

        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(_config(sync), "0009"))
        async with database.engine.begin() as connection:
            rows = await connection.execute(text("SELECT id, long_distance FROM pairs ORDER BY id"))
            assert [(pair_id, bool(apart)) for pair_id, apart in rows] == [
                (1, True),
                (2, False),  # nearby is not long-distance
                (3, False),  # never said
            ]
    finally:
        await database.dispose()
