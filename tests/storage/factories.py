"""Builders for stored data, so tests say what matters and nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.choice import Living
from nudges.library import Kind, load_library
from storage import pairs, users
from storage.db import Database
from storage.models import AnswerPart, Delivery, DeliveryStatus, OnboardingStep, Pair, PairDay, User

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 1, 1)


async def a_user(
    session: AsyncSession,
    user_id: int,
    *,
    name: str = "Alex",
    zone: str = "Europe/Berlin",
    nudge_time: time = time(8, 0),
) -> User:
    user, _ = await users.find_or_create(session=session, user_id=user_id, first_name=name, now=T0)
    user.timezone = zone
    user.nudge_time = nudge_time
    user.onboarding_step = OnboardingStep.DONE
    await session.flush()
    return user


async def a_couple(
    session: AsyncSession,
    a_id: int = 1,
    b_id: int = 2,
    *,
    a_zone: str = "Europe/Berlin",
    b_zone: str = "Europe/Berlin",
    a_time: time = time(8, 0),
    b_time: time = time(8, 0),
    living: Living | None = Living.TOGETHER,
    now: datetime = T0,
) -> tuple[User, User, Pair]:
    """Two set-up users, paired at `now` (so their first nudges are scheduled)."""
    a = await a_user(session, a_id, name="Alex", zone=a_zone, nudge_time=a_time)
    b = await a_user(session, b_id, name="Sam", zone=b_zone, nudge_time=b_time)
    pair = await pairs.form(session=session, inviter=a, joiner=b, now=now)
    pair.living = living
    await session.flush()
    return a, b, pair


async def a_long_journal(database: Database, *, days: int, parts_each: int) -> User:
    """Alex (user 1) and Sam (user 2), `days` days of notes to each other from FIRST_DAY, each
    note of `parts_each` messages (message ids 0, 1, …; texts "answer <delivery id>, words
    <k>")."""
    note = next(n.id for n in load_library() if n.kind == Kind.APPRECIATION)
    async with database.transaction() as session:
        alex, sam, pair = await a_couple(session)
        pair_id, ids = pair.id or 0, (alex.id, sam.id)
        await session.exec(
            insert(PairDay).values(
                [
                    {"pair_id": pair_id, "local_date": FIRST_DAY + timedelta(n), "nudge_id": note}
                    for n in range(days)
                ]
            )
        )
        deliveries = []
        for n in range(days):
            at = datetime(2026, 1, 1, 7, tzinfo=UTC) + timedelta(n)
            for user_id in ids:
                deliveries.append(
                    {
                        "user_id": user_id,
                        "pair_id": pair_id,
                        "local_date": FIRST_DAY + timedelta(n),
                        "nudge_id": note,
                        "due_at": at,
                        "status": DeliveryStatus.SENT,
                        "sent_at": at,
                        "answered_at": at,
                        "shared_at": at,
                    }
                )
        await session.exec(insert(Delivery).values(deliveries))
        rows = await session.exec(select(Delivery.id, Delivery.sent_at))
        await session.exec(
            insert(AnswerPart).values(
                [
                    {
                        "delivery_id": delivery_id,
                        "message_id": k,
                        "content_type": "text",
                        "text": f"answer {delivery_id}, words {k}",
                        "created_at": sent_at,
                    }
                    for delivery_id, sent_at in rows
                    for k in range(parts_each)
                ]
            )
        )
        return alex
