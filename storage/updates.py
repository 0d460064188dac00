"""Webhook idempotency: which Telegram updates were already handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database, insert_ignoring_conflicts
from storage.models import ProcessedUpdate

KEEP = timedelta(days=2)  # Telegram gives up redelivering long before this


async def was_processed(*, session: AsyncSession, update_id: int) -> bool:
    return await session.get(ProcessedUpdate, update_id) is not None


async def mark_processed(*, session: AsyncSession, update_id: int, now: datetime) -> None:
    await session.exec(
        insert_ignoring_conflicts(session, ProcessedUpdate, ["update_id"]).values(
            update_id=update_id, processed_at=now
        )
    )


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
