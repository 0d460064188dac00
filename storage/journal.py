"""The couple's shared journal: their days, newest first, and counts that only grow."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlalchemy.orm import aliased
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
    my_parts: list[AnswerPart] = field(default_factory=list)  # the first `parts_shown`
    their_parts: list[AnswerPart] = field(default_factory=list)
    my_total: int = 0  # parts of the answer in all
    their_total: int = 0


@dataclass(frozen=True)
class JournalCounts:
    both_showed_up: int
    notes_exchanged: int
    plans_made: int


async def page(
    *, session: AsyncSession, user: User, number: int, per_page: int, parts_shown: int
) -> tuple[list[JournalDay], bool]:
    """One page of the user's journal and whether older entries exist.

    Paired: the current pair's days. Unpaired: the user's own nudges and answers only.
    Only the page's entries are read, and of each answer its first `parts_shown` parts and
    how many it has: a page costs the same however long the journal or an answer.
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
    shown = [d for d in found if d.local_date in by_day]
    parts, totals = await _first_parts(session, [d.id or 0 for d in shown], parts_shown)
    for delivery in shown:
        entry, key = by_day[delivery.local_date], delivery.id or 0
        if delivery.user_id == user.id:
            entry.mine, entry.my_parts, entry.my_total = delivery, parts[key], totals[key]
        else:
            entry.theirs, entry.their_parts, entry.their_total = delivery, parts[key], totals[key]
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
        select(func.count()).where(
            Delivery.pair_id == pair_id,
            col(Delivery.shared_at).is_not(None),
            col(Delivery.nudge_id).in_(appreciation_ids),
        )
    )
    return JournalCounts(
        both_showed_up=await dates_where_both(col(Delivery.answered_at).is_not(None)),
        notes_exchanged=notes.one(),
        plans_made=await dates_where_both(col(Delivery.plan_choice) == "in"),
    )


async def _first_parts(
    session: AsyncSession, delivery_ids: list[int], shown: int
) -> tuple[dict[int, list[AnswerPart]], dict[int, int]]:
    """The first `shown` parts of each answer, in the order written, and how many each has."""
    parts: dict[int, list[AnswerPart]] = defaultdict(list)
    totals: dict[int, int] = defaultdict(int)
    if not delivery_ids:
        return parts, totals
    ranked = (
        select(
            AnswerPart,
            func.row_number()
            .over(partition_by=col(AnswerPart.delivery_id), order_by=col(AnswerPart.id))
            .label("rank"),
            func.count().over(partition_by=col(AnswerPart.delivery_id)).label("total"),
        )
        .where(col(AnswerPart.delivery_id).in_(delivery_ids))
        .subquery()
    )
    part = aliased(AnswerPart, ranked)
    for row, total in await session.exec(
        select(part, ranked.c.total).where(ranked.c.rank <= shown).order_by(ranked.c.id)
    ):
        parts[row.delivery_id].append(row)
        totals[row.delivery_id] = total
    return parts, totals
