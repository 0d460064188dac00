"""Webhook idempotency: which Telegram updates were already handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Insert, bindparam, delete, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database, insert_ignoring_conflicts
from storage.models import ProcessedUpdate

KEEP = timedelta(days=2)  # Telegram gives up redelivering long before this


# Both run for every webhook update: built once, with bound parameters.
_PROCESSED = select(col(ProcessedUpdate.update_id)).where(
    col(ProcessedUpdate.update_id) == bindparam("update_id")
)
_MARK: dict[str, Insert] = {}


async def was_processed(*, session: AsyncSession, update_id: int) -> bool:
    result = await session.exec(_PROCESSED, params={"update_id": update_id})
    return result.first() is not None


async def mark_processed(*, session: AsyncSession, update_id: int, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    if dialect not in _MARK:
        _MARK[dialect] = insert_ignoring_conflicts(session, ProcessedUpdate, ["update_id"]).values(
            update_id=bindparam("update_id"), processed_at=bindparam("processed_at")
        )
    await session.exec(_MARK[dialect], params={"update_id": update_id, "processed_at": now})


async def forget_old(*, session: AsyncSession, now: datetime) -> None:
    await session.exec(
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
