"""Migration 0008 on both databases: wrong-code counts lose their foreign key to users (so
they outlive /delete) and gain an index on `at`; downgrading brings the key back."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage.db import Database
from storage.migrate import _config, upgrade_to_head

AT = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def foreign_keys(connection: Connection) -> list[str]:
    return [fk["referred_table"] for fk in inspect(connection).get_foreign_keys("wrong_codes")]


def indexes(connection: Connection) -> set[str]:
    return {index["name"] or "" for index in inspect(connection).get_indexes("wrong_codes")}


async def test_wrong_codes_need_no_user_row_after_0008_and_downgrade_restores_the_key(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        await upgrade_to_head(database)
        async with database.engine.begin() as connection:
            assert await connection.run_sync(foreign_keys) == []
            assert {"ix_wrong_codes_at", "ix_wrong_codes_user_at"} <= await connection.run_sync(
                indexes
            )
            await connection.execute(
                text(
                    "INSERT INTO users (id, first_name, onboarding_step, created_at, follow_ups,"
                    " weekdays, spark, welcome_back) VALUES (7, 'Kim', 'done', :at, true, 127,"
                    " false, false)"
                ),
                {"at": AT},
            )
            for user_id in (7, 99):  # 99: a user who erased themselves
                await connection.execute(
                    text("INSERT INTO wrong_codes (user_id, at) VALUES (:u, :at)"),
                    {"u": user_id, "at": AT},
                )

        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(_config(sync), "0006"))
        async with database.engine.begin() as connection:
            assert await connection.run_sync(foreign_keys) == ["users"]
            assert "ix_wrong_codes_at" not in await connection.run_sync(indexes)
            left = await connection.execute(text("SELECT user_id FROM wrong_codes"))
            assert [row[0] for row in left] == [7]

        await upgrade_to_head(database)
        async with database.engine.begin() as connection:
            assert await connection.run_sync(foreign_keys) == []
            left = await connection.execute(text("SELECT user_id FROM wrong_codes"))
            assert [row[0] for row in left] == [7]  # the copy SQLite makes keeps the rows
    finally:
        await database.dispose()
