"""The couple's shared journal: their days, newest first, and counts that only grow."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AnswerPart, Delivery, DeliveryStatus, PairDay, User

REACHED = (DeliveryStatus.SENT, DeliveryStatus.SENDING)


@dataclass
class JournalDay:
    day: date
    nudge_id: str
    mine: Delivery | None = None
    theirs: Delivery | None = None
    my_parts: list[AnswerPart] = field(default_factory=list)
    their_parts: list[AnswerPart] = field(default_factory=list)


@dataclass(frozen=True)
class JournalCounts:
    both_showed_up: int
    notes_exchanged: int
    plans_made: int


async def page(
    *, session: AsyncSession, user: User, number: int, per_page: int
) -> tuple[list[JournalDay], bool]:
    """One page of the user's journal and whether older entries exist.

    Paired: the current pair's days. Unpaired: the user's own nudges and answers only.
    """
    offset = number * per_page
    days: list[JournalDay]
    if user.pair_id is not None:
        rows = await session.exec(
            select(PairDay.local_date, PairDay.nudge_id)
            .where(PairDay.pair_id == user.pair_id)
            .order_by(col(PairDay.local_date).desc())
            .offset(offset)
            .limit(per_page + 1)
        )
        days = [JournalDay(day, nudge_id) for day, nudge_id in rows]
        found = list(
            await session.exec(
                select(Delivery).where(
                    Delivery.pair_id == user.pair_id,
                    col(Delivery.local_date).in_([d.day for d in days]),
                    col(Delivery.status).in_(REACHED),
                )
            )
        )
    else:
        found = list(
            await session.exec(
                select(Delivery)
                .where(Delivery.user_id == user.id, col(Delivery.status).in_(REACHED))
                .order_by(col(Delivery.local_date).desc())
                .offset(offset)
                .limit(per_page + 1)
            )
        )
        days = [JournalDay(d.local_date, d.nudge_id) for d in found]
    more = len(days) > per_page
    days = days[:per_page]
    by_day = {d.day: d for d in days}
    parts = await _parts(session, [d.id or 0 for d in found])
    for delivery in found:
        entry = by_day.get(delivery.local_date)
        if entry is None:
            continue
        if delivery.user_id == user.id:
            entry.mine, entry.my_parts = delivery, parts[delivery.id or 0]
        else:
            entry.theirs, entry.their_parts = delivery, parts[delivery.id or 0]
    return days, more


async def counts(
    *, session: AsyncSession, pair_id: int, appreciation_ids: set[str]
) -> JournalCounts:
    """Days both answered, notes sent to each other, plans both said yes to."""

    async def dates_where_both(*conditions: object) -> int:
        subquery = (
            select(Delivery.local_date)
            .where(Delivery.pair_id == pair_id, *conditions)  # type: ignore[arg-type]
            .group_by(col(Delivery.local_date))
            .having(func.count() == 2)
            .subquery()
        )
        return (await session.exec(select(func.count()).select_from(subquery))).one()

    notes = await session.exec(
        select(Delivery.nudge_id).where(
            Delivery.pair_id == pair_id, col(Delivery.shared_at).is_not(None)
        )
    )
    return JournalCounts(
        both_showed_up=await dates_where_both(col(Delivery.answered_at).is_not(None)),
        notes_exchanged=sum(1 for nudge_id in notes if nudge_id in appreciation_ids),
        plans_made=await dates_where_both(col(Delivery.plan_choice) == "in"),
    )


async def _parts(session: AsyncSession, delivery_ids: list[int]) -> dict[int, list[AnswerPart]]:
    grouped: dict[int, list[AnswerPart]] = defaultdict(list)
    if delivery_ids:
        for part in await session.exec(
            select(AnswerPart)
            .where(col(AnswerPart.delivery_id).in_(delivery_ids))
            .order_by(col(AnswerPart.id))
        ):
            grouped[part.delivery_id].append(part)
    return grouped
