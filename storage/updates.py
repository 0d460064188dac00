"""Webhook idempotency: which Telegram updates were already handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, text
from sqlmodel import col, select

from storage.db import Database, insert_ignoring_conflicts
from storage.models import ProcessedUpdate

KEEP = timedelta(days=2)  # Telegram gives up redelivering long before this


# Both run for every webhook update: built once, with bound parameters, and run on a bare
# connection (an ORM session costs more than the one statement).
_PROCESSED = select(col(ProcessedUpdate.update_id)).where(
    col(ProcessedUpdate.update_id) == bindparam("update_id")
)
_MARK = {
    dialect: insert_ignoring_conflicts(dialect, ProcessedUpdate, ["update_id"]).values(
        update_id=bindparam("update_id"), processed_at=bindparam("processed_at")
    )
    for dialect in ("sqlite", "postgresql")
}
FORGET_EVERY = 500  # update ids: one in this many also forgets the old marks


async def was_processed(*, database: Database, update_id: int) -> bool:
    async with database.engine.connect() as connection:
        result = await connection.execute(_PROCESSED, {"update_id": update_id})
        return result.first() is not None


async def mark_processed(*, database: Database, update_id: int, now: datetime) -> None:
    """Records the update as handled (now and then also forgets marks older than `KEEP`)."""
    async with database.engine.begin() as connection:
        await connection.execute(
            _MARK[connection.dialect.name], {"update_id": update_id, "processed_at": now}
        )
        if update_id % FORGET_EVERY == 0:
            await connection.execute(
                delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < now - KEEP)
            )


async def database_answers(database: Database) -> bool:
    """True if a trivial query succeeds (for /healthz)."""
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
