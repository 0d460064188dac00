"""Applying the Alembic migrations, automatically at start or via `python -m bot migrate`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


async def upgrade_to_head(database: Database) -> None:
    """Bring the schema to the newest revision (a no-op when it already is)."""
    await upgrade_to(database, "head")


async def upgrade_to(database: Database, revision: str) -> None:
    """Bring the schema to `revision` (tests of a data migration start from the one before).

    On SQLite the foreign keys are off while migrating: Alembic's batch mode rebuilds a table
    by copying it and dropping the old one, and with the keys on that drop would clear every
    reference to it (`ON DELETE SET NULL` / `CASCADE`: everyone unpaired, their days gone).
    SQLite ignores the pragma inside a transaction, so it is set before the migration's
    transaction begins, and the keys are checked before it commits.
    """
    async with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            await _sqlite_foreign_keys(connection, on=False)
        try:
            async with connection.begin():
                await connection.run_sync(lambda sync: command.upgrade(_config(sync), revision))
                if sqlite:
                    broken = await connection.exec_driver_sql("PRAGMA foreign_key_check")
                    if broken.first() is not None:
                        raise RuntimeError(f"migrating to {revision} broke a foreign key")
        finally:
            if sqlite:
                await _sqlite_foreign_keys(connection, on=True)


async def _sqlite_foreign_keys(connection: AsyncConnection, *, on: bool) -> None:
    """Said to the driver, outside any transaction (SQLAlchemy would begin one first)."""
    raw = await connection.get_raw_connection()
    await raw.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
