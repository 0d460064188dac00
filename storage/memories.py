"""On this day: a pair's day from a month, six months or a year ago that both answered.

Only days both partners answered with words, photos or voice count (both deliveries and
their parts still stored: a partner who erased their data took their answers, and the pair,
with them). At most one memory a week per pair, stored on the pair: both partners' morning
messages of that date carry the same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.checkin import Ago, ago_of, may_offer_memory, memory_days
from storage.models import AnswerPart, Delivery, DeliveryStatus, Pair, PairDay

REACHED = (DeliveryStatus.SENT, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class Memory:
    """A past day of the pair to offer in the morning message of `today`."""

    pair_id: int
    day: date
    ago: Ago
    nudge_id: str


async def for_deliveries(
    *, session: AsyncSession, delivery_ids: Sequence[int]
) -> dict[int, Memory]:
    """The memory each of these (just claimed) morning deliveries carries, by delivery id.

    Three queries for the whole batch. Choosing a memory stores it on the pair."""
    if not delivery_ids:
        return {}
    rows = list(
        await session.exec(
            select(Delivery.id, Delivery.local_date, Pair)
            .join(Pair, col(Pair.id) == col(Delivery.pair_id))
            .where(col(Delivery.id).in_(delivery_ids))
        )
    )
    wanted: dict[tuple[int, date], list[date]] = {}
    for _, today, pair in rows:
        if pair.memory_offered_on == today and pair.memory_of is not None:
            wanted[(pair.id or 0, today)] = [pair.memory_of]
        elif may_offer_memory(pair.memory_offered_on, today):
            wanted[(pair.id or 0, today)] = [day for _, day in memory_days(today)]
    both = await _both_answered(
        session,
        {pair_id for pair_id, _ in wanted},
        {day for days in wanted.values() for day in days},
    )
    chosen: dict[tuple[int, date], Memory] = {}
    for (pair_id, today), days in wanted.items():
        day = next((d for d in days if (pair_id, d) in both), None)
        ago = ago_of(today, day) if day is not None else None
        if day is not None and ago is not None:
            chosen[(pair_id, today)] = Memory(pair_id, day, ago, both[(pair_id, day)])
    found: dict[int, Memory] = {}
    for delivery_id, today, pair in rows:
        memory = chosen.get((pair.id or 0, today))
        if memory is None:
            continue
        pair.memory_offered_on, pair.memory_of = today, memory.day
        found[delivery_id or 0] = memory
    await session.flush()
    return found


async def _both_answered(
    session: AsyncSession, pair_ids: set[int], days: set[date]
) -> dict[tuple[int, date], str]:
    """(pair, day) -> that day's nudge, for the days among these both partners answered."""
    if not pair_ids or not days:
        return {}
    with_parts = select(AnswerPart.delivery_id).where(
        col(AnswerPart.delivery_id) == col(Delivery.id)
    )
    rows = await session.exec(
        select(Delivery.pair_id, Delivery.local_date, PairDay.nudge_id)
        .join(
            PairDay,
            (col(PairDay.pair_id) == col(Delivery.pair_id))
            & (col(PairDay.local_date) == col(Delivery.local_date)),
        )
        .where(
            col(Delivery.pair_id).in_(pair_ids),
            col(Delivery.local_date).in_(days),
            col(Delivery.answered_at).is_not(None),
            col(Delivery.status).in_(REACHED),
            with_parts.exists(),
        )
        .group_by(col(Delivery.pair_id), col(Delivery.local_date), col(PairDay.nudge_id))
        .having(func.count(func.distinct(Delivery.user_id)) == 2)
    )
    return {(pair_id or 0, day): nudge_id for pair_id, day, nudge_id in rows}


@dataclass(frozen=True)
class Remembered:
    """A past day of the pair as the "see it" button shows it: the nudge and each partner's
    answer parts (by user id)."""

    nudge_id: str
    parts: dict[int, list[AnswerPart]]


async def both_answers(*, session: AsyncSession, pair_id: int, day: date) -> Remembered | None:
    """The pair's answers of `day`, if both partners' are still stored (else None)."""
    both = await _both_answered(session, {pair_id}, {day})
    if (pair_id, day) not in both:
        return None
    rows = await session.exec(
        select(Delivery.user_id, AnswerPart)
        .join(AnswerPart, col(AnswerPart.delivery_id) == col(Delivery.id))
        .where(Delivery.pair_id == pair_id, Delivery.local_date == day)
        .order_by(col(AnswerPart.id))
    )
    parts: dict[int, list[AnswerPart]] = {}
    for user_id, part in rows:
        parts.setdefault(user_id, []).append(part)
    return Remembered(both[(pair_id, day)], parts)
