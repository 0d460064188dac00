"""Migration 0013 on both databases: pairs get the recap-with-check-in choice (off), pauses
get a table; a pause running at the upgrade is remembered from then on; downgrade undoes it."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.migrate import _config, upgrade_to_head

CREATED = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
FAR = datetime(2099, 1, 1, 0, 0, tzinfo=UTC)
PAST = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def pair_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("pairs")}


async def still_paired_with_their_days(connection: AsyncConnection) -> None:
    """Nothing that points at `pairs` was lost (a SQLite batch that copies the table would
    unpair everyone and delete their days, foreign keys being on)."""
    users = await connection.execute(text("SELECT pair_id FROM users WHERE id = 7"))
    assert users.scalar_one() == 1
    days = await connection.execute(text("SELECT count(*) FROM pair_days WHERE pair_id = 1"))
    assert days.scalar_one() == 1


async def test_0013_remembers_a_running_pause_and_downgrades_cleanly(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade_to_head(database)
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(_config(sync), "0012"))
        async with database.engine.begin() as connection:
            assert "pair_pauses" not in await connection.run_sync(tables)
            for pair_id, until in ((1, FAR), (2, PAST), (3, None)):
                await connection.execute(
                    text(
                        "INSERT INTO pairs (id, created_at, seed, living, paused_until)"
                        " VALUES (:id, :created, 0, 'together', :until)"
                    ),
                    {"id": pair_id, "created": CREATED, "until": until},
                )
            await connection.execute(
                text(
                    "INSERT INTO users (id, first_name, onboarding_step, created_at, follow_ups,"
                    " weekdays, spark, welcome_back, pair_id) VALUES (7, 'Kim', 'done', :at,"
                    " true, 127, false, false, 1)"
                ),
                {"at": CREATED},
            )
            await connection.execute(
                text(
                    "INSERT INTO pair_days (pair_id, local_date, nudge_id)"
                    " VALUES (1, '2026-11-02', 'feelings-001')"
                )
            )

        await upgrade_to_head(database)
        async with database.engine.begin() as connection:
            pauses = (await connection.execute(text("SELECT pair_id FROM pair_pauses"))).all()
            assert [row[0] for row in pauses] == [1]  # only the pause still running
            choices = await connection.execute(text("SELECT recap_with_checkin FROM pairs"))
            assert {bool(row[0]) for row in choices} == {False}
            await still_paired_with_their_days(connection)

        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(_config(sync), "0012"))
        async with database.engine.begin() as connection:
            assert "pair_pauses" not in await connection.run_sync(tables)
            columns = await connection.run_sync(pair_columns)
            assert "recap_with_checkin" not in columns
            await still_paired_with_their_days(connection)
    finally:
        await database.dispose()
