"""Queries about replies: which nudge a message answers, the parts of an answer, reveals."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AnswerPart, Delivery, DeliveryStatus, Pair

REPLY_WINDOW = timedelta(days=7)
REACHED = (DeliveryStatus.SENT, DeliveryStatus.SENDING)


async def latest_delivery(*, session: AsyncSession, user_id: int) -> Delivery | None:
    """The user's most recent nudge: the one a plain message answers."""
    result = await session.exec(
        select(Delivery)
        .where(Delivery.user_id == user_id, col(Delivery.status).in_(REACHED))
        .order_by(col(Delivery.local_date).desc())
        .limit(1)
    )
    return result.first()


async def delivery_replied_to(
    *, session: AsyncSession, user_id: int, message_id: int, now: datetime
) -> Delivery | None:
    """The user's nudge with this Telegram message id, if it came within the last 7 days."""
    result = await session.exec(
        select(Delivery).where(
            Delivery.user_id == user_id,
            Delivery.message_id == message_id,
            col(Delivery.status).in_(REACHED),
            col(Delivery.due_at) >= now - REPLY_WINDOW,
        )
    )
    return result.first()


async def partner_delivery(*, session: AsyncSession, delivery: Delivery) -> Delivery | None:
    """The partner's delivery of the same pair and date (the same nudge)."""
    if delivery.pair_id is None:
        return None
    result = await session.exec(
        select(Delivery).where(
            Delivery.pair_id == delivery.pair_id,
            Delivery.local_date == delivery.local_date,
            Delivery.user_id != delivery.user_id,
        )
    )
    return result.first()


async def add_part(
    *,
    session: AsyncSession,
    delivery: Delivery,
    message_id: int,
    content_type: str,
    text: str | None,
    file_id: str | None,
    now: datetime,
) -> AnswerPart:
    """Adds one message to the user's answer, after the earlier ones; marks it answered."""
    part = AnswerPart(
        delivery_id=delivery.id or 0,
        message_id=message_id,
        content_type=content_type,
        text=text,
        file_id=file_id,
        created_at=now,
    )
    session.add(part)
    if delivery.answered_at is None:
        delivery.answered_at = now
    delivery.follow_up_due_at = None
    await session.flush()
    return part


async def parts_of(*, session: AsyncSession, delivery_id: int) -> list[AnswerPart]:
    result = await session.exec(
        select(AnswerPart).where(AnswerPart.delivery_id == delivery_id).order_by(col(AnswerPart.id))
    )
    return list(result)


async def edit_part(
    *, session: AsyncSession, user_id: int, message_id: int, text: str | None, now: datetime
) -> AnswerPart | None:
    """The user edited a message that is part of an answer: the stored text follows, while
    the pair it was shared in lasts. After an unpairing the answer stays as it was shared:
    the former partner may still hold it (in their export), and must not get words written
    once they were no longer a couple."""
    result = await session.exec(
        select(AnswerPart)
        .join(Delivery, col(Delivery.id) == col(AnswerPart.delivery_id))
        .join(Pair, col(Pair.id) == col(Delivery.pair_id))
        .where(
            Delivery.user_id == user_id,
            AnswerPart.message_id == message_id,
            col(Pair.ended_at).is_(None),
        )
    )

    part = result.first()
    if part is None:
        return None
    part.text = text
    part.edited_at = now
    await session.flush()
    return part


async def part_for_viewer(
    *, session: AsyncSession, part_id: int, viewer_id: int, viewer_pair_id: int | None
) -> AnswerPart | None:
    """A stored answer part the viewer may see: their own, or their current partner's
    once it was shared with them (revealed, or a note delivered to them)."""
    result = await session.exec(
        select(AnswerPart, Delivery)
        .join(Delivery, col(Delivery.id) == col(AnswerPart.delivery_id))
        .where(AnswerPart.id == part_id)
    )
    row = result.first()
    if row is None:
        return None
    part, delivery = row
    if delivery.user_id == viewer_id:
        return part
    shared = delivery.revealed_at is not None or delivery.shared_at is not None
    if viewer_pair_id is not None and delivery.pair_id == viewer_pair_id and shared:
        return part
    return None


async def count_parts(*, session: AsyncSession, delivery_id: int) -> int:
    result = await session.exec(
        select(func.count()).select_from(AnswerPart).where(AnswerPart.delivery_id == delivery_id)
    )
    return result.one()


async def delivery_by_id(*, session: AsyncSession, delivery_id: int) -> Delivery | None:
    return await session.get(Delivery, delivery_id)
